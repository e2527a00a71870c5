// Cost of one hprobe hit: the hypercall-heavy guest (configs/hcall.toml) for a fixed stretch
// of virtual time, without probes, with an entry probe on handle_hvc running a small program,
// and with an entry + return probe; modes interleaved round by round (best of 3 each).
// Reports the emulated EL2 instructions per hit and the wall time per hit against the same run
// without the probe. (run: pnpm --filter axebpf bench)
// Imports the built packages (pnpm bench builds first).
import { readFileSync } from 'node:fs';
import { bundledImage, parseVmConfig, Vmm } from '@axebpf/axvisor-vmm';
import { createRuntime } from '../dist/index.js';
import type { Platform } from '../dist/index.js';
import { ebpfRuntime } from '../dist/runtime.js';
import { hprobe, HPROBE_CONTEXT_SIZE } from '../dist/hprobe.js';
import { symbols } from '../dist/symbols.js';
import { tracepoints } from '../dist/tracepoints.js';

const config = readFileSync(
  new URL('../../axvisor-vmm/configs/hcall.toml', import.meta.url),
  'utf8',
);
const VIRTUAL_NS = 20_000_000n; // 20 ms of virtual time: about 40,000 hypercalls

type Mode = 'no probe' | 'hprobe handle_hvc' | 'hprobe + hretprobe handle_hvc';

function once(mode: Mode): { ms: number; el2: number; hits: number; exits: number } {
  let vmm: Vmm | undefined;
  const platform: Platform = {
    timeNs: () => vmm!.platform.timeNs(),
    cpuId: () => vmm!.platform.cpuId(),
    currentVmId: () => vmm!.platform.currentVmId(),
    currentVcpuId: () => vmm!.platform.currentVcpuId(),
    exitReason: () => vmm!.platform.exitReason(),
    pidTgid: () => vmm!.platform.pidTgid(),
    comm: () => vmm!.platform.comm(),
  };
  const rt = createRuntime({
    features: [symbols(), tracepoints(), ebpfRuntime(), hprobe()] as const,
    platform,
  });
  vmm = new Vmm({ tracepoints: rt.tracepoints, loadImage: bundledImage });
  rt.symbols.load('axvisor', vmm.hypImage!.kallsyms);
  rt.hprobe.install(vmm.hprobeHost());
  // a small program: reads x0 (the vCPU context) and x2 (the hypercall number) of the frame
  rt.ebpf.load(
    'small',
    { asm: 'ldxdw %r0, [%r1+0]\nldxdw %r2, [%r1+16]\nadd %r0, %r2\nexit' },
    { contextSize: HPROBE_CONTEXT_SIZE },
  );
  if (mode !== 'no probe') rt.hprobe.attach('handle_hvc', 'small');
  if (mode === 'hprobe + hretprobe handle_hvc')
    rt.hprobe.attach('handle_hvc', 'small', { ret: true });
  const vm = vmm.createVm(parseVmConfig(config, 'hcall.toml'));
  vmm.startVm(vm.id);
  const t0 = performance.now();
  vmm.run(VIRTUAL_NS);
  const ms = performance.now() - t0;
  const hits = rt.hprobe.list().reduce((n, p) => n + p.hits, 0);
  const exits = [...vm.vcpus[0]!.exits.values()].reduce((a, b) => a + b, 0);
  return { ms, el2: vm.vcpus[0]!.el2Insns, hits, exits };
}

const modes: Mode[] = ['no probe', 'hprobe handle_hvc', 'hprobe + hretprobe handle_hvc'];
const best = new Map<Mode, ReturnType<typeof once>>();
for (const m of modes) once(m); // warm up
for (let round = 0; round < 3; round++) {
  for (const m of modes) {
    const r = once(m);
    const b = best.get(m);
    if (b === undefined || r.ms < b.ms) best.set(m, r);
  }
}
const base = best.get('no probe')!;
console.log(
  `${base.exits} exits in ${Number(VIRTUAL_NS) / 1e6} ms of virtual time; ${(base.el2 / base.exits).toFixed(1)} EL2 instructions per exit without probes`,
);
console.log(`no probe:                        ${base.ms.toFixed(0)} ms wall (baseline)`);
for (const m of modes.slice(1)) {
  const r = best.get(m)!;
  if (r.exits !== base.exits)
    throw new Error(`probes changed the run: ${r.exits} exits vs ${base.exits}`);
  const perHitInsns = (r.el2 - base.el2) / r.hits;
  const perHitUs = ((r.ms - base.ms) * 1000) / r.hits;
  console.log(
    `${(m + ':').padEnd(32)} ${r.ms.toFixed(0)} ms wall (${(r.ms / base.ms).toFixed(2)}x), ${r.hits} hits: ${perHitInsns.toFixed(1)} emulated EL2 instructions and ${perHitUs.toFixed(2)} µs wall per hit`,
  );
}
