// Profiling helper: runs the hcall guest with the EL2 image N times and prints exits/s.
// (node --cpu-prof --import tsx bench/el2-profile.ts [el2|ts] [runs])
import { runHcall } from './hcall-run.js';

const hyp = (process.argv[2] ?? 'el2') as 'el2' | 'ts';
const runs = Number(process.argv[3] ?? 5);
let best = 0;
for (let i = 0; i < runs; i++) {
  const { exits, ms, el2, jitBlocks } = runHcall({ hyp, tracing: 'off' });
  best = Math.max(best, exits / (ms / 1000));
  console.log(
    `${hyp}: ${exits} exits in ${ms.toFixed(0)} ms, el2 insns/exit ${(el2 / exits).toFixed(1)}, jit blocks ${jitBlocks}`,
  );
}
console.log(`best ${(best / 1000).toFixed(0)} k exits/s`);
