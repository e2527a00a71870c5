// `pnpm fuzz ebpf [--count N] [--seed S] [--verify-every K] [--slow-ms M]`: runs a differential
// fuzz campaign (see ebpf-fuzz.ts) and prints its figures and minimised findings as hex.
// Exit status 1 when anything was found.

import { parseArgs } from 'node:util';
import { runCampaign } from './ebpf-fuzz.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
    'verify-every': { type: 'string', default: '1' },
    'slow-ms': { type: 'string', default: '1000' },
    'progress-every': { type: 'string', default: '10000' },
  },
});
const count = Number(values.count);
const seed = Number(values.seed);
console.log(
  `ebpf fuzz: ${count} programs, seed ${seed}, verifier on every ${values['verify-every']}th`,
);
const { stats, reports } = runCampaign({
  seed,
  count,
  verifyEvery: Number(values['verify-every']),
  slowMs: Number(values['slow-ms']),
  progressEvery: Number(values['progress-every']),
  onProgress: (s) =>
    console.log(
      `  ${s.programs} programs, ${s.loaded} loaded, ${s.accepted}/${s.verified} verified, ${s.mismatches} mismatches, ${s.untyped} untyped, ${s.slowVerifier} slow, ${s.unsoundVerifier} unsound, max verifier ${s.maxVerifierMs.toFixed(1)} ms, ${(s.ms / 1000).toFixed(0)} s`,
    ),
});
for (const r of reports) console.log(`\n#${r.index} ${r.kind}: ${r.detail}\n  ${r.hex}`);
console.log(
  `\n${JSON.stringify({ ...stats, maxVerifierMs: Number(stats.maxVerifierMs.toFixed(1)), ms: Math.round(stats.ms) })}`,
);
process.exitCode =
  stats.mismatches + stats.untyped + stats.slowVerifier + stats.unsoundVerifier > 0 ? 1 : 0;
