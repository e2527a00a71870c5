// VM exits per wall-clock second on the hypercall-heavy guest (200,000 hypercalls), with tracing
// off, then with every vmm:* tracepoint enabled and nothing attached, in the same process; each
// with the EL2 image handling exits (the default) and, as the baseline, with TypeScript
// handling them directly (`hypervisor: 'ts'`, the earlier model).
// (run: pnpm --filter @axebpf/axvisor-vmm bench)
import type { HcallMode as Mode } from './hcall-run.js';
import { runHcall as once } from './hcall-run.js';

// Modes are interleaved round by round (best of 5 each), so JIT warm-up and machine noise do
// not favour whichever mode runs last.
const modes: Mode[] = [
  { hyp: 'ts', tracing: 'off' },
  { hyp: 'el2', tracing: 'off' },
  { hyp: 'el2', tracing: 'enabled, tracing_on=0' },
  { hyp: 'el2', tracing: 'enabled, trace pipe recording' },
  { hyp: 'ts', tracing: 'enabled, tracing_on=0' },
];
const rate = new Map<Mode, number>(modes.map((m) => [m, 0]));
let exits = 0;
let el2 = 0;
for (let i = 0; i < 2; i++) for (const m of modes.slice(0, 2)) once(m); // warm up
for (let round = 0; round < 5; round++) {
  for (const mode of modes) {
    const r = once(mode);
    exits = r.exits;
    if (mode.hyp === 'el2' && mode.tracing === 'off') el2 = r.el2;
    rate.set(mode, Math.max(rate.get(mode)!, r.exits / (r.ms / 1000)));
  }
}
const base = rate.get(modes[0]!)!;
const off = rate.get(modes[1]!)!;
console.log(
  `exits per run: ${exits}; EL2 instructions per exit (image): ${(el2 / exits).toFixed(1)}`,
);
console.log(
  `TypeScript exit handling (hypervisor: 'ts'), tracepoints off: ${(base / 1000).toFixed(0)} k exits/s (baseline)`,
);
console.log(
  `EL2 image, all tracepoints disabled:                         ${(off / 1000).toFixed(0)} k exits/s (${(off / base).toFixed(2)}x the baseline)`,
);
for (const mode of modes.slice(2, 4)) {
  const r = rate.get(mode)!;
  console.log(
    `EL2 image, all tracepoints ${mode.tracing.padEnd(31)} ${(r / 1000).toFixed(0)} k exits/s (${(((off - r) / off) * 100).toFixed(1)}% slower than disabled)`,
  );
}
const tsOn = rate.get(modes[4]!)!;
console.log(
  `TypeScript exit handling, all tracepoints enabled, tracing_on=0: ${(tsOn / 1000).toFixed(0)} k exits/s (${(((base - tsOn) / base) * 100).toFixed(1)}% slower than its baseline)`,
);
