#!/usr/bin/env node
// risu-style random instruction tests: for each instruction class, a seed-reproducible random
// stream of encodings (constrained so memory accesses hit a scratch buffer and branches only
// skip forward by one), wrapped in a prologue that loads random register values and an epilogue
// that exits. The simd-* classes also load random FP/SIMD registers (a mix of special values:
// zeros, infinities, NaNs, denormals, small integers, random bits) and, in simd-fpcr, set a
// random FPCR (rounding mode, FZ, DN) now and then. Writes test/risu/<class>.c; scripts/build-risu.sh compiles them and records
// qemu-aarch64's lockstep register trace. Needs the package built (dist/) for the disassembler,
// which is used to keep only encodings the emulator supports.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeInsn, disassemble } from '../dist/index.js';

const out = join(import.meta.dirname, '..', 'test', 'risu');
const M = (1n << 64n) - 1n;
let seed = 20251123n;
const rnd32 = () => {
  seed = (seed * 6364136223846793005n + 1442695040888963407n) & M;
  return Number(seed >> 32n) >>> 0;
};
const rnd64 = () => (BigInt(rnd32()) << 32n) | BigInt(rnd32());
const field = (w, hi, lo, v) => ((w & ~(((1 << (hi - lo + 1)) - 1) << lo)) | (v << lo)) >>> 0;

const CLASSES = {
  // data processing (immediate): bits[28:26] = 100; never write SP/x27/x28 (rd 27..31 avoided)
  dpimm: () => {
    let w = field(rnd32(), 28, 26, 0b100);
    w = field(w, 4, 0, rnd32() % 27);
    return w;
  },
  // data processing (register): bits[27:25] = 101
  dpreg: () => {
    let w = field(rnd32(), 27, 25, 0b101);
    w = field(w, 4, 0, rnd32() % 27);
    return w;
  },
  // loads/stores: base x28 (scratch buffer), index register x27 (small), no SIMD, rt/rt2 < 27
  ldst: () => {
    let w = field(rnd32(), 27, 27, 1);
    if (((w >>> 27) & 7) === 3 && ((w >>> 24) & 3) === 0) w = field(w, 29, 29, 1); // no PC-relative literal loads w = field(w, 25, 25, 0); w = field(w, 26, 26, 0);
    w = field(w, 9, 5, 28);
    w = field(w, 4, 0, rnd32() % 27);
    if (((w >>> 27) & 7) === 5) w = field(w, 14, 10, rnd32() % 27); // pair: rt2
    if (((w >>> 24) & 0x3f) === 0b001000) w = field(w, 29, 29, 1); // no exclusives/ordered (alignment depends on the drifting base)
    if (((w >>> 27) & 7) === 7 && (w >>> 21) & 1 && ((w >>> 10) & 3) === 2)
      w = field(w, 20, 16, 27); // register offset
    return w;
  },
  // conditional branches, compare-and-branch and test-and-branch that skip the next instruction
  branch: () => {
    const k = rnd32() % 3;
    if (k === 0) return (0x54000000 | (2 << 5) | rnd32() % 15) >>> 0; // b.cond .+8
    if (k === 1)
      return (
        (((rnd32() & 1) << 31) | 0x34000000 | ((rnd32() & 1) << 24) | (2 << 5) | rnd32() % 27) >>> 0
      ); // cb(n)z
    return (
      (((rnd32() & 1) << 31) |
        0x36000000 |
        ((rnd32() & 1) << 24) |
        ((rnd32() & 31) << 19) |
        (((2 << 14) >>> 9) << 0) |
        (2 << 5) |
        rnd32() % 27) >>>
      0
    ); // tb(n)z
  },
};

function movImm(reg, v) {
  const lines = [];
  for (let i = 0; i < 4; i++) {
    const part = Number((v >> BigInt(16 * i)) & 0xffffn);
    lines.push(i === 0 ? `movz x${reg}, #${part}` : `movk x${reg}, #${part}, lsl #${16 * i}`);
  }
  return lines;
}

// FP/SIMD classes (recorded with qemu-aarch64 -cpu cortex-a57 -d cpu,fpu): the emulator's
// decodeInsn keeps only the encodings it executes
/** Instructions per FP/SIMD stream. */
const SIMD_COUNT = 3000;
const SIMD_CLASSES = {
  // loads/stores with V = 1: registers, pairs, literal excluded; base x28, index x27
  'simd-ldst': () => {
    let w = rnd32();
    const k = rnd32() % 4;
    if (k === 0) {
      w = field(w, 29, 27, 7);
      w = field(w, 26, 26, 1);
      w = field(w, 25, 24, rnd32() & 1);
    } else if (k === 1) {
      w = field(w, 29, 27, 5);
      w = field(w, 26, 26, 1);
    } else {
      w = field(w, 31, 31, 0);
      w = field(w, 29, 24, k === 2 ? 0b001100 : 0b001101);
      w = field(w, 20, 16, rnd32() & 1 ? 31 : 27);
      if (!((w >>> 23) & 1)) w = field(w, 20, 16, 0);
    }
    w = field(w, 9, 5, 28);
    if (k === 0 && (w >>> 21) & 1 && !((w >>> 24) & 1) && ((w >>> 10) & 3) === 2)
      w = field(w, 20, 16, 27);
    return w;
  },
  // Advanced SIMD vector data processing: bit 31 = 0, bits [28:25] = 0111
  'simd-vec': () => field(field(rnd32(), 31, 31, 0), 28, 25, 0b0111),
  // Advanced SIMD scalar: bits [31:30] = 01, [28:25] = 1111
  'simd-scalar': () => field(field(rnd32(), 31, 30, 1), 28, 25, 0b1111),
  // scalar floating point (and conversions to/from general registers): bits [30:29] = 00, [28:24] = 11110 or 11111;
  // general-register destinations stay below x27
  'simd-fp': () => {
    let w = field(field(rnd32(), 30, 29, 0), 28, 25, 0b1111);
    if (rnd32() % 3 === 0) ((w = field(w, 24, 24, 0)), (w = field(w, 21, 21, 1)));
    return field(w, 4, 0, rnd32() % 27);
  },
  // CRC32/CRC32C (B, H, W, X): data-processing 2 source, opcode 010xxx; rd below x27
  'simd-crc32': () => {
    const sz = rnd32() & 3;
    return (
      (((sz === 3 ? 1 : 0) << 31) |
        0x1ac04000 |
        ((rnd32() & 31) << 16) |
        ((rnd32() & 1) << 12) |
        (sz << 10) |
        ((rnd32() & 31) << 5) |
        rnd32() % 27) >>>
      0
    );
  },
  // reciprocal (square root) estimates and FRECPX, vector and scalar, under random FPCR
  'simd-estimate': () => {
    const bases = [
      0x0ea1d800, 0x2ea1d800, 0x5ea1d800, 0x7ea1d800, 0x5ea1f800, 0x0ea1c800, 0x2ea1c800,
    ];
    const k = rnd32() % bases.length;
    let w = bases[k] | ((rnd32() & 31) << 5) | (rnd32() & 31);
    if (k < 5) w |= (rnd32() & 1) << 22; // sz
    if (k < 2 || k > 4) w |= (rnd32() & 1) << 30; // Q
    return w >>> 0;
  },
  // scalar FP and vector FP ops under random FPCR rounding modes, FZ and DN
  'simd-fpcr': () => {
    if (rnd32() % 2) {
      let w = field(field(rnd32(), 30, 29, 0), 28, 24, 0b11110);
      w = field(w, 21, 21, 1);
      return field(w, 4, 0, rnd32() % 27);
    }
    let w = field(field(field(rnd32(), 31, 31, 0), 28, 24, 0b01110), 21, 21, 1);
    return field(field(w, 15, 14, 3), 10, 10, 1); // three-same FP opcodes 11xxx
  },
  // the Cryptographic Extension: AESE/AESD/AESMC/AESIMC, SHA1C/P/M/SU0, SHA256H/H2/SU1,
  // SHA1H/SU1, SHA256SU0, and PMULL/PMULL2 of bytes (8B -> 8H) and of doublewords (1D -> 1Q);
  // one in eight words is another opcode or size of those groups (kept only where it executes)
  'simd-crypto': () => {
    const forms = [
      () => 0x4e280800 | ((4 + (rnd32() & 3)) << 12), // AES
      () => 0x5e000000 | (rnd32() % 7 << 12) | ((rnd32() & 31) << 16), // three-register SHA
      () => 0x5e280800 | (rnd32() % 3 << 12), // two-register SHA
      () =>
        0x0e20e000 | ((rnd32() & 1) << 30) | ((rnd32() & 1 ? 3 : 0) << 22) | ((rnd32() & 31) << 16), // PMULL{2}
    ];
    let w = forms[rnd32() % forms.length]() | ((rnd32() & 31) << 5) | (rnd32() & 31);
    if (rnd32() % 8 === 0) w = field(field(w, 23, 22, rnd32() & 3), 16, 12, rnd32() & 31);
    return w >>> 0;
  },
};

/** Words of the Cryptographic Extension (their own class, simd-crypto). */
const isCrypto = (w) =>
  (w & 0xfffe0c00) >>> 0 === 0x4e280800 ||
  (w & 0xffe08c00) >>> 0 === 0x5e000000 ||
  (w & 0xfffe0c00) >>> 0 === 0x5e280800 ||
  (w & 0xbfe0fc00) >>> 0 === 0x0ee0e000;

const SPECIAL32 = [
  0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffc00001, 0x00000001,
  0x807fffff, 0x3f800000, 0xbf800000, 0x7f7fffff, 0x00800000, 0x4b000000, 0x3f000000, 0x4f000000,
  0xcf000000,
];
const SPECIAL64 = [
  0n,
  1n << 63n,
  0x7ff0000000000000n,
  0xfff0000000000000n,
  0x7ff8000000000000n,
  0x7ff0000000000001n,
  0xfff8000000000001n,
  1n,
  0x800fffffffffffffn,
  0x3ff0000000000000n,
  0xbff0000000000000n,
  0x7fefffffffffffffn,
  0x0010000000000000n,
  0x4330000000000000n,
  0x3fe0000000000000n,
  0x43e0000000000000n,
  0xc3e0000000000000n,
];
/** A random 128-bit register value: special FP values, small numbers, or random bits. */
function randomV() {
  let v = 0n;
  for (let half = 0; half < 2; half++) {
    const k = rnd32() % 6;
    let x;
    if (k === 0) x = rnd64();
    else if (k === 1) x = SPECIAL64[rnd32() % SPECIAL64.length];
    else if (k === 2) {
      const f = new Float64Array([((rnd32() % 2000) - 1000) / (1 + (rnd32() % 64))]);
      x = new BigUint64Array(f.buffer)[0];
    } else if (k === 3)
      x =
        (BigInt(SPECIAL32[rnd32() % SPECIAL32.length]) << 32n) |
        BigInt(SPECIAL32[rnd32() % SPECIAL32.length]);
    else if (k === 4) {
      const f = new Float32Array([
        ((rnd32() % 2000) - 1000) / (1 + (rnd32() % 64)),
        (rnd32() % 300) - 150,
      ]);
      x = new BigUint64Array(f.buffer)[0];
    } else x = (BigInt(rnd32() % 256) * 0x0101010101010101n) ^ (rnd64() & 0x00ff00ff00ff00ffn);
    v |= x << BigInt(64 * half);
  }
  return v;
}

// `node scripts/gen-risu.mjs [class...]`: only those classes' files are written (the streams
// of the older classes depend on the decoder's coverage when they were generated, so they are
// not rewritten unless asked); classes with their own seed do not depend on the others.
const only = new Set(process.argv.slice(2));
const write = (name, text) => {
  if (only.size === 0 || only.has(name)) writeFileSync(join(out, `${name}.c`), text);
};
/** Classes generated from their own seed. */
const CLASS_SEEDS = { 'simd-crypto': 20261206n };

for (const [name, gen] of Object.entries(CLASSES)) {
  const asm = [];
  for (let r = 0; r < 27; r++) asm.push(...movImm(r, rnd64()));
  asm.push(...movImm(29, rnd64()), ...movImm(30, rnd64()));
  asm.push(
    'mov x27, #24',
    'adrp x28, risu_buf',
    'add x28, x28, :lo12:risu_buf',
    'add x28, x28, #49152',
  );
  asm.push('msr nzcv, x30');
  let n = 0;
  const words = [];
  while (n < 400) {
    const w = gen();
    const text = disassemble(w, 0n);
    if (text.startsWith('.inst') || text.startsWith('udf') || text.startsWith('crc32')) continue; // CRC32: its own class
    words.push(w);
    n++;
    if (name === 'branch') words.push(0xd503201f); // the instruction a taken branch skips
  }
  for (const w of words) asm.push(`.inst 0x${w.toString(16).padStart(8, '0')}`);
  asm.push('mov x8, #93', 'mov x0, #0', 'svc #0');
  const c = `/* generated by scripts/gen-risu.mjs: random ${name} instructions (seeded) */
static unsigned char risu_buf_[131072] __attribute__((used, aligned(64)));
__asm__(".set risu_buf, risu_buf_\\n");
__asm__(".text\\n.global _start\\n_start:\\n${asm.map((l) => '  ' + l + '\\n').join('')}");
`;
  write(name, c);
}

for (const [name, gen] of Object.entries(SIMD_CLASSES)) {
  if (CLASS_SEEDS[name] !== undefined) seed = CLASS_SEEDS[name];
  const asm = [];
  const vdata = [];
  for (let r = 0; r < 32; r++) {
    const v = randomV();
    vdata.push(v & ((1n << 64n) - 1n), v >> 64n);
  }
  asm.push('adrp x0, risu_vdata', 'add x0, x0, :lo12:risu_vdata');
  for (let r = 0; r < 32; r += 2) asm.push(`ldp q${r}, q${r + 1}, [x0], #32`);
  for (let r = 0; r < 27; r++) asm.push(...movImm(r, rnd64()));
  asm.push(...movImm(29, rnd64()), ...movImm(30, rnd64()));
  asm.push(
    'mov x27, #24',
    'adrp x28, risu_buf',
    'add x28, x28, :lo12:risu_buf',
    'add x28, x28, #49152',
  );
  asm.push('msr nzcv, x30');
  let n = 0;
  while (n < SIMD_COUNT) {
    if ((name === 'simd-fpcr' || name === 'simd-estimate') && n % 40 === 0) {
      const fpcr =
        ((rnd32() & 3) << 22) |
        ((rnd32() % 3 === 0 ? 1 : 0) << 24) |
        ((rnd32() % 3 === 0 ? 1 : 0) << 25);
      asm.push(`mov x26, #${fpcr >>> 16}`, 'lsl x26, x26, #16', 'msr fpcr, x26');
    }
    const w = gen();
    try {
      decodeInsn(w);
    } catch {
      continue;
    }
    if (disassemble(w, 0n).startsWith('udf')) continue;
    if (name !== 'simd-crypto' && isCrypto(w)) continue; // the crypto instructions: their own class
    asm.push(`.inst 0x${w.toString(16).padStart(8, '0')}`);
    n++;
  }
  asm.push('mov x8, #93', 'mov x0, #0', 'svc #0');
  const c = `/* generated by scripts/gen-risu.mjs: random ${name} instructions (seeded) */
static unsigned char risu_buf_[131072] __attribute__((used, aligned(64)));
static const unsigned long long risu_vdata_[64] __attribute__((used, aligned(16))) = {
${vdata.map((v) => `  0x${v.toString(16)}ULL,`).join('\n')}
};
__asm__(".set risu_buf, risu_buf_\\n.set risu_vdata, risu_vdata_\\n");
__asm__(".text\\n.global _start\\n_start:\\n${asm.map((l) => '  ' + l + '\\n').join('')}");
`;
  write(name, c);
}
