import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  divMod32,
  divMod64,
  EbpfVm,
  encodeInsns,
  mulHigh32,
  Program,
  ProgramError,
  toU64,
  verify,
  VmError,
} from '../src/index.js';
import { ALU_CODES, BASE_KINDS, JMP_CODES, randomInsn, type Raw, toRaw } from './random-program.js';
import { runModel } from './reference-model.js';

const interesting = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  fc.constantFrom(0, 1, -1, 2, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0xffff, 0x8000),
);
const regNo = fc.integer({ min: 0, max: 5 });

const aluInsn: fc.Arbitrary<Raw> = fc
  .record({
    wide: fc.boolean(),
    code: fc.constantFrom(...ALU_CODES),
    x: fc.boolean(),
    dst: regNo,
    src: regNo,
    imm: interesting,
    signed: fc.boolean(),
    sxw: fc.constantFrom(0, 8, 16, 32),
  })
  .map(({ wide, code, x, dst, src, imm, signed, sxw }) => {
    const cls = wide ? 0x07 : 0x04;
    let off = 0;
    if ((code === 0x30 || code === 0x90) && signed) off = 1;
    if (code === 0xb0 && x) off = wide ? sxw : sxw === 32 ? 0 : sxw;
    if (code === 0x80) return { opcode: cls | code, dst, src: 0, off: 0, imm: 0, imm2: 0 };
    return x
      ? { opcode: cls | code | 0x08, dst, src, off, imm: 0, imm2: 0 }
      : { opcode: cls | code, dst, src: 0, off, imm, imm2: 0 };
  });
const endianInsn: fc.Arbitrary<Raw> = fc
  .record({ op: fc.constantFrom(0xd4, 0xdc, 0xd7), dst: regNo, w: fc.constantFrom(16, 32, 64) })
  .map(({ op, dst, w }) => ({ opcode: op, dst, src: 0, off: 0, imm: w, imm2: 0 }));
const lddwInsn: fc.Arbitrary<Raw> = fc
  .record({ dst: regNo, lo: interesting, hi: interesting })
  .map(({ dst, lo, hi }) => ({ opcode: 0x18, dst, src: 0, off: 0, imm: lo, imm2: hi }));
/** A conditional jump over the next 0..2 instructions. */
const jumpInsn: fc.Arbitrary<Raw> = fc
  .record({
    wide: fc.boolean(),
    code: fc.constantFrom(...JMP_CODES),
    x: fc.boolean(),
    dst: regNo,
    src: regNo,
    imm: interesting,
    off: fc.integer({ min: 0, max: 2 }),
  })
  .map(({ wide, code, x, dst, src, imm, off }) => ({
    opcode: (wide ? 0x05 : 0x06) | code | (x ? 0x08 : 0),
    dst,
    src: x ? src : 0,
    off,
    imm: x ? 0 : imm,
    imm2: 0,
  }));

/** Straight-line programs with forward jumps that never skip past the final instructions. */
const programArb = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: aluInsn },
      { weight: 1, arbitrary: endianInsn },
      { weight: 1, arbitrary: lddwInsn },
      { weight: 2, arbitrary: jumpInsn },
    ),
    { minLength: 1, maxLength: 40 },
  )
  .map((body) => {
    // Two padding movs keep every forward jump (off <= 2) inside the program; jumps into lddw
    // halves are avoided by replacing jumps that would land on a second slot.
    const insns = [
      ...body,
      { opcode: 0xb7, dst: 6, src: 0, off: 0, imm: 0, imm2: 0 },
      { opcode: 0xb7, dst: 7, src: 0, off: 0, imm: 0, imm2: 0 },
      { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 },
    ];
    const slots: number[] = [];
    let s = 0;
    for (const i of insns) {
      slots.push(s);
      s += i.opcode === 0x18 ? 2 : 1;
    }
    const starts = new Set(slots);
    return insns.map((i, n) => {
      const cls = i.opcode & 7;
      if ((cls === 5 || cls === 6) && i.opcode !== 0x95 && !starts.has(slots[n]! + 1 + i.off))
        return { ...i, off: 0 };
      return i;
    });
  });
const initialRegs = fc.array(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), {
  minLength: 6,
  maxLength: 6,
});

/** Prepends lddw instructions that set r0..r5 to the given values. */
function withInitial(insns: Raw[], regs: readonly bigint[]): Raw[] {
  const pre = regs.map((v, i) => ({
    opcode: 0x18,
    dst: i,
    src: 0,
    off: 0,
    imm: Number(BigInt.asIntN(32, v)),
    imm2: Number(BigInt.asIntN(32, v >> 32n)),
  }));
  return [...pre, ...insns];
}

describe('u64 helpers against BigInt', () => {
  it('mulHigh32 gives the upper word of the unsigned product', () => {
    fc.assert(
      fc.property(interesting, interesting, (a, b) => {
        const want = Number(((BigInt(a >>> 0) * BigInt(b >>> 0)) >> 32n) & 0xffffffffn) | 0;
        expect(mulHigh32(a, b)).toBe(want);
      }),
      { numRuns: 2000 },
    );
  }, 60_000);

  it('divMod64 follows RFC 9669 for unsigned and signed operands, zero and -1 divisors', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.oneof(
          fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
          fc.constantFrom(0n, 1n, (1n << 64n) - 1n),
        ),
        fc.boolean(),
        fc.boolean(),
        (a, b, signed, modulo) => {
          const regs = new Int32Array(2);
          regs[0] = Number(BigInt.asIntN(32, a));
          regs[1] = Number(BigInt.asIntN(32, a >> 32n));
          divMod64(
            regs,
            0,
            Number(BigInt.asIntN(32, b)),
            Number(BigInt.asIntN(32, b >> 32n)),
            signed,
            modulo,
          );
          let want: bigint;
          if (b === 0n) want = modulo ? a : 0n;
          else if (signed)
            want = BigInt.asUintN(
              64,
              modulo
                ? BigInt.asIntN(64, a) % BigInt.asIntN(64, b)
                : BigInt.asIntN(64, a) / BigInt.asIntN(64, b),
            );
          else want = modulo ? a % b : a / b;
          expect(toU64(regs[0]!, regs[1]!)).toBe(want);
        },
      ),
      { numRuns: 2000 },
    );
  }, 60_000);

  it('divMod32 handles INT32_MIN / -1 and zero', () => {
    expect(divMod32(-0x80000000, -1, true, false)).toBe(-0x80000000);
    expect(divMod32(-0x80000000, -1, true, true)).toBe(0);
    expect(divMod32(7, 0, false, true)).toBe(7);
    expect(divMod32(7, 0, true, false)).toBe(0);
    expect(divMod32(-7, 2, true, true)).toBe(-1);
  });
});

describe('interpreter against the BigInt reference model', () => {
  it('computes the same registers for random ALU, byte-swap, lddw and jump programs', () => {
    fc.assert(
      fc.property(programArb, initialRegs, (body, regs) => {
        const insns = withInitial(body, regs);
        const want = runModel(insns, []);
        const vm = new EbpfVm(Program.fromInsns(insns));
        vm.run();
        for (let r = 0; r <= 5; r++) expect([r, vm.register(r)]).toEqual([r, want[r]]);
      }),
      { numRuns: 1000 },
    );
  }, 60_000);
});

describe('random bytecode', () => {
  it('never crashes or hangs: it loads and runs, or raises a typed error', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 256 }),
        fc.uint8Array({ maxLength: 64 }),
        (bytes, ctx) => {
          try {
            const vm = new EbpfVm(bytes, { maxInstructions: 10_000 });
            vm.run(ctx);
          } catch (e) {
            expect(ProgramError.isInstance(e) || VmError.isInstance(e)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  }, 60_000);

  it('never crashes on streams of valid opcodes with random fields', () => {
    const opcodes = [
      ...new Set([
        0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x61, 0x69, 0x71, 0x79, 0x62, 0x63, 0x7a,
        0x7b, 0xc3, 0xdb, 0x05, 0x15, 0x1d, 0x85, 0x8d, 0x95, 0xb7, 0xbf, 0xd4, 0xdc, 0xd7, 0x06,
        0x16, 0xa5, 0xcd,
      ]),
    ];
    const insn = fc.record({
      opcode: fc.constantFrom(...opcodes),
      dst: fc.integer({ min: 0, max: 10 }),
      src: fc.integer({ min: 0, max: 10 }),
      off: fc.integer({ min: -8, max: 8 }),
      imm: interesting,
      imm2: fc.constant(0),
    });
    fc.assert(
      fc.property(
        fc.array(insn, { minLength: 1, maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        (insns, ctx) => {
          try {
            new EbpfVm(encodeInsns(insns), { maxInstructions: 10_000 }).run(ctx);
          } catch (e) {
            expect(ProgramError.isInstance(e) || VmError.isInstance(e)).toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  }, 60_000);
});

type Outcome =
  | { value: bigint; ctx: string }
  | { code: string; pc: number | undefined; access: unknown };

function outcome(
  bytes: Uint8Array | Program,
  ctx: Uint8Array,
  engine: 'interpreter' | 'wasm',
): Outcome {
  let vm: EbpfVm;
  try {
    vm = new EbpfVm(bytes, { maxInstructions: 5_000, engine });
  } catch (e) {
    if (ProgramError.isInstance(e)) return { code: e.code, pc: e.pc, access: undefined };
    throw e;
  }
  const c = ctx.slice();
  try {
    return { value: vm.run(c).value, ctx: Buffer.from(c).toString('hex') };
  } catch (e) {
    if (!VmError.isInstance(e)) throw e;
    // The Wasm engine checks the budget once per basic block, so its pc is the block's start.
    return { code: e.code, pc: e.code === 'BUDGET_EXHAUSTED' ? undefined : e.pc, access: e.access };
  }
}

/** Folds r1..r5 into r0 so that the result shows every register. */
const FOLD: Raw[] = [1, 2, 3, 4, 5].flatMap((r) => [
  { opcode: 0x27, dst: 0, src: 0, off: 0, imm: 31, imm2: 0 },
  { opcode: 0x0f, dst: 0, src: r, off: 0, imm: 0, imm2: 0 },
]);

describe('WebAssembly engine against the interpreter', () => {
  it('computes the same result for random ALU, byte-swap, lddw and jump programs', () => {
    fc.assert(
      fc.property(programArb, initialRegs, (body, regs) => {
        const insns = withInitial(body, regs);
        insns.splice(insns.length - 1, 0, ...FOLD);
        const bytes = encodeInsns(insns);
        const want = outcome(bytes, new Uint8Array(0), 'interpreter');
        expect(outcome(bytes, new Uint8Array(0), 'wasm')).toEqual(want);
      }),
      { numRuns: 400 },
    );
  }, 60_000);

  it('agrees on memory, loops, calls and faults for random valid programs', () => {
    const insn = randomInsn({
      kinds: BASE_KINDS,
      maxDst: 9,
      bases: [1, 10],
      maxOff: 32,
      imm: interesting,
    });
    fc.assert(
      fc.property(
        fc.array(insn, { minLength: 1, maxLength: 40 }),
        fc.uint8Array({ minLength: 0, maxLength: 32 }),
        (raw, ctx) => {
          const n = raw.length + 1;
          const rel = (i: number, t: number) => Math.min(n - 1, Math.floor(t * n)) - i - 1;
          const insns: Raw[] = raw.map((r, i) => toRaw(r, i, rel));
          const bytes = encodeInsns([
            ...insns,
            { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 },
          ]);
          const want = outcome(bytes, ctx, 'interpreter');
          expect('value' in want || want.code !== 'INVALID_INSTRUCTION').toBe(true);
          expect(outcome(bytes, ctx, 'wasm')).toEqual(want);
        },
      ),
      { numRuns: 1000 },
    );
  }, 60_000);

  it('runs random verified programs in the unchecked variant with the interpreter’s results', () => {
    // Registers initialised, accesses through the memory pointer (r1, possibly moved into r6 by a
    // constant) and the stack at constant offsets, forward jumps: many such programs pass.
    let verifiedRuns = 0;
    const step = fc.record({
      kind: fc.constantFrom('alu', 'alu', 'ld', 'st', 'stk', 'move', 'jmp'),
      pick: fc.nat(1000),
      dst: fc.constantFrom(0, 3, 4, 5, 7, 8, 9),
      src: fc.constantFrom(0, 3, 4, 5, 7, 8, 9),
      imm: interesting,
      k: fc.integer({ min: -8, max: 40 }),
      off: fc.integer({ min: -16, max: 40 }),
      target: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => {
        const prologue: Raw[] = [0, 3, 4, 5, 7, 8, 9].map((r, i) => ({
          opcode: 0xb7,
          dst: r,
          src: 0,
          off: 0,
          imm: i * 7 + 1,
          imm2: 0,
        }));
        prologue.push({ opcode: 0xbf, dst: 6, src: 1, off: 0, imm: 0, imm2: 0 });
        const n = prologue.length + steps.length + 1;
        const body: Raw[] = steps.map((r, j) => {
          const i = prologue.length + j;
          const size = [1, 2, 4, 8][r.pick % 4]!;
          const width = [0x10, 0x08, 0x00, 0x18][r.pick % 4]!; // b, h, w, dw: the sizes above
          switch (r.kind) {
            case 'alu': {
              const code = [0x00, 0x10, 0x20, 0x40, 0x50, 0xa0, 0x60, 0x70][r.pick % 8]!;
              return r.pick % 3 === 0
                ? { opcode: 0x07 | code | 8, dst: r.dst, src: r.src, off: 0, imm: 0, imm2: 0 }
                : {
                    opcode: ((r.pick >> 3) % 2 ? 0x07 : 0x04) | code,
                    dst: r.dst,
                    src: 0,
                    off: 0,
                    imm: r.imm,
                    imm2: 0,
                  };
            }
            case 'ld':
              return {
                opcode: 0x61 | width,
                dst: r.dst,
                src: r.pick % 2 ? 1 : 6,
                off: r.off,
                imm: 0,
                imm2: 0,
              };
            case 'st':
              return {
                opcode: 0x63 | width,
                dst: r.pick % 2 ? 1 : 6,
                src: r.src,
                off: r.off,
                imm: 0,
                imm2: 0,
              };
            case 'stk':
              return r.pick % 2
                ? {
                    opcode: 0x63 | width,
                    dst: 10,
                    src: r.src,
                    off: -8 - (r.off & 31),
                    imm: 0,
                    imm2: 0,
                  }
                : {
                    opcode: 0x61 | width,
                    dst: r.dst,
                    src: 10,
                    off: -size - (r.off & 31),
                    imm: 0,
                    imm2: 0,
                  };
            case 'move':
              return { opcode: 0x07, dst: 6, src: 0, off: 0, imm: r.k, imm2: 0 };
            default:
              return {
                opcode: 0x05 | [0x10, 0x50, 0x20, 0xa0, 0x60][r.pick % 5]!,
                dst: r.dst,
                src: 0,
                off: Math.max(
                  0,
                  Math.min(n - 1, i + 1 + Math.floor(r.target * (n - i - 1))) - i - 1,
                ),
                imm: r.imm,
                imm2: 0,
              };
          }
        });
        const bytes = encodeInsns([
          ...prologue,
          ...body,
          { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 },
        ]);
        const ctx = Uint8Array.from({ length: 48 }, (_, i) => (i * 37 + 11) & 0xff);
        const program = Program.fromBytes(bytes);
        try {
          verify(program, {
            programType: 'raw-memory',
            memorySize: ctx.length,
            maxInstructions: 20_000,
          });
        } catch {
          return;
        }
        verifiedRuns++;
        const want = outcome(bytes, ctx, 'interpreter');
        expect(outcome(program, ctx, 'wasm')).toEqual(want);
        const vm = new EbpfVm(program, { engine: 'wasm', maxInstructions: 5_000 });
        vm.run(ctx.slice());
        expect(vm.verifiedVariant).toBe(true);
      }),
      { numRuns: 500 },
    );
    expect(verifiedRuns).toBeGreaterThan(50);
  }, 60_000);
});
