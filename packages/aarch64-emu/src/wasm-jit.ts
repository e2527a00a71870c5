// SPDX-License-Identifier: MIT
// WebAssembly tier (internal): compiles regions of predecoded blocks (the regions of the
// JavaScript block JIT, `collectRegion`, up to WASM_MEMBERS blocks of one page) to WebAssembly.
// V8 compiles WebAssembly with its baseline compiler (Liftoff) at a small fixed cost per module
// and tiers hot functions up in the background, so a block can be compiled after a few hundred
// executions instead of the tens of thousands that pay for a JavaScript function's optimising
// compile.
//
// Everything the code touches lives in the machine's arena (`PhysicalMemory` made with
// `arenaBytes`, one `WebAssembly.Memory`): the CPU's register file and state block, its soft TLB,
// the chain cache and the RAM regions. Registers are 64-bit values at `rb + 4 * slot` (the
// interpreter's Int32Array lo/hi pairs read as little-endian i64); NZCV are four i32 at
// `rb + ST_FLAGS` while WebAssembly runs. Loads and stores go through helpers in the CPU's
// runtime module: they look the address up in the soft TLB (MMU on) or take it as physical
// (MMU off) and access the arena's RAM regions directly; anything else (TLB miss,
// misaligned, another region, a device, a store to a page with decoded code) calls the CPU's
// own load/store helpers, so faults, devices and code invalidation are the interpreter's.
// Every operation is translated: the interpreter's rare ones (exclusives, LSE, FP/SIMD, CRC32,
// high multiplies) call into the CPU for that one instruction, MRS and MSR of the registers
// that do not end a block through calls that let the block go on, DC ZVA zeroes plain RAM
// here, DC C* and ISB are block boundaries, and the other system instructions end the block in
// the CPU's system path.
//
// A region's main function `(pcLo, pcHi, budget) -> status` runs from its entry VA and returns
// 0 with the next PC at `rb + ST_PC`, or 3 when a call into the CPU ended the block (the CPU
// set PC and count). `rb + ST_CNT` counts the instructions of the completed blocks of the whole
// chain. A FAULT thrown by a callout unwinds through the module to the CPU, and `rb + ST_POS`
// (member << 16 | index) names the instruction. The runtime's trampoline runs regions from a
// table and chains them (see runtimeModule).

import { collectRegion, type JitBlock } from './jit.js';
import { OP, SLOT_SINK, SLOT_ZR, STRIDE, logicalReg } from './ops.js';
import { MSR_CONTINUES, sysRegKey } from './sysregs.js';

/** A `WebAssembly.Memory` (TypeScript declares the WebAssembly API only in its DOM library). */
export interface ArenaMemory {
  /** The memory's buffer (this package never grows an arena, so it stays valid). */
  readonly buffer: ArrayBuffer;
}

interface WasmApi {
  Memory: new (d: { initial: number; maximum: number }) => ArenaMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (
    module: object,
    imports: Record<string, Record<string, unknown>>,
  ) => { readonly exports: Record<string, unknown> };
  Table: new (d: { element: 'anyfunc'; initial: number }) => WasmTable;
  CompileError: new () => Error;
}

/** A `WebAssembly.Table` of functions. */
export interface WasmTable {
  /** Number of slots. */
  readonly length: number;
  /**
   * @param n - slots to add.
   * @returns the previous length.
   */
  grow(n: number): number;
  /**
   * @param i - slot.
   * @param f - an exported WebAssembly function.
   */
  set(i: number, f: unknown): void;
}

/** The host's WebAssembly API, or undefined where there is none. @internal */
export const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Bytes from the state offset: NZCV as four i32 (0 or 1). */
export const ST_FLAGS = 272;
/** i64: the PC a status-0 exit leaves. */
export const ST_PC = 288;
/** i32: instructions of the members completed so far (all regions of a chain). */
export const ST_CNT = 296;
/** i32: member << 16 | index of the instruction of the last callout. */
export const ST_POS = 300;
/** i32: set to 1 by a store done inside a module (the exclusive monitor is then cleared). */
export const ST_STORED = 304;
/** i32: the callouts' leave bits (LEAVE_NOW, LEAVE_SOON), or-ed. */
export const ST_LV = 308;
/** i64: result of a load callout. */
export const ST_SCR = 312;
/** i32: arena offset of the soft TLB's data half for the current EL. */
export const ST_TB = 320;
/** i32: table slot of the region running (or last run) in a chain. */
export const ST_SLOT = 324;
/** i64: entry VA of that region. */
export const ST_ENTRY = 328;
/** i32: the chain key of this call (chain entries with another key are stale). */
export const ST_KEY = 336;
/** Size of the state block (register file included). */
export const STATE_BYTES = 384;
/** Entries of the chain cache (entry VA -> table slot), 16 bytes each. */
export const CHAIN_ENTRIES = 4096;
/** Callout return bit: a store wrote decoded code, leave after this instruction. */
export const LEAVE_NOW = 1;
/** Callout return bit: the run loop has work, leave at the next member boundary. */
export const LEAVE_SOON = 2;

/** Where the CPU's data sits in the arena, and the RAM region the fast path serves. */
export interface WasmLayout {
  /** Byte offset of the register file / state block. */
  readonly rb: number;
  /** Number of direct-mapped entries per TLB half (a power of two). */
  readonly tlbWays: number;
  /** Byte offset of the chain cache ({@link CHAIN_ENTRIES} entries). */
  readonly chain: number;
  /**
   * The RAM regions accessed directly (the arena's, largest first, at most 4): physical base,
   * size, arena offsets of the bytes and of the code map.
   */
  readonly rams: readonly { base: number; size: number; off: number; codeOff: number }[];
}

/** A generated region. */
export interface WasmRegion {
  /** The main function's body (locals and code). */
  readonly code: Bytes;
  /** The member blocks, the entry first. */
  readonly members: JitBlock[];
  /** Offsets of the members from the entry (bytes). */
  readonly rel: number[];
  /** Whether the loads and stores translate through the soft TLB (else VA = PA). */
  readonly mmuOn: boolean;
}

// ---- binary encoding --------------------------------------------------------------------

/* prettier-ignore */
const I = {
  block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d,
  br_table: 0x0e, return: 0x0f, call: 0x10, unreachable: 0x00, drop: 0x1a,
  lget: 0x20, lset: 0x21, ltee: 0x22, gget: 0x23, gset: 0x24,
  i32load: 0x28, i64load: 0x29, f64load: 0x2b, i32load8u: 0x2d,
  i64load8u: 0x31, i64load16u: 0x33, i64load32u: 0x35,
  i32store: 0x36, i64store: 0x37, i64store8: 0x3c, i64store16: 0x3d, i64store32: 0x3e,
  i32const: 0x41, i64const: 0x42,
  i32eqz: 0x45, i32eq: 0x46, i32ne: 0x47, i32gts: 0x4a, i32leu: 0x4d,
  i64eqz: 0x50, i64eq: 0x51, i64ltu: 0x54, i64leu: 0x58, i64geu: 0x5a,
  f64ne: 0x62,
  i32clz: 0x67, i32add: 0x6a, i32sub: 0x6b, i32mul: 0x6c, i32divs: 0x6d, i32divu: 0x6e,
  i32and: 0x71, i32or: 0x72, i32xor: 0x73, i32shl: 0x74, i32shrs: 0x75, i32shru: 0x76,
  i32rotr: 0x78,
  i64clz: 0x79, i64add: 0x7c, i64sub: 0x7d, i64mul: 0x7e, i64divs: 0x7f, i64divu: 0x80,
  i64and: 0x83, i64or: 0x84, i64xor: 0x85, i64shl: 0x86, i64shrs: 0x87, i64shru: 0x88,
  i64rotr: 0x8a,
  i32wrap: 0xa7, i64extends: 0xac, i64extendu: 0xad, i64truncf64s: 0xb0, f64converti64s: 0xb9,
  i64ext8s: 0xc2, i64ext16s: 0xc3, i64ext32s: 0xc4,
} as const;
const T_I32 = 0x7f,
  T_I64 = 0x7e,
  VOID = 0x40;

/** Byte sink with LEB128 writers (the code of one function, or a section). */
export class Bytes {
  /** The bytes written so far (the first `n` of the buffer). */
  b = new Uint8Array(1024);
  /** Number of bytes written. */
  n = 0;
  private room(k: number): void {
    if (this.n + k <= this.b.length) return;
    const next = new Uint8Array(Math.max(this.b.length * 2, this.n + k));
    next.set(this.b.subarray(0, this.n));
    this.b = next;
  }
  op(...xs: number[]): this {
    this.room(xs.length);
    for (let i = 0; i < xs.length; i++) this.b[this.n++] = xs[i]!;
    return this;
  }
  u32(v: number): this {
    this.room(5);
    let x = v >>> 0;
    for (;;) {
      const c = x & 0x7f;
      x >>>= 7;
      if (x === 0) {
        this.b[this.n++] = c;
        return this;
      }
      this.b[this.n++] = c | 0x80;
    }
  }
  /** Signed LEB128 of a value in the int32 range. */
  s32(v: number): this {
    this.room(5);
    let x = v | 0;
    for (;;) {
      const c = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (c & 0x40) === 0) || (x === -1 && (c & 0x40) !== 0)) {
        this.b[this.n++] = c;
        return this;
      }
      this.b[this.n++] = c | 0x80;
    }
  }
  s64(v: bigint): this {
    this.room(10);
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const c = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (c & 0x40) === 0) || (x === -1n && (c & 0x40) !== 0)) {
        this.b[this.n++] = c;
        return this;
      }
      this.b[this.n++] = c | 0x80;
    }
  }
  /** Appends a length-prefixed vector of the bytes of `w`. */
  vec(w: Bytes): this {
    this.u32(w.n);
    this.room(w.n);
    this.b.set(w.b.subarray(0, w.n), this.n);
    this.n += w.n;
    return this;
  }
  i32c(v: number): this {
    return this.op(I.i32const).s32(v);
  }
  i64c(v: bigint | number): this {
    this.op(I.i64const);
    return typeof v === 'number' && v === (v | 0) ? this.s32(v) : this.s64(BigInt(v));
  }
  /** A memory access at the absolute address `off` (base operand must be pushed: i32 0). */
  mem(opcode: number, align: number, off: number): this {
    return this.op(opcode, align).u32(off);
  }
  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.b.slice(0, this.n);
  }
}

// locals of the main function: params 0..2, then 5 i32 and 8 i64
const P_PBL = 0,
  P_PBH = 1,
  P_BUDGET = 2;
const L_P = 3,
  L_A32 = 4,
  L_B32 = 5,
  L_R32 = 6,
  L_CI = 7;
const L_PB = 8,
  L_A = 9,
  L_B = 10,
  L_R = 11,
  L_VA = 12,
  L_V1 = 13,
  L_V2 = 14,
  L_T = 15;

// function indices in a batch module: its imports (4 load helpers of size 1, 2, 4, 8, 4 store
// helpers, MRS) come from the CPU's runtime module, then the regions' main functions
const F_LD = 0,
  F_ST = 4,
  F_MRS = 8,
  F_COLD = 9,
  F_SYS = 10,
  F_MSR = 11,
  F_ZVA = 12,
  F_MAIN = 13;
// function indices in the runtime module: imported JS callouts, then 16 helpers (MMU off, on)
const R_LD_JS = 0,
  R_ST_JS = 1,
  R_MRS_JS = 2,
  R_COLD_JS = 3,
  R_SYS_JS = 4,
  R_MSR_JS = 5,
  R_HELPERS = 6;
/** The runtime's pass-through exports of JS callouts: name, callout index, type. */
const PASS = [
  ['mrs', R_MRS_JS, 3],
  ['cold', R_COLD_JS, 7],
  ['sys', R_SYS_JS, 7],
  ['msr', R_MSR_JS, 3],
] as const;

const LOAD_OPS = [I.i64load8u, I.i64load16u, I.i64load32u, I.i64load];
const STORE_OPS = [I.i64store8, I.i64store16, I.i64store32, I.i64store];

/**
 * The soft-TLB lookup of the address in local `va` for an access needing permission bit `need`
 * (1 read, 2 write), as `Cpu.xlate`'s hit path: branches out of the enclosing block (`br_if 0`)
 * on a miss or a missing permission, else pushes the physical address (i64). Locals `vpn` (i64),
 * `e` (i32) and `ev` (i64) are scratch.
 */
function tlbLookup(
  c: Bytes,
  L: WasmLayout,
  va: number,
  vpn: number,
  e: number,
  ev: number,
  need: number,
): void {
  c.op(I.lget, va).i64c(12).op(I.i64shru, I.ltee, vpn, I.i32wrap);
  c.i32c(L.tlbWays - 1)
    .op(I.i32and)
    .i32c(4)
    .op(I.i32shl)
    .i32c(0)
    .mem(I.i32load, 2, L.rb + ST_TB)
    .op(I.i32add, I.ltee, e);
  // (page numbers and entries are below 2^52: the signed conversions, one instruction each)
  c.mem(I.f64load, 3, 0).op(I.lget, vpn, I.f64converti64s, I.f64ne, I.br_if, 0);
  c.op(I.lget, e).mem(I.f64load, 3, 8).op(I.i64truncf64s, I.ltee, ev);
  c.i64c(need).op(I.i64and, I.i64eqz, I.br_if, 0);
  c.op(I.lget, ev).i64c(3).op(I.i64shru).i64c(12).op(I.i64shl);
  c.op(I.lget, va).i64c(0xfff).op(I.i64and, I.i64or);
}

/**
 * Opens a block that is left (`br 0`) when the physical address in local `pa` is not in `ram`
 * (local `off` then holds its offset in the region); with `code`, a page holding decoded code
 * leaves the block around it (`br 1`, the slow path).
 */
function inRam(
  c: Bytes,
  ram: WasmLayout['rams'][number],
  pa: number,
  off: number,
  code: boolean,
): void {
  c.op(I.block, VOID, I.lget, pa).i64c(ram.base).op(I.i64sub, I.ltee, off);
  c.i64c(ram.size).op(I.i64geu, I.br_if, 0);
  if (code) {
    c.op(I.lget, off).i64c(12).op(I.i64shru, I.i32wrap).mem(I.i32load8u, 0, ram.codeOff);
    c.op(I.br_if, 1);
  }
}

/** The body of the load (`store` false) or store helper for accesses of 2^lg bytes. */
function accessHelper(lg: number, store: boolean, mmuOn: boolean, L: WasmLayout): Bytes {
  const c = new Bytes();
  const size = 1 << lg;
  // params: va i64, [v i64,] pos i32; locals: vpn i64, e i32, ev i64, off i64
  const VA = 0,
    V = 1,
    POS = store ? 2 : 1;
  const VPN = POS + 1,
    E = POS + 2,
    EV = POS + 3,
    OFF = POS + 4,
    PA = POS + 5;
  c.u32(3).u32(1).op(T_I64).u32(1).op(T_I32).u32(3).op(T_I64);
  if (L.rams.length > 0) {
    c.op(I.block, VOID);
    // misaligned accesses take the slow path (which also handles page crossings)
    if (size > 1)
      c.op(I.lget, VA, I.i32wrap)
        .i32c(size - 1)
        .op(I.i32and, I.br_if, 0);
    if (mmuOn) tlbLookup(c, L, VA, VPN, E, EV, store ? 2 : 1);
    else c.op(I.lget, VA);
    c.op(I.lset, PA);
    for (const ram of L.rams) {
      inRam(c, ram, PA, OFF, store);
      if (store) {
        c.op(I.lget, OFF, I.i32wrap, I.lget, V).mem(STORE_OPS[lg]!, lg, ram.off);
        c.i32c(0)
          .i32c(1)
          .mem(I.i32store, 2, L.rb + ST_STORED)
          .op(I.return);
      } else c.op(I.lget, OFF, I.i32wrap).mem(LOAD_OPS[lg]!, lg, ram.off).op(I.return);
      c.op(I.end);
    }
    c.op(I.end);
  }
  // slow path: the CPU's helper (faults, devices, TLB misses, code invalidation)
  c.i32c(0)
    .op(I.lget, POS)
    .mem(I.i32store, 2, L.rb + ST_POS);
  c.i32c(lg).op(I.lget, VA, I.i32wrap, I.lget, VA).i64c(32).op(I.i64shru, I.i32wrap);
  if (store) {
    c.op(I.lget, V, I.i32wrap, I.lget, V).i64c(32).op(I.i64shru, I.i32wrap);
    c.op(I.call, R_ST_JS);
  } else c.op(I.call, R_LD_JS);
  // ST_LV |= leave bits
  c.op(I.lset, E)
    .i32c(0)
    .i32c(0)
    .mem(I.i32load, 2, L.rb + ST_LV)
    .op(I.lget, E, I.i32or);
  c.mem(I.i32store, 2, L.rb + ST_LV);
  if (!store) c.i32c(0).mem(I.i64load, 3, L.rb + ST_SCR);
  c.op(I.end);
  return c;
}

/**
 * DC ZVA's fast path (`(va) -> 1` when done, 0 for the CPU's system path): the 64 bytes at the
 * 64-byte-aligned `va`, when the soft TLB (MMU on) allows writing there and they lie in an arena
 * RAM region, on a page without decoded code: zeroed, as the interpreter's eight 64-bit stores.
 */
function zvaHelper(mmuOn: boolean, L: WasmLayout): Bytes {
  const c = new Bytes();
  const VA = 0,
    VPN = 1,
    E = 2,
    EV = 3,
    OFF = 4;
  c.u32(3).u32(1).op(T_I64).u32(1).op(T_I32).u32(2).op(T_I64);
  c.op(I.block, VOID);
  if (mmuOn) {
    tlbLookup(c, L, VA, VPN, E, EV, 2);
    c.op(I.lset, VA);
  }
  for (const ram of L.rams) {
    inRam(c, ram, VA, OFF, true);
    for (let k = 0; k < 64; k += 8)
      c.op(I.lget, OFF, I.i32wrap)
        .i64c(0)
        .mem(I.i64store, 3, ram.off + k);
    c.i32c(0)
      .i32c(1)
      .mem(I.i32store, 2, L.rb + ST_STORED);
    c.i32c(1).op(I.return, I.end);
  }
  c.op(I.end).i32c(0).op(I.end);
  return c;
}

/** Emits the code of a region's main function. */
class RegionGen {
  readonly c = new Bytes();
  /** Open structured blocks between the current code and the member dispatch loop. */
  depth = 0;

  constructor(
    readonly L: WasmLayout,
    readonly members: JitBlock[],
    readonly index: Map<number, number>,
    readonly maxN: number,
    readonly entryOff: number,
  ) {}

  /** Pushes register slot `s` as i64. */
  getR(s: number): void {
    if (s === SLOT_ZR) this.c.i64c(0);
    else this.c.i32c(0).mem(I.i64load, 3, this.L.rb + 4 * s);
  }
  /** Pushes the low 32 bits of register slot `s` as i32. */
  getR32(s: number): void {
    if (s === SLOT_ZR) this.c.i32c(0);
    else this.c.i32c(0).mem(I.i32load, 2, this.L.rb + 4 * s);
  }
  /** Stores the i64 pushed by `value` into slot `d`. */
  setR(d: number, value: () => void): void {
    this.c.i32c(0);
    value();
    this.c.mem(I.i64store, 3, this.L.rb + 4 * d);
  }
  getFlag(f: number): void {
    this.c.i32c(0).mem(I.i32load, 2, this.L.rb + ST_FLAGS + 4 * f);
  }
  setFlag(f: number, value: () => void): void {
    this.c.i32c(0);
    value();
    this.c.mem(I.i32store, 2, this.L.rb + ST_FLAGS + 4 * f);
  }
  /** Pushes condition `cc` (A64 encoding) as i32 0/1. */
  cond(cc: number): void {
    const c = this.c;
    switch (cc >> 1) {
      case 0:
        this.getFlag(1);
        break;
      case 1:
        this.getFlag(2);
        break;
      case 2:
        this.getFlag(0);
        break;
      case 3:
        this.getFlag(3);
        break;
      case 4:
        this.getFlag(2);
        this.getFlag(1);
        c.op(I.i32eqz, I.i32and);
        break;
      case 5:
        this.getFlag(0);
        this.getFlag(3);
        c.op(I.i32eq);
        break;
      case 6:
        this.getFlag(0);
        this.getFlag(3);
        c.op(I.i32eq);
        this.getFlag(1);
        c.op(I.i32eqz, I.i32and);
        break;
      default:
        c.i32c(1);
        return;
    }
    if (cc & 1) c.op(I.i32eqz);
  }

  /**
   * Add with carry into slot `d`: operands pushed as i64 by `a` and `b` (b already inverted for
   * a subtraction), carry-in 0, 1 or the C flag; 32-bit when `sf` is 0.
   */
  addc(
    d: number,
    a: () => void,
    b: () => void,
    cin: 0 | 1 | 'C',
    sf: number,
    flags: boolean,
  ): void {
    const c = this.c;
    if (cin === 'C') {
      this.getFlag(2);
      c.op(I.lset, L_CI);
    }
    if (sf) {
      a();
      c.op(I.lset, L_A);
      b();
      c.op(I.ltee, L_B, I.lget, L_A, I.i64add);
      if (cin === 1) c.i64c(1).op(I.i64add);
      else if (cin === 'C') c.op(I.lget, L_CI, I.i64extendu, I.i64add);
      c.op(I.lset, L_R);
      if (d !== SLOT_SINK) this.setR(d, () => c.op(I.lget, L_R));
      if (!flags) return;
      this.setFlag(0, () => c.op(I.lget, L_R).i64c(63).op(I.i64shru, I.i32wrap));
      this.setFlag(1, () => c.op(I.lget, L_R, I.i64eqz));
      this.setFlag(2, () => {
        if (cin === 0) c.op(I.lget, L_R, I.lget, L_A, I.i64ltu);
        else if (cin === 1) c.op(I.lget, L_R, I.lget, L_A, I.i64leu);
        else {
          c.op(I.lget, L_R, I.lget, L_A, I.i64leu, I.lget, L_R, I.lget, L_A, I.i64ltu);
          c.op(I.lget, L_CI, 0x1b); // select
        }
      });
      this.setFlag(3, () => {
        c.op(I.lget, L_A, I.lget, L_R, I.i64xor, I.lget, L_B, I.lget, L_R, I.i64xor, I.i64and);
        c.i64c(63).op(I.i64shru, I.i32wrap);
      });
      return;
    }
    a();
    c.op(I.i32wrap, I.lset, L_A32);
    b();
    c.op(I.i32wrap, I.ltee, L_B32, I.lget, L_A32, I.i32add);
    if (cin === 1) c.i32c(1).op(I.i32add);
    else if (cin === 'C') c.op(I.lget, L_CI, I.i32add);
    c.op(I.lset, L_R32);
    if (d !== SLOT_SINK) this.setR(d, () => c.op(I.lget, L_R32, I.i64extendu));
    if (!flags) return;
    this.setFlag(0, () => c.op(I.lget, L_R32).i32c(31).op(I.i32shru));
    this.setFlag(1, () => c.op(I.lget, L_R32, I.i32eqz));
    this.setFlag(2, () => {
      if (cin === 0)
        c.op(I.lget, L_R32, I.lget, L_A32, 0x49); // i32.lt_u
      else if (cin === 1) c.op(I.lget, L_R32, I.lget, L_A32, I.i32leu);
      else {
        c.op(I.lget, L_R32, I.lget, L_A32, I.i32leu, I.lget, L_R32, I.lget, L_A32, 0x49);
        c.op(I.lget, L_CI, 0x1b);
      }
    });
    this.setFlag(3, () => {
      c.op(I.lget, L_A32, I.lget, L_R32, I.i32xor, I.lget, L_B32, I.lget, L_R32, I.i32xor);
      c.op(I.i32and).i32c(31).op(I.i32shru);
    });
  }

  /** Flags of a logical operation on the i64 in L_T (N from bit 63 or 31). */
  logicFlags(sf: number): void {
    const c = this.c;
    this.setFlag(0, () =>
      c
        .op(I.lget, L_T)
        .i64c(sf ? 63 : 31)
        .op(I.i64shru, I.i32wrap)
        .i32c(1)
        .op(I.i32and),
    );
    this.setFlag(1, () => c.op(I.lget, L_T, I.i64eqz));
    this.setFlag(2, () => c.i32c(0));
    this.setFlag(3, () => c.i32c(0));
  }

  /** Pushes register `s` shifted by a constant (A64 shift type), as i64 (zero-extended when 32-bit). */
  shifted(s: number, type: number, n: number, sf: number): void {
    const c = this.c;
    if (sf) {
      this.getR(s);
      if (n !== 0) c.i64c(n).op([I.i64shl, I.i64shru, I.i64shrs, I.i64rotr][type]!);
      return;
    }
    this.getR32(s);
    if (n !== 0) c.i32c(n).op([I.i32shl, I.i32shru, I.i32shrs, I.i32rotr][type]!);
    c.op(I.i64extendu);
  }

  /** Pushes the extended register operand (option, left shift 0..4) as i64. */
  extended(s: number, option: number, amount: number): void {
    const c = this.c;
    this.getR(s);
    switch (option) {
      case 0:
        c.i64c(0xff).op(I.i64and);
        break;
      case 1:
        c.i64c(0xffff).op(I.i64and);
        break;
      case 2:
        c.i64c(0xffffffff).op(I.i64and);
        break;
      case 4:
        c.op(I.i64ext8s);
        break;
      case 5:
        c.op(I.i64ext16s);
        break;
      case 6:
        c.op(I.i64ext32s);
        break;
      default:
        break;
    }
    if (amount > 0) c.i64c(amount).op(I.i64shl);
  }

  /** Effective address of a load/store op into L_VA. */
  address(ops: Int32Array, o: number): void {
    const c = this.c;
    const rn = ops[o + 2]!,
      mode = ops[o + 5]!,
      imm = ops[o + 4]!;
    this.getR(rn);
    if (mode === 3) {
      this.extended(ops[o + 3]!, ops[o + 6]!, ops[o + 7]!);
      c.op(I.i64add);
    } else if (mode !== 2 && imm !== 0) c.i64c(imm).op(I.i64add);
    c.op(I.lset, L_VA);
  }
  /** Base register writeback of a pre/post-indexed access. */
  writeback(ops: Int32Array, o: number): void {
    const rn = ops[o + 2]!,
      mode = ops[o + 5]!,
      imm = ops[o + 4]!;
    if (mode === 1) this.setR(rn, () => this.c.op(I.lget, L_VA));
    else if (mode === 2) this.setR(rn, () => this.c.op(I.lget, L_VA).i64c(imm).op(I.i64add));
  }
  /** Pushes a load of 2^lg bytes at L_VA (+ `add`) as zero-extended i64. */
  load(lg: number, pos: number, add = 0): void {
    this.c.op(I.lget, L_VA);
    if (add) this.c.i64c(add).op(I.i64add);
    this.c.i32c(pos).op(I.call, F_LD + lg);
  }
  /** Stores local `v` (2^lg low bytes) at L_VA (+ `add`). */
  store(lg: number, v: number, pos: number, add = 0): void {
    this.c.op(I.lget, L_VA);
    if (add) this.c.i64c(add).op(I.i64add);
    this.c
      .op(I.lget, v)
      .i32c(pos)
      .op(I.call, F_ST + lg);
  }

  /** Pushes the i64 address of instruction k of member j. */
  pc(j: number, k: number, add = 0): void {
    const rel = this.members[j]!.pa - this.members[0]!.pa;
    this.c.op(I.lget, L_PB);
    const d = rel + k * 4 + add;
    if (d !== 0) this.c.i64c(d).op(I.i64add);
  }
  cntAdd(n: number): void {
    this.c
      .i32c(0)
      .i32c(0)
      .mem(I.i32load, 2, this.L.rb + ST_CNT)
      .i32c(n)
      .op(I.i32add);
    this.c.mem(I.i32store, 2, this.L.rb + ST_CNT);
  }
  /** Leaves the function with status 0, `count` more instructions done, PC pushed by `pc`. */
  exit(count: number, pc: () => void): void {
    this.c.i32c(0);
    pc();
    this.c.mem(I.i64store, 3, this.L.rb + ST_PC);
    this.cntAdd(count);
    this.c.i32c(0).op(I.return);
  }
  /** Leaves instruction k of member j for the address `pc(j, k, delta)`: a member or an exit. */
  leave(j: number, k: number, delta: number): void {
    const rel = this.members[j]!.pa - this.members[0]!.pa;
    const off = this.entryOff + rel + k * 4 + delta;
    const t = off >= 0 && off < 4096 ? this.index.get(off) : undefined;
    const c = this.c;
    if (t === undefined) {
      this.exit(k + 1, () => this.pc(j, k, delta));
      return;
    }
    this.cntAdd(k + 1);
    // back to the run loop when a callout asked for it or the budget ends in the next member
    c.i32c(0)
      .mem(I.i32load, 2, this.L.rb + ST_LV)
      .i32c(0)
      .mem(I.i32load, 2, this.L.rb + ST_CNT)
      .i32c(this.maxN);
    c.op(I.i32add, I.lget, P_BUDGET, I.i32gts, I.i32or, I.if, VOID);
    this.c.i32c(0);
    this.pc(j, k, delta);
    this.c.mem(I.i64store, 3, this.L.rb + ST_PC);
    c.i32c(0).op(I.return, I.end);
    c.i32c(t).op(I.lset, L_P, I.br, this.depth);
  }
  /**
   * Instruction `pos` through the CPU's system path (the block ends there; the CPU sets PC
   * and count): status 3.
   */
  sysCall(pos: number): void {
    this.c.i32c(pos).op(I.call, F_SYS, I.drop).i32c(3).op(I.return);
  }
  /** After a store: leave at once when the store wrote decoded code. */
  dirtyCheck(j: number, k: number): void {
    const c = this.c;
    c.i32c(0)
      .mem(I.i32load, 2, this.L.rb + ST_LV)
      .i32c(LEAVE_NOW)
      .op(I.i32and, I.if, VOID);
    this.depth++;
    this.exit(k + 1, () => this.pc(j, k, 4));
    this.depth--;
    c.op(I.end);
  }

  /** Byte-swap step: (x >> s) & m | (x & m) << s on the i64 on the stack. */
  swap(s: number, m: bigint): void {
    const c = this.c;
    c.op(I.ltee, L_T).i64c(s).op(I.i64shru).i64c(m).op(I.i64and);
    c.op(I.lget, L_T).i64c(m).op(I.i64and).i64c(s).op(I.i64shl, I.i64or);
  }

  /** Emits member j (`depth` = its distance to the dispatch loop). */
  member(j: number): void {
    const m = this.members[j]!;
    const ops = m.ops,
      c = this.c;
    for (let k = 0; k < m.n; k++) {
      const o = k * STRIDE;
      const op = ops[o]!,
        rd = ops[o + 1]!,
        rn = ops[o + 2]!,
        rm = ops[o + 3]!;
      const a = ops[o + 4]!,
        b = ops[o + 5]!,
        sf = ops[o + 6]!,
        d7 = ops[o + 7]!;
      const pos = (j << 16) | k;
      const inv = (f: () => void) => () => {
        f();
        c.i64c(-1).op(I.i64xor);
      };
      switch (op) {
        case OP.NOP:
          break;
        case OP.ADD_I:
        case OP.SUB_I:
          this.setR(rd, () => {
            this.getR(rn);
            c.i64c(a).op(op === OP.ADD_I ? I.i64add : I.i64sub);
            if (!sf) c.i64c(0xffffffff).op(I.i64and);
          });
          break;
        case OP.ADDS_I:
          this.addc(
            rd,
            () => this.getR(rn),
            () => c.i64c(a),
            0,
            sf,
            true,
          );
          break;
        case OP.SUBS_I:
          this.addc(
            rd,
            () => this.getR(rn),
            () => c.i64c(~BigInt(a)),
            1,
            sf,
            true,
          );
          break;
        case OP.ADD_R:
        case OP.ADDS_R:
        case OP.SUB_R:
        case OP.SUBS_R: {
          const sub = op === OP.SUB_R || op === OP.SUBS_R;
          const operand = () => this.shifted(rm, a, b, sf);
          this.addc(
            rd,
            () => this.getR(rn),
            sub ? inv(operand) : operand,
            sub ? 1 : 0,
            sf,
            op === OP.ADDS_R || op === OP.SUBS_R,
          );
          break;
        }
        case OP.ADD_X:
        case OP.ADDS_X:
        case OP.SUB_X:
        case OP.SUBS_X: {
          const sub = op === OP.SUB_X || op === OP.SUBS_X;
          const operand = () => this.extended(rm, a, b);
          this.addc(
            rd,
            () => this.getR(rn),
            sub ? inv(operand) : operand,
            sub ? 1 : 0,
            sf,
            op === OP.ADDS_X || op === OP.SUBS_X,
          );
          break;
        }
        case OP.ADC:
        case OP.ADCS:
        case OP.SBC:
        case OP.SBCS: {
          const sub = op === OP.SBC || op === OP.SBCS;
          const operand = () => this.getR(rm);
          this.addc(
            rd,
            () => this.getR(rn),
            sub ? inv(operand) : operand,
            'C',
            sf,
            op === OP.ADCS || op === OP.SBCS,
          );
          break;
        }
        case OP.AND_I:
        case OP.ORR_I:
        case OP.EOR_I:
        case OP.ANDS_I: {
          const mask = (BigInt(b >>> 0) << 32n) | BigInt(a >>> 0);
          this.getR(rn);
          c.i64c(sf ? mask : mask & 0xffffffffn);
          c.op(op === OP.ORR_I ? I.i64or : op === OP.EOR_I ? I.i64xor : I.i64and);
          if (!sf) c.i64c(0xffffffff).op(I.i64and);
          c.op(I.lset, L_T);
          if (op === OP.ANDS_I) this.logicFlags(sf);
          this.setR(rd, () => c.op(I.lget, L_T));
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
          const { fn: kind, invert, flags } = logicalReg(op);
          const w = kind === 'orr' ? I.i64or : kind === 'eor' ? I.i64xor : I.i64and;
          this.getR(rn);
          this.shifted(rm, a, b, sf);
          if (invert) c.i64c(-1).op(I.i64xor);
          c.op(w);
          if (!sf) c.i64c(0xffffffff).op(I.i64and);
          c.op(I.lset, L_T);
          if (flags) this.logicFlags(sf);
          this.setR(rd, () => c.op(I.lget, L_T));
          break;
        }
        case OP.MOV_R:
          this.setR(rd, () => {
            this.getR(rm);
            if (!sf) c.i64c(0xffffffff).op(I.i64and);
          });
          break;
        case OP.MOVI:
          this.setR(rd, () => c.i64c((BigInt(b >>> 0) << 32n) | BigInt(a >>> 0)));
          break;
        case OP.MOVK:
          this.setR(rd, () => {
            this.getR(rd);
            c.i64c(~(0xffffn << BigInt(a))).op(I.i64and);
            c.i64c(BigInt(b & 0xffff) << BigInt(a)).op(I.i64or);
            if (!sf) c.i64c(0xffffffff).op(I.i64and);
          });
          break;
        case OP.ADR:
          this.setR(rd, () => {
            this.pc(j, k);
            if (sf) c.i64c(~0xfffn).op(I.i64and);
            c.i64c((BigInt(b) << 32n) + BigInt(a >>> 0)).op(I.i64add);
          });
          break;
        case OP.LSL_I:
        case OP.LSR_I:
        case OP.ASR_I:
          this.setR(rd, () => this.shifted(rn, op - OP.LSL_I, a, sf));
          break;
        case OP.SBFM:
        case OP.BFM:
        case OP.UBFM: {
          const packed = rm;
          const r = packed & 63,
            s = (packed >>> 8) & 63,
            wide = (packed >>> 16) & 1,
            rdSrc = packed >>> 17;
          const wmask = (BigInt(b >>> 0) << 32n) | BigInt(a >>> 0);
          const tmask = (BigInt(d7 >>> 0) << 32n) | BigInt(sf >>> 0);
          // rot -> L_R, dst -> L_B, bot -> L_A, top -> L_T
          if (wide) {
            this.getR(rn);
            if (r) c.i64c(r).op(I.i64rotr);
          } else {
            this.getR32(rn);
            if (r) c.i32c(r).op(I.i32rotr);
            c.op(I.i64extendu);
          }
          c.op(I.lset, L_R);
          if (op === OP.BFM) {
            this.getR(rdSrc);
            if (!wide) c.i64c(0xffffffff).op(I.i64and);
          } else c.i64c(0);
          c.op(I.lset, L_B);
          c.op(I.lget, L_B).i64c(~wmask).op(I.i64and, I.lget, L_R).i64c(wmask).op(I.i64and);
          c.op(I.i64or, I.lset, L_A);
          if (op === OP.SBFM) {
            c.i64c(0);
            this.getR(rn);
            c.i64c(s).op(I.i64shru).i64c(1).op(I.i64and, I.i64sub);
            if (!wide) c.i64c(0xffffffff).op(I.i64and);
          } else c.op(I.lget, L_B);
          c.op(I.lset, L_T);
          this.setR(rd, () => {
            c.op(I.lget, L_T).i64c(~tmask).op(I.i64and, I.lget, L_A).i64c(tmask).op(I.i64and);
            c.op(I.i64or);
            if (!wide) c.i64c(0xffffffff).op(I.i64and);
          });
          break;
        }
        case OP.EXTR:
          this.setR(rd, () => {
            if (sf) {
              this.getR(rm);
              if (a !== 0) {
                c.i64c(a).op(I.i64shru);
                this.getR(rn);
                c.i64c(64 - a).op(I.i64shl, I.i64or);
              }
            } else {
              this.getR32(rm);
              if (a !== 0) {
                c.i32c(a).op(I.i32shru);
                this.getR32(rn);
                c.i32c(32 - a).op(I.i32shl, I.i32or);
              }
              c.op(I.i64extendu);
            }
          });
          break;
        case OP.CCMP_R:
        case OP.CCMN_R:
        case OP.CCMP_I:
        case OP.CCMN_I: {
          const imm = op === OP.CCMP_I || op === OP.CCMN_I;
          const sub = op === OP.CCMP_R || op === OP.CCMP_I;
          const operand = imm ? () => c.i64c(a) : () => this.getR(rm);
          this.cond(b);
          c.op(I.if, VOID);
          this.addc(
            SLOT_SINK,
            () => this.getR(rn),
            sub ? inv(operand) : operand,
            sub ? 1 : 0,
            sf,
            true,
          );
          c.op(I.else);
          for (let f = 0; f < 4; f++) this.setFlag(f, () => c.i32c((d7 >> (3 - f)) & 1));
          c.op(I.end);
          break;
        }
        case OP.CSEL:
        case OP.CSINC:
        case OP.CSINV:
        case OP.CSNEG:
          this.setR(rd, () => {
            this.cond(b);
            c.op(I.if, T_I64);
            this.getR(rn);
            c.op(I.else);
            if (op === OP.CSNEG) c.i64c(0);
            this.getR(rm);
            if (op === OP.CSINC) c.i64c(1).op(I.i64add);
            else if (op === OP.CSINV) c.i64c(-1).op(I.i64xor);
            else if (op === OP.CSNEG) c.op(I.i64sub);
            c.op(I.end);
            if (!sf) c.i64c(0xffffffff).op(I.i64and);
          });
          break;
        case OP.REV16:
        case OP.REV32:
        case OP.REV:
        case OP.RBIT:
          this.setR(rd, () => {
            this.getR(rn);
            if (!sf && op !== OP.REV32) c.i64c(0xffffffff).op(I.i64and);
            if (op === OP.RBIT) {
              this.swap(1, 0x5555555555555555n);
              this.swap(2, 0x3333333333333333n);
              this.swap(4, 0x0f0f0f0f0f0f0f0fn);
            }
            this.swap(8, 0x00ff00ff00ff00ffn);
            if (op !== OP.REV16) this.swap(16, 0x0000ffff0000ffffn);
            // 64-bit REV and RBIT: the two words reversed in place, then swapped
            if ((op === OP.REV || op === OP.RBIT) && sf) c.i64c(32).op(I.i64rotr);
          });
          break;
        case OP.CLZ:
        case OP.CLS:
          this.setR(rd, () => {
            if (sf) {
              this.getR(rn);
              if (op === OP.CLS) c.op(I.ltee, L_T).op(I.lget, L_T).i64c(63).op(I.i64shrs, I.i64xor);
              c.op(I.i64clz);
              if (op === OP.CLS) c.i64c(1).op(I.i64sub);
            } else {
              this.getR32(rn);
              if (op === OP.CLS)
                c.op(I.ltee, L_R32, I.lget, L_R32).i32c(31).op(I.i32shrs, I.i32xor);
              c.op(I.i32clz);
              if (op === OP.CLS) c.i32c(1).op(I.i32sub);
              c.op(I.i64extendu);
            }
          });
          break;
        case OP.UDIV:
        case OP.SDIV:
          // A64: x / 0 = 0, INT_MIN / -1 = INT_MIN (WebAssembly traps on both)
          this.setR(rd, () => {
            if (sf) {
              this.getR(rm);
              c.op(I.ltee, L_B, I.i64eqz, I.if, T_I64).i64c(0).op(I.else);
              if (op === OP.SDIV) {
                c.op(I.lget, L_B).i64c(-1).op(I.i64eq, I.if, T_I64).i64c(0);
                this.getR(rn);
                c.op(I.i64sub, I.else);
                this.getR(rn);
                c.op(I.lget, L_B, I.i64divs, I.end);
              } else {
                this.getR(rn);
                c.op(I.lget, L_B, I.i64divu);
              }
              c.op(I.end);
            } else {
              this.getR32(rm);
              c.op(I.ltee, L_B32, I.i32eqz, I.if, T_I32).i32c(0).op(I.else);
              if (op === OP.SDIV) {
                c.op(I.lget, L_B32).i32c(-1).op(I.i32eq, I.if, T_I32).i32c(0);
                this.getR32(rn);
                c.op(I.i32sub, I.else);
                this.getR32(rn);
                c.op(I.lget, L_B32, I.i32divs, I.end);
              } else {
                this.getR32(rn);
                c.op(I.lget, L_B32, I.i32divu);
              }
              c.op(I.end, I.i64extendu);
            }
          });
          break;
        case OP.LSLV:
        case OP.LSRV:
        case OP.ASRV:
        case OP.RORV: {
          const t = op - OP.LSLV;
          this.setR(rd, () => {
            if (sf) {
              this.getR(rn);
              this.getR(rm);
              c.op([I.i64shl, I.i64shru, I.i64shrs, I.i64rotr][t]!);
            } else {
              this.getR32(rn);
              this.getR32(rm);
              c.op([I.i32shl, I.i32shru, I.i32shrs, I.i32rotr][t]!, I.i64extendu);
            }
          });
          break;
        }
        case OP.MADD:
        case OP.MSUB:
          this.setR(rd, () => {
            this.getR(a);
            this.getR(rn);
            this.getR(rm);
            c.op(I.i64mul, op === OP.MADD ? I.i64add : I.i64sub);
            if (!sf) c.i64c(0xffffffff).op(I.i64and);
          });
          break;
        case OP.SMADDL:
        case OP.SMSUBL:
        case OP.UMADDL:
        case OP.UMSUBL: {
          const ext = op === OP.SMADDL || op === OP.SMSUBL ? I.i64extends : I.i64extendu;
          this.setR(rd, () => {
            this.getR(a);
            this.getR32(rn);
            c.op(ext);
            this.getR32(rm);
            c.op(ext, I.i64mul, op === OP.SMADDL || op === OP.UMADDL ? I.i64add : I.i64sub);
          });
          break;
        }

        // ---- loads and stores (the helpers take the fast path or call out)
        case OP.LDRX:
        case OP.LDRW:
        case OP.LDRSW:
        case OP.LDRH:
        case OP.LDRSH_W:
        case OP.LDRSH_X:
        case OP.LDRB:
        case OP.LDRSB_W:
        case OP.LDRSB_X: {
          const lg =
            op === OP.LDRX
              ? 3
              : op === OP.LDRW || op === OP.LDRSW
                ? 2
                : op === OP.LDRB || op === OP.LDRSB_W || op === OP.LDRSB_X
                  ? 0
                  : 1;
          this.address(ops, o);
          this.load(lg, pos);
          if (op === OP.LDRSW) c.op(I.i64ext32s);
          else if (op === OP.LDRSH_X) c.op(I.i64ext16s);
          else if (op === OP.LDRSB_X) c.op(I.i64ext8s);
          else if (op === OP.LDRSH_W) c.op(I.i64ext16s).i64c(0xffffffff).op(I.i64and);
          else if (op === OP.LDRSB_W) c.op(I.i64ext8s).i64c(0xffffffff).op(I.i64and);
          c.op(I.lset, L_V1);
          this.writeback(ops, o);
          this.setR(rd, () => c.op(I.lget, L_V1));
          break;
        }
        case OP.STRX:
        case OP.STRW:
        case OP.STRH:
        case OP.STRB: {
          const lg = op === OP.STRX ? 3 : op === OP.STRW ? 2 : op === OP.STRH ? 1 : 0;
          this.getR(rd);
          c.op(I.lset, L_V1);
          this.address(ops, o);
          this.store(lg, L_V1, pos);
          this.writeback(ops, o);
          this.dirtyCheck(j, k);
          break;
        }
        case OP.LDP_X:
        case OP.LDP_W:
        case OP.LDPSW: {
          const lg = op === OP.LDP_X ? 3 : 2;
          this.address(ops, o);
          this.load(lg, pos);
          if (op === OP.LDPSW) c.op(I.i64ext32s);
          c.op(I.lset, L_V1);
          this.load(lg, pos, 1 << lg);
          if (op === OP.LDPSW) c.op(I.i64ext32s);
          c.op(I.lset, L_V2);
          this.writeback(ops, o);
          this.setR(rd, () => c.op(I.lget, L_V1));
          this.setR(rm, () => c.op(I.lget, L_V2));
          break;
        }
        case OP.STP_X:
        case OP.STP_W: {
          const lg = op === OP.STP_X ? 3 : 2;
          this.getR(rd);
          c.op(I.lset, L_V1);
          this.getR(rm);
          c.op(I.lset, L_V2);
          this.address(ops, o);
          this.store(lg, L_V1, pos);
          this.store(lg, L_V2, pos, 1 << lg);
          this.writeback(ops, o);
          this.dirtyCheck(j, k);
          break;
        }
        case OP.LDR_LIT:
          this.pc(j, k);
          c.i64c(a).op(I.i64add, I.lset, L_VA);
          this.load(sf === 1 ? 3 : 2, pos);
          if (sf === 2) c.op(I.i64ext32s);
          c.op(I.lset, L_V1);
          this.setR(rd, () => c.op(I.lget, L_V1));
          break;
        case OP.MRS:
          // the common registers through the CPU's fast MRS; NZCV, counters, traps and the
          // undefined ones end the block in the CPU's system path, as in the interpreter
          if (a === NZCV_KEY) {
            this.sysCall(pos);
            return;
          }
          c.i32c(a).i32c(rd).op(I.call, F_MRS, I.i32eqz, I.if, VOID);
          this.sysCall(pos);
          c.op(I.end);
          break;

        // ---- the interpreter's cold operations (divides aside), one at a time in the CPU
        case OP.CRC32:
        case OP.SMULH:
        case OP.UMULH:
        case OP.LDXR:
        case OP.LDXP:
        case OP.STXR:
        case OP.STXP:
        case OP.CLREX:
        case OP.LSE_AMO:
        case OP.LSE_CAS:
        case OP.LSE_CASP:
        case OP.SIMD:
          c.i32c(pos).op(I.call, F_COLD, I.if, VOID).i32c(3).op(I.return, I.end);
          break;

        // ---- system instructions done here or through a call that lets the block go on (the
        // rest end the block in the CPU's system path, see the default case)
        case OP.MSR:
          if (!MSR_CONTINUES.has(a)) {
            this.sysCall(pos);
            return;
          }
          // registers that do not change translation, interrupts or flags (as the JS JIT)
          c.i32c(a).i32c(rn).op(I.call, F_MSR, I.i32eqz, I.if, VOID);
          this.sysCall(pos);
          c.op(I.end);
          break;
        case OP.ISB:
          break; // it only ends the block, which a block boundary here does as well
        case OP.SYS: {
          const op1 = (a >>> 11) & 7,
            crn = (a >>> 7) & 15,
            crm = (a >>> 3) & 15,
            op2 = a & 7;
          if (crn === 7 && op1 === 3 && crm === 4 && op2 === 1) {
            // DC ZVA: zeroed here when it is plain RAM; faults, devices and code through the CPU
            this.getR(rn);
            c.i64c(-64).op(I.i64and, I.call, F_ZVA, I.i32eqz, I.if, VOID);
            this.sysCall(pos);
            c.op(I.end);
          } else if (crn === 7 && op1 === 3 && crm !== 5) {
            // DC CVAC/CVAU/CIVAC/CVAP at any EL: no caches, nothing to do
          } else {
            this.sysCall(pos);
            return;
          }
          break;
        }

        // ---- branches (block terminators)
        case OP.B:
        case OP.BL:
          if (op === OP.BL) this.setR(60, () => this.pc(j, k, 4));
          this.leave(j, k, a);
          return;
        case OP.BCOND:
        case OP.CBZ:
        case OP.CBNZ:
        case OP.TBZ:
        case OP.TBNZ: {
          if (op === OP.BCOND) this.cond(b);
          else if (op === OP.CBZ || op === OP.CBNZ) {
            if (sf) {
              this.getR(rd);
              c.op(I.i64eqz);
            } else {
              this.getR32(rd);
              c.op(I.i32eqz);
            }
            if (op === OP.CBNZ) c.op(I.i32eqz);
          } else {
            this.getR(rd);
            c.i64c(b).op(I.i64shru, I.i32wrap).i32c(1).op(I.i32and);
            if (op === OP.TBZ) c.op(I.i32eqz);
          }
          c.op(I.if, VOID);
          this.depth++;
          this.leave(j, k, a);
          this.depth--;
          c.op(I.end);
          this.leave(j, k, 4);
          return;
        }
        case OP.BR:
        case OP.BLR:
        case OP.RET:
          this.getR(rn);
          c.op(I.lset, L_T);
          if (op === OP.BLR) this.setR(60, () => this.pc(j, k, 4));
          this.exit(k + 1, () => c.op(I.lget, L_T));
          return;
        default:
          // system instructions and exceptions: the CPU's system path, which ends the block
          this.sysCall(pos);
          return;
      }
    }
    this.leave(j, m.n - 1, 4);
  }
}

/** NZCV: kept in the state block by this tier, so MRS of it goes to the interpreter. */
const NZCV_KEY = sysRegKey(3, 3, 4, 2, 0);

/** Most blocks in one WebAssembly region. */
const WASM_MEMBERS = 8;

/**
 * Generates the main function of the region entered at `entry` (to be assembled with others by
 * {@link assembleWasmBatch}).
 * @param entry - the entry block.
 * @param lookup - decoded blocks by physical address (candidates for the region).
 * @param layout - the arena layout of the CPU.
 * @param mmuOn - whether the region's loads and stores translate through the soft TLB.
 * @returns the region.
 */
export function generateWasmRegion(
  entry: JitBlock,
  lookup: (pa: number) => JitBlock | undefined,
  layout: WasmLayout,
  mmuOn: boolean,
): WasmRegion {
  // every operation is translated (the rare ones as calls into the CPU)
  const members = collectRegion(entry, lookup, WASM_MEMBERS);
  const index = new Map<number, number>();
  const entryOff = entry.pa % 4096;
  members.forEach((m, j) => index.set(m.pa % 4096, j));
  const maxN = Math.max(...members.map((m) => m.n));
  const g = new RegionGen(layout, members, index, maxN, entryOff);
  const c = g.c;
  // locals: 5 i32, 8 i64
  c.u32(2).u32(5).op(T_I32).u32(8).op(T_I64);
  // pb = pcHi:pcLo
  c.op(I.lget, P_PBH, I.i64extendu).i64c(32).op(I.i64shl, I.lget, P_PBL, I.i64extendu, I.i64or);
  c.op(I.lset, L_PB);
  // loop { block_{M-1} { ... block_0 { br_table } member 0 } member 1 ... }
  const M = members.length;
  c.op(I.loop, VOID);
  for (let j = 0; j < M; j++) c.op(I.block, VOID);
  c.op(I.lget, L_P, I.br_table).u32(M - 1);
  for (let j = 0; j < M - 1; j++) c.u32(j);
  c.u32(M - 1);
  for (let j = 0; j < M; j++) {
    c.op(I.end);
    g.depth = M - 1 - j; // blocks still open around member j; the loop is one further
    g.member(j);
  }
  c.op(I.end, I.unreachable, I.end);
  return {
    code: g.c,
    members,
    rel: members.map((m) => m.pa - entry.pa),
    mmuOn,
  };
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/** A module section: id and contents. */
function section(out: Bytes, id: number, body: Bytes): void {
  out.op(id).vec(body);
}

/** A length-prefixed name. */
function name(b: Bytes, s: string): Bytes {
  b.u32(s.length);
  for (let i = 0; i < s.length; i++) b.op(s.charCodeAt(i));
  return b;
}

/**
 * The function types of both module kinds: 0 main, 1 load helper, 2 store helper, 3 MRS,
 * 4 load callout, 5 store callout, 6 trampoline, 7 cold and system callouts, 8 DC ZVA.
 */
function typeSection(out: Bytes): void {
  const t = new Bytes().u32(9);
  t.op(0x60).u32(3).op(T_I32, T_I32, T_I32).u32(1).op(T_I32);
  t.op(0x60).u32(2).op(T_I64, T_I32).u32(1).op(T_I64);
  t.op(0x60).u32(3).op(T_I64, T_I64, T_I32).u32(0);
  t.op(0x60).u32(2).op(T_I32, T_I32).u32(1).op(T_I32);
  t.op(0x60).u32(3).op(T_I32, T_I32, T_I32).u32(1).op(T_I32);
  t.op(0x60).u32(5).op(T_I32, T_I32, T_I32, T_I32, T_I32).u32(1).op(T_I32);
  t.op(0x60).u32(4).op(T_I32, T_I32, T_I32, T_I32).u32(1).op(T_I32);
  t.op(0x60).u32(1).op(T_I32).u32(1).op(T_I32);
  t.op(0x60).u32(1).op(T_I64).u32(1).op(T_I32);
  section(out, 1, t);
}

/** Names of the runtime's helper exports: loads l0..l3 / stores s0..s3 (MMU on: upper case). */
export function helperNames(mmuOn: boolean): string[] {
  const l = mmuOn ? 'L' : 'l',
    st = mmuOn ? 'S' : 's';
  return [0, 1, 2, 3].map((i) => `${l}${i}`).concat([0, 1, 2, 3].map((i) => `${st}${i}`));
}

/**
 * Builds one module holding the main functions of `regions` (all generated with the same
 * `mmuOn`), exported as `f0`, `f1`, ...; it imports the load/store and DC ZVA helpers of that
 * regime and the callouts from the CPU's runtime module (`e.h0`..`e.h7`, `e.zva`, `e.mrs`,
 * `e.cold`, `e.sys`, `e.msr`). (The caller puts the mains
 * into the runtime's table: a module importing the table would make V8 keep its dispatch
 * table in step with every later table write.)
 * @param regions - the regions.
 * @param arenaPages - size of the arena in 64 KiB pages (the memory import).
 * @returns the module's bytes.
 */
export function assembleWasmBatch(regions: readonly WasmRegion[], arenaPages: number): Uint8Array {
  const out = new Bytes().op(...MAGIC);
  typeSection(out);
  const imports = new Bytes().u32(14);
  name(name(imports, 'e'), 'm').op(0x02, 0x00).u32(arenaPages);
  for (let i = 0; i < 8; i++)
    name(name(imports, 'e'), `h${i}`)
      .op(0x00)
      .u32(i < 4 ? 1 : 2);
  for (const [n, , type] of PASS) name(name(imports, 'e'), n).op(0x00).u32(type);
  name(name(imports, 'e'), 'zva').op(0x00).u32(8);
  section(out, 2, imports);
  const funcs = new Bytes().u32(regions.length);
  for (let i = 0; i < regions.length; i++) funcs.u32(0);
  section(out, 3, funcs);
  const exports = new Bytes().u32(regions.length);
  for (let i = 0; i < regions.length; i++)
    name(exports, `f${i}`)
      .op(0x00)
      .u32(F_MAIN + i);
  section(out, 7, exports);
  const code = new Bytes().u32(regions.length);
  for (const r of regions) code.vec(r.code);
  section(out, 10, code);
  return out.finish();
}

/**
 * The CPU's runtime module: the load/store helpers of both translation regimes (exports
 * {@link helperNames}), DC ZVA's fast path (`z`, `Z`), `mrs`, `cold`, `sys` and `msr` (the CPU's
 * callouts), and the trampoline
 * `t(slot, pcLo, pcHi, budget) -> status`, the one JS-to-WebAssembly call site of the tier.
 * The trampoline runs the region in table slot `slot` and, while it exits with status 0, no
 * callout asked to leave and more than 1024 instructions of the budget are left, goes on with
 * the region the chain cache names for the exit PC (the JS side fills the cache with each
 * region it calls, under the key `ST_KEY` that changes with the translation regime, the EL
 * and any code invalidation). `ST_SLOT` and `ST_ENTRY` name the region that returned.
 * Imports: `e.m` (the arena), `e.ld`, `e.st`, `e.mrs`, `e.cold`, `e.sys`, `e.msr` (JS
 * callouts), `e.t` (the table).
 * @param L - the CPU's arena layout.
 * @param arenaPages - size of the arena in 64 KiB pages.
 * @returns the module's bytes.
 */
export function runtimeModule(L: WasmLayout, arenaPages: number): Uint8Array {
  const out = new Bytes().op(...MAGIC);
  typeSection(out);
  const imports = new Bytes().u32(8);
  name(name(imports, 'e'), 'm').op(0x02, 0x00).u32(arenaPages);
  name(name(imports, 'e'), 'ld').op(0x00).u32(4);
  name(name(imports, 'e'), 'st').op(0x00).u32(5);
  for (const [n, , type] of PASS) name(name(imports, 'e'), n).op(0x00).u32(type);
  name(name(imports, 'e'), 't').op(0x01, 0x70, 0x00).u32(0);
  section(out, 2, imports);
  // functions: 16 helpers, DC ZVA (MMU off, on), the pass-throughs, the trampoline
  const names = [
    ...helperNames(false),
    ...helperNames(true),
    'z',
    'Z',
    ...PASS.map((p) => p[0]),
    't',
  ];
  const funcs = new Bytes().u32(names.length);
  for (let v = 0; v < 2; v++) for (let i = 0; i < 8; i++) funcs.u32(i < 4 ? 1 : 2);
  funcs.u32(8).u32(8);
  for (const [, , type] of PASS) funcs.u32(type);
  funcs.u32(6);
  section(out, 3, funcs);
  const exports = new Bytes().u32(names.length);
  names.forEach((n, i) =>
    name(exports, n)
      .op(0x00)
      .u32(R_HELPERS + i),
  );
  section(out, 7, exports);
  const code = new Bytes().u32(names.length);
  for (const mmuOn of [false, true]) {
    for (let lg = 0; lg < 4; lg++) code.vec(accessHelper(lg, false, mmuOn, L));
    for (let lg = 0; lg < 4; lg++) code.vec(accessHelper(lg, true, mmuOn, L));
  }
  code.vec(zvaHelper(false, L)).vec(zvaHelper(true, L));
  for (const [, idx, type] of PASS) {
    const f = new Bytes().u32(0).op(I.lget, 0);
    if (type === 3) f.op(I.lget, 1);
    code.vec(f.op(I.call, idx, I.end));
  }
  // trampoline: params slot, pbl, pbh, budget; locals pc i64, e i32, status i32
  const t = new Bytes().u32(2).u32(1).op(T_I64).u32(2).op(T_I32);
  const st = (off: number): Bytes => t.i32c(0).mem(I.i32load, 2, L.rb + off);
  t.op(I.block, VOID, I.loop, VOID);
  t.i32c(0)
    .op(I.lget, 0)
    .mem(I.i32store, 2, L.rb + ST_SLOT);
  t.i32c(0).op(I.lget, 2, I.i64extendu).i64c(32).op(I.i64shl, I.lget, 1, I.i64extendu, I.i64or);
  t.mem(I.i64store, 3, L.rb + ST_ENTRY);
  t.op(I.lget, 1, I.lget, 2, I.lget, 3, I.lget, 0, 0x11).u32(0).u32(0);
  t.op(I.ltee, 6, I.if, VOID, I.lget, 6, I.return, I.end);
  st(ST_LV).op(I.br_if, 1);
  st(ST_CNT).i32c(1024).op(I.i32add, I.lget, 3, I.i32gts, I.br_if, 1);
  t.i32c(0)
    .mem(I.i64load, 3, L.rb + ST_PC)
    .op(I.ltee, 4, I.i32wrap)
    .i32c(2)
    .op(I.i32shru);
  t.i32c(CHAIN_ENTRIES - 1)
    .op(I.i32and)
    .i32c(4)
    .op(I.i32shl, I.lset, 5);
  t.op(I.lget, 5).mem(I.i64load, 3, L.chain).op(I.lget, 4, 0x52 /* i64.ne */, I.br_if, 1);
  t.op(I.lget, 5).mem(I.i32load, 2, L.chain + 8);
  st(ST_KEY).op(I.i32ne, I.br_if, 1);
  t.op(I.lget, 5)
    .mem(I.i32load, 2, L.chain + 12)
    .op(I.lset, 0);
  t.op(I.lget, 4, I.i32wrap, I.lset, 1, I.lget, 4).i64c(32).op(I.i64shru, I.i32wrap, I.lset, 2);
  t.op(I.br, 0, I.end, I.end).i32c(0).op(I.end);
  code.vec(t);
  section(out, 10, code);
  return out.finish();
}
