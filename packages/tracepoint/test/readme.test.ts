// The README's usage example, run as written (with its placeholders filled in).
import { describe, expect, it } from 'vitest';
import { ManualTraceHost, TracepointManager, defineEvent, generateCHeader } from '../src/index.js';
import type { TraceRecord } from '../src/index.js';

describe('README example', () => {
  it('produces the output the README shows', () => {
    const vcpuRunExit = defineEvent({
      system: 'vmm',
      name: 'vcpu_run_exit',
      fields: [
        ['vm_id', 'u32'],
        ['vcpu_id', 'u32'],
        ['exit_reason', 'u32'],
        ['pc', 'u64'],
      ],
      print: { fmt: 'vm=%u vcpu=%u reason=%u pc=%#llx' },
    } as const);
    const host = new ManualTraceHost({ timeNs: 1_000_000_000n });
    const mgr = new TracepointManager({ host, pipe: { entriesPerCpu: 4096, mode: 'overwrite' } });
    const tp = mgr.register(vcpuRunExit);
    const [vmId, vcpuId, reason, pc] = [1, 0, 22, 0x40080000];
    if (tp.active) tp.emit(vmId, vcpuId, reason, pc);
    mgr.enable('vmm:vcpu_run_exit');
    mgr.setFilter('vmm:vcpu_run_exit', 'exit_reason == 0x16 && vm_id == 1');
    const seen: unknown[] = [];
    const a = mgr.attach('vmm:vcpu_run_exit', (rec) => seen.push(rec.field('pc'), rec.timeNs));
    const sizes: number[] = [];
    const runBpf = (_bytes: Uint8Array, size: number): number => sizes.push(size);
    mgr.attach('vmm:vcpu_run_exit', {
      kind: 'program',
      name: 'stats',
      run: (rec: TraceRecord) => runBpf(rec.bytes, rec.size),
    });
    if (tp.active) tp.emit(vmId, vcpuId, reason, pc);
    expect(mgr.counters('vmm:vcpu_run_exit')).toEqual({
      hits: 1,
      filtered: 0,
      callbackRuns: 1,
      programRuns: 1,
      errors: 0,
      pipeRecords: 1,
      recursionDrops: 0,
    });
    expect(seen).toEqual([0x40080000n, 1_000_000_000n]);
    expect(sizes).toEqual([32]);
    expect(mgr.pipe.readText()).toBe(
      '         axvisor-0       [000] .....     1.000000: vmm:vcpu_run_exit: vm=1 vcpu=0 reason=22 pc=0x40080000\n',
    );
    expect(mgr.readFile('vmm:vcpu_run_exit', 'format')).toContain(
      '\tfield:u64 pc;\toffset:24;\tsize:8;\tsigned:0;\n',
    );
    expect(a.detach()).toBe(true);
    expect(
      generateCHeader([vcpuRunExit], { ids: new Map([['vmm:vcpu_run_exit', tp.id]]) }),
    ).toContain('#define AXEBPF_TP_ID_vmm_vcpu_run_exit 1\n');
  });
});
