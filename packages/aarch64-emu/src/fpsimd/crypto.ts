// SPDX-License-Identifier: MIT
// The ARMv8.0 Cryptographic Extension (internal): AESE/AESD/AESMC/AESIMC (FEAT_AES),
// SHA1C/P/M/H/SU0/SU1 (FEAT_SHA1), SHA256H/H2/SU0/SU1 (FEAT_SHA256) and the 64x64 -> 128-bit
// polynomial multiply PMULL/PMULL2 Vd.1Q (FEAT_PMULL). Semantics from the Arm ARM (DDI 0487)
// pseudocode of these instructions and FIPS-197 / FIPS 180-4; written on 32-bit words, no
// BigInt. The executor (execute.ts) hands over the words these functions recognise.

/** The V register file as the executor keeps it: four int32 words per register, little-endian. */
interface Vregs {
  readonly V: Int32Array;
  readonly VB: Uint8Array;
}

// ---- AES ----------------------------------------------------------------------------------------

/** Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1. */
const xtime = (b: number): number => ((b << 1) ^ (b & 0x80 ? 0x1b : 0)) & 0xff;

function gmul(a: number, b: number): number {
  let r = 0;
  for (; b !== 0; b >>>= 1, a = xtime(a)) if (b & 1) r ^= a;
  return r;
}

/** The AES S-box and its inverse (FIPS-197 5.1.1), computed once from their definition. */
const SBOX = new Uint8Array(256);
const INV_SBOX = new Uint8Array(256);
{
  // multiplicative inverse through exponentiation: b^254 = b^-1 in GF(2^8) (0 maps to 0)
  for (let b = 0; b < 256; b++) {
    let inv = 1;
    for (let k = 0; k < 254; k++) inv = gmul(inv, b);
    if (b === 0) inv = 0;
    // the affine transformation: inv ^ rotl(inv,1..4) ^ 0x63
    let s = inv;
    for (let k = 1; k <= 4; k++) s ^= ((inv << k) | (inv >>> (8 - k))) & 0xff;
    s ^= 0x63;
    SBOX[b] = s;
    INV_SBOX[s] = b;
  }
}

const STATE = new Uint8Array(16);
const OUT = new Uint8Array(16);
const OUT32 = new Int32Array(OUT.buffer);

/**
 * AESE (decrypt false) / AESD (decrypt true): Vd = [Inv]SubBytes([Inv]ShiftRows(Vd XOR Vn)).
 * The state's byte i is row i % 4 of column i / 4 (FIPS-197's input order).
 */
function aesRound(c: Vregs, d: number, n: number, decrypt: boolean): void {
  const VB = c.VB;
  for (let i = 0; i < 16; i++) STATE[i] = VB[d * 16 + i]! ^ VB[n * 16 + i]!;
  const box = decrypt ? INV_SBOX : SBOX;
  for (let col = 0; col < 4; col++)
    for (let row = 0; row < 4; row++) {
      // ShiftRows: row r moves r columns left; InvShiftRows: r columns right
      const from = decrypt ? (col - row + 4) & 3 : (col + row) & 3;
      OUT[row + 4 * col] = box[STATE[row + 4 * from]!]!;
    }
  storeOut(c, d);
}

/** AESMC (inverse false) / AESIMC (inverse true): Vd = [Inv]MixColumns(Vn). */
function aesMix(c: Vregs, d: number, n: number, inverse: boolean): void {
  const VB = c.VB;
  for (let col = 0; col < 4; col++) {
    const a0 = VB[n * 16 + 4 * col]!,
      a1 = VB[n * 16 + 4 * col + 1]!,
      a2 = VB[n * 16 + 4 * col + 2]!,
      a3 = VB[n * 16 + 4 * col + 3]!;
    if (!inverse) {
      // [2 3 1 1; 1 2 3 1; 1 1 2 3; 3 1 1 2]
      OUT[4 * col] = xtime(a0) ^ xtime(a1) ^ a1 ^ a2 ^ a3;
      OUT[4 * col + 1] = a0 ^ xtime(a1) ^ xtime(a2) ^ a2 ^ a3;
      OUT[4 * col + 2] = a0 ^ a1 ^ xtime(a2) ^ xtime(a3) ^ a3;
      OUT[4 * col + 3] = xtime(a0) ^ a0 ^ a1 ^ a2 ^ xtime(a3);
    } else {
      // [e b d 9; 9 e b d; d 9 e b; b d 9 e]
      OUT[4 * col] = gmul(a0, 14) ^ gmul(a1, 11) ^ gmul(a2, 13) ^ gmul(a3, 9);
      OUT[4 * col + 1] = gmul(a0, 9) ^ gmul(a1, 14) ^ gmul(a2, 11) ^ gmul(a3, 13);
      OUT[4 * col + 2] = gmul(a0, 13) ^ gmul(a1, 9) ^ gmul(a2, 14) ^ gmul(a3, 11);
      OUT[4 * col + 3] = gmul(a0, 11) ^ gmul(a1, 13) ^ gmul(a2, 9) ^ gmul(a3, 14);
    }
  }
  storeOut(c, d);
}

function storeOut(c: Vregs, d: number): void {
  const V = c.V;
  for (let k = 0; k < 4; k++) V[d * 4 + k] = OUT32[k]!;
}

// ---- SHA-1 and SHA-256 --------------------------------------------------------------------------

const rol = (x: number, s: number): number => (x << s) | (x >>> (32 - s));
const ror = (x: number, s: number): number => (x >>> s) | (x << (32 - s));
const choose = (x: number, y: number, z: number): number => ((y ^ z) & x) ^ z;
const parity = (x: number, y: number, z: number): number => x ^ y ^ z;
const majority = (x: number, y: number, z: number): number => (x & y) | ((x | y) & z);

// X (4 words) and Y (4 words) of the SHA hash updates; W the schedule words
const X = new Int32Array(4);
const Y = new Int32Array(4);
const W = new Int32Array(4);

function load(dst: Int32Array, c: Vregs, r: number): void {
  for (let k = 0; k < 4; k++) dst[k] = c.V[r * 4 + k]!;
}
function store(c: Vregs, r: number, src: Int32Array): void {
  for (let k = 0; k < 4; k++) c.V[r * 4 + k] = src[k]!;
}

/**
 * SHA1C (f = choose), SHA1P (parity), SHA1M (majority): four rounds on X = Vd (a, b, c, d in
 * words 0..3) and e = Sn, with the schedule words (plus constants) of Vm.
 */
function sha1Hash(c: Vregs, d: number, n: number, m: number, f: typeof choose): void {
  load(X, c, d);
  load(W, c, m);
  let y = c.V[n * 4]!;
  for (let e = 0; e < 4; e++) {
    y = (y + rol(X[0]!, 5) + f(X[1]!, X[2]!, X[3]!) + W[e]!) | 0;
    X[1] = rol(X[1]!, 30);
    // <Y, X> = ROL(Y:X, 32): Y takes X's top word, X's words move up and X[0] takes Y
    const top = X[3]!;
    X[3] = X[2]!;
    X[2] = X[1]!;
    X[1] = X[0]!;
    X[0] = y;
    y = top;
  }
  store(c, d, X);
}

/** SHA256H (part1: the new a..d, from X = Vd, Y = Vn) and SHA256H2 (the new e..h, X = Vn, Y = Vd). */
function sha256Hash(c: Vregs, d: number, n: number, m: number, part1: boolean): void {
  load(part1 ? X : Y, c, d);
  load(part1 ? Y : X, c, n);
  load(W, c, m);
  for (let e = 0; e < 4; e++) {
    const chs = choose(Y[0]!, Y[1]!, Y[2]!),
      maj = majority(X[0]!, X[1]!, X[2]!);
    const y0 = Y[0]!,
      sigma1 = ror(y0, 6) ^ ror(y0, 11) ^ ror(y0, 25);
    const t = (Y[3]! + sigma1 + chs + W[e]!) | 0;
    X[3] = (t + X[3]!) | 0;
    const x0 = X[0]!,
      sigma0 = ror(x0, 2) ^ ror(x0, 13) ^ ror(x0, 22);
    Y[3] = (t + sigma0 + maj) | 0;
    // <Y, X> = ROL(Y:X, 32) over 256 bits
    const yTop = Y[3]!,
      xTop = X[3]!;
    Y[3] = Y[2]!;
    Y[2] = Y[1]!;
    Y[1] = Y[0]!;
    Y[0] = xTop;
    X[3] = X[2]!;
    X[2] = X[1]!;
    X[1] = X[0]!;
    X[0] = yTop;
  }
  store(c, d, part1 ? X : Y);
}

/** SHA1SU0: Vd = (Vn<63:0> : Vd<127:64>) XOR Vd XOR Vm. */
function sha1su0(c: Vregs, d: number, n: number, m: number): void {
  const V = c.V;
  X[0] = V[d * 4 + 2]!;
  X[1] = V[d * 4 + 3]!;
  X[2] = V[n * 4]!;
  X[3] = V[n * 4 + 1]!;
  for (let k = 0; k < 4; k++) X[k] = X[k]! ^ V[d * 4 + k]! ^ V[m * 4 + k]!;
  store(c, d, X);
}

/** SHA1SU1: T = Vd XOR (Vn >> 32); each word rotated left by 1, the top one also XOR ROL(T0, 2). */
function sha1su1(c: Vregs, d: number, n: number): void {
  const V = c.V;
  for (let k = 0; k < 4; k++) X[k] = V[d * 4 + k]! ^ (k < 3 ? V[n * 4 + k + 1]! : 0);
  const t0 = X[0]!;
  for (let k = 0; k < 4; k++) X[k] = rol(X[k]!, 1);
  X[3] = X[3]! ^ rol(t0, 2);
  store(c, d, X);
}

/** SHA256SU0: Vd.S[e] += sigma0(T.S[e]) with T = Vn<31:0> : Vd<127:32>. */
function sha256su0(c: Vregs, d: number, n: number): void {
  const V = c.V;
  for (let e = 0; e < 4; e++) {
    const t = e < 3 ? V[d * 4 + e + 1]! : V[n * 4]!;
    X[e] = ((ror(t, 7) ^ ror(t, 18) ^ (t >>> 3)) + V[d * 4 + e]!) | 0;
  }
  store(c, d, X);
}

/**
 * SHA256SU1: Vd.S[e] += sigma1(W[e+14]) + T0.S[e] with T0 = Vm<31:0> : Vn<127:32>; the words
 * 14 and 15 are Vm's upper half, then the two just computed.
 */
function sha256su1(c: Vregs, d: number, n: number, m: number): void {
  const V = c.V;
  for (let e = 0; e < 4; e++) {
    const t0 = e < 3 ? V[n * 4 + e + 1]! : V[m * 4]!;
    const w = e < 2 ? V[m * 4 + 2 + e]! : X[e - 2]!;
    X[e] = ((ror(w, 17) ^ ror(w, 19) ^ (w >>> 10)) + V[d * 4 + e]! + t0) | 0;
  }
  store(c, d, X);
}

// ---- PMULL Vd.1Q --------------------------------------------------------------------------------

// a 32x32 -> 64-bit carry-less product as two words
let clLo = 0,
  clHi = 0;
function clmul32(a: number, b: number): void {
  let lo = 0,
    hi = 0;
  for (let i = 0; i < 32; i++)
    if ((b >>> i) & 1) {
      lo ^= a << i;
      if (i !== 0) hi ^= a >>> (32 - i);
    }
  clLo = lo;
  clHi = hi;
}

/** PMULL (upper false) / PMULL2 (upper true) Vd.1Q, Vn.1D, Vm.1D: the 128-bit carry-less product. */
function pmull64(c: Vregs, d: number, n: number, m: number, upper: boolean): void {
  const V = c.V,
    h = upper ? 2 : 0;
  const a0 = V[n * 4 + h]!,
    a1 = V[n * 4 + h + 1]!,
    b0 = V[m * 4 + h]!,
    b1 = V[m * 4 + h + 1]!;
  clmul32(a0, b0);
  const r0 = clLo;
  let r1 = clHi;
  clmul32(a1, b1);
  let r2 = clLo;
  const r3 = clHi;
  clmul32(a0, b1);
  r1 ^= clLo;
  r2 ^= clHi;
  clmul32(a1, b0);
  r1 ^= clLo;
  r2 ^= clHi;
  V[d * 4] = r0;
  V[d * 4 + 1] = r1;
  V[d * 4 + 2] = r2;
  V[d * 4 + 3] = r3;
}

// ---- decoding -----------------------------------------------------------------------------------

/**
 * Executes `w` when it is one of the Cryptographic Extension's encodings (AES, SHA-1, SHA-256,
 * PMULL/PMULL2 of 64-bit elements).
 * @returns false when it is not (the caller goes on decoding it, or raises UNDEFINED).
 */
export function execCrypto(c: Vregs, w: number): boolean {
  const d = w & 31,
    n = (w >>> 5) & 31,
    m = (w >>> 16) & 31;
  if ((w & 0xfffe0c00) >>> 0 === 0x4e280800) {
    // crypto AES: 0100 1110 size=00 10100 opcode 10 Rn Rd
    switch ((w >>> 12) & 31) {
      case 4:
        aesRound(c, d, n, false);
        return true;
      case 5:
        aesRound(c, d, n, true);
        return true;
      case 6:
        aesMix(c, d, n, false);
        return true;
      case 7:
        aesMix(c, d, n, true);
        return true;
      default:
        return false;
    }
  }
  if ((w & 0xffe08c00) >>> 0 === 0x5e000000) {
    // crypto three-register SHA: 0101 1110 size=00 0 Rm 0 opcode 00 Rn Rd
    switch ((w >>> 12) & 7) {
      case 0:
        sha1Hash(c, d, n, m, choose);
        return true;
      case 1:
        sha1Hash(c, d, n, m, parity);
        return true;
      case 2:
        sha1Hash(c, d, n, m, majority);
        return true;
      case 3:
        sha1su0(c, d, n, m);
        return true;
      case 4:
        sha256Hash(c, d, n, m, true);
        return true;
      case 5:
        sha256Hash(c, d, n, m, false);
        return true;
      case 6:
        sha256su1(c, d, n, m);
        return true;
      default:
        return false;
    }
  }
  if ((w & 0xfffe0c00) >>> 0 === 0x5e280800) {
    // crypto two-register SHA: 0101 1110 size=00 10100 opcode 10 Rn Rd
    switch ((w >>> 12) & 31) {
      case 0: {
        // SHA1H Sd, Sn: ROL(Sn, 30), zero-extended to 128 bits
        const v = c.V[n * 4]!;
        c.V[d * 4] = rol(v, 30);
        c.V[d * 4 + 1] = 0;
        c.V[d * 4 + 2] = 0;
        c.V[d * 4 + 3] = 0;
        return true;
      }
      case 1:
        sha1su1(c, d, n);
        return true;
      case 2:
        sha256su0(c, d, n);
        return true;
      default:
        return false;
    }
  }
  if ((w & 0xbfe0fc00) >>> 0 === 0x0ee0e000) {
    // PMULL{2} Vd.1Q, Vn.1D, Vm.1D: three-different, U=0, size=11, opcode 1110
    pmull64(c, d, n, m, ((w >>> 30) & 1) === 1);
    return true;
  }
  return false;
}
