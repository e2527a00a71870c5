// Compile time of typical one-liners (parse + check + codegen + verify), with the stages
// measured apart in the same run: parse alone, and compile without the verifier. Target: a
// typical one-liner compiles in under 5 ms.
// Run: pnpm --filter @axebpf/bpfscript bench
import { VMM_EVENT_LIST } from '@axebpf/axvisor-vmm';
import { compile, parse } from '../src/index.js';

const ONE_LINERS: [string, string][] = [
  [
    'count by (vm, reason)',
    'tracepoint:vmm:vcpu_run_exit { @[args.vm_id, args.exit_reason] = count(); }',
  ],
  [
    'filtered sum',
    'tracepoint:vmm:vcpu_run_exit / args.exit_reason == 1 && args.vm_id != 2 / { @ns[vm] = sum(args.guest_ns); }',
  ],
  ['hist', 'tracepoint:vmm:vcpu_run_exit { @ns = hist(args.guest_ns); }'],
  ['printf', 'tracepoint:vmm:vm_boot { printf("vm%d boots (%s)\\n", args.vm_id, probe); }'],
  ['wildcard (27 programs)', 'tracepoint:vmm:* { @[probe] = count(); }'],
];

function measure(run: () => void): number {
  let best = Infinity;
  for (let round = 0; round < 7; round++) {
    const iters = 50;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i++) run();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / iters;
    if (round > 1) best = Math.min(best, ms);
  }
  return best;
}

console.log(
  `node ${process.version}; ms per compile, best of 5 rounds of 50 after 2 warm-up rounds\n`,
);
console.log(
  `${'one-liner'.padEnd(26)} ${'parse'.padStart(8)} ${'no verify'.padStart(10)} ${'compile'.padStart(9)}  verify share  target < 5 ms`,
);
for (const [name, source] of ONE_LINERS) {
  const p = measure(() => parse(source));
  const nv = measure(() => compile(source, { tracepoints: VMM_EVENT_LIST, verify: false }));
  const full = measure(() => compile(source, { tracepoints: VMM_EVENT_LIST }));
  const programs = compile(source, { tracepoints: VMM_EVENT_LIST }).probes.length;
  const perProgram = full / programs;
  console.log(
    `${name.padEnd(26)} ${p.toFixed(3).padStart(8)} ${nv.toFixed(3).padStart(10)} ${full.toFixed(3).padStart(9)}  ${((1 - nv / full) * 100).toFixed(0).padStart(10)} %  ${full < 5 ? 'met' : programs > 1 && perProgram < 5 ? `per program ${perProgram.toFixed(3)} ms: met` : 'NOT met'}`,
  );
}
