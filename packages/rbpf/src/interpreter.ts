// SPDX-License-Identifier: MIT
// The eBPF interpreter: one switch over predecoded typed arrays, registers as 32-bit halves,
// and the entry point that runs a program's compiled blocks instead when it can.
// Semantics follow RFC 9669 (the instruction set) and the kernel's interpreter for calls.

import { VmError } from './errors.js';
import type { HelperCall, HelperFn } from './helpers.js';
import { invokeHelper, storeResult } from './helpers.js';
import type { AddressSpace } from './memory.js';
import { MAX_CALL_FRAMES } from './opcodes.js';
import type { Program } from './program.js';
import { bswap32, divMod32, divMod64, mulHigh32 } from './u64.js';
import type { RegionControl } from './block-compiler.js';
import { compiledLoops } from './block-compiler.js';

/** Everything one run needs; owned by the VM and reused between runs. */
export interface InterpreterState {
  /** The program. */
  program: Program;
  /** Per slot: opcode | dst << 8 | src << 12 | offset << 16 (see {@link packCode}). */
  code: Int32Array;
  /** Immediates, with pseudo `lddw` already resolved. */
  imm: Int32Array;
  /** Upper immediates of `lddw`, resolved. */
  imm2: Int32Array;
  /** r0–r10 as (lo, hi) int32 pairs; r1..r5 and r10 set by the caller. */
  regs: Int32Array;
  /** The memory. */
  memory: AddressSpace;
  /** Helper implementations by id. */
  helpers: (HelperFn | undefined)[];
  /** The reused helper call object (its `regs` is `regs`). */
  call: HelperCall;
  /** Instruction budget; exceeding it is `BUDGET_EXHAUSTED`. */
  maxInstructions: number;
  /** Saved registers of the caller frames of local calls. */
  frames: Int32Array;
  /** Instruction to start at (0, or a callback's first instruction). */
  startPc: number;
  /**
   * Instructions executed so far in this run, shared by the run and the callbacks its helpers
   * invoke (one budget per run); kept up to date at helper calls and at the final `exit`.
   */
  counter: { executed: number };
}

/**
 * Packs each slot's opcode, registers and offset into one int32, so that the dispatch loop reads
 * one array per instruction instead of four.
 * @param p - the program.
 * @returns the packed slots.
 * @internal
 */
export function packCode(p: Program): Int32Array {
  const code = new Int32Array(p.length);
  for (let pc = 0; pc < p.length; pc++)
    code[pc] = p.opcode[pc]! | (p.dst[pc]! << 8) | (p.src[pc]! << 12) | (p.offset[pc]! << 16);
  return code;
}

const FRAME_INTS = 11; // r6..r9 lo/hi, r10 lo/hi, return pc
const TWO_32 = 4294967296;

/** Byte offset of `[reg + off]` for `size` bytes, or -1 when the access is not allowed. */
function effective(
  mem: AddressSpace,
  R: Int32Array,
  base: number,
  off: number,
  size: number,
  write: boolean,
): number {
  let lo = (R[base]! >>> 0) + off;
  let hi = R[base + 1]!;
  if (lo < 0) {
    lo += TWO_32;
    hi = (hi - 1) | 0;
  } else if (lo >= TWO_32) {
    lo -= TWO_32;
    hi = (hi + 1) | 0;
  }
  return mem.offsetOf(hi, lo, size, write);
}

function accessFault(
  mem: AddressSpace,
  R: Int32Array,
  base: number,
  off: number,
  size: number,
  write: boolean,
  pc: number,
): VmError {
  let lo = (R[base]! >>> 0) + off;
  let hi = R[base + 1]!;
  if (lo < 0) {
    lo += TWO_32;
    hi = (hi - 1) | 0;
  } else if (lo >= TWO_32) {
    lo -= TWO_32;
    hi = (hi + 1) | 0;
  }
  return mem.accessError(hi, lo, size, write ? 'store' : 'load', pc);
}

/**
 * Enters a local call: saves the caller's r6–r10 and `pc` in frame slot `depth` and moves r10 to
 * the callee's frame. Shared by the switch and the block compiler, so both stay alike.
 * @param R - register halves.
 * @param frames - saved frames.
 * @param depth - the caller's depth (0 = outermost).
 * @param pc - the `call` instruction.
 * @throws {VmError} `CALL_DEPTH_EXCEEDED` past {@link MAX_CALL_FRAMES} frames.
 * @internal
 */
export function enterLocalCall(R: Int32Array, frames: Int32Array, depth: number, pc: number): void {
  if (depth + 1 >= MAX_CALL_FRAMES) {
    throw new VmError({
      code: 'CALL_DEPTH_EXCEEDED',
      pc,
      message: `call depth exceeds ${MAX_CALL_FRAMES} frames`,
    });
  }
  const f = depth * FRAME_INTS;
  for (let i = 0; i < 10; i++) frames[f + i] = R[12 + i]!;
  frames[f + 10] = pc;
  // The callee's frame is the next 512-byte region (the next segment), so r10 keeps its low
  // half and moves one segment up: no frame reaches another's bytes.
  R[21] = R[21]! + 1;
}

/**
 * Leaves a local call: restores r6–r10 from frame slot `depth`.
 * @param R - register halves.
 * @param frames - saved frames.
 * @param depth - the caller's depth (after the decrement).
 * @returns the pc of the `call` instruction.
 * @internal
 */
export function leaveLocalCall(R: Int32Array, frames: Int32Array, depth: number): number {
  const f = depth * FRAME_INTS;
  for (let i = 0; i < 10; i++) R[12 + i] = frames[f + i]!;
  return frames[f + 10]!;
}

/**
 * Calls helper `id` on the registers in `state.regs` and stores its result in r0.
 * @param state - the run state.
 * @param id - helper id (-1: none).
 * @param pc - the calling instruction.
 * @param count - instructions executed so far in the run.
 * @returns the count after the helper (callbacks it ran included).
 * @internal
 */
export function callHelper(state: InterpreterState, id: number, pc: number, count: number): number {
  // Callbacks the helper invokes count against the same budget, from where this frame is.
  state.counter.executed = count;
  storeResult(state.regs, 0, invokeHelper(state.helpers, state.call, id, pc));
  return state.counter.executed;
}

/**
 * Runs an atomic read-modify-write (`lock ...`) on `[d + off]`.
 * @internal
 */
export function atomic(
  mem: AddressSpace,
  R: Int32Array,
  d: number,
  s: number,
  off: number,
  op: number,
  wide: boolean,
  pc: number,
): void {
  const size = wide ? 8 : 4;
  const at = effective(mem, R, d, off, size, true);
  if (at < 0) throw accessFault(mem, R, d, off, size, true, pc);
  const view = mem.view;
  const oldLo = view.getInt32(at, true);
  const oldHi = wide ? view.getInt32(at + 4, true) : 0;
  const sLo = R[s]!;
  const sHi = wide ? R[s + 1]! : 0;
  let nLo: number;
  let nHi: number;
  switch (op & 0xf0) {
    case 0x00: {
      const l = (oldLo >>> 0) + (sLo >>> 0);
      nLo = l | 0;
      nHi = (oldHi + sHi + (l > 0xffffffff ? 1 : 0)) | 0;
      break;
    }
    case 0x40:
      nLo = oldLo | sLo;
      nHi = oldHi | sHi;
      break;
    case 0x50:
      nLo = oldLo & sLo;
      nHi = oldHi & sHi;
      break;
    case 0xa0:
      nLo = oldLo ^ sLo;
      nHi = oldHi ^ sHi;
      break;
    case 0xe0: // xchg
      nLo = sLo;
      nHi = sHi;
      break;
    default: {
      // cmpxchg: compare with r0 (its low half for the 32-bit form), r0 gets the old value.
      const equal = oldLo === R[0] && (!wide || oldHi === R[1]);
      nLo = equal ? sLo : oldLo;
      nHi = equal ? sHi : oldHi;
      R[0] = oldLo;
      R[1] = oldHi;
      view.setInt32(at, nLo, true);
      if (wide) view.setInt32(at + 4, nHi, true);
      return;
    }
  }
  view.setInt32(at, nLo, true);
  if (wide) view.setInt32(at + 4, nHi, true);
  if (op & 0x01) {
    R[s] = oldLo;
    R[s + 1] = oldHi;
  }
}

/**
 * Runs a program (or a callback) from `state.startPc` until `exit` in the outermost frame: on
 * the switch interpreter, with the program's loops compiled to JavaScript (see
 * `block-compiler.ts`) unless code generation is refused or turned off.
 * @param state - the VM's run state; `regs` hold the initial registers and the final ones.
 * @returns the number of instructions executed in the run so far (`state.counter`), callbacks
 * included.
 * @throws {VmError} on any fault.
 * @internal
 */
export function interpret(state: InterpreterState): number {
  return interpretFrom(state, state.startPc, 0, state.counter.executed);
}

/**
 * The switch interpreter from any point of a run. It runs the compiled loops of the program
 * (`block-compiler.ts`) when it reaches one of their blocks, and takes over again where they
 * return (control leaves the loop, the budget runs out inside a block, an instruction they do
 * not translate).
 * @param state - the run state.
 * @param startPc - instruction to start at.
 * @param startDepth - local-call depth at that point (frames below it saved in `state.frames`).
 * @param startCount - instructions executed so far in the run.
 * @returns the run's instruction count.
 * @throws {VmError} on any fault.
 * @internal
 */
export function interpretFrom(
  state: InterpreterState,
  startPc: number,
  startDepth: number,
  startCount: number,
): number {
  const prog = state.program;
  const OPC = prog.opcode;
  const CODE = state.code;
  const IMM = state.imm;
  const IMM2 = state.imm2;
  const R = state.regs;
  const mem = state.memory;
  const frames = state.frames;
  const budget = state.maxInstructions;
  const length = prog.length;
  let view = mem.view;
  let depth = startDepth;
  let pc = startPc;
  let count = startCount;
  let at = 0;
  // compiled loops: where their blocks start, and the instruction the switch must run itself
  const loops = compiledLoops(state);
  const ENTRY = loops?.entry;
  let skip = -1;

  for (;;) {
    if (ENTRY !== undefined && ENTRY[pc]! >= 0) {
      if (pc !== skip) {
        const ctl: RegionControl = { depth, count, skip: false };
        pc = loops!.regions[ENTRY[pc]!]!(state, pc, ctl);
        if (pc < 0) return ctl.count;
        depth = ctl.depth;
        count = ctl.count;
        skip = ctl.skip ? pc : -1;
        view = mem.view;
        continue;
      }
      skip = -1;
    }
    if (count >= budget) {
      throw new VmError({
        code: 'BUDGET_EXHAUSTED',
        pc,
        message: `instruction budget of ${budget} exhausted`,
      });
    }
    count++;
    // One load for the opcode, both registers (pre-doubled: indices into R) and the offset.
    const w = CODE[pc]!;
    const d = (w >> 7) & 0x1e;
    const s = (w >> 11) & 0x1e;
    switch (w & 0xff) {
      // ALU64
      // add/sub in 32-bit arithmetic only: the carry (borrow) is an unsigned compare of the
      // low halves, so V8 never falls back to doubles.
      case 0x07: {
        // add imm
        const imm = IMM[pc]!;
        const a = R[d]!;
        const l = (a + imm) | 0;
        R[d] = l;
        R[d + 1] = (R[d + 1]! + (imm >> 31) + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
        break;
      }
      case 0x0f: {
        // add reg
        const a = R[d]!;
        const l = (a + R[s]!) | 0;
        R[d + 1] = (R[d + 1]! + R[s + 1]! + (l >>> 0 < a >>> 0 ? 1 : 0)) | 0;
        R[d] = l;
        break;
      }
      case 0x17: {
        // sub imm
        const imm = IMM[pc]!;
        const a = R[d]!;
        R[d] = (a - imm) | 0;
        R[d + 1] = (R[d + 1]! - (imm >> 31) - (a >>> 0 < imm >>> 0 ? 1 : 0)) | 0;
        break;
      }
      case 0x1f: {
        // sub reg
        const a = R[d]!;
        const b = R[s]!;
        R[d + 1] = (R[d + 1]! - R[s + 1]! - (a >>> 0 < b >>> 0 ? 1 : 0)) | 0;
        R[d] = (a - b) | 0;
        break;
      }
      case 0x27: {
        // mul imm
        const imm = IMM[pc]!;
        const aLo = R[d]!;
        R[d + 1] = mulHigh32(aLo, imm) + Math.imul(aLo, imm >> 31) + Math.imul(R[d + 1]!, imm);
        R[d] = Math.imul(aLo, imm);
        break;
      }
      case 0x2f: {
        // mul reg
        const aLo = R[d]!;
        const bLo = R[s]!;
        R[d + 1] = mulHigh32(aLo, bLo) + Math.imul(aLo, R[s + 1]!) + Math.imul(R[d + 1]!, bLo);
        R[d] = Math.imul(aLo, bLo);
        break;
      }
      case 0x37: // div imm
      case 0x97: {
        // mod imm
        const imm = IMM[pc]!;
        divMod64(R, d, imm, imm >> 31, w >> 16 === 1, (w & 0xff) === 0x97);
        break;
      }
      case 0x3f: // div reg
      case 0x9f: // mod reg
        divMod64(R, d, R[s]!, R[s + 1]!, w >> 16 === 1, (w & 0xff) === 0x9f);
        break;
      case 0x47: {
        // or imm
        const imm = IMM[pc]!;
        R[d] = R[d]! | imm;
        R[d + 1] = R[d + 1]! | (imm >> 31);
        break;
      }
      case 0x4f:
        R[d] = R[d]! | R[s]!;
        R[d + 1] = R[d + 1]! | R[s + 1]!;
        break;
      case 0x57: {
        // and imm
        const imm = IMM[pc]!;
        R[d] = R[d]! & imm;
        R[d + 1] = R[d + 1]! & (imm >> 31);
        break;
      }
      case 0x5f:
        R[d] = R[d]! & R[s]!;
        R[d + 1] = R[d + 1]! & R[s + 1]!;
        break;
      case 0x67: // lsh imm
      case 0x6f: {
        // lsh reg
        const n = ((w & 0xff) === 0x67 ? IMM[pc]! : R[s]!) & 63;
        if (n >= 32) {
          R[d + 1] = R[d]! << (n - 32);
          R[d] = 0;
        } else if (n !== 0) {
          R[d + 1] = (R[d + 1]! << n) | (R[d]! >>> (32 - n));
          R[d] = R[d]! << n;
        }
        break;
      }
      case 0x77: // rsh imm
      case 0x7f: {
        // rsh reg
        const n = ((w & 0xff) === 0x77 ? IMM[pc]! : R[s]!) & 63;
        if (n >= 32) {
          R[d] = R[d + 1]! >>> (n - 32);
          R[d + 1] = 0;
        } else if (n !== 0) {
          R[d] = (R[d]! >>> n) | (R[d + 1]! << (32 - n));
          R[d + 1] = R[d + 1]! >>> n;
        }
        break;
      }
      case 0xc7: // arsh imm
      case 0xcf: {
        // arsh reg
        const n = ((w & 0xff) === 0xc7 ? IMM[pc]! : R[s]!) & 63;
        if (n >= 32) {
          R[d] = R[d + 1]! >> (n - 32);
          R[d + 1] = R[d + 1]! >> 31;
        } else if (n !== 0) {
          R[d] = (R[d]! >>> n) | (R[d + 1]! << (32 - n));
          R[d + 1] = R[d + 1]! >> n;
        }
        break;
      }
      case 0x87: {
        // neg
        const lo = R[d]!;
        R[d] = -lo;
        R[d + 1] = ~R[d + 1]! + (lo === 0 ? 1 : 0);
        break;
      }
      case 0xa7: {
        // xor imm
        const imm = IMM[pc]!;
        R[d] = R[d]! ^ imm;
        R[d + 1] = R[d + 1]! ^ (imm >> 31);
        break;
      }
      case 0xaf:
        R[d] = R[d]! ^ R[s]!;
        R[d + 1] = R[d + 1]! ^ R[s + 1]!;
        break;
      case 0xb7: {
        // mov imm
        const imm = IMM[pc]!;
        R[d] = imm;
        R[d + 1] = imm >> 31;
        break;
      }
      case 0xbf: {
        // mov / movsx reg
        const off = w >> 16;
        if (off === 0) {
          R[d] = R[s]!;
          R[d + 1] = R[s + 1]!;
        } else if (off === 32) {
          R[d] = R[s]!;
          R[d + 1] = R[s]! >> 31;
        } else {
          const v = off === 8 ? (R[s]! << 24) >> 24 : (R[s]! << 16) >> 16;
          R[d] = v;
          R[d + 1] = v >> 31;
        }
        break;
      }
      case 0xd7: {
        // bswap
        const w = IMM[pc]!;
        if (w === 16) {
          const v = R[d]!;
          R[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
          R[d + 1] = 0;
        } else if (w === 32) {
          R[d] = bswap32(R[d]!);
          R[d + 1] = 0;
        } else {
          const lo = R[d]!;
          R[d] = bswap32(R[d + 1]!);
          R[d + 1] = bswap32(lo);
        }
        break;
      }

      // ALU32: results are zero-extended.
      case 0x04:
        R[d] = R[d]! + IMM[pc]!;
        R[d + 1] = 0;
        break;
      case 0x0c:
        R[d] = R[d]! + R[s]!;
        R[d + 1] = 0;
        break;
      case 0x14:
        R[d] = R[d]! - IMM[pc]!;
        R[d + 1] = 0;
        break;
      case 0x1c:
        R[d] = R[d]! - R[s]!;
        R[d + 1] = 0;
        break;
      case 0x24:
        R[d] = Math.imul(R[d]!, IMM[pc]!);
        R[d + 1] = 0;
        break;
      case 0x2c:
        R[d] = Math.imul(R[d]!, R[s]!);
        R[d + 1] = 0;
        break;
      case 0x34:
      case 0x94:
        R[d] = divMod32(R[d]!, IMM[pc]!, w >> 16 === 1, (w & 0xff) === 0x94);
        R[d + 1] = 0;
        break;
      case 0x3c:
      case 0x9c:
        R[d] = divMod32(R[d]!, R[s]!, w >> 16 === 1, (w & 0xff) === 0x9c);
        R[d + 1] = 0;
        break;
      case 0x44:
        R[d] = R[d]! | IMM[pc]!;
        R[d + 1] = 0;
        break;
      case 0x4c:
        R[d] = R[d]! | R[s]!;
        R[d + 1] = 0;
        break;
      case 0x54:
        R[d] = R[d]! & IMM[pc]!;
        R[d + 1] = 0;
        break;
      case 0x5c:
        R[d] = R[d]! & R[s]!;
        R[d + 1] = 0;
        break;
      case 0x64:
        R[d] = R[d]! << (IMM[pc]! & 31);
        R[d + 1] = 0;
        break;
      case 0x6c:
        R[d] = R[d]! << (R[s]! & 31);
        R[d + 1] = 0;
        break;
      case 0x74:
        R[d] = R[d]! >>> (IMM[pc]! & 31);
        R[d + 1] = 0;
        break;
      case 0x7c:
        R[d] = R[d]! >>> (R[s]! & 31);
        R[d + 1] = 0;
        break;
      case 0xc4:
        R[d] = R[d]! >> (IMM[pc]! & 31);
        R[d + 1] = 0;
        break;
      case 0xcc:
        R[d] = R[d]! >> (R[s]! & 31);
        R[d + 1] = 0;
        break;
      case 0x84:
        R[d] = -R[d]!;
        R[d + 1] = 0;
        break;
      case 0xa4:
        R[d] = R[d]! ^ IMM[pc]!;
        R[d + 1] = 0;
        break;
      case 0xac:
        R[d] = R[d]! ^ R[s]!;
        R[d + 1] = 0;
        break;
      case 0xb4:
        R[d] = IMM[pc]!;
        R[d + 1] = 0;
        break;
      case 0xbc: {
        const off = w >> 16;
        R[d] = off === 0 ? R[s]! : off === 8 ? (R[s]! << 24) >> 24 : (R[s]! << 16) >> 16;
        R[d + 1] = 0;
        break;
      }
      case 0xd4: {
        // le: truncate to the width on a little-endian machine
        const w = IMM[pc]!;
        if (w === 16) R[d] = R[d]! & 0xffff;
        if (w !== 64) R[d + 1] = 0;
        break;
      }
      case 0xdc: {
        // be
        const w = IMM[pc]!;
        if (w === 16) {
          const v = R[d]!;
          R[d] = ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
          R[d + 1] = 0;
        } else if (w === 32) {
          R[d] = bswap32(R[d]!);
          R[d + 1] = 0;
        } else {
          const lo = R[d]!;
          R[d] = bswap32(R[d + 1]!);
          R[d + 1] = bswap32(lo);
        }
        break;
      }

      // Loads and stores
      case 0x61: // ldxw
        at = effective(mem, R, s, w >> 16, 4, false);
        if (at < 0) throw accessFault(mem, R, s, w >> 16, 4, false, pc);
        R[d] = view.getInt32(at, true);
        R[d + 1] = 0;
        break;
      case 0x69: // ldxh
        at = effective(mem, R, s, w >> 16, 2, false);
        if (at < 0) throw accessFault(mem, R, s, w >> 16, 2, false, pc);
        R[d] = view.getUint16(at, true);
        R[d + 1] = 0;
        break;
      case 0x71: // ldxb
        at = effective(mem, R, s, w >> 16, 1, false);
        if (at < 0) throw accessFault(mem, R, s, w >> 16, 1, false, pc);
        R[d] = view.getUint8(at);
        R[d + 1] = 0;
        break;
      case 0x79: // ldxdw
        at = effective(mem, R, s, w >> 16, 8, false);
        if (at < 0) throw accessFault(mem, R, s, w >> 16, 8, false, pc);
        R[d] = view.getInt32(at, true);
        R[d + 1] = view.getInt32(at + 4, true);
        break;
      case 0x81: // ldxsw
        at = effective(mem, R, s, w >> 16, 4, false);
        if (at < 0) throw accessFault(mem, R, s, w >> 16, 4, false, pc);
        R[d] = view.getInt32(at, true);
        R[d + 1] = R[d]! >> 31;
        break;
      case 0x89: // ldxsh
        at = effective(mem, R, s, w >> 16, 2, false);
        if (at < 0) throw accessFault(mem, R, s, w >> 16, 2, false, pc);
        R[d] = view.getInt16(at, true);
        R[d + 1] = R[d]! >> 31;
        break;
      case 0x91: // ldxsb
        at = effective(mem, R, s, w >> 16, 1, false);
        if (at < 0) throw accessFault(mem, R, s, w >> 16, 1, false, pc);
        R[d] = view.getInt8(at);
        R[d + 1] = R[d]! >> 31;
        break;
      case 0x62: // stw
        at = effective(mem, R, d, w >> 16, 4, true);
        if (at < 0) throw accessFault(mem, R, d, w >> 16, 4, true, pc);
        view.setInt32(at, IMM[pc]!, true);
        break;
      case 0x6a: // sth
        at = effective(mem, R, d, w >> 16, 2, true);
        if (at < 0) throw accessFault(mem, R, d, w >> 16, 2, true, pc);
        view.setInt16(at, IMM[pc]!, true);
        break;
      case 0x72: // stb
        at = effective(mem, R, d, w >> 16, 1, true);
        if (at < 0) throw accessFault(mem, R, d, w >> 16, 1, true, pc);
        view.setInt8(at, IMM[pc]!);
        break;
      case 0x7a: // stdw: the immediate is sign-extended
        at = effective(mem, R, d, w >> 16, 8, true);
        if (at < 0) throw accessFault(mem, R, d, w >> 16, 8, true, pc);
        view.setInt32(at, IMM[pc]!, true);
        view.setInt32(at + 4, IMM[pc]! >> 31, true);
        break;
      case 0x63: // stxw
        at = effective(mem, R, d, w >> 16, 4, true);
        if (at < 0) throw accessFault(mem, R, d, w >> 16, 4, true, pc);
        view.setInt32(at, R[s]!, true);
        break;
      case 0x6b: // stxh
        at = effective(mem, R, d, w >> 16, 2, true);
        if (at < 0) throw accessFault(mem, R, d, w >> 16, 2, true, pc);
        view.setInt16(at, R[s]!, true);
        break;
      case 0x73: // stxb
        at = effective(mem, R, d, w >> 16, 1, true);
        if (at < 0) throw accessFault(mem, R, d, w >> 16, 1, true, pc);
        view.setInt8(at, R[s]!);
        break;
      case 0x7b: // stxdw
        at = effective(mem, R, d, w >> 16, 8, true);
        if (at < 0) throw accessFault(mem, R, d, w >> 16, 8, true, pc);
        view.setInt32(at, R[s]!, true);
        view.setInt32(at + 4, R[s + 1]!, true);
        break;
      case 0xc3: // atomic 32
        atomic(mem, R, d, s, w >> 16, IMM[pc]!, false, pc);
        break;
      case 0xdb: // atomic 64
        atomic(mem, R, d, s, w >> 16, IMM[pc]!, true, pc);
        break;
      case 0x18: // lddw
        R[d] = IMM[pc]!;
        R[d + 1] = IMM2[pc]!;
        pc++;
        break;

      // JMP (64-bit compares)
      case 0x05:
        pc += w >> 16;
        break;
      case 0x15:
        if (R[d] === IMM[pc] && R[d + 1] === IMM[pc]! >> 31) pc += w >> 16;
        break;
      case 0x1d:
        if (R[d] === R[s] && R[d + 1] === R[s + 1]) pc += w >> 16;
        break;
      case 0x55:
        if (R[d] !== IMM[pc] || R[d + 1] !== IMM[pc]! >> 31) pc += w >> 16;
        break;
      case 0x5d:
        if (R[d] !== R[s] || R[d + 1] !== R[s + 1]) pc += w >> 16;
        break;
      case 0x45: {
        const imm = IMM[pc]!;
        if ((R[d]! & imm) !== 0 || (R[d + 1]! & (imm >> 31)) !== 0) pc += w >> 16;
        break;
      }
      case 0x4d:
        if ((R[d]! & R[s]!) !== 0 || (R[d + 1]! & R[s + 1]!) !== 0) pc += w >> 16;
        break;
      case 0x25:
      case 0x2d:
      case 0x35:
      case 0x3d:
      case 0xa5:
      case 0xad:
      case 0xb5:
      case 0xbd: {
        const op = w & 0xff;
        const reg = (op & 0x08) !== 0;
        const bLo = reg ? R[s]! : IMM[pc]!;
        const bHi = reg ? R[s + 1]! : IMM[pc]! >> 31;
        const aH = R[d + 1]! >>> 0;
        const bH = bHi >>> 0;
        // cmp: -1, 0, 1 as unsigned 64-bit
        const cmp =
          aH !== bH
            ? aH < bH
              ? -1
              : 1
            : R[d]! >>> 0 < bLo >>> 0
              ? -1
              : R[d]! >>> 0 > bLo >>> 0
                ? 1
                : 0;
        const code = op & 0xf0;
        if (code === 0x20 ? cmp > 0 : code === 0x30 ? cmp >= 0 : code === 0xa0 ? cmp < 0 : cmp <= 0)
          pc += w >> 16;
        break;
      }
      case 0x65:
      case 0x6d:
      case 0x75:
      case 0x7d:
      case 0xc5:
      case 0xcd:
      case 0xd5:
      case 0xdd: {
        const op = w & 0xff;
        const reg = (op & 0x08) !== 0;
        const bLo = reg ? R[s]! : IMM[pc]!;
        const bHi = reg ? R[s + 1]! : IMM[pc]! >> 31;
        const aH = R[d + 1]!;
        const cmp =
          aH !== bHi
            ? aH < bHi
              ? -1
              : 1
            : R[d]! >>> 0 < bLo >>> 0
              ? -1
              : R[d]! >>> 0 > bLo >>> 0
                ? 1
                : 0;
        const code = op & 0xf0;
        if (code === 0x60 ? cmp > 0 : code === 0x70 ? cmp >= 0 : code === 0xc0 ? cmp < 0 : cmp <= 0)
          pc += w >> 16;
        break;
      }

      // JMP32 (compare the low halves)
      case 0x06:
        pc += IMM[pc]!;
        break;
      case 0x16:
      case 0x1e:
      case 0x56:
      case 0x5e:
      case 0x46:
      case 0x4e:
      case 0x26:
      case 0x2e:
      case 0x36:
      case 0x3e:
      case 0xa6:
      case 0xae:
      case 0xb6:
      case 0xbe:
      case 0x66:
      case 0x6e:
      case 0x76:
      case 0x7e:
      case 0xc6:
      case 0xce:
      case 0xd6:
      case 0xde: {
        const op = w & 0xff;
        const a = R[d]!;
        const b = (op & 0x08) !== 0 ? R[s]! : IMM[pc]!;
        let taken: boolean;
        switch (op & 0xf0) {
          case 0x10:
            taken = a === b;
            break;
          case 0x50:
            taken = a !== b;
            break;
          case 0x40:
            taken = (a & b) !== 0;
            break;
          case 0x20:
            taken = a >>> 0 > b >>> 0;
            break;
          case 0x30:
            taken = a >>> 0 >= b >>> 0;
            break;
          case 0xa0:
            taken = a >>> 0 < b >>> 0;
            break;
          case 0xb0:
            taken = a >>> 0 <= b >>> 0;
            break;
          case 0x60:
            taken = a > b;
            break;
          case 0x70:
            taken = a >= b;
            break;
          case 0xc0:
            taken = a < b;
            break;
          default:
            taken = a <= b;
            break;
        }
        if (taken) pc += w >> 16;
        break;
      }

      case 0x85: {
        // call
        if (((w >> 12) & 0xf) === 1) {
          enterLocalCall(R, frames, depth, pc);
          depth++;
          pc += IMM[pc]!;
        } else {
          count = callHelper(state, IMM[pc]!, pc, count);
          view = mem.view;
        }
        break;
      }
      case 0x8d: // callx: helper id in dst
        count = callHelper(state, R[d + 1] === 0 ? R[d]! : -1, pc, count);
        view = mem.view;
        break;
      case 0x95: // exit
        if (depth === 0) {
          state.counter.executed = count;
          return count;
        }
        depth--;
        pc = leaveLocalCall(R, frames, depth);
        break;
      default:
        if (pc >= length) {
          throw new VmError({
            code: 'JUMP_OUT_OF_CODE',
            pc,
            message: 'execution ran past the last instruction',
          });
        }
        throw new VmError({
          code: 'UNKNOWN_OPCODE',
          pc,
          opcode: OPC[pc]!,
          message: `unknown opcode \`0x${OPC[pc]!.toString(16).padStart(2, '0')}\``,
        });
    }
    pc++;
  }
}
