// The README's usage example, run as written.
import { describe, expect, it } from 'vitest';
import { LexError, compileFilterText } from '../src/index.js';
import type { FilterField } from '../src/index.js';

describe('README example', () => {
  it('compiles the example filter and reports the example error', () => {
    const fields: FilterField[] = [
      { name: 'common_pid', kind: 'integer', offset: 4, size: 4, signed: true },
      { name: 'vm_id', kind: 'integer', offset: 8, size: 4, signed: false },
      { name: 'pc', kind: 'integer', offset: 16, size: 8, signed: false },
      { name: 'comm', kind: 'char-array', offset: 24, size: 16, signed: false },
      { name: 'device', kind: 'dynamic-string', offset: 40, size: 4, signed: false },
    ];
    const recordBytes = new Uint8Array(64);
    const v = new DataView(recordBytes.buffer);
    v.setUint32(8, 1, true);
    v.setBigUint64(16, 0x40001000n, true);
    recordBytes.set(new TextEncoder().encode('pl011@9000000'), 44);
    v.setUint32(40, (14 << 16) | 44, true);
    const filter = compileFilterText('vm_id == 1 && pc >= 0x40000000 && device ~ "pl011*"', fields);
    expect(filter!.test(recordBytes)).toBe(true);
    v.setUint32(8, 2, true);
    expect(filter!.predicate(recordBytes, v)).toBe(false);
    let err: unknown;
    try {
      compileFilterText('vm_id == 1 && bogus > 3', fields);
    } catch (e) {
      err = e;
    }
    expect(LexError.isInstance(err)).toBe(true);
    expect(err).toMatchObject({
      code: 'UNKNOWN_FIELD',
      column: 15,
      caret: 'vm_id == 1 && bogus > 3\n              ^^^^^',
    });
  });
});
