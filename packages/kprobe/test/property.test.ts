// SPDX-License-Identifier: MIT
// Random instructions at a probe point: the probed execution (stepped from a slot or
// simulated by the manager) must leave the same registers, flags and PC as the emulator
// executing the instruction itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Cpu, PhysicalMemory, decodeInsn } from '@axebpf/aarch64-emu';
import {
  EmuProbeMemory,
  KprobeManager,
  attachToCpu,
  conditionHolds,
  decodeProbeInsn,
} from '../src/index.js';

const BASE = 0x4000_0000n;
const SIZE = 0x10000;
const CODE = BASE + 0x8000n;
const SLOTS = BASE + 0xf000n;

interface Start {
  word: number;
  regs: bigint[];
  nzcv: number;
  sp: bigint;
  seed: number;
}

function cpuFor(s: Start): { cpu: Cpu; mem: PhysicalMemory } {
  const mem = new PhysicalMemory();
  mem.addRam(BASE, SIZE);
  mem.write(BASE, ramFrom(s.seed));
  mem.write(
    CODE,
    new Uint8Array([s.word & 0xff, (s.word >>> 8) & 0xff, (s.word >>> 16) & 0xff, s.word >>> 24]),
  );
  const cpu = new Cpu({ memory: mem });
  cpu.setPstate(((s.nzcv << 28) | 0x3c9) >>> 0);
  for (let i = 0; i < 31; i++) cpu.setX(i, s.regs[i]!);
  cpu.sp = s.sp;
  cpu.pc = CODE;
  return { cpu, mem };
}

function state(cpu: Cpu): { regs: bigint[]; sp: bigint; pc: bigint; pstate: number } {
  return {
    regs: Array.from({ length: 31 }, (_, i) => cpu.getX(i)),
    sp: cpu.sp,
    pc: cpu.pc,
    pstate: cpu.getPstate(),
  };
}

/** Runs the word natively (one instruction) and probed; returns both final states. */
function both(s: Start): {
  native: ReturnType<typeof state>;
  probed: ReturnType<typeof state>;
  kind: string;
} {
  const n = cpuFor(s);
  n.cpu.run(1);
  const p = cpuFor(s);
  // the random bytes before CODE may look like an LDXR: bound the atomic-sequence scan
  const mgr = new KprobeManager({
    memory: new EmuProbeMemory(p.mem),
    slots: { base: SLOTS },
    functionStart: () => CODE,
  });
  attachToCpu(p.cpu, mgr);
  const probe = mgr.registerKprobe({ address: CODE });
  const stepped = mgr.slotOf(probe) !== undefined;
  p.cpu.run(stepped ? 3 : 1); // BRK #4, the slot's instruction, BRK #6 — or BRK #4 alone
  expect(probe.hits).toBe(1);
  return { native: state(n.cpu), probed: state(p.cpu), kind: stepped ? 'steppable' : 'simulated' };
}

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
/** RAM contents from a seed (xorshift32), so counterexamples stay short. */
function ramFrom(seed: number): Uint8Array {
  const r = new Uint8Array(SIZE);
  let x = seed | 1;
  for (let i = 0; i < 0x8000; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    r[i] = x & 0xff;
  }
  return r;
}

function start(word: fc.Arbitrary<number>): fc.Arbitrary<Start> {
  return fc.record({
    word,
    regs: fc.array(u64, { minLength: 31, maxLength: 31 }),
    nzcv: fc.integer({ min: 0, max: 15 }),
    sp: fc.bigInt({ min: BASE, max: BASE + 0x7ff0n }).map((v) => v & ~15n),
    seed: fc.integer({ min: 1, max: 0x7fffffff }),
  });
}

const dataProcessing = fc
  .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.boolean())
  .map(([w, imm]) => (imm ? (w & ~0x1c000000) | 0x10000000 : (w & ~0x0e000000) | 0x0a000000) >>> 0)
  .filter((w) => {
    try {
      decodeInsn(w);
    } catch {
      return false;
    }
    return decodeProbeInsn(w).kind === 'steppable';
  });

/** A literal offset that stays inside RAM (the literal may be anywhere in the low half). */
const litOffset = fc.integer({ min: -0x2000, max: 0x1ff0 });
const simulated = fc.oneof(
  fc
    .tuple(fc.integer({ min: 0, max: 0x7ffff }), fc.integer({ min: 0, max: 15 }))
    .map(([imm, c]) => (0x54000000 | (imm << 5) | c) >>> 0), // B.cond
  fc
    .tuple(
      fc.integer({ min: 0, max: 3 }),
      fc.integer({ min: 0, max: 0x7ffff }),
      fc.integer({ min: 0, max: 31 }),
    )
    .map(
      ([k, imm, rt]) => (0x34000000 | ((k & 2) << 30) | ((k & 1) << 24) | (imm << 5) | rt) >>> 0,
    ), // CBZ/CBNZ W/X
  fc
    .tuple(
      fc.integer({ min: 0, max: 63 }),
      fc.boolean(),
      fc.integer({ min: 0, max: 0x3fff }),
      fc.integer({ min: 0, max: 31 }),
    )
    .map(
      ([bit, nz, imm, rt]) =>
        (0x36000000 |
          ((bit >> 5) << 31) |
          ((nz ? 1 : 0) << 24) |
          ((bit & 31) << 19) |
          (imm << 5) |
          rt) >>>
        0,
    ), // TBZ/TBNZ
  fc
    .tuple(fc.boolean(), fc.integer({ min: 0, max: 0x3ffffff }))
    .map(([l, imm]) => ((l ? 0x94000000 : 0x14000000) | imm) >>> 0), // B/BL
  fc
    .tuple(fc.boolean(), fc.integer({ min: 0, max: 0x1fffff }), fc.integer({ min: 0, max: 31 }))
    .map(
      ([p, imm, rd]) =>
        ((p ? 0x90000000 : 0x10000000) | ((imm & 3) << 29) | ((imm >> 2) << 5) | rd) >>> 0,
    ), // ADR/ADRP
  fc
    .tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 31 }))
    .map(([op, rn]) => (0xd61f0000 | (op << 21) | (rn << 5)) >>> 0), // BR/BLR/RET
  fc
    .tuple(fc.integer({ min: 0, max: 2 }), litOffset, fc.integer({ min: 0, max: 31 }))
    .map(([opc, off, rt]) => ((opc << 30) | 0x18000000 | ((off & 0x7ffff) << 5) | rt) >>> 0), // LDR/LDRSW literal
);

describe('probed execution equals native execution', () => {
  it('for random steppable data-processing instructions', () => {
    fc.assert(
      fc.property(start(dataProcessing), (s) => {
        const { native, probed, kind } = both(s);
        expect(kind).toBe('steppable');
        expect(probed).toEqual(native);
      }),
      { numRuns: 150, seed: 0x6b70 },
    );
  });

  it('for random simulated branches, address computations and literal loads', () => {
    fc.assert(
      fc.property(start(simulated), (s) => {
        const { native, probed, kind } = both(s);
        expect(kind).toBe('simulated');
        expect(probed).toEqual(native);
      }),
      { numRuns: 300, seed: 0x6b71 },
    );
  });
});

describe('conditionHolds', () => {
  it('agrees with the emulator on every condition and flag combination', () => {
    for (let cond = 0; cond < 16; cond++) {
      for (let nzcv = 0; nzcv < 16; nzcv++) {
        const { cpu } = cpuFor({
          word: (0x54000000 | (4 << 5) | cond) >>> 0,
          regs: Array(31).fill(0n),
          nzcv,
          sp: BASE,
          seed: 1,
        });
        cpu.run(1);
        expect([cond, nzcv, conditionHolds(cond, nzcv << 28)]).toEqual([
          cond,
          nzcv,
          cpu.pc === CODE + 16n,
        ]);
      }
    }
  });
});
