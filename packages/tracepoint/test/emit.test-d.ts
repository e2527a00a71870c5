import { describe, expectTypeOf, it } from 'vitest';
import { TracepointManager } from '../src/index.js';

describe('emit types', () => {
  it('takes one argument per field with the field value type', () => {
    const mgr = new TracepointManager();
    const tp = mgr.define({
      system: 'vmm',
      name: 'x',
      fields: [
        ['vm_id', 'u32'],
        ['pc', 'u64'],
        ['dev', 'string'],
        ['comm', 'char[16]'],
        ['ok', 'bool'],
      ],
    } as const);
    expectTypeOf(tp.emit).parameters.toEqualTypeOf<
      [number, number | bigint, string, string, boolean | number]
    >();
  });
});
