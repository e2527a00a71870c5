// The differential fuzzer, briefly (long runs by hand: `pnpm fuzz ebpf --count 1000000`).
import { describe, expect, it } from 'vitest';
import {
  checkProgram,
  compact,
  generateProgram,
  minimise,
  Rng,
  runCampaign,
} from '../fuzz/ebpf-fuzz.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ebpf differential fuzzer', () => {
  it(
    '2,000 random programs: the engines agree, every error is typed, the verifier is sound',
    { timeout: 120_000 },
    () => {
      const { stats, reports } = runCampaign({
        seed: 1,
        count: 2000,
        verifyEvery: 4,
        slowMs: Infinity,
      });
      expect(reports).toEqual([]);
      expect(stats).toMatchObject({
        programs: 2000,
        mismatches: 0,
        untyped: 0,
        unsoundVerifier: 0,
      });
      // The programs are varied enough to exercise both load paths and the verifier.
      expect(stats.loaded).toBeGreaterThan(1800);
      expect(stats.accepted).toBeGreaterThan(20);
      expect(stats.accepted).toBeLessThan(stats.verified);
    },
  );

  it('is deterministic for a seed', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    for (let i = 0; i < 50; i++) expect(hex(generateProgram(a))).toBe(hex(generateProgram(b)));
    expect(hex(generateProgram(new Rng(43)))).not.toBe(hex(generateProgram(new Rng(42))));
  });

  it('checks a program on both engines and reports what differs', () => {
    // mov r0, 5; exit
    const ok = Uint8Array.from(Buffer.from('b7000000050000009500000000000000', 'hex'));
    expect(checkProgram(ok, { verifier: true, slowMs: Infinity }).findings).toEqual([]);
  });

  it('minimises to the instructions a finding needs, jumps retargeted', () => {
    // mov r0, 1; ja +1; mov r1, 2; neg r0; exit: "contains a neg" needs only the neg.
    const p = Uint8Array.from(
      Buffer.from(
        'b700000001000000' +
          '0500010000000000' +
          'b701000002000000' +
          '8700000000000000' +
          '9500000000000000',
        'hex',
      ),
    );
    const small = minimise(p, (c) => {
      for (let i = 0; i < c.length; i += 8) if (c[i] === 0x87) return true;
      return false;
    });
    expect(hex(small)).toBe('8700000000000000');
    // compact keeps jumps pointing at the same instruction
    // jeq r0, 0, +2; nop; mov r0, 1; exit
    const jump = Uint8Array.from(
      Buffer.from(
        '1500020000000000' + '0500000000000000' + 'b700000001000000' + '9500000000000000',
        'hex',
      ),
    );
    expect(hex(compact(jump))).toBe('1500010000000000' + 'b700000001000000' + '9500000000000000');
  });
});
