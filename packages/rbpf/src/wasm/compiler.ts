// SPDX-License-Identifier: MIT
// Compiles a decoded eBPF program to a WebAssembly module: eBPF registers become i64 locals,
// basic blocks are laid out in pc order inside a dispatch loop (forward jumps are direct
// branches, backward jumps go through a br_table), BPF-to-BPF functions become Wasm functions.

import { MAX_SEGMENTS, SEGMENT_TABLE_OFFSET } from '../memory.js';
import { MAX_CALL_FRAMES, OP } from '../opcodes.js';
import type { Program } from '../program.js';
import { ByteWriter, F64, I32, I64, section, VOID, W } from './encoder.js';

/** Fault codes passed from compiled code to the `fault` import. @internal */
export const FAULT = { BUDGET: 1, CALL_DEPTH: 2, JUMP_OUT: 3 } as const;

/**
 * What the `helper` import returns when r0 is not the sign extension of the returned int32: the
 * engine has then written all 64 bits of r0 to r0's place in the scratch slot. Between calls
 * that place holds this value sign-extended (the `run` export puts it there, and the compiled
 * code puts it back after reading a result), so a helper that returns this very value takes
 * the fast path too. Returning r0 as the import's result, instead of writing it to memory from
 * JavaScript, saves about 1 ns of a 12 ns call.
 * @internal
 */
export const R0_IN_SCRATCH = -0x80000000;

/** A compiled module and what the engine needs to run it. @internal */
export interface CompiledProgram {
  /** The module bytes. */
  bytes: Uint8Array;
  /** Entry pc of each compiled eBPF function, by function index (index 0 is pc 0). */
  entries: number[];
}

// Imports (function indices 0..2), then internal helpers, then eBPF functions.
const F_FAULT = 0;
const F_FAULT_ACCESS = 1;
const F_HELPER = 2;
const F_DIV64U = 3;
const F_DIV64S = 4;
const F_MOD64U = 5;
const F_MOD64S = 6;
const F_DIV32U = 7;
const F_DIV32S = 8;
const F_MOD32U = 9;
const F_MOD32S = 10;
const F_BSWAP16 = 11;
const F_BSWAP32 = 12;
const F_BSWAP64 = 13;
const F_FIRST_EBPF = 14;

const G_COUNT = 0;
const G_BUDGET = 1;
const G_SCRATCH = 2;

// Type indices.
const T_FAULT = 0; // (i32 code, i32 pc) -> ()
const T_FAULT_ACCESS = 1; // (i64 addr, i32 size, i32 write, i32 pc) -> ()
const T_HELPER = 2; // (i32 idLo, i32 idHi, i32 pc) -> (i32 r0 or R0_IN_SCRATCH)
const T_EBPF = 3; // (r0..r10 i64, depth i32) -> (r0..r5 i64)
const T_BIN64 = 4; // (i64, i64) -> i64
const T_BIN32 = 5; // (i32, i32) -> i32
const T_UN64 = 6; // (i64) -> i64
const T_RUN = 7; // (i32 fn, i32 scratch) -> ()
const T_RESET = 8; // (f64 budget) -> ()
const T_COUNT = 9; // () -> f64

// Locals of an eBPF function: params 0..10 = r0..r10, 11 = depth; then next (i32), t, u (i64), a (i32).
const L_DEPTH = 11;
const L_NEXT = 12;
const L_T = 13;
const L_U = 14;
const L_A = 15;
// Per-register address cache (see FunctionEmitter.#address): the linear address the register
// points at (i32), and for the checked variant its offset in its segment, the segment's size and
// that size again if the segment is writable else 0 (i64).
const L_LIN = 16;
const L_LO = L_LIN + 11;
const L_SIZE = L_LO + 11;
const L_WSIZE = L_SIZE + 11;
// The run's instruction count and budget, kept in locals (a global in a hot loop is a store and
// a load per block); the count is written back to its global before anything that reads it
// (faults, calls, exit) and re-read after calls.
const L_CNT = L_WSIZE + 11;
const L_BUD = L_CNT + 1;
/** The scratch slot of the run (helper arguments), read once per function. */
const L_SCR = L_BUD + 1;

/** Options of {@link compileProgram}. @internal */
export interface CompileOptions {
  /**
   * Leave out the per-access bounds checks: only for programs the verifier accepted, run with a
   * context at least as large as it assumed (the engine decides; see ../verified.ts).
   */
  unchecked?: boolean;
}

function isCondJump(op: number): boolean {
  const cls = op & 7;
  if (cls !== 5 && cls !== 6) return false;
  return op !== OP.JA && op !== OP.JA32 && op !== OP.CALL && op !== OP.CALLX && op !== OP.EXIT;
}

function jumpTarget(p: Program, pc: number): number {
  return p.opcode[pc] === OP.JA32 ? pc + p.imm[pc]! + 1 : pc + p.offset[pc]! + 1;
}

/** Function entries: pc 0, targets of local calls and of `lddw` function pointers. */
function findEntries(p: Program): number[] {
  const set = new Set<number>([0]);
  for (let pc = 0; pc < p.length; pc++) {
    const op = p.opcode[pc]!;
    if (op === OP.CALL && p.src[pc] === 1) set.add(pc + p.imm[pc]! + 1);
    if (op === OP.LDDW) {
      if (p.src[pc] === 4) set.add(pc + p.imm[pc]! + 1);
      pc++;
    }
  }
  return [...set].sort((a, b) => a - b);
}

interface Block {
  start: number;
  end: number; // exclusive
}

/** The basic blocks reachable from an entry by jumps and fall-through (not calls). */
function functionBlocks(p: Program, entry: number): Block[] {
  const leaders = new Set<number>([entry]);
  const seen = new Set<number>();
  const work = [entry];
  // First pass: find reachable instructions and leaders.
  while (work.length > 0) {
    let pc = work.pop()!;
    while (pc < p.length && !seen.has(pc)) {
      seen.add(pc);
      const op = p.opcode[pc]!;
      if (op === OP.EXIT) break;
      if (op === OP.JA || op === OP.JA32) {
        const t = jumpTarget(p, pc);
        leaders.add(t);
        work.push(t);
        break;
      }
      if (isCondJump(op)) {
        const t = jumpTarget(p, pc);
        leaders.add(t);
        work.push(t);
        leaders.add(pc + 1);
      }
      pc += op === OP.LDDW ? 2 : 1;
    }
    if (pc >= p.length) leaders.add(p.length);
  }
  const sorted = [...leaders].filter((l) => seen.has(l) || l === p.length).sort((a, b) => a - b);
  const blocks: Block[] = [];
  for (const start of sorted) {
    if (start >= p.length) continue;
    let pc = start;
    for (;;) {
      const op = p.opcode[pc]!;
      const next = pc + (op === OP.LDDW ? 2 : 1);
      if (
        op === OP.EXIT ||
        op === OP.JA ||
        op === OP.JA32 ||
        isCondJump(op) ||
        next >= p.length ||
        leaders.has(next)
      ) {
        blocks.push({ start, end: Math.min(next, p.length) });
        break;
      }
      pc = next;
    }
  }
  return blocks;
}

function isCall(op: number): boolean {
  return op === OP.CALL || op === OP.CALLX;
}

/**
 * Instructions counted together from `start`: up to and including the next call, or to the
 * block's end. A call ends its segment, so instructions after it are counted after the callee's
 * and any callback's (the interpreter's order, which decides where the budget runs out), without
 * ending the block (a loop around a helper call stays one Wasm loop).
 */
function segmentLength(p: Program, start: number, end: number): number {
  let n = 0;
  for (let pc = start; pc < end; pc += p.opcode[pc] === OP.LDDW ? 2 : 1) {
    n++;
    if (isCall(p.opcode[pc]!)) break;
  }
  return n;
}

/** Writes the body of one internal helper function. */
function emitInternal(
  code: ByteWriter,
  body: (b: ByteWriter) => void,
  locals: [number, number][] = [],
): void {
  const b = new ByteWriter();
  b.u32(locals.length);
  for (const [n, t] of locals) b.u32(n).byte(t);
  body(b);
  b.byte(W.end);
  code.u32(b.length).bytes(b.finish());
}

function emitDivMod(code: ByteWriter, bits: 32 | 64, signed: boolean, modulo: boolean): void {
  const is64 = bits === 64;
  emitInternal(code, (b) => {
    // if b == 0: div -> 0, mod -> a
    b.byte(W.local_get)
      .u32(1)
      .byte(is64 ? W.i64_eqz : W.i32_eqz)
      .byte(W.if)
      .byte(VOID);
    if (modulo) b.byte(W.local_get).u32(0);
    else b.byte(is64 ? W.i64_const : W.i32_const).byte(0);
    b.byte(W.return).byte(W.end);
    if (signed) {
      // b == -1: div -> -a (wrapping, avoids the INT_MIN / -1 trap), mod -> 0
      b.byte(W.local_get)
        .u32(1)
        .byte(is64 ? W.i64_const : W.i32_const)
        .byte(0x7f)
        .byte(is64 ? W.i64_eq : W.i32_eq)
        .byte(W.if)
        .byte(VOID);
      if (modulo) b.byte(is64 ? W.i64_const : W.i32_const).byte(0);
      else
        b.byte(is64 ? W.i64_const : W.i32_const)
          .byte(0)
          .byte(W.local_get)
          .u32(0)
          .byte(is64 ? W.i64_sub : W.i32_sub);
      b.byte(W.return).byte(W.end);
    }
    b.byte(W.local_get).u32(0).byte(W.local_get).u32(1);
    if (is64)
      b.byte(modulo ? (signed ? W.i64_rem_s : W.i64_rem_u) : signed ? W.i64_div_s : W.i64_div_u);
    else b.byte(modulo ? (signed ? W.i32_rem_s : W.i32_rem_u) : signed ? W.i32_div_s : W.i32_div_u);
  });
}

function emitBswap(code: ByteWriter, bytes: 2 | 4 | 8): void {
  emitInternal(code, (b) => {
    // result = sum over i of ((x >> 8i) & 0xff) << 8(bytes-1-i)
    b.byte(W.i64_const).byte(0);
    for (let i = 0; i < bytes; i++) {
      b.byte(W.local_get)
        .u32(0)
        .byte(W.i64_const)
        .s64(BigInt(8 * i))
        .byte(W.i64_shr_u);
      b.byte(W.i64_const).s64(0xffn).byte(W.i64_and);
      b.byte(W.i64_const)
        .s64(BigInt(8 * (bytes - 1 - i)))
        .byte(W.i64_shl);
      b.byte(W.i64_or);
    }
  });
}

class FunctionEmitter {
  readonly b = new ByteWriter();
  readonly #p: Program;
  readonly #imm: Int32Array;
  readonly #imm2: Int32Array;
  readonly #blocks: Block[];
  readonly #blockIndex = new Map<number, number>();
  readonly #fnIndexByEntry: Map<number, number>;
  readonly #unchecked: boolean;
  #current = 0;
  /** Whether the current block's code is inside its own Wasm loop (one more label to leave). */
  #loopOpen = false;
  /** Registers whose address cache is valid at this point of the current block (bit per reg). */
  #cached = 0;
  /** Registers whose cache stays valid in the whole function (r10, unless an atomic writes it). */
  #pinned = 0;
  /** Cached registers moved by `add`/`sub` immediates: their cached offset may be negative. */
  #mayNeg = 0;

  constructor(
    p: Program,
    imm: Int32Array,
    imm2: Int32Array,
    entry: number,
    fnIndexByEntry: Map<number, number>,
    unchecked: boolean,
  ) {
    this.#p = p;
    this.#unchecked = unchecked;
    this.#imm = imm;
    this.#imm2 = imm2;
    this.#blocks = functionBlocks(p, entry);
    this.#blocks.forEach((blk, i) => this.#blockIndex.set(blk.start, i));
    this.#fnIndexByEntry = fnIndexByEntry;
    const b = this.b;
    b.u32(6)
      .u32(1)
      .byte(I32)
      .u32(2)
      .byte(I64)
      .u32(1)
      .byte(I32)
      .u32(11)
      .byte(I32)
      .u32(35)
      .byte(I64)
      .u32(1)
      .byte(I32); // next; t, u; a; lin; lo, size, wsize, cnt, bud; scr
    const n = this.#blocks.length;
    // r10 is read-only except through an atomic fetch into it: then it is cached per block only.
    let r10Written = false;
    for (let pc = 0; pc < p.length; pc++) {
      const op = p.opcode[pc]!;
      if ((op === OP.ATOMIC_W || op === OP.ATOMIC_DW) && p.src[pc] === 10 && (imm[pc]! & 1) !== 0)
        r10Written = true;
    }
    b.byte(W.global_get).u32(G_COUNT).byte(W.local_set).u32(L_CNT);
    b.byte(W.global_get).u32(G_BUDGET).byte(W.local_set).u32(L_BUD);
    b.byte(W.global_get).u32(G_SCRATCH).byte(W.local_set).u32(L_SCR);
    if (!r10Written) {
      this.#fill(10);
      this.#pinned = 1 << 10;
    }
    // next = index of the entry block
    b.byte(W.i32_const).s32(this.#blockIndex.get(entry)!).byte(W.local_set).u32(L_NEXT);
    b.byte(W.loop).byte(VOID);
    for (let i = 0; i < n; i++) b.byte(W.block).byte(VOID);
    b.byte(W.local_get).u32(L_NEXT).byte(W.br_table).u32(n);
    for (let i = 0; i < n; i++) b.u32(i);
    b.u32(0);
    for (let i = 0; i < n; i++) {
      b.byte(W.end); // closes block i: its code follows
      this.#current = i;
      this.#emitBlock(this.#blocks[i]!);
    }
    b.byte(W.end); // loop
    b.byte(W.unreachable);
    b.byte(W.end); // function
  }

  /**
   * Emits a transfer to the block starting at `target`.
   * @param extra - constructs (`if`) open inside the current block's code.
   */
  #goto(target: number, pc: number, extra = 0): void {
    const b = this.b;
    if (this.#loopOpen) extra++;
    const j = this.#blockIndex.get(target);
    if (j === undefined) {
      this.#fault(FAULT.JUMP_OUT, pc);
      return;
    }
    if (j > this.#current) {
      // Forward: leave the blocks up to the target's, whose code follows its end.
      b.byte(W.br).u32(j - this.#current - 1 + extra);
    } else {
      // Backward: through the dispatch loop.
      b.byte(W.i32_const)
        .s32(j)
        .byte(W.local_set)
        .u32(L_NEXT)
        .byte(W.br)
        .u32(this.#blocks.length - 1 - this.#current + extra);
    }
  }

  /** Writes the local instruction count back to its global. */
  #flush(): void {
    this.b.byte(W.local_get).u32(L_CNT).byte(W.global_set).u32(G_COUNT);
  }

  /** Re-reads the count after a call (callees and callbacks count into the global). */
  #reload(): void {
    this.b.byte(W.global_get).u32(G_COUNT).byte(W.local_set).u32(L_CNT);
  }

  #fault(code: number, pc: number): void {
    this.#flush();
    this.b
      .byte(W.i32_const)
      .s32(code)
      .byte(W.i32_const)
      .s32(pc)
      .byte(W.call)
      .u32(F_FAULT)
      .byte(W.unreachable);
  }

  #get(reg: number): void {
    this.b.byte(W.local_get).u32(reg);
  }

  #set(reg: number): void {
    this.b.byte(W.local_set).u32(reg);
  }

  /** Pushes the second operand: the source register or the sign-extended immediate (i64). */
  #operand64(pc: number): void {
    if ((this.#p.opcode[pc]! & 0x08) !== 0) this.#get(this.#p.src[pc]!);
    else this.b.byte(W.i64_const).s64(BigInt(this.#p.imm[pc]!));
  }

  #operand32(pc: number): void {
    if ((this.#p.opcode[pc]! & 0x08) !== 0) {
      this.#get(this.#p.src[pc]!);
      this.b.byte(W.i32_wrap_i64);
    } else {
      this.b.byte(W.i32_const).s32(this.#p.imm[pc]!);
    }
  }

  /**
   * The registers a self-loop block uses as a base of memory accesses and writes only with
   * `add`/`sub` immediates.
   */
  #loopBases(blk: Block): number {
    const p = this.#p;
    let bases = 0;
    let other = 0;
    for (let pc = blk.start; pc < blk.end; pc += p.opcode[pc] === OP.LDDW ? 2 : 1) {
      const op = p.opcode[pc]!;
      const cls = op & 7;
      if (cls === 1) bases |= 1 << p.src[pc]!;
      if (cls === 2 || cls === 3) bases |= 1 << p.dst[pc]!;
      if (op === OP.ATOMIC_W || op === OP.ATOMIC_DW) other |= (1 << p.src[pc]!) | 1;
      else if (cls === 0 || cls === 1 || cls === 4 || (cls === 7 && op !== 0x07 && op !== 0x17))
        other |= 1 << p.dst[pc]!;
    }
    return bases & ~other;
  }

  /**
   * Keeps the address cache in step with an instruction: `add`/`sub` of an immediate moves a
   * cached register's cache along; any other write drops it.
   */
  #afterInsn(pc: number): void {
    const p = this.#p;
    const b = this.b;
    const op = p.opcode[pc]!;
    const cls = op & 7;
    const d = p.dst[pc]!;
    if ((op === 0x07 || op === 0x17) && (this.#cached & (1 << d)) !== 0) {
      const delta = op === 0x07 ? this.#imm[pc]! : -this.#imm[pc]!;
      b.byte(W.local_get)
        .u32(L_LIN + d)
        .byte(W.i32_const)
        .s32(delta | 0)
        .byte(W.i32_add)
        .byte(W.local_set)
        .u32(L_LIN + d);
      if (!this.#unchecked) {
        b.byte(W.local_get)
          .u32(L_LO + d)
          .byte(W.i64_const)
          .s64(BigInt(delta))
          .byte(W.i64_add)
          .byte(W.local_set)
          .u32(L_LO + d);
        this.#mayNeg |= 1 << d;
      }
      return;
    }
    if (cls === 0 || cls === 1 || cls === 4 || cls === 7) this.#cached &= ~(1 << d);
    else if (op === OP.ATOMIC_W || op === OP.ATOMIC_DW) this.#cached &= ~((1 << p.src[pc]!) | 1);
    else if (cls === 5 || cls === 6) {
      if (op === OP.CALL || op === OP.CALLX) this.#cached = this.#pinned;
    }
  }

  /**
   * Fills the address cache of a register: the linear address it points at (its segment's
   * offset plus its low 32 bits) and, when checking, its offset in the segment and the segment's
   * size (and writable size). Segments outside the table read as segment 0 (size 0), so every
   * access through such a register takes the slow path and faults there.
   */
  #fill(reg: number): void {
    const b = this.b;
    this.#mayNeg &= ~(1 << reg);
    this.#get(reg);
    if (this.#unchecked) {
      // The verifier keeps a pointer within 2^29 bytes of its region (regions are below 2^31
      // bytes), so rounding at 2^30 below the segment base finds the pointer's own region even
      // while it points before it (a cached pointer may be moved back into the region later).
      b.byte(W.i64_const)
        .s64(1n << 30n)
        .byte(W.i64_add);
      b.byte(W.i64_const).byte(32).byte(W.i64_shr_u).byte(W.i32_wrap_i64);
      b.byte(W.i32_const)
        .s32(MAX_SEGMENTS - 1)
        .byte(W.i32_and);
    } else {
      b.byte(W.i64_const).byte(32).byte(W.i64_shr_u).byte(W.i32_wrap_i64);
      b.byte(W.local_tee).u32(L_A).byte(W.i32_const).byte(0);
      b.byte(W.local_get)
        .u32(L_A)
        .byte(W.i32_const)
        .s32(MAX_SEGMENTS)
        .byte(W.i32_lt_u)
        .byte(W.select);
    }
    b.byte(W.i32_const).byte(4).byte(W.i32_shl).byte(W.local_set).u32(L_A);
    b.byte(W.local_get).u32(L_A).byte(W.i32_load).byte(2).u32(SEGMENT_TABLE_OFFSET);
    this.#get(reg);
    b.byte(W.i32_wrap_i64)
      .byte(W.i32_add)
      .byte(W.local_set)
      .u32(L_LIN + reg);
    if (this.#unchecked) return;
    this.#get(reg);
    b.byte(W.i64_const)
      .s64(0xffffffffn)
      .byte(W.i64_and)
      .byte(W.local_set)
      .u32(L_LO + reg);
    b.byte(W.local_get)
      .u32(L_A)
      .byte(W.i64_load32_u)
      .byte(2)
      .u32(SEGMENT_TABLE_OFFSET + 4)
      .byte(W.local_tee)
      .u32(L_SIZE + reg);
    b.byte(W.i64_const).byte(0);
    b.byte(W.local_get)
      .u32(L_A)
      .byte(W.i32_load)
      .byte(2)
      .u32(SEGMENT_TABLE_OFFSET + 8)
      .byte(W.select)
      .byte(W.local_set)
      .u32(L_WSIZE + reg);
  }

  /**
   * Leaves the linear address of `[base + off]` for `size` bytes on the stack, or faults. The
   * unchecked variant adds the offset to the cached linear address; the checked one compares the
   * offset with the cached segment bounds (one or two compares) and only when that fails takes
   * the full path of {@link FunctionEmitter.#addressSlow}, which faults or finds the address in
   * a neighbouring segment (the interpreter's carry into the upper half).
   * @returns the constant to put in the access's memarg offset.
   */
  #address(base: number, off: number, size: number, write: boolean, pc: number): number {
    const b = this.b;
    if ((this.#cached & (1 << base)) === 0) {
      this.#fill(base);
      this.#cached |= 1 << base;
    }
    if (this.#unchecked) {
      b.byte(W.local_get).u32(L_LIN + base);
      if (off >= 0) return off;
      b.byte(W.i32_const).s32(off).byte(W.i32_add);
      return 0;
    }
    // x = lo + off must satisfy 0 <= x <= size - bytes (x >= 0 holds when off >= 0 and the
    // cached offset has not been moved).
    const twoSided = off < 0 || (this.#mayNeg & (1 << base)) !== 0;
    b.byte(W.local_get).u32(L_LO + base);
    if (off !== 0) b.byte(W.i64_const).s64(BigInt(off)).byte(W.i64_add);
    if (twoSided) b.byte(W.local_tee).u32(L_T);
    b.byte(W.local_get)
      .u32((write ? L_WSIZE : L_SIZE) + base)
      .byte(W.i64_const)
      .s64(BigInt(size))
      .byte(W.i64_sub)
      .byte(W.i64_gt_s);
    if (twoSided)
      b.byte(W.local_get).u32(L_T).byte(W.i64_const).byte(0).byte(W.i64_lt_s).byte(W.i32_or);
    b.byte(W.if).byte(I32);
    this.#addressSlow(base, off, size, write, pc);
    b.byte(W.else);
    b.byte(W.local_get).u32(L_LIN + base);
    if (off !== 0) b.byte(W.i32_const).s32(off).byte(W.i32_add);
    b.byte(W.end);
    return 0;
  }

  /** The full translation and check of `[base + off]`: leaves the linear address, or faults. */
  #addressSlow(base: number, off: number, size: number, write: boolean, pc: number): void {
    const b = this.b;
    this.#get(base);
    if (off !== 0) b.byte(W.i64_const).s64(BigInt(off)).byte(W.i64_add);
    b.byte(W.local_tee).u32(L_T);
    // segment = addr >> 32, must index the segment table
    b.byte(W.i64_const).byte(32).byte(W.i64_shr_u).byte(W.i32_wrap_i64).byte(W.local_tee).u32(L_A);
    b.byte(W.i32_const).s32(MAX_SEGMENTS).byte(W.i32_ge_u);
    b.byte(W.if).byte(VOID);
    this.#accessFault(size, write, pc);
    b.byte(W.end);
    b.byte(W.local_get)
      .u32(L_A)
      .byte(W.i32_const)
      .byte(4)
      .byte(W.i32_shl)
      .byte(W.local_set)
      .u32(L_A);
    // (addr & 0xffffffff) + size > segment size
    b.byte(W.local_get)
      .u32(L_T)
      .byte(W.i64_const)
      .s64(0xffffffffn)
      .byte(W.i64_and)
      .byte(W.i64_const)
      .s64(BigInt(size))
      .byte(W.i64_add);
    b.byte(W.local_get)
      .u32(L_A)
      .byte(W.i64_load32_u)
      .byte(2)
      .u32(SEGMENT_TABLE_OFFSET + 4);
    b.byte(W.i64_gt_u);
    if (write) {
      b.byte(W.local_get)
        .u32(L_A)
        .byte(W.i32_load)
        .byte(2)
        .u32(SEGMENT_TABLE_OFFSET + 8)
        .byte(W.i32_eqz)
        .byte(W.i32_or);
    }
    b.byte(W.if).byte(VOID);
    this.#accessFault(size, write, pc);
    b.byte(W.end);
    b.byte(W.local_get).u32(L_A).byte(W.i32_load).byte(2).u32(SEGMENT_TABLE_OFFSET);
    b.byte(W.local_get).u32(L_T).byte(W.i32_wrap_i64).byte(W.i32_add);
  }

  #accessFault(size: number, write: boolean, pc: number): void {
    this.#flush();
    this.b
      .byte(W.local_get)
      .u32(L_T)
      .byte(W.i32_const)
      .s32(size)
      .byte(W.i32_const)
      .s32(write ? 1 : 0)
      .byte(W.i32_const)
      .s32(pc);
    this.b.byte(W.call).u32(F_FAULT_ACCESS).byte(W.unreachable);
  }

  #emitBlock(blk: Block): void {
    const b = this.b;
    const p = this.#p;
    this.#cached = this.#pinned;
    this.#mayNeg = 0;
    let last = blk.start;
    let hasCall = false;
    for (let pc = blk.start; pc < blk.end; pc += p.opcode[pc] === OP.LDDW ? 2 : 1) {
      last = pc;
      if (isCall(p.opcode[pc]!)) hasCall = true;
    }
    // A block that ends jumping back to its own start (a tight loop) becomes a Wasm loop, so the
    // back edge is a branch rather than a trip through the dispatch table. Base registers the
    // body only moves by immediates keep their address cache around the loop: filled once
    // before it, updated by each `add`/`sub`.
    const selfLoop = isCondJump(p.opcode[last]!) && jumpTarget(p, last) === blk.start;
    if (selfLoop) {
      // A call drops the address cache (a helper may remap memory), so the cache of a loop with
      // one is not carried round it.
      const keep = hasCall ? 0 : this.#loopBases(blk) & ~this.#cached;
      for (let r = 0; r <= 10; r++) if ((keep & (1 << r)) !== 0) this.#fill(r);
      this.#cached |= keep;
      // From the second trip on, the body's own `add`/`sub` have moved them.
      this.#mayNeg |= keep;
      b.byte(W.loop).byte(VOID);
      this.#loopOpen = true;
    }
    this.#count(blk.start, segmentLength(p, blk.start, blk.end));
    let pc = blk.start;
    let terminated = false;
    while (pc < blk.end) {
      terminated = this.#emitInsn(pc);
      this.#afterInsn(pc);
      const call = isCall(p.opcode[pc]!);
      pc += p.opcode[pc] === OP.LDDW ? 2 : 1;
      if (call && pc < blk.end) this.#count(pc, segmentLength(p, pc, blk.end));
    }
    if (selfLoop) {
      b.byte(W.end);
      this.#loopOpen = false;
    }
    if (!terminated) {
      // Fall through to the next block in pc order, or run off the end of the program.
      if (blk.end >= p.length) this.#fault(FAULT.JUMP_OUT, blk.end);
      else this.#goto(blk.end, blk.end);
    }
  }

  /**
   * Counts the `n` instructions of the segment starting at `start` (lddw counts once) before
   * running them. Every segment checks the budget, straight-line programs included (one budget
   * per run, the same limit as the interpreter's). The fault carries the segment's length so
   * that the engine can name the exact instruction the interpreter would stop at.
   */
  #count(start: number, n: number): void {
    const b = this.b;
    b.byte(W.local_get)
      .u32(L_CNT)
      .byte(W.i64_const)
      .s64(BigInt(n))
      .byte(W.i64_add)
      .byte(W.local_tee)
      .u32(L_CNT);
    b.byte(W.local_get).u32(L_BUD).byte(W.i64_gt_u).byte(W.if).byte(VOID);
    this.#fault(FAULT.BUDGET + 16 * n, start);
    b.byte(W.end);
  }

  /** Emits one instruction; returns true when it transfers control unconditionally. */
  #emitInsn(pc: number): boolean {
    const b = this.b;
    const p = this.#p;
    const op = p.opcode[pc]!;
    const d = p.dst[pc]!;
    const s = p.src[pc]!;
    const off = p.offset[pc]!;
    const imm = this.#imm[pc]!;
    const cls = op & 7;
    const code = op & 0xf0;

    if (cls === 7) {
      // ALU64
      if (code === 0x80) {
        b.byte(W.i64_const).byte(0);
        this.#get(d);
        b.byte(W.i64_sub);
        this.#set(d);
        return false;
      }
      if (code === 0xd0) {
        // bswap (ALU64 END)
        this.#get(d);
        b.byte(W.call).u32(imm === 16 ? F_BSWAP16 : imm === 32 ? F_BSWAP32 : F_BSWAP64);
        this.#set(d);
        return false;
      }
      if (code === 0xb0) {
        if ((op & 0x08) !== 0 && off !== 0) {
          this.#get(s);
          b.byte(off === 8 ? W.i64_extend8_s : off === 16 ? W.i64_extend16_s : W.i64_extend32_s);
        } else {
          this.#operand64(pc);
        }
        this.#set(d);
        return false;
      }
      if (code === 0x30 || code === 0x90) {
        this.#get(d);
        this.#operand64(pc);
        const signed = off === 1;
        b.byte(W.call).u32(
          code === 0x30 ? (signed ? F_DIV64S : F_DIV64U) : signed ? F_MOD64S : F_MOD64U,
        );
        this.#set(d);
        return false;
      }
      const wasmOp = {
        0x00: W.i64_add,
        0x10: W.i64_sub,
        0x20: W.i64_mul,
        0x40: W.i64_or,
        0x50: W.i64_and,
        0x60: W.i64_shl,
        0x70: W.i64_shr_u,
        0xa0: W.i64_xor,
        0xc0: W.i64_shr_s,
      }[code];
      this.#get(d);
      this.#operand64(pc);
      b.byte(wasmOp!);
      this.#set(d);
      return false;
    }
    if (cls === 4) {
      // ALU32: compute on i32, zero-extend
      if (code === 0xd0) {
        this.#get(d);
        if (op === OP.BE)
          b.byte(W.call).u32(imm === 16 ? F_BSWAP16 : imm === 32 ? F_BSWAP32 : F_BSWAP64);
        else if (imm === 16) b.byte(W.i64_const).s64(0xffffn).byte(W.i64_and);
        else if (imm === 32) b.byte(W.i64_const).s64(0xffffffffn).byte(W.i64_and);
        this.#set(d);
        return false;
      }
      if (code === 0x80) {
        b.byte(W.i32_const).byte(0);
        this.#get(d);
        b.byte(W.i32_wrap_i64).byte(W.i32_sub);
      } else if (code === 0xb0) {
        if ((op & 0x08) !== 0 && off !== 0) {
          this.#get(s);
          b.byte(W.i32_wrap_i64).byte(off === 8 ? W.i32_extend8_s : W.i32_extend16_s);
        } else {
          this.#operand32(pc);
        }
      } else if (code === 0x30 || code === 0x90) {
        this.#get(d);
        b.byte(W.i32_wrap_i64);
        this.#operand32(pc);
        const signed = off === 1;
        b.byte(W.call).u32(
          code === 0x30 ? (signed ? F_DIV32S : F_DIV32U) : signed ? F_MOD32S : F_MOD32U,
        );
      } else {
        const wasmOp = {
          0x00: W.i32_add,
          0x10: W.i32_sub,
          0x20: W.i32_mul,
          0x40: W.i32_or,
          0x50: W.i32_and,
          0x60: W.i32_shl,
          0x70: W.i32_shr_u,
          0xa0: W.i32_xor,
          0xc0: W.i32_shr_s,
        }[code];
        this.#get(d);
        b.byte(W.i32_wrap_i64);
        this.#operand32(pc);
        b.byte(wasmOp!);
      }
      b.byte(W.i64_extend_i32_u);
      this.#set(d);
      return false;
    }
    switch (op) {
      case OP.LDDW:
        b.byte(W.i64_const).s64((BigInt(this.#imm2[pc]!) << 32n) | BigInt(imm >>> 0));
        this.#set(d);
        return false;
      case OP.LDXW:
      case OP.LDXH:
      case OP.LDXB:
      case OP.LDXDW:
      case OP.LDXSW:
      case OP.LDXSH:
      case OP.LDXSB: {
        const size = ({ 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 } as Record<number, number>)[op & 0x18]!;
        const memOff = this.#address(s, off, size, false, pc);
        const sx = (op & 0xe0) === 0x80;
        const load =
          size === 8
            ? W.i64_load
            : size === 4
              ? sx
                ? W.i64_load32_s
                : W.i64_load32_u
              : size === 2
                ? sx
                  ? W.i64_load16_s
                  : W.i64_load16_u
                : sx
                  ? W.i64_load8_s
                  : W.i64_load8_u;
        b.byte(load).byte(0).u32(memOff);
        this.#set(d);
        return false;
      }
      case OP.STW:
      case OP.STH:
      case OP.STB:
      case OP.STDW:
      case OP.STXW:
      case OP.STXH:
      case OP.STXB:
      case OP.STXDW: {
        const size = ({ 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 } as Record<number, number>)[op & 0x18]!;
        const memOff = this.#address(d, off, size, true, pc);
        if ((op & 7) === 2) b.byte(W.i64_const).s64(BigInt(imm));
        else this.#get(s);
        b.byte(
          size === 8
            ? W.i64_store
            : size === 4
              ? W.i64_store32
              : size === 2
                ? W.i64_store16
                : W.i64_store8,
        )
          .byte(0)
          .u32(memOff);
        return false;
      }
      case OP.ATOMIC_W:
      case OP.ATOMIC_DW:
        this.#emitAtomic(pc, op === OP.ATOMIC_DW);
        return false;
      case OP.JA:
      case OP.JA32:
        this.#goto(jumpTarget(p, pc), pc);
        return true;
      case OP.EXIT:
        this.#flush();
        for (let r = 0; r <= 5; r++) this.#get(r);
        b.byte(W.return);
        return true;
      case OP.CALL:
        if (s === 1) this.#emitLocalCall(pc, pc + imm + 1);
        else this.#emitHelperCall(pc, false, imm);
        return false;
      case OP.CALLX:
        this.#emitHelperCall(pc, true, d);
        return false;
      default:
        break;
    }
    // conditional jumps
    const wide = cls === 5;
    this.#get(d);
    if (!wide) b.byte(W.i32_wrap_i64);
    if (wide) this.#operand64(pc);
    else this.#operand32(pc);
    if (code === 0x40) {
      b.byte(wide ? W.i64_and : W.i32_and)
        .byte(wide ? W.i64_eqz : W.i32_eqz)
        .byte(W.i32_eqz);
    } else {
      const table64: Record<number, number> = {
        0x10: W.i64_eq,
        0x50: W.i64_ne,
        0x20: W.i64_gt_u,
        0x30: W.i64_ge_u,
        0xa0: W.i64_lt_u,
        0xb0: W.i64_le_u,
        0x60: W.i64_gt_s,
        0x70: W.i64_ge_s,
        0xc0: W.i64_lt_s,
        0xd0: W.i64_le_s,
      };
      const table32: Record<number, number> = {
        0x10: W.i32_eq,
        0x50: W.i32_ne,
        0x20: W.i32_gt_u,
        0x30: W.i32_ge_u,
        0xa0: W.i32_lt_u,
        0xb0: W.i32_le_u,
        0x60: W.i32_gt_s,
        0x70: W.i32_ge_s,
        0xc0: W.i32_lt_s,
        0xd0: W.i32_le_s,
      };
      b.byte((wide ? table64 : table32)[code]!);
    }
    const target = jumpTarget(p, pc);
    const j = this.#blockIndex.get(target);
    if (j !== undefined && j > this.#current) {
      b.byte(W.br_if).u32(j - this.#current - 1 + (this.#loopOpen ? 1 : 0));
    } else if (this.#loopOpen && j === this.#current) {
      b.byte(W.br_if).u32(0); // the block's own loop
    } else {
      b.byte(W.if).byte(VOID);
      this.#goto(target, pc, 1);
      b.byte(W.end);
    }
    return false;
  }

  #emitAtomic(pc: number, wide: boolean): void {
    const b = this.b;
    const p = this.#p;
    const d = p.dst[pc]!;
    const s = p.src[pc]!;
    const opImm = this.#imm[pc]!;
    const size = wide ? 8 : 4;
    const load = wide ? W.i64_load : W.i64_load32_u;
    const store = wide ? W.i64_store : W.i64_store32;
    const memOff = this.#address(d, p.offset[pc]!, size, true, pc);
    if (memOff !== 0) b.byte(W.i32_const).s32(memOff).byte(W.i32_add);
    b.byte(W.local_set).u32(L_A);
    // u = old value
    b.byte(W.local_get).u32(L_A).byte(load).byte(0).u32(0).byte(W.local_set).u32(L_U);
    const base = opImm & 0xf0;
    if (base === 0xf0) {
      // cmpxchg: if old == r0 (low 32 bits for the 32-bit form) store src; r0 = old
      b.byte(W.local_get).u32(L_U);
      this.#get(0);
      if (!wide) b.byte(W.i64_const).s64(0xffffffffn).byte(W.i64_and);
      b.byte(W.i64_eq).byte(W.if).byte(VOID);
      b.byte(W.local_get).u32(L_A);
      this.#get(s);
      b.byte(store).byte(0).u32(0).byte(W.end);
      b.byte(W.local_get).u32(L_U);
      this.#set(0);
      return;
    }
    b.byte(W.local_get).u32(L_A);
    if (base === 0xe0) {
      this.#get(s);
    } else {
      b.byte(W.local_get).u32(L_U);
      this.#get(s);
      b.byte(
        (
          { 0x00: W.i64_add, 0x40: W.i64_or, 0x50: W.i64_and, 0xa0: W.i64_xor } as Record<
            number,
            number
          >
        )[base]!,
      );
    }
    b.byte(store).byte(0).u32(0);
    if (opImm & 1) {
      b.byte(W.local_get).u32(L_U);
      this.#set(s);
    }
  }

  #emitHelperCall(pc: number, indirect: boolean, idOrReg: number): void {
    const b = this.b;
    // r1..r5 into the scratch area, then the import reads them and returns r0 (see
    // R0_IN_SCRATCH).
    for (let r = 1; r <= 5; r++) {
      b.byte(W.local_get).u32(L_SCR);
      this.#get(r);
      b.byte(W.i64_store)
        .byte(3)
        .u32(8 * r);
    }
    if (indirect) {
      this.#get(idOrReg);
      b.byte(W.i32_wrap_i64);
      this.#get(idOrReg);
      b.byte(W.i64_const).byte(32).byte(W.i64_shr_u).byte(W.i32_wrap_i64);
    } else {
      b.byte(W.i32_const).s32(idOrReg).byte(W.i32_const).byte(0);
    }
    this.#flush();
    b.byte(W.i32_const).s32(pc).byte(W.call).u32(F_HELPER);
    this.#reload();
    b.byte(W.local_tee)
      .u32(L_A)
      .byte(W.i32_const)
      .s32(R0_IN_SCRATCH)
      .byte(W.i32_eq)
      .byte(W.if)
      .byte(I64);
    b.byte(W.local_get).u32(L_SCR).byte(W.i64_load).byte(3).u32(0);
    b.byte(W.local_get)
      .u32(L_SCR)
      .byte(W.i64_const)
      .s64(BigInt(R0_IN_SCRATCH))
      .byte(W.i64_store)
      .byte(3)
      .u32(0);
    b.byte(W.else).byte(W.local_get).u32(L_A).byte(W.i64_extend_i32_s);
    b.byte(W.end);
    this.#set(0);
  }

  #emitLocalCall(pc: number, target: number): void {
    const b = this.b;
    const fn = this.#fnIndexByEntry.get(target)!;
    b.byte(W.local_get)
      .u32(L_DEPTH)
      .byte(W.i32_const)
      .s32(MAX_CALL_FRAMES - 1)
      .byte(W.i32_ge_u)
      .byte(W.if)
      .byte(VOID);
    this.#fault(FAULT.CALL_DEPTH, pc);
    b.byte(W.end);
    for (let r = 0; r <= 9; r++) this.#get(r);
    // the callee's frame: the next 512-byte region, one segment (2^32) up
    this.#get(10);
    b.byte(W.i64_const)
      .s64(1n << 32n)
      .byte(W.i64_add);
    b.byte(W.local_get).u32(L_DEPTH).byte(W.i32_const).byte(1).byte(W.i32_add);
    this.#flush();
    b.byte(W.call).u32(F_FIRST_EBPF + fn);
    this.#reload();
    // results r0..r5 are on the stack, r5 on top
    for (let r = 5; r >= 0; r--) this.#set(r);
  }
}

/**
 * Compiles a program.
 * @param p - the decoded program.
 * @param imm - immediates with pseudo `lddw` resolved.
 * @param imm2 - upper immediates, resolved.
 * @param options - the unchecked variant.
 * @returns the module and its function entries.
 * @internal
 */
export function compileProgram(
  p: Program,
  imm: Int32Array,
  imm2: Int32Array,
  options: CompileOptions = {},
): CompiledProgram {
  const entries = findEntries(p);
  const fnIndexByEntry = new Map(entries.map((e, i) => [e, i]));
  const out = new ByteWriter();
  out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

  const types = new ByteWriter();
  const fnType = (params: number[], results: number[]) => {
    types.byte(0x60).u32(params.length);
    for (const t of params) types.byte(t);
    types.u32(results.length);
    for (const t of results) types.byte(t);
  };
  types.u32(10);
  fnType([I32, I32], []); // T_FAULT
  fnType([I64, I32, I32, I32], []); // T_FAULT_ACCESS
  fnType([I32, I32, I32], [I32]); // T_HELPER
  fnType(
    [I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I64, I32],
    [I64, I64, I64, I64, I64, I64],
  ); // T_EBPF
  fnType([I64, I64], [I64]); // T_BIN64
  fnType([I32, I32], [I32]); // T_BIN32
  fnType([I64], [I64]); // T_UN64
  fnType([I32, I32], []); // T_RUN
  fnType([F64], []); // T_RESET
  fnType([], [F64]); // T_COUNT
  section(out, 1, types);

  const imports = new ByteWriter();
  imports.u32(4);
  imports.name('env').name('memory').byte(0x02).byte(0x00).u32(1);
  imports.name('env').name('fault').byte(0x00).u32(T_FAULT);
  imports.name('env').name('faultAccess').byte(0x00).u32(T_FAULT_ACCESS);
  imports.name('env').name('helper').byte(0x00).u32(T_HELPER);
  section(out, 2, imports);

  const funcs = new ByteWriter();
  const internal = [
    T_BIN64,
    T_BIN64,
    T_BIN64,
    T_BIN64,
    T_BIN32,
    T_BIN32,
    T_BIN32,
    T_BIN32,
    T_UN64,
    T_UN64,
    T_UN64,
  ];
  funcs.u32(internal.length + entries.length + 3);
  for (const t of internal) funcs.u32(t);
  for (let i = 0; i < entries.length; i++) funcs.u32(T_EBPF);
  funcs.u32(T_RUN).u32(T_RESET).u32(T_COUNT);
  section(out, 3, funcs);

  const globals = new ByteWriter();
  globals.u32(3);
  globals.byte(I64).byte(1).byte(W.i64_const).byte(0).byte(W.end); // count
  globals.byte(I64).byte(1).byte(W.i64_const).byte(0).byte(W.end); // budget
  globals.byte(I32).byte(1).byte(W.i32_const).byte(0).byte(W.end); // scratch
  section(out, 6, globals);

  const F_RUN = F_FIRST_EBPF + entries.length;
  const exports = new ByteWriter();
  exports.u32(3);
  exports.name('run').byte(0x00).u32(F_RUN);
  exports
    .name('reset')
    .byte(0x00)
    .u32(F_RUN + 1);
  exports
    .name('count')
    .byte(0x00)
    .u32(F_RUN + 2);
  section(out, 7, exports);

  const code = new ByteWriter();
  code.u32(internal.length + entries.length + 3);
  emitDivMod(code, 64, false, false);
  emitDivMod(code, 64, true, false);
  emitDivMod(code, 64, false, true);
  emitDivMod(code, 64, true, true);
  emitDivMod(code, 32, false, false);
  emitDivMod(code, 32, true, false);
  emitDivMod(code, 32, false, true);
  emitDivMod(code, 32, true, true);
  emitBswap(code, 2);
  emitBswap(code, 4);
  emitBswap(code, 8);
  for (const entry of entries) {
    const fe = new FunctionEmitter(p, imm, imm2, entry, fnIndexByEntry, options.unchecked ?? false);
    code.u32(fe.b.length).bytes(fe.b.finish());
  }
  // run(fn, scratch): r0..r10 from scratch, call, r0 back to scratch; nests for callbacks.
  emitInternal(
    code,
    (b) => {
      b.byte(W.global_get).u32(G_SCRATCH).byte(W.local_set).u32(2);
      b.byte(W.local_get).u32(1).byte(W.global_set).u32(G_SCRATCH);
      b.byte(W.block).byte(VOID);
      for (let i = 0; i < entries.length; i++) b.byte(W.block).byte(VOID);
      b.byte(W.local_get).u32(0).byte(W.br_table).u32(entries.length);
      for (let i = 0; i < entries.length; i++) b.u32(i);
      b.u32(entries.length); // out of range: leave
      for (let i = 0; i < entries.length; i++) {
        b.byte(W.end);
        b.byte(W.local_get).u32(1); // address of the final store of r0
        for (let r = 0; r <= 10; r++)
          b.byte(W.local_get)
            .u32(1)
            .byte(W.i64_load)
            .byte(3)
            .u32(8 * r);
        b.byte(W.i32_const).byte(0); // depth
        // r0's place now holds what the helper import's fast path assumes (see R0_IN_SCRATCH)
        b.byte(W.local_get)
          .u32(1)
          .byte(W.i64_const)
          .s64(BigInt(R0_IN_SCRATCH))
          .byte(W.i64_store)
          .byte(3)
          .u32(0);
        b.byte(W.call).u32(F_FIRST_EBPF + i);
        for (let r = 0; r < 5; r++) b.byte(W.drop);
        b.byte(W.i64_store).byte(3).u32(0);
        b.byte(W.local_get).u32(2).byte(W.global_set).u32(G_SCRATCH);
        b.byte(W.return);
      }
      b.byte(W.end);
      b.byte(W.unreachable);
    },
    [[1, I32]],
  );
  emitInternal(code, (b) => {
    b.byte(W.i64_const).byte(0).byte(W.global_set).u32(G_COUNT);
    b.byte(W.local_get).u32(0).byte(W.i64_trunc_f64_u).byte(W.global_set).u32(G_BUDGET);
  });
  emitInternal(code, (b) => {
    b.byte(W.global_get).u32(G_COUNT).byte(W.f64_convert_i64_u);
  });
  section(out, 10, code);
  return { bytes: out.finish(), entries };
}
