// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { EbpfVm } from '@axebpf/rbpf';
import { EbpfObject, ObjError } from '../src/index.js';
import { parseElf } from '../src/elf/index.js';
import { objectBytes } from './support/corpus.js';

describe('.BTF.ext line info', () => {
  it('maps pcs of a linked program (subprograms included) to C source lines', () => {
    const o = EbpfObject.parse(objectBytes('globals'));
    const linked = o.link('on_exit', () => 3);
    expect(o.sourceLineOf(linked, 0)).toEqual({
      insnOffset: 0,
      file: './globals.bpf.c',
      text: 'hits += 1;',
      line: 25,
      column: 7,
    });
    expect(o.sourceLineOf(linked, 9)).toMatchObject({ line: 27, text: 'last_value = (__u32)acc;' });
    expect(o.sourceLineOf(linked, 22)).toMatchObject({ line: 16, text: 'return (a * scale) ^ b;' }); // mix, appended at 21
    expect(o.sourceLineOf(linked, 27)).toBeUndefined();
  });

  it('gives the source line of a run-time fault', () => {
    const o = EbpfObject.parse(objectBytes('maps'));
    const linked = o.link('on_hvc_ret', () => 3);
    // A resolver that points the hash map at nothing: the helper call has no helper registered.
    const vm = new EbpfVm(linked.bytecode, { resolveLddw: () => 0n, engine: 'interpreter' });
    let pc = -1;
    try {
      vm.run();
    } catch (e) {
      pc = (e as { pc: number }).pc;
    }
    expect(o.sourceLineOf(linked, pc)).toMatchObject({
      file: './maps.bpf.c',
      text: '__u64 *v = bpf_map_lookup_elem(&by_key, &key);',
    });
  });

  it('link errors name the C source line', () => {
    const bytes = objectBytes('globals').slice();
    const rel = parseElf(bytes).sectionByName('.reltracepoint/vmm/vcpu_run_exit')!;
    new DataView(bytes.buffer).setUint32(rel.offset + 12, 0, true); // first relocation → undefined symbol
    const o = EbpfObject.parse(bytes);
    let error: unknown;
    try {
      o.link('on_exit', () => 3);
    } catch (e) {
      error = e;
    }
    expect(ObjError.isInstance(error)).toBe(true);
    expect((error as ObjError).message).toContain('(./globals.bpf.c:25: hits += 1;)');
  });
});
