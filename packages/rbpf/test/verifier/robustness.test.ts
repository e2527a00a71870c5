// Verifier robustness (issue 26): typed errors for every program, pruning that ignores scalars
// no later check depends on, and a deterministic complexity bound.
import { describe, expect, it } from 'vitest';
import { assemble, verify, VerifierError } from '../../src/index.js';

const RAW = { programType: 'raw-memory', memorySize: 64 } as const;

function verdict(source: string, options: Parameters<typeof verify>[1] = RAW): string {
  try {
    return `ok ${verify(assemble(source), options).insnProcessed}`;
  } catch (e) {
    if (!VerifierError.isInstance(e)) throw e;
    return `${e.code}@${e.pc}`;
  }
}

/** A loop of `n` iterations with two data-dependent branches that only change r0. */
const branchyLoop = (n: number) =>
  `ldxdw %r6, [%r1]\nldxdw %r7, [%r1+8]\nmov %r0, 0\nmov %r9, 0\nl: jgt %r6, 5, a\nadd %r0, 1\na: jset %r7, 1, b\nadd %r0, 2\nb: add %r9, 1\njlt %r9, ${n}, l\nexit`;

describe('verifier robustness', () => {
  it('pointer + pointer is a VerifierError, not a TypeError', () => {
    expect(verdict('mov %r0, 0\nadd %r1, %r1\nexit')).toBe('INVALID_POINTER_ARITHMETIC@1');
    expect(verdict('mov %r2, %r10\nadd %r2, %r1\nmov %r0, 0\nexit')).toBe(
      'INVALID_POINTER_ARITHMETIC@1',
    );
  });

  it('states that differ only in a scalar no later check reads are pruned (r0 here)', () => {
    // Without pruning, each iteration doubles the paths twice.
    const r = verify(assemble(branchyLoop(30)), RAW);
    expect(r.insnProcessed).toBeLessThan(2_000);
    expect(r.statesPruned).toBeGreaterThan(0);
  });

  it('a path explosion ends in COMPLEXITY_LIMIT within the work bound, deterministically', () => {
    const a = verdict(branchyLoop(1000), { ...RAW, maxWork: 50_000 });
    expect(a).toMatch(/^COMPLEXITY_LIMIT@/);
    expect(verdict(branchyLoop(1000), { ...RAW, maxWork: 50_000 })).toBe(a);
  });

  it('stores into a read-only map value (.rodata, BPF_F_RDONLY_PROG) are rejected; loads are fine', () => {
    const maps = new Map([[4, { keySize: 4, valueSize: 8, name: '.rodata', readOnly: true }]]);
    const tp = { programType: 'tracepoint', context: { size: 0 }, maps } as const;
    expect(verdict('lddw %r1, map_value[4]+0\nstdw [%r1], 1\nmov %r0, 0\nexit', tp)).toBe(
      'READ_ONLY@2',
    );
    expect(
      verdict('lddw %r1, map_value[4]+0\nmov %r2, 1\nlock add [%r1], %r2\nmov %r0, 0\nexit', tp),
    ).toBe('READ_ONLY@3');
    expect(verdict('lddw %r1, map_value[4]+0\nldxdw %r0, [%r1]\nexit', tp)).toMatch(/^ok /);
  });

  it('seven nested frames with spills and branchy loops end in COMPLEXITY_LIMIT within the work bound', () => {
    const spills = Array.from(
      { length: 40 },
      (_, i) => `stxdw [%r10-${8 * (i + 1)}], %r${i % 2 ? 6 : 7}`,
    ).join('\n');
    const fn = (k: number) =>
      `f${k}: mov %r6, %r1\nmov %r7, %r2\n${spills}\nmov %r9, 0\nmov %r0, 0\nl${k}: jgt %r6, ${k}, a${k}\nadd %r0, 1\na${k}: jset %r7, ${k}, b${k}\nadd %r0, 2\nb${k}: add %r9, 1\n` +
      `${k < 7 ? `mov %r1, %r6\nmov %r2, %r7\ncall local f${k + 1}\n` : ''}jlt %r9, 300, l${k}\nmov %r0, 0\nexit`;
    const source = `ldxdw %r6, [%r1]\nldxdw %r7, [%r1+8]\nmov %r0, 0\nmov %r1, %r6\nmov %r2, %r7\ncall local f1\nexit\n${[1, 2, 3, 4, 5, 6, 7].map(fn).join('\n')}`;
    expect(assemble(source).length).toBeGreaterThan(3000);
    expect(verdict(source)).toMatch(/^COMPLEXITY_LIMIT@/);
  });
});
