// Verifier benchmark: a generated 4,000-instruction program (memory reads with length checks,
// stack spills, arithmetic, branches that rejoin, a bounded loop), verified under the
// raw-memory type. Baseline in the same run: decoding the program (Program.fromBytes).
// Run: npx tsx bench/verifier.bench.ts
import { assemble } from '../src/assembler.js';
import { Program } from '../src/program.js';
import { verify } from '../src/verifier/index.js';

function generate(target: number): string {
  const lines: string[] = ['mov %r0, 0', 'mov %r6, 0', 'stdw [%r10-8], 0'];
  let n = 3;
  let label = 0;
  while (n < target - 12) {
    const k = label++;
    switch (k % 4) {
      case 0:
        lines.push(
          'ldxb %r3, [%r1+5]',
          'and %r3, 15',
          'mov %r4, %r1',
          'add %r4, %r3',
          'ldxb %r5, [%r4]',
          'add %r0, %r5',
        );
        n += 6;
        break;
      case 1:
        lines.push(
          `jgt %r0, 1000, skip${k}`,
          'add %r0, 3',
          'mul %r0, 2',
          `skip${k}:`,
          'and %r0, 0xffff',
        );
        n += 4;
        break;
      case 2:
        lines.push(
          'stxdw [%r10-16], %r0',
          'ldxdw %r7, [%r10-16]',
          'xor %r7, %r6',
          'rsh %r7, 3',
          'stxw [%r10-24], %r7',
          'ldxw %r6, [%r10-24]',
        );
        n += 6;
        break;
      default:
        lines.push('mov %r8, 0', `loop${k}:`, 'add %r8, 1', `jlt %r8, 4, loop${k}`, 'add %r0, %r8');
        n += 4;
    }
  }
  while (n < target - 1) {
    lines.push('add %r0, 1');
    n++;
  }
  lines.push('exit');
  return lines.join('\n');
}

const bytes = assemble(generate(4000));
const program = Program.fromBytes(bytes);
const options = { programType: 'raw-memory', memorySize: 64 } as const;

function best(runs: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

const result = verify(program, options);
const decodeMs = best(5, () => Program.fromBytes(bytes));
const verifyMs = best(5, () => verify(program, options));
console.log(
  `program: ${program.length} instructions; ${result.insnProcessed} processed, ${result.statesStored} states stored, ${result.statesPruned} pruned`,
);
console.log(`decode (baseline): ${decodeMs.toFixed(2)} ms`);
console.log(
  `verify: ${verifyMs.toFixed(1)} ms (best of 5), ${(verifyMs / decodeMs).toFixed(0)}x decode; target < 1000 ms`,
);
