// SPDX-License-Identifier: MIT
// Block JIT (internal): turns predecoded basic blocks (ops.ts layout) into the source of one
// JavaScript function, compiled with `new Function`, so hot code runs without the
// executor's switch, with register slots, immediates, shift amounts, bitfield masks and
// condition codes as constants, and with NZCV in local variables. Operations it does not
// translate (system instructions, exclusives, a few rare ones) hand the rest of the block to
// the interpreter (`Cpu.execBlock` from that index), so semantics stay the interpreter's.
//
// A function covers a region: the entry block and up to MAX_MEMBERS - 1 decoded blocks of the
// same page reached from it by direct branches or fall-through, run by a `switch` over the
// member index inside a loop (so loops within the region never leave the function). Signature
// `(cpu, blk) => void`: runs from cpu.pcLo/pcHi (the entry's VA) and leaves PC, registers,
// flags and insnCount as the interpreter would; `blk.members` holds the member blocks. Between
// two members it returns to the run loop whenever the run loop has work (stop, interrupts or
// step, tracing, translation or code changes, budget). Memory accesses call the CPU's ld*/st*
// helpers; a FAULT they throw is handed to `cpu.blockFault(ops, index, baseLo, baseHi)`. A
// store that hits a page holding decoded code ends the function after that store (like the
// interpreter's FAULT_DIRTY path). The source depends only on the code and the members'
// offsets relative to the entry, so compiled functions are cached by source.

import { crc32Update } from './crc32.js';
import { simdInline } from './fpsimd/jit.js';
import { OP, SLOT_SINK, SLOT_ZR, STRIDE, logicalReg } from './ops.js';
import { FAST_SYS_SLOT, MSR_CONTINUES, SYS_REGS, sysRegKey } from './sysregs.js';
import {
  T,
  asr64,
  clz64,
  lsl64,
  lsr64,
  mul64,
  rbit32,
  rev16x2,
  rev32,
  ror64,
  sdiv32,
  sdiv64,
  shift32,
  shift64,
  smulh64,
  smull32,
  udiv32,
  udiv64,
  umulh64,
  umull32,
} from './u64.js';

const K_NZCV = sysRegKey(3, 3, 4, 2, 0);
const K_CNTVCT = sysRegKey(3, 3, 14, 0, 2);
const K_CNTPCT = sysRegKey(3, 3, 14, 0, 1);
const K_TPIDRRO = sysRegKey(3, 3, 13, 0, 3); // read-only at EL0: writes go through Cpu.jitMsr

/**
 * Condition under which MRS/MSR of a fast register (`FAST_SYS_SLOT`) is allowed and not
 * trapped: the rules of `Cpu.sysAccessible` and `Cpu.trappedSysRegs` for these registers.
 */
function fastOk(key: number): string {
  const minEl = SYS_REGS.get(key)!.minEl;
  if (minEl === 2) return 'cpu.el === 2';
  const noTrap = `(cpu.el === 2 || cpu.trappedSysRegs === undefined || cpu.highestEl !== 2 || !cpu.trappedSysRegs.has(${key}))`;
  return minEl === 0 ? noTrap : `cpu.el >= ${minEl} && ${noTrap}`;
}

/**
 * The CPU's two fast RAM windows checked inline for an access of `size` bytes at (`al`, `ah`)
 * with the MMU off (EL2 code such as a hypervisor's world switch): a statement prefix that
 * declares `q` (offset in the window), `w` (its Int32Array) and opens an `if` that holds when
 * the access can be done on `w` directly; otherwise the CPU's load/store helpers take it (MMU
 * on, an address above 48 bits, another region, misalignment, or for stores a page with decoded code).
 */
function fastWindow(size: number, align: number, store: boolean): string {
  let c = 'let q = -1, w = cpu.fI32, c = cpu.fCode;';
  c +=
    ' if (!cpu.mmuOn && (ah >>> 16) === 0) { const pa = ah * 4294967296 + (al >>> 0); q = pa - cpu.fBase;';
  c += ` if (q < 0 || q + ${size} > cpu.fSize) { q = pa - cpu.gBase; w = cpu.gI32; c = cpu.gCode; if (q + ${size} > cpu.gSize) q = -1; } }`;
  c += ` if (q >= 0 && (q & ${align - 1}) === 0`;
  if (store)
    c +=
      size > 8
        ? ` && c[q >>> 12] === 0 && c[(q + ${size - 1}) >>> 12] === 0`
        : ' && c[q >>> 12] === 0';
  return c + ')';
}

/** A compiled block: runs the whole block `blk` (`{ ops, ... }`) on `cpu`. */
export type JitFn = (cpu: unknown, blk: unknown) => void;

/** Thrown by the CPU's memory helpers for an architectural abort (details are in the CPU). */
export const FAULT = { fault: true };

const HELPERS = {
  FAULT,
  T,
  asr64,
  clz64,
  lsl64,
  lsr64,
  mul64,
  rbit32,
  rev16x2,
  rev32,
  ror64,
  sdiv32,
  sdiv64,
  shift32,
  shift64,
  smulh64,
  smull32,
  udiv32,
  udiv64,
  umulh64,
  umull32,
  crc32Update,
};

const PRELUDE = `const {${Object.keys(HELPERS).join(', ')}} = h;\n`;

/** Source of a register's low half (constant 0 for the zero slot). */
const lo = (s: number): string => (s === SLOT_ZR ? '0' : `R[${s}]`);
/** Source of a register's high half. */
const hi = (s: number): string => (s === SLOT_ZR ? '0' : `R[${s + 1}]`);

/** Condition code as an expression over the flag locals. */
function cond(c: number): string {
  let r: string;
  switch (c >> 1) {
    case 0:
      r = 'fz === 1';
      break;
    case 1:
      r = 'fc === 1';
      break;
    case 2:
      r = 'fn === 1';
      break;
    case 3:
      r = 'fv === 1';
      break;
    case 4:
      r = '(fc === 1 && fz === 0)';
      break;
    case 5:
      r = 'fn === fv';
      break;
    case 6:
      r = '(fn === fv && fz === 0)';
      break;
    default:
      return 'true';
  }
  return (c & 1) === 1 ? `!(${r})` : r;
}

/**
 * Add with carry-in into slot `d`; `b` is already inverted for subtraction. Operands are
 * expressions; `flags` sets the flag locals.
 */
function addc(
  d: number,
  aL: string,
  aH: string,
  bL: string,
  bH: string,
  cin: string,
  sf: number,
  flags: boolean,
): string {
  const wr = d !== SLOT_SINK;
  if (sf) {
    let s = `{ const al = ${aL}, ah = ${aH}, bl = ${bL}, bh = ${bH};`;
    s += ` const l = (al >>> 0) + (bl >>> 0) + ${cin}; const h = (ah >>> 0) + (bh >>> 0) + (l > 0xffffffff ? 1 : 0);`;
    s += ' const rl = l | 0, rh = h | 0;';
    if (wr) s += ` R[${d}] = rl; R[${d + 1}] = rh;`;
    if (flags)
      s +=
        ' fn = rh >>> 31; fz = (rl | rh) === 0 ? 1 : 0; fc = h > 0xffffffff ? 1 : 0; fv = ((ah ^ rh) & (bh ^ rh)) >>> 31;';
    return s + ' }\n';
  }
  let s = `{ const al = ${aL}, bl = ${bL}; const l = (al >>> 0) + (bl >>> 0) + ${cin}; const r = l | 0;`;
  if (wr) s += ` R[${d}] = r; R[${d + 1}] = 0;`;
  if (flags)
    s +=
      ' fn = r >>> 31; fz = r === 0 ? 1 : 0; fc = l > 0xffffffff ? 1 : 0; fv = ((al ^ r) & (bl ^ r)) >>> 31;';
  return s + ' }\n';
}

/** Statements defining `ol`, `oh`: register `s` shifted by a constant (A64 shift type). */
function shifted(s: number, type: number, n: number, sf: number): string {
  const L = lo(s),
    H = hi(s);
  if (!sf) {
    if (n === 0) return `const ol = ${L}, oh = 0;`;
    switch (type) {
      case 0:
        return `const ol = ${L} << ${n}, oh = 0;`;
      case 1:
        return `const ol = (${L} >>> ${n}) | 0, oh = 0;`;
      case 2:
        return `const ol = ${L} >> ${n}, oh = 0;`;
      default:
        return `const x = ${L}; const ol = (x >>> ${n}) | (x << ${32 - n}), oh = 0;`;
    }
  }
  if (n === 0) return `const ol = ${L}, oh = ${H};`;
  switch (type) {
    case 0:
      return n < 32
        ? `const xl = ${L}, xh = ${H}; const ol = xl << ${n}, oh = (xh << ${n}) | (xl >>> ${32 - n});`
        : `const ol = 0, oh = ${L} << ${n - 32};`;
    case 1:
      return n < 32
        ? `const xl = ${L}, xh = ${H}; const ol = (xl >>> ${n}) | (xh << ${32 - n}), oh = xh >>> ${n};`
        : `const ol = ${H} >>> ${n - 32}, oh = 0;`;
    case 2:
      return n < 32
        ? `const xl = ${L}, xh = ${H}; const ol = (xl >>> ${n}) | (xh << ${32 - n}), oh = xh >> ${n};`
        : `const xh = ${H}; const ol = xh >> ${n - 32}, oh = xh >> 31;`;
    default:
      return `ror64(${L}, ${H}, ${n}); const ol = T[0], oh = T[1];`;
  }
}

/** Statements defining `ol`, `oh`: extended register (option, left shift 0..4). */
function extended(s: number, option: number, amount: number): string {
  const L = lo(s),
    H = hi(s);
  let e: string;
  switch (option) {
    case 0:
      e = `let ol = ${L} & 0xff, oh = 0;`;
      break;
    case 1:
      e = `let ol = ${L} & 0xffff, oh = 0;`;
      break;
    case 2:
      e = `let ol = ${L}, oh = 0;`;
      break;
    case 4:
      e = `let ol = (${L} << 24) >> 24, oh = ol >> 31;`;
      break;
    case 5:
      e = `let ol = (${L} << 16) >> 16, oh = ol >> 31;`;
      break;
    case 6:
      e = `let ol = ${L}, oh = ol >> 31;`;
      break;
    default:
      e = `let ol = ${L}, oh = ${H};`;
      break;
  }
  if (amount > 0) e += ` oh = (oh << ${amount}) | (ol >>> ${32 - amount}); ol = ol << ${amount};`;
  return e;
}

/** Statements defining `al`, `ah` (the effective address) for a load/store op. */
function address(ops: Int32Array, o: number): string {
  const rn = ops[o + 2]!,
    mode = ops[o + 5]!,
    imm = ops[o + 4]!;
  if (mode === 2) return `const al = R[${rn}], ah = R[${rn + 1}];`;
  if (mode === 3) {
    return (
      `let al, ah; { ${extended(ops[o + 3]!, ops[o + 6]!, ops[o + 7]!)} const l = (R[${rn}] >>> 0) + (ol >>> 0);` +
      ` al = l | 0; ah = (R[${rn + 1}] + oh + (l > 0xffffffff ? 1 : 0)) | 0; }`
    );
  }
  if (imm === 0) return `const al = R[${rn}], ah = R[${rn + 1}];`;
  const carry = imm > 0 ? '(l >= 4294967296 ? 1 : 0)' : '(l < 0 ? -1 : 0)';
  return `const l = (R[${rn}] >>> 0) + ${imm}; const al = l | 0, ah = (R[${rn + 1}] + ${carry}) | 0;`;
}

/** Base-register writeback after a pre/post-indexed access. */
function writeback(ops: Int32Array, o: number): string {
  const rn = ops[o + 2]!,
    mode = ops[o + 5]!,
    imm = ops[o + 4]!;
  if (mode === 1) return ` R[${rn}] = al; R[${rn + 1}] = ah;`;
  if (mode === 2) {
    return ` { const l = (al >>> 0) + ${imm >>> 0}; R[${rn}] = l | 0; R[${rn + 1}] = (ah + ${imm >> 31} + (l > 0xffffffff ? 1 : 0)) | 0; }`;
  }
  return '';
}

/** SBFM/BFM/UBFM with the rotation and masks as constants (Arm ARM BFM pseudocode). */
function bitfield(ops: Int32Array, o: number): string {
  const op = ops[o]!,
    rd = ops[o + 1]!,
    rn = ops[o + 2]!,
    packed = ops[o + 3]!;
  const r = packed & 63,
    s = (packed >>> 8) & 63,
    sf = (packed >>> 16) & 1,
    rdSrc = packed >>> 17;
  const wl = ops[o + 4]!,
    wh = ops[o + 5]!,
    tl = ops[o + 6]!,
    th = ops[o + 7]!;
  let c = `{ const sl = ${lo(rn)}, sh = ${sf ? hi(rn) : '0'};`;
  if (sf) {
    if (r === 0) c += ' const rl = sl, rh = sh;';
    else if (r < 32)
      c += ` const rl = (sl >>> ${r}) | (sh << ${32 - r}), rh = (sh >>> ${r}) | (sl << ${32 - r});`;
    else if (r === 32) c += ' const rl = sh, rh = sl;';
    else
      c += ` const rl = (sh >>> ${r - 32}) | (sl << ${64 - r}), rh = (sl >>> ${r - 32}) | (sh << ${64 - r});`;
  } else
    c +=
      r === 0
        ? ' const rl = sl, rh = 0;'
        : ` const rl = (sl >>> ${r}) | (sl << ${32 - r}), rh = 0;`;
  const bfm = op === OP.BFM;
  c += bfm ? ` const dl = ${lo(rdSrc)}, dh = ${sf ? hi(rdSrc) : '0'};` : ' const dl = 0, dh = 0;';
  c += ` const bl = (dl & ${~wl}) | (rl & ${wl}), bh = (dh & ${~wh}) | (rh & ${wh});`;
  if (op === OP.SBFM) {
    c += s >= 32 ? ` const bit = (sh >>> ${s - 32}) & 1;` : ` const bit = (sl >>> ${s}) & 1;`;
    c += ` const tl = -bit, th = ${sf ? '-bit' : '0'};`;
  } else c += ' const tl = dl, th = dh;';
  c += ` R[${rd}] = (tl & ${~tl}) | (bl & ${tl}); R[${rd + 1}] = ${sf ? `(th & ${~th}) | (bh & ${th})` : '0'}; }`;
  return c;
}

/** `T`-returning unary/binary helper call writing a 64-bit result. */
const toRd = (rd: number): string => `R[${rd}] = T[0]; R[${rd + 1}] = T[1];`;

/** A block as the region compiler sees it. */
export interface JitBlock {
  /** Physical address of the first instruction. */
  readonly pa: number;
  /** Number of instructions. */
  readonly n: number;
  /** Predecoded operations. */
  readonly ops: Int32Array;
}

/** Most blocks compiled into one function. */
// Measured on bench-O2/Os (best of 5 runs in one process, shared 2-core machine): 1 member
// 73-121 M insns/s, 2: 100-127, 3: 110-154, 6: 108-165; the first run gets slower with
// bigger regions (17-23 M/s at 6 members against 34-43 at 1: TurboFan takes 50-180 ms on
// a large function while it runs unoptimised). 4 is the compromise.
const MAX_MEMBERS = 4;

/**
 * Collects the blocks of a region: the entry block and the decoded blocks of the same 4 KiB
 * page reachable from it through direct branches and fall-through edges.
 * @param entry - the entry block.
 * @param lookup - the decoded block at a physical address, if any.
 * @param max - most members.
 * @returns the members, the entry first.
 */
export function collectRegion(
  entry: JitBlock,
  lookup: (pa: number) => JitBlock | undefined,
  max = MAX_MEMBERS,
): JitBlock[] {
  const page = entry.pa - (entry.pa % 4096);
  const members = [entry];
  const seen = new Set([entry.pa]);
  for (let q = 0; q < members.length && members.length < max; q++) {
    const m = members[q]!;
    const k = m.n - 1,
      o = k * STRIDE,
      op = m.ops[o]!;
    const next: number[] = [];
    const end = m.pa + m.n * 4;
    if (op === OP.B || op === OP.BL) next.push(m.pa + k * 4 + m.ops[o + 4]!);
    else if (op === OP.BCOND || op === OP.CBZ || op === OP.CBNZ || op === OP.TBZ || op === OP.TBNZ)
      next.push(m.pa + k * 4 + m.ops[o + 4]!, end);
    else if (op !== OP.BR && op !== OP.BLR && op !== OP.RET) next.push(end);
    for (const pa of next) {
      if (pa < page || pa >= page + 4096 || seen.has(pa)) continue;
      seen.add(pa);
      const b = lookup(pa);
      if (b !== undefined && members.length < max) members.push(b);
    }
  }
  return members;
}

/**
 * Generates the source of the function for a region (one block, or a block and its decoded
 * successors in the same page, executed with a `switch` over the member index in a loop).
 * @param members - the blocks, the entry first, all in one 4 KiB page.
 * @param windows - whether 64-bit loads/stores and pairs check the CPU's fast RAM windows inline
 *   (only useful with the MMU off; otherwise they call the CPU's helpers directly).
 * @returns the JavaScript source, or undefined when the entry block's first instruction is
 *   not translated (the block then stays interpreted).
 */
export function generateRegion(
  members: JitBlock[],
  windows = true,
): { src: string; members: JitBlock[] } | undefined {
  // members whose first instruction is not translated stay out (edges to them leave)
  const none = (): string => '';
  members = members.filter(
    (m, j) => j === 0 || generateMember(m.ops, m.n, 0, 0, none, none, windows) !== undefined,
  );
  const index = new Map<number, number>();
  members.forEach((m, j) => index.set(m.pa % 4096, j));
  let usesFlags = false,
    setsFlags = false;
  const FLUSH = '/*FLUSH*/';
  const exit = (count: number, pc: string): string =>
    `${FLUSH} ${pc} cpu.insnCount += ${count}; return;`;
  /** Leaves the current member at instruction k for page offset `off` (a member or an exit). */
  const leave = (k: number, off: number, pc: string): string => {
    const j = off >= 0 && off < 4096 ? index.get(off) : undefined;
    if (j !== undefined) return `cpu.insnCount += ${k + 1}; p = ${j}; break;`;
    return exit(k + 1, pc);
  };
  let cases = '';
  let maxN = 0;
  for (let j = 0; j < members.length; j++) {
    const m = members[j]!;
    const body = generateMember(m.ops, m.n, m.pa % 4096, j, leave, exit, windows);
    if (body === undefined) return undefined; // only the entry block can be untranslatable here
    if (body.usesFlags) usesFlags = true;
    if (body.setsFlags) setsFlags = true;
    maxN = Math.max(maxN, m.n);
    cases += `case ${j}: { const BL = (PB + ${m.pa - members[0]!.pa}) | 0; cur = ${j};\n${body.code}}\n`;
  }
  const flush = setsFlags ? 'cpu.n = fn; cpu.z = fz; cpu.c = fc; cpu.v = fv;' : '';
  let src = `const REL = [${members.map((m) => m.pa - members[0]!.pa).join(', ')}];\n`;
  src += 'return function block(cpu, blk) {\n';
  src += 'const R = cpu.R, BH = cpu.pcHi, PB = cpu.pcLo, G = cpu.gen;\n';
  src += 'let i = 0, cur = 0, p = 0;\n';
  if (usesFlags || setsFlags) src += 'let fn = cpu.n, fz = cpu.z, fc = cpu.c, fv = cpu.v;\n';
  src += 'try {\nfor (;;) {\nswitch (p) {\n' + cases;
  src += `default: ${exit(0, 'cpu.pcLo = (PB + REL[p]) | 0; cpu.pcHi = BH;')}\n}\n`;
  // between two members: back to the run loop when it has something to do (stop, interrupts
  // or step, tracing, a translation or code change, or the budget ending in the next block)
  src += `if (cpu.stopFlag || cpu.attention || cpu.traceHook !== undefined || cpu.gen !== G || !blk.valid || cpu.insnCount + ${maxN} > cpu.runEnd) {`;
  src += ` ${FLUSH} cpu.pcLo = (PB + REL[p]) | 0; cpu.pcHi = BH; return; }\n}\n`;
  src += `} catch (e) {\nif (e !== FAULT) throw e;\n${FLUSH}\ncpu.blockFault((cur === 0 ? blk : blk.members[cur]).ops, i, (PB + REL[cur]) | 0, BH);\n}\n};`;
  src = src.split(FLUSH).join(flush);
  return { src, members };
}

/** True for the scalar FP instructions that read or write NZCV (FCMP, FCCMP, FCSEL). */
function simdTouchesFlags(w: number): boolean {
  return (
    ((w >>> 24) & 0x5f) === 0x1e &&
    ((w >>> 21) & 1) === 1 &&
    (((w >>> 10) & 1) === 1 || ((w >>> 10) & 15) === 8)
  );
}

/** True for the FP/SIMD stores (bit 26 set in the loads-and-stores group, L = 0). */
function isSimdStore(w: number): boolean {
  if (((w >>> 25) & 5) !== 4) return false;
  if (((w >>> 27) & 7) === 1) return ((w >>> 22) & 1) === 0; // structures
  if (((w >>> 27) & 7) === 5) return ((w >>> 22) & 1) === 0; // pairs
  if (((w >>> 27) & 7) === 7) return ((w >>> 22) & 1) === 0; // registers (L = opc<0>)
  return false;
}

/** Generated code of one member block. */
interface MemberCode {
  code: string;
  usesFlags: boolean;
  setsFlags: boolean;
}

function generateMember(
  ops: Int32Array,
  n: number,
  pageOff: number,
  j: number,
  leave: (k: number, off: number, pc: string) => string,
  exit: (count: number, pc: string) => string,
  windows: boolean,
): MemberCode | undefined {
  let body = '';
  let usesFlags = false,
    setsFlags = false;
  let ended = false;
  for (let k = 0; k < n && !ended; k++) {
    /** Hands instruction k and the rest of the block to the interpreter. */
    const fallback = (): string =>
      `${'/*FLUSH*/'} cpu.pcLo = BL; cpu.pcHi = BH; cpu.execBlock(${j === 0 ? 'blk' : `blk.members[${j}]`}, ${n}, ${k}); return;`;
    const o = k * STRIDE;
    const op = ops[o]!,
      rd = ops[o + 1]!,
      rn = ops[o + 2]!,
      rm = ops[o + 3]!;
    const a = ops[o + 4]!,
      b = ops[o + 5]!,
      sf = ops[o + 6]!,
      d7 = ops[o + 7]!;
    const pcK = `((BL + ${k * 4}) >>> 0)`; // this instruction's address, low half, unsigned
    const here = pageOff + k * 4; // its page offset
    let s = '';
    switch (op) {
      case OP.NOP:
        break;
      case OP.ADD_I:
        if (sf)
          s = `{ const l = (${lo(rn)} >>> 0) + ${a}; R[${rd + 1}] = (${hi(rn)} + (l > 0xffffffff ? 1 : 0)) | 0; R[${rd}] = l | 0; }`;
        else s = `R[${rd}] = (${lo(rn)} + ${a}) | 0; R[${rd + 1}] = 0;`;
        break;
      case OP.SUB_I:
        if (sf)
          s = `{ const l = (${lo(rn)} >>> 0) - ${a}; R[${rd + 1}] = (${hi(rn)} - (l < 0 ? 1 : 0)) | 0; R[${rd}] = l | 0; }`;
        else s = `R[${rd}] = (${lo(rn)} - ${a}) | 0; R[${rd + 1}] = 0;`;
        break;
      case OP.ADDS_I:
        s = addc(rd, lo(rn), hi(rn), String(a), '0', '0', sf, true);
        setsFlags = true;
        break;
      case OP.SUBS_I:
        s = addc(rd, lo(rn), hi(rn), String(~a), '-1', '1', sf, true);
        setsFlags = true;
        break;
      case OP.ADD_R:
      case OP.ADDS_R:
      case OP.SUB_R:
      case OP.SUBS_R: {
        const sub = op === OP.SUB_R || op === OP.SUBS_R,
          fl = op === OP.ADDS_R || op === OP.SUBS_R;
        s = `{ ${shifted(rm, a, b, sf)} `;
        s += sub
          ? addc(rd, lo(rn), hi(rn), '~ol', '~oh', '1', sf, fl)
          : addc(rd, lo(rn), hi(rn), 'ol', 'oh', '0', sf, fl);
        s += '}';
        if (fl) setsFlags = true;
        break;
      }
      case OP.ADD_X:
      case OP.ADDS_X:
      case OP.SUB_X:
      case OP.SUBS_X: {
        const sub = op === OP.SUB_X || op === OP.SUBS_X,
          fl = op === OP.ADDS_X || op === OP.SUBS_X;
        s = `{ ${extended(rm, a, b)} `;
        s += sub
          ? addc(rd, lo(rn), hi(rn), '~ol', '~oh', '1', sf, fl)
          : addc(rd, lo(rn), hi(rn), 'ol', 'oh', '0', sf, fl);
        s += '}';
        if (fl) setsFlags = true;
        break;
      }
      case OP.ADC:
      case OP.ADCS:
      case OP.SBC:
      case OP.SBCS: {
        const sub = op === OP.SBC || op === OP.SBCS,
          fl = op === OP.ADCS || op === OP.SBCS;
        s = sub
          ? addc(rd, lo(rn), hi(rn), `~${lo(rm)}`, `~${hi(rm)}`, 'fc', sf, fl)
          : addc(rd, lo(rn), hi(rn), lo(rm), hi(rm), 'fc', sf, fl);
        usesFlags = true;
        if (fl) setsFlags = true;
        break;
      }
      case OP.AND_I:
      case OP.ORR_I:
      case OP.EOR_I:
      case OP.ANDS_I: {
        const sym = op === OP.ORR_I ? '|' : op === OP.EOR_I ? '^' : '&';
        s = `{ const l = ${lo(rn)} ${sym} ${a}, h = ${sf ? `${hi(rn)} ${sym} ${b}` : '0'};`;
        if (op === OP.ANDS_I) {
          s += sf
            ? ' fn = h >>> 31; fz = (l | h) === 0 ? 1 : 0;'
            : ' fn = l >>> 31; fz = l === 0 ? 1 : 0;';
          s += ' fc = 0; fv = 0;';
          setsFlags = true;
        }
        if (rd !== SLOT_SINK) s += ` R[${rd}] = l; R[${rd + 1}] = h;`;
        s += ' }';
        break;
      }
      case OP.AND_R:
      case OP.BIC_R:
      case OP.ORR_R:
      case OP.ORN_R:
      case OP.EOR_R:
      case OP.EON_R:
      case OP.ANDS_R:
      case OP.BICS_R: {
        const { fn: kind, invert: inv, flags: fl } = logicalReg(op);
        const sym = kind === 'orr' ? '|' : kind === 'eor' ? '^' : '&';
        s = `{ ${shifted(rm, a, b, sf)} const l = ${lo(rn)} ${sym} ${inv ? '~ol' : 'ol'}, h = ${sf ? `${hi(rn)} ${sym} ${inv ? '~oh' : 'oh'}` : '0'};`;
        if (fl) {
          s += sf
            ? ' fn = h >>> 31; fz = (l | h) === 0 ? 1 : 0;'
            : ' fn = l >>> 31; fz = l === 0 ? 1 : 0;';
          s += ' fc = 0; fv = 0;';
          setsFlags = true;
        }
        if (rd !== SLOT_SINK) s += ` R[${rd}] = l; R[${rd + 1}] = h;`;
        s += ' }';
        break;
      }
      case OP.MOV_R:
        s = `R[${rd}] = ${lo(rm)}; R[${rd + 1}] = ${sf ? hi(rm) : '0'};`;
        break;
      case OP.MOVI:
        s = `R[${rd}] = ${a}; R[${rd + 1}] = ${b};`;
        break;
      case OP.MOVK: {
        if (a === 0) s = `R[${rd}] = (R[${rd}] & ~0xffff) | ${b};`;
        else if (a === 16) s = `R[${rd}] = (R[${rd}] & 0xffff) | ${b << 16};`;
        else if (a === 32) s = `R[${rd + 1}] = (R[${rd + 1}] & ~0xffff) | ${b};`;
        else s = `R[${rd + 1}] = (R[${rd + 1}] & 0xffff) | ${b << 16};`;
        if (!sf) s += ` R[${rd + 1}] = 0;`;
        break;
      }
      case OP.ADR: {
        const pl = sf ? `((${pcK} & ~0xfff) >>> 0)` : pcK;
        s = `{ const l = ${pl} + ${a >>> 0}; R[${rd + 1}] = (BH + ${b} + (l > 0xffffffff ? 1 : 0)) | 0; R[${rd}] = l | 0; }`;
        break;
      }
      case OP.LSL_I:
      case OP.LSR_I:
      case OP.ASR_I:
        s = `{ ${shifted(rn, op - OP.LSL_I, a, sf)} R[${rd}] = ol; R[${rd + 1}] = oh; }`;
        break;
      case OP.SBFM:
      case OP.BFM:
      case OP.UBFM:
        s = bitfield(ops, o);
        break;
      case OP.EXTR:
        if (sf) {
          s =
            a === 0
              ? `R[${rd}] = ${lo(rm)}; R[${rd + 1}] = ${hi(rm)};`
              : `{ lsr64(${lo(rm)}, ${hi(rm)}, ${a}); const ll = T[0], lh = T[1]; lsl64(${lo(rn)}, ${hi(rn)}, ${64 - a}); R[${rd}] = ll | T[0]; R[${rd + 1}] = lh | T[1]; }`;
        } else {
          s =
            a === 0
              ? `R[${rd}] = ${lo(rm)}; R[${rd + 1}] = 0;`
              : `R[${rd}] = (${lo(rm)} >>> ${a}) | (${lo(rn)} << ${32 - a}); R[${rd + 1}] = 0;`;
        }
        break;
      case OP.CCMP_R:
      case OP.CCMN_R:
      case OP.CCMP_I:
      case OP.CCMN_I: {
        const imm = op === OP.CCMP_I || op === OP.CCMN_I;
        const bL = imm ? String(a) : lo(rm),
          bH = imm ? '0' : hi(rm);
        const sub = op === OP.CCMP_R || op === OP.CCMP_I;
        s = `if (${cond(b)}) ${sub ? addc(SLOT_SINK, lo(rn), hi(rn), `~${bL}`, `~${bH}`, '1', sf, true) : addc(SLOT_SINK, lo(rn), hi(rn), bL, bH, '0', sf, true)}`;
        s += ` else { fn = ${(d7 >> 3) & 1}; fz = ${(d7 >> 2) & 1}; fc = ${(d7 >> 1) & 1}; fv = ${d7 & 1}; }`;
        usesFlags = true;
        setsFlags = true;
        break;
      }
      case OP.CSEL:
      case OP.CSINC:
      case OP.CSINV:
      case OP.CSNEG: {
        usesFlags = true;
        s = `if (${cond(b)}) { R[${rd}] = ${lo(rn)}; R[${rd + 1}] = ${sf ? hi(rn) : '0'}; } else { let l = ${lo(rm)}, h = ${sf ? hi(rm) : '0'};`;
        if (op === OP.CSINC)
          s += sf
            ? ' const x = (l >>> 0) + 1; l = x | 0; h = (h + (x > 0xffffffff ? 1 : 0)) | 0;'
            : ' l = (l + 1) | 0;';
        else if (op === OP.CSINV) s += sf ? ' l = ~l; h = ~h;' : ' l = ~l;';
        else if (op === OP.CSNEG)
          s += sf
            ? ' l = ~l; h = ~h; const x = (l >>> 0) + 1; l = x | 0; h = (h + (x > 0xffffffff ? 1 : 0)) | 0;'
            : ' l = (~l + 1) | 0;';
        s += ` R[${rd}] = l; R[${rd + 1}] = h; }`;
        break;
      }
      case OP.RBIT:
        s = sf
          ? `{ const l = ${lo(rn)}, h = ${hi(rn)}; R[${rd}] = rbit32(h); R[${rd + 1}] = rbit32(l); }`
          : `R[${rd}] = rbit32(${lo(rn)}); R[${rd + 1}] = 0;`;
        break;
      case OP.REV16:
        s = sf
          ? `{ const l = ${lo(rn)}, h = ${hi(rn)}; R[${rd}] = rev16x2(l); R[${rd + 1}] = rev16x2(h); }`
          : `R[${rd}] = rev16x2(${lo(rn)}); R[${rd + 1}] = 0;`;
        break;
      case OP.REV32:
        s = `{ const l = ${lo(rn)}, h = ${hi(rn)}; R[${rd}] = rev32(l); R[${rd + 1}] = rev32(h); }`;
        break;
      case OP.REV:
        s = sf
          ? `{ const l = ${lo(rn)}, h = ${hi(rn)}; R[${rd}] = rev32(h); R[${rd + 1}] = rev32(l); }`
          : `R[${rd}] = rev32(${lo(rn)}); R[${rd + 1}] = 0;`;
        break;
      case OP.CLZ:
        s = `R[${rd}] = ${sf ? `clz64(${lo(rn)}, ${hi(rn)})` : `Math.clz32(${lo(rn)})`}; R[${rd + 1}] = 0;`;
        break;
      case OP.CLS:
        s = sf
          ? `{ const l = ${lo(rn)}, h = ${hi(rn)}, x = h >> 31; R[${rd}] = clz64(l ^ x, h ^ x) - 1; R[${rd + 1}] = 0; }`
          : `{ const x = ${lo(rn)}; R[${rd}] = Math.clz32(x ^ (x >> 31)) - 1; R[${rd + 1}] = 0; }`;
        break;
      case OP.UDIV:
      case OP.SDIV: {
        const f = op === OP.UDIV ? 'udiv' : 'sdiv';
        s = sf
          ? `${f}64(${lo(rn)}, ${hi(rn)}, ${lo(rm)}, ${hi(rm)}); ${toRd(rd)}`
          : `R[${rd}] = ${f}32(${lo(rn)}, ${lo(rm)}); R[${rd + 1}] = 0;`;
        break;
      }
      case OP.LSLV:
      case OP.LSRV:
      case OP.ASRV:
      case OP.RORV: {
        const type = op - OP.LSLV;
        s = sf
          ? `shift64(${lo(rn)}, ${hi(rn)}, ${type}, ${lo(rm)} & 63); ${toRd(rd)}`
          : `R[${rd}] = shift32(${lo(rn)}, ${type}, ${lo(rm)} & 31); R[${rd + 1}] = 0;`;
        break;
      }
      case OP.MADD:
      case OP.MSUB: {
        const ra = a;
        s = sf
          ? `{ mul64(${lo(rn)}, ${hi(rn)}, ${lo(rm)}, ${hi(rm)}); const pl = T[0], ph = T[1]; `
          : `{ const pl = Math.imul(${lo(rn)}, ${lo(rm)}), ph = 0; `;
        if (ra === SLOT_ZR && op === OP.MADD)
          s += sf ? `R[${rd}] = pl; R[${rd + 1}] = ph; }` : `R[${rd}] = pl; R[${rd + 1}] = 0; }`;
        else
          s +=
            (op === OP.MADD
              ? addc(rd, lo(ra), hi(ra), 'pl', 'ph', '0', sf, false)
              : addc(rd, lo(ra), hi(ra), '~pl', '~ph', '1', sf, false)) + '}';
        break;
      }
      case OP.SMADDL:
      case OP.SMSUBL:
      case OP.UMADDL:
      case OP.UMSUBL: {
        const signed = op === OP.SMADDL || op === OP.SMSUBL,
          add = op === OP.SMADDL || op === OP.UMADDL;
        s = `{ ${signed ? 'smull32' : 'umull32'}(${lo(rn)}, ${lo(rm)}); const pl = T[0], ph = T[1]; `;
        s +=
          (add
            ? addc(rd, lo(a), hi(a), 'pl', 'ph', '0', 1, false)
            : addc(rd, lo(a), hi(a), '~pl', '~ph', '1', 1, false)) + '}';
        break;
      }
      case OP.SMULH:
        s = `smulh64(${lo(rn)}, ${hi(rn)}, ${lo(rm)}, ${hi(rm)}); ${toRd(rd)}`;
        break;
      case OP.UMULH:
        s = `umulh64(${lo(rn)}, ${hi(rn)}, ${lo(rm)}, ${hi(rm)}); ${toRd(rd)}`;
        break;

      // ---- loads and stores: `i` names the instruction for a fault
      case OP.LDRX:
        s = windows
          ? `i = ${k}; { ${address(ops, o)} let vl, vh; { ${fastWindow(8, 4, false)} { const x = q >>> 2; vl = w[x]; vh = w[x + 1]; } else { cpu.ld64(al, ah); vl = T[0]; vh = T[1]; } }`
          : `i = ${k}; { ${address(ops, o)} cpu.ld64(al, ah); const vl = T[0], vh = T[1];`;
        s += `${writeback(ops, o)} R[${rd}] = vl; R[${rd + 1}] = vh; }`;
        break;
      case OP.LDRW:
      case OP.LDRSW:
        s = `i = ${k}; { ${address(ops, o)} const v = cpu.ld32(al, ah);${writeback(ops, o)} R[${rd}] = v; R[${rd + 1}] = ${op === OP.LDRSW ? 'v >> 31' : '0'}; }`;
        break;
      case OP.LDRH:
      case OP.LDRSH_W:
      case OP.LDRSH_X: {
        const v = op === OP.LDRH ? 'cpu.ld16(al, ah)' : '(cpu.ld16(al, ah) << 16) >> 16';
        s = `i = ${k}; { ${address(ops, o)} const v = ${v};${writeback(ops, o)} R[${rd}] = ${op === OP.LDRSH_W ? 'v & 0xffffffff' : 'v'}; R[${rd + 1}] = ${op === OP.LDRSH_X ? 'v >> 31' : '0'}; }`;
        break;
      }
      case OP.LDRB:
      case OP.LDRSB_W:
      case OP.LDRSB_X: {
        const v = op === OP.LDRB ? 'cpu.ld8(al, ah)' : '(cpu.ld8(al, ah) << 24) >> 24';
        s = `i = ${k}; { ${address(ops, o)} const v = ${v};${writeback(ops, o)} R[${rd}] = v; R[${rd + 1}] = ${op === OP.LDRSB_X ? 'v >> 31' : '0'}; }`;
        break;
      }
      case OP.STRX:
      case OP.STRW:
      case OP.STRH:
      case OP.STRB: {
        const call =
          op === OP.STRX
            ? windows
              ? `{ ${fastWindow(8, 8, true)} { const x = q >>> 2; w[x] = vl; w[x + 1] = vh; cpu.monitorValid = false; } else cpu.st64(al, ah, vl, vh); }`
              : 'cpu.st64(al, ah, vl, vh)'
            : op === OP.STRW
              ? 'cpu.st32(al, ah, vl)'
              : op === OP.STRH
                ? 'cpu.st16(al, ah, vl)'
                : 'cpu.st8(al, ah, vl)';
        s = `i = ${k}; { const vl = ${lo(rd)}${op === OP.STRX ? `, vh = ${hi(rd)}` : ''}; ${address(ops, o)} ${call};${writeback(ops, o)} }`;
        s += ` if (cpu.blockDirty) { cpu.blockDirty = false; ${exit(k + 1, `cpu.pcLo = (BL + ${(k + 1) * 4}) | 0; cpu.pcHi = BH;`)} }`;
        break;
      }
      case OP.LDP_X:
      case OP.LDP_W:
      case OP.LDPSW: {
        s = `i = ${k}; { ${address(ops, o)} let l1, h1, l2, h2;`;
        if (op === OP.LDP_X) {
          const calls =
            ' cpu.ld64(al, ah); l1 = T[0]; h1 = T[1]; { const l = (al >>> 0) + 8; cpu.ld64(l | 0, (ah + (l > 0xffffffff ? 1 : 0)) | 0); } l2 = T[0]; h2 = T[1];';
          s += windows
            ? ` { ${fastWindow(16, 4, false)} { const x = q >>> 2; l1 = w[x]; h1 = w[x + 1]; l2 = w[x + 2]; h2 = w[x + 3]; } else {${calls} } }`
            : calls;
        } else {
          s +=
            ' l1 = cpu.ld32(al, ah); { const l = (al >>> 0) + 4; l2 = cpu.ld32(l | 0, (ah + (l > 0xffffffff ? 1 : 0)) | 0); }';
          s += op === OP.LDPSW ? ' h1 = l1 >> 31; h2 = l2 >> 31;' : ' h1 = 0; h2 = 0;';
        }
        s += `${writeback(ops, o)} R[${rd}] = l1; R[${rd + 1}] = h1; R[${rm}] = l2; R[${rm + 1}] = h2; }`;
        break;
      }
      case OP.STP_X:
      case OP.STP_W: {
        s = `i = ${k}; { const l1 = ${lo(rd)}, h1 = ${hi(rd)}, l2 = ${lo(rm)}, h2 = ${hi(rm)}; ${address(ops, o)}`;
        if (op === OP.STP_X) {
          const calls =
            ' cpu.st64(al, ah, l1, h1); { const l = (al >>> 0) + 8; cpu.st64(l | 0, (ah + (l > 0xffffffff ? 1 : 0)) | 0, l2, h2); }';
          s += windows
            ? ` { ${fastWindow(16, 8, true)} { const x = q >>> 2; w[x] = l1; w[x + 1] = h1; w[x + 2] = l2; w[x + 3] = h2; cpu.monitorValid = false; } else {${calls} } }`
            : calls;
        } else
          s +=
            ' cpu.st32(al, ah, l1); { const l = (al >>> 0) + 4; cpu.st32(l | 0, (ah + (l > 0xffffffff ? 1 : 0)) | 0, l2); }';
        s += `${writeback(ops, o)} }`;
        s += ` if (cpu.blockDirty) { cpu.blockDirty = false; ${exit(k + 1, `cpu.pcLo = (BL + ${(k + 1) * 4}) | 0; cpu.pcHi = BH;`)} }`;
        break;
      }
      case OP.LDR_LIT: {
        s = `i = ${k}; { const l = ${pcK} + ${a >>> 0}; const al = l | 0, ah = (BH + ${a >> 31} + (l > 0xffffffff ? 1 : 0)) | 0;`;
        if (sf === 1) s += ` cpu.ld64(al, ah); R[${rd}] = T[0]; R[${rd + 1}] = T[1]; }`;
        else
          s += ` const v = cpu.ld32(al, ah); R[${rd}] = v; R[${rd + 1}] = ${sf === 2 ? 'v >> 31' : '0'}; }`;
        break;
      }
      case OP.CLREX:
        s = 'cpu.monitorValid = false;';
        break;
      case OP.CRC32:
        s = `R[${rd}] = crc32Update(${lo(rn)}, ${lo(rm)}, ${hi(rm)}, ${a}, ${b === 1}); R[${rd + 1}] = 0;`;
        break;

      // ---- FP/SIMD: one call into the executor per instruction (the flag-reading and -writing
      // FCMP/FCCMP/FCSEL see the flags through the CPU); a trap or UNDEFINED goes to the interpreter
      case OP.SIMD: {
        const flags = simdTouchesFlags(a);
        if (flags) {
          usesFlags = true;
          setsFlags = true;
        }
        const inline = flags ? undefined : simdInline(a, fallback());
        if (inline !== undefined) s = `i = ${k}; ${inline}`;
        else
          s = `i = ${k}; ${flags ? 'cpu.n = fn; cpu.z = fz; cpu.c = fc; cpu.v = fv; ' : ''}if (!cpu.jitSimd(${a}, (BL + ${k * 4}) | 0, BH)) { ${fallback()} }`;
        if (flags) s += ' fn = cpu.n; fz = cpu.z; fc = cpu.c; fv = cpu.v;';
        if (isSimdStore(a))
          s += ` if (cpu.blockDirty) { cpu.blockDirty = false; ${exit(k + 1, `cpu.pcLo = (BL + ${(k + 1) * 4}) | 0; cpu.pcHi = BH;`)} }`;
        break;
      }

      // ---- branches (block terminators)
      case OP.B:
      case OP.BL: {
        if (op === OP.BL)
          s = `{ const l = ${pcK} + 4; R[60] = l | 0; R[61] = (BH + (l > 0xffffffff ? 1 : 0)) | 0; }\n`;
        s += leave(
          k,
          here + a,
          `{ const l = ${pcK} + ${a}; cpu.pcLo = l | 0; cpu.pcHi = (BH + (l >= 4294967296 ? 1 : l < 0 ? -1 : 0)) | 0; }`,
        );
        ended = true;
        break;
      }
      case OP.BCOND:
      case OP.CBZ:
      case OP.CBNZ:
      case OP.TBZ:
      case OP.TBNZ: {
        let t: string;
        if (op === OP.BCOND) {
          t = cond(b);
          usesFlags = true;
        } else if (op === OP.CBZ || op === OP.CBNZ) {
          const zero = sf ? `(${lo(rd)} | ${hi(rd)}) === 0` : `${lo(rd)} === 0`;
          t = op === OP.CBZ ? zero : `!(${zero})`;
        } else {
          const bit = b;
          const set =
            bit >= 32
              ? `((${hi(rd)} >>> ${bit - 32}) & 1) === 1`
              : `((${lo(rd)} >>> ${bit}) & 1) === 1`;
          t = op === OP.TBNZ ? set : `!(${set})`;
        }
        s = `if (${t}) { ${leave(k, here + a, `{ const l = ${pcK} + ${a}; cpu.pcLo = l | 0; cpu.pcHi = (BH + (l >= 4294967296 ? 1 : l < 0 ? -1 : 0)) | 0; }`)} }\n`;
        s += leave(
          k,
          here + 4,
          `{ const l = ${pcK} + 4; cpu.pcLo = l | 0; cpu.pcHi = (BH + (l >= 4294967296 ? 1 : 0)) | 0; }`,
        );
        ended = true;
        break;
      }
      case OP.BR:
      case OP.BLR:
      case OP.RET: {
        s = `{ const tl = ${lo(rn)}, th = ${hi(rn)};`;
        if (op === OP.BLR)
          s += ` { const l = ${pcK} + 4; R[60] = l | 0; R[61] = (BH + (l > 0xffffffff ? 1 : 0)) | 0; }`;
        s += ` cpu.pcLo = tl; cpu.pcHi = th; } ${exit(k + 1, '')}`;
        ended = true;
        break;
      }
      // ---- system registers: the common ones inline, the rest through the CPU; a disallowed or
      // trapped access goes to the interpreter, which raises the exception
      case OP.MRS: {
        if (a === K_NZCV || a === K_CNTVCT || a === K_CNTPCT) {
          // flags in locals; the counter needs insnCount
          if (k === 0) return undefined;
          s = fallback();
          ended = true;
          break;
        }
        const f = FAST_SYS_SLOT.get(a);
        if (f !== undefined)
          s = `if (${fastOk(a)}) { const F = cpu.sysF; R[${rd}] = F[${f}]; R[${rd + 1}] = F[${f + 1}]; } else { ${fallback()} }`;
        else s = `if (!cpu.jitMrs(${a}, ${rd})) { ${fallback()} }`;
        break;
      }
      case OP.MSR: {
        const f = FAST_SYS_SLOT.get(a);
        if (MSR_CONTINUES.has(a)) {
          if (f !== undefined && a !== K_TPIDRRO)
            s = `if (${fastOk(a)}) { const F = cpu.sysF; F[${f}] = ${lo(rn)}; F[${f + 1}] = ${hi(rn)}; } else { ${fallback()} }`;
          else s = `if (!cpu.jitMsr(${a}, ${rn})) { ${fallback()} }`;
          break;
        }
        // other registers may change translation, interrupts or flags: the block ends here
        s = `${'/*FLUSH*/'} if (cpu.jitMsr(${a}, ${rn})) { cpu.pcLo = (BL + ${k * 4 + 4}) | 0; cpu.pcHi = BH; cpu.insnCount += ${k + 1}; return; } ${fallback()}`;
        ended = true;
        break;
      }
      // ---- exception generation and return, host calls, WFI, ISB, MSR (immediate): block
      // terminators without memory accesses, done by the interpreter's system() directly
      case OP.HLT:
      case OP.ERET:
      case OP.HVC:
      case OP.SVC:
      case OP.SMC:
      case OP.BRK:
      case OP.WFI:
      case OP.WFE:
      case OP.ISB:
      case OP.MSR_IMM:
        s = `${'/*FLUSH*/'} cpu.insnCount += ${k + 1}; cpu.system(${j === 0 ? 'blk' : `blk.members[${j}]`}.ops, ${o}, (BL + ${k * 4}) | 0, BH, 0); return;`;
        ended = true;
        break;
      default:
        // not translated: the interpreter runs the rest of the block from here
        if (k === 0) return undefined;
        s = `${'/*FLUSH*/'} cpu.pcLo = BL; cpu.pcHi = BH; cpu.execBlock(${j === 0 ? 'blk' : `blk.members[${j}]`}, ${n}, ${k}); return;`;
        ended = true;
        break;
    }
    body += s + '\n';
  }
  if (!ended)
    body += leave(n - 1, pageOff + n * 4, `cpu.pcLo = (BL + ${n * 4}) | 0; cpu.pcHi = BH;`) + '\n';
  return { code: body, usesFlags, setsFlags };
}

/**
 * Compiles the region entered at a block.
 * @param entry - the entry block.
 * @param lookup - decoded blocks by physical address (candidates for the region).
 * @param mmuOn - whether translation is on where the block runs now: its code then leaves out
 *   the inline checks of the fast RAM windows, which only serve physical addresses (still
 *   correct, only slower, if the block later runs with translation off).
 * @returns the function, or undefined when the entry block is not translated.
 */
export function compileRegion(
  entry: JitBlock,
  lookup: (pa: number) => JitBlock | undefined,
  mmuOn = false,
): { fn: JitFn; members: JitBlock[] } | undefined {
  const r = generateRegion(collectRegion(entry, lookup), !mmuOn);
  if (r === undefined) return undefined;
  // the source uses offsets relative to the entry only: one function per distinct code,
  // shared by every CPU and block with that code, so V8's feedback and optimised code carry over
  let fn = cache.get(r.src);
  if (fn === undefined) {
    if (!codegenAllowed) return undefined;
    if (cache.size >= CACHE_LIMIT) cache.clear();
    try {
      fn = new Function('h', PRELUDE + r.src)(HELPERS) as JitFn;
    } catch (e) {
      // code generation from strings disallowed (CSP, --disallow-code-generation-from-strings):
      // everything stays interpreted
      if (e instanceof EvalError) {
        codegenAllowed = false;
        return undefined;
      }
      throw e;
    }
    cache.set(r.src, fn);
  }
  return { fn, members: r.members };
}

/** Compiled regions by source. */
const cache = new Map<string, JitFn>();
/** False once `new Function` was refused. */
let codegenAllowed = true;
const CACHE_LIMIT = 20000;

/**
 * Generates the source for a single block (a region of one member).
 * @param ops - the block's predecoded operations.
 * @param n - number of instructions.
 * @returns the source, or undefined when its first instruction is not translated.
 */
export function generateBlock(ops: Int32Array, n: number): string | undefined {
  return generateRegion([{ pa: 0, n, ops }])?.src;
}
