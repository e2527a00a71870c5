import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VMM_EVENT_LIST } from '@axebpf/axvisor-vmm';
import { generateCHeader } from '@axebpf/tracepoint';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../src/index.js';
import { ebpfRuntime } from '../src/features/ebpf-runtime.js';
import { precompiled, PRECOMPILED_PROGRAMS } from '../src/features/precompiled.js';
import { hasTool } from '@axebpf/test-utils/tools';

const programs = fileURLToPath(new URL('../programs/', import.meta.url));
const hasClang = hasTool('clang');

describe('precompiled programs', () => {
  it('lists twelve programs whose objects are eBPF ELF files with their section', () => {
    const rt = createRuntime({ features: [ebpfRuntime(), precompiled()] as const });
    expect(rt.precompiled.list().map((p) => p.name)).toEqual([
      'printk',
      'stats',
      'exit_printk',
      'counter',
      'vmexit_stats',
      'vmexit_stats_tc',
      'latency_hist',
      'hprobe_entry',
      'hprobe_exit',
      'kprobe_args',
      'syscalls',
      'openat',
    ]);
    for (const p of PRECOMPILED_PROGRAMS) {
      const o = rt.precompiled.object(p.name);
      expect([...o.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
      expect(new DataView(o.buffer, o.byteOffset).getUint16(18, true)).toBe(247); // EM_BPF
      expect(Buffer.from(o).includes(Buffer.from(`${p.section}\0`))).toBe(true);
    }
    expect(() => rt.precompiled.get('nope')).toThrowError(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
  });

  it('keeps the committed tracepoint header in step with the vmm catalog', () => {
    const committed = readFileSync(join(programs, 'include/vmm_tracepoints.h'), 'utf8');
    expect(committed).toBe(
      generateCHeader(VMM_EVENT_LIST, { guard: '__AXEBPF_VMM_TRACEPOINTS_H__' }),
    );
  });

  it.skipIf(!hasClang)(
    'rebuilds every object byte for byte with clang (skipped without clang)',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'axebpf-programs-'));
      execFileSync('bash', [join(programs, 'build.sh'), out], { stdio: 'pipe' });
      for (const p of PRECOMPILED_PROGRAMS) {
        expect([
          p.file,
          Buffer.compare(readFileSync(join(out, p.file)), readFileSync(join(programs, p.file))),
        ]).toEqual([p.file, 0]);
      }
    },
    60_000,
  );
});
