// The README's attach example, run as written.
import { defineEvent } from '@axebpf/tracepoint';
import { expect, it } from 'vitest';
import { createRuntime } from '../src/index.js';
import { ebpfRuntime } from '../src/features/ebpf-runtime.js';
import { symbols } from '../src/features/symbols.js';
import { tracepoints } from '../src/features/tracepoints.js';

it('runs the README attach example', () => {
  const rt = createRuntime({ features: [symbols(), tracepoints(), ebpfRuntime()] as const });
  const exit = rt.tracepoints.register(
    defineEvent({
      system: 'vmm',
      name: 'vcpu_run_exit',
      fields: [
        ['vm_id', 'u32'],
        ['vcpu_id', 'u32'],
        ['exit_reason', 'u32'],
      ],
    }),
  );
  const fd = rt.ebpf.createMap('hits', { mapType: 2, keySize: 4, valueSize: 8, maxEntries: 1 });
  rt.ebpf.load('count', {
    asm: `
    lddw %r1, map_value[${fd}]+0
    mov %r2, 1
    lock add [%r1], %r2
    mov %r0, 0
    exit`,
  });
  rt.ebpf.attach('count', 'vmm:vcpu_run_exit');
  if (exit.active) exit.emit(1, 0, 3);
  expect(rt.ebpf.program('count').stats.runs).toBe(0);
  rt.tracepoints.enable('vmm:vcpu_run_exit');
  if (exit.active) exit.emit(1, 0, 3);
  expect(rt.ebpf.program('count').stats).toMatchObject({ runs: 1, errors: 0, insns: 5 });
  const value = rt.ebpf.bpf.mapLookupElem(fd, new Uint8Array(4));
  expect(new DataView(value.buffer, value.byteOffset).getBigUint64(0, true)).toBe(1n);
});
