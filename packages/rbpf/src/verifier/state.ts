// SPDX-License-Identifier: MIT
// Abstract machine state of the verifier: register types, stack slots, call frames.

import type { Scalar, Scalar as ScalarT } from './scalar.js';
import {
  formatScalar,
  normalize,
  S64_MAX,
  S64_MIN,
  scalarEqual,
  scalarWithin,
  U64_MAX,
} from './scalar.js';

/** Bytes per stack frame. */
export const FRAME_BYTES = 512;

/**
 * The abstract value of one register. Pointer offsets are intervals `[lo, hi]` of byte offsets
 * (stack offsets are relative to the frame top, so negative).
 */
export type RegState =
  | { readonly kind: 'uninit' }
  | { readonly kind: 'scalar'; readonly s: Scalar }
  | { readonly kind: 'ctx'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'stack'; readonly frame: number; readonly lo: number; readonly hi: number }
  | { readonly kind: 'mem'; readonly lo: number; readonly hi: number }
  | {
      readonly kind: 'map_value';
      readonly map: number;
      readonly lo: number;
      readonly hi: number;
      readonly nullId: number;
    }
  | { readonly kind: 'map'; readonly map: number };

/** Names of the register kinds, as messages spell them. */
export const KIND_NAMES: Record<RegState['kind'], string> = {
  uninit: 'uninitialised',
  scalar: 'a scalar',
  ctx: 'a context pointer',
  stack: 'a stack pointer',
  mem: 'a memory pointer',
  map_value: 'a map value pointer',
  map: 'a map pointer',
};

/** The uninitialised register. */
export const UNINIT: RegState = { kind: 'uninit' };

/** Stack byte states. */
export const STACK_UNINIT = 0;
/** An initialised byte of unknown content. */
export const STACK_MISC = 1;
/** A byte of a spilled register (8-byte aligned slot). */
export const STACK_SPILL = 2;

/** One call frame. */
export interface Frame {
  /** r0..r10. */
  regs: RegState[];
  /** One state byte per stack byte; index 0 is `r10 - 512`. */
  stack: Uint8Array;
  /** Spilled registers by slot (`(512 + off) / 8`). */
  spills: Map<number, RegState>;
  /** Instruction index of the call that made this frame (-1 for the main frame). */
  callsite: number;
  /** First instruction of the frame's subprogram. */
  entry: number;
}

/** The whole abstract state along one path. */
export interface State {
  frames: Frame[];
  /** The length of the raw memory (`raw-memory` type). */
  memLen: Scalar;
}

/** @returns a deep copy (register values are immutable and shared). */
export function cloneState(s: State): State {
  return {
    memLen: s.memLen,
    frames: s.frames.map((f) => ({
      regs: f.regs.slice(),
      stack: f.stack.slice(),
      spills: new Map(f.spills),
      callsite: f.callsite,
      entry: f.entry,
    })),
  };
}

/** @returns whether the values of `inner` are all values of `outer`; `exact` asks for equality. */
export function regWithin(inner: RegState, outer: RegState, exact: boolean): boolean {
  if (outer.kind === 'uninit') return exact ? inner.kind === 'uninit' : true;
  if (inner.kind !== outer.kind) return false;
  switch (outer.kind) {
    case 'scalar': {
      const a = (inner as { s: Scalar }).s;
      if (exact) return scalarEqual(a, outer.s);
      if (outer.s.id !== 0 && a.id !== outer.s.id) return false;
      return scalarWithin(a, outer.s);
    }
    case 'map':
      return (inner as { map: number }).map === outer.map;
    case 'map_value': {
      const i = inner as typeof outer;
      if (i.map !== outer.map || i.nullId !== outer.nullId) return false;
      return exact ? i.lo === outer.lo && i.hi === outer.hi : i.lo >= outer.lo && i.hi <= outer.hi;
    }
    case 'stack': {
      const i = inner as typeof outer;
      if (i.frame !== outer.frame) return false;
      return exact ? i.lo === outer.lo && i.hi === outer.hi : i.lo >= outer.lo && i.hi <= outer.hi;
    }
    default: {
      const i = inner as { lo: number; hi: number };
      return exact ? i.lo === outer.lo && i.hi === outer.hi : i.lo >= outer.lo && i.hi <= outer.hi;
    }
  }
}

/** Every register r0..r10 (a mask of {@link stateWithin}'s `needed`). */
export const ALL_REGISTERS = 0x7ff;

/**
 * @returns whether every concrete state of `inner` is one of `outer` (so a path from `inner`
 * is safe when the path from `outer` was), or with `exact`, whether they are equal.
 * @param needed - bit mask of the registers whose scalar value matters from here on; other
 * registers only need the same kind.
 */
export function stateWithin(
  inner: State,
  outer: State,
  exact: boolean,
  needed = ALL_REGISTERS,
): boolean {
  if (inner.frames.length !== outer.frames.length) return false;
  if (exact ? !scalarEqual(inner.memLen, outer.memLen) : !scalarWithin(inner.memLen, outer.memLen))
    return false;
  // deepest frame first: that is where states usually differ (its registers, its loop counter)
  for (let f = outer.frames.length - 1; f >= 0; f--) {
    const a = inner.frames[f]!;
    const b = outer.frames[f]!;
    if (a.callsite !== b.callsite) return false;
    for (let r = 0; r < 11; r++) {
      const x = a.regs[r]!;
      const y = b.regs[r]!;
      // A scalar whose value no later check can depend on matches any scalar (Linux's
      // precision tracking: only precise registers must be within for a state to be pruned).
      if ((needed & (1 << r)) === 0 && x.kind === 'scalar' && y.kind === 'scalar') continue;
      if (!regWithin(x, y, exact)) return false;
    }
    for (const [slot, spilled] of b.spills) {
      const mine = a.spills.get(slot);
      if (mine === undefined || !regWithin(mine, spilled, exact)) return false;
    }
    if (exact && a.spills.size !== b.spills.size) return false;
    if (a.stack !== b.stack) {
      const as = a.stack;
      const bs = b.stack;
      for (let i = 0; i < FRAME_BYTES; i++) {
        const ob = bs[i]!;
        const ib = as[i]!;
        if (ob === ib) continue;
        if (exact || ib === STACK_UNINIT || ob === STACK_SPILL) return false;
      }
    }
  }
  return true;
}

/** @returns a register as the kernel log writes it (`scalar(umax=255)`, `fp-8`, `ctx(off=4)`). */
export function formatReg(r: RegState): string {
  const range = (lo: number, hi: number) => (lo === hi ? `${lo}` : `[${lo},${hi}]`);
  switch (r.kind) {
    case 'uninit':
      return 'uninit';
    case 'scalar':
      return `scalar${formatScalar(r.s)}`;
    case 'ctx':
      return `ctx(off=${range(r.lo, r.hi)})`;
    case 'stack':
      return `fp${r.frame}${r.lo === r.hi ? (r.lo === 0 ? '' : r.lo) : range(r.lo, r.hi)}`;
    case 'mem':
      return `mem(off=${range(r.lo, r.hi)})`;
    case 'map_value':
      return `map_value${r.nullId !== 0 ? '_or_null' : ''}(map=${r.map},off=${range(r.lo, r.hi)})`;
    case 'map':
      return `map_ptr(map=${r.map})`;
  }
}

/** @returns the initialised registers of the innermost frame, `R0=... R1=...`. */
export function formatRegs(s: State): string {
  const f = s.frames[s.frames.length - 1]!;
  const out: string[] = [];
  for (let r = 0; r < 11; r++)
    if (f.regs[r]!.kind !== 'uninit') out.push(`R${r}=${formatReg(f.regs[r]!)}`);
  return out.join(' ');
}

/** Join of two scalars; each bound of `b` (the newer) that moves past `a`'s is widened to the limit. */
function hull(a: ScalarT, b: ScalarT): ScalarT {
  const mask = a.mask | b.mask | (a.value ^ b.value);
  return normalize({
    smin: b.smin < a.smin ? S64_MIN : a.smin,
    smax: b.smax > a.smax ? S64_MAX : a.smax,
    umin: b.umin < a.umin ? 0n : a.umin,
    umax: b.umax > a.umax ? U64_MAX : a.umax,
    value: a.value & b.value & ~mask & U64_MAX,
    mask,
    id: a.id === b.id ? a.id : 0,
  });
}

/** @returns a register value covering both (uninitialised when they cannot be combined). */
export function joinReg(a: RegState, b: RegState): RegState {
  if (a.kind !== b.kind) return UNINIT;
  switch (a.kind) {
    case 'uninit':
      return a;
    case 'scalar':
      return { kind: 'scalar', s: hull(a.s, (b as typeof a).s) };
    case 'map':
      return a.map === (b as typeof a).map ? a : UNINIT;
    case 'map_value': {
      const o = b as typeof a;
      if (o.map !== a.map || o.nullId !== a.nullId) return UNINIT;
      return { ...a, lo: Math.min(a.lo, o.lo), hi: Math.max(a.hi, o.hi) };
    }
    case 'stack': {
      const o = b as typeof a;
      if (o.frame !== a.frame) return UNINIT;
      return { ...a, lo: Math.min(a.lo, o.lo), hi: Math.max(a.hi, o.hi) };
    }
    default: {
      const o = b as { lo: number; hi: number };
      return { ...a, lo: Math.min(a.lo, o.lo), hi: Math.max(a.hi, o.hi) };
    }
  }
}

/**
 * Joins an earlier state `a` with a newer `b` at the same point, widening scalar bounds that
 * grew (so that repeated joins stop changing quickly).
 * @returns a state covering both (every concrete state of either is one of the result), or
 * undefined when their call stacks differ.
 */
export function joinState(a: State, b: State): State | undefined {
  if (a.frames.length !== b.frames.length) return undefined;
  const frames: Frame[] = [];
  for (let f = 0; f < a.frames.length; f++) {
    const x = a.frames[f]!;
    const y = b.frames[f]!;
    if (x.callsite !== y.callsite || x.entry !== y.entry) return undefined;
    const regs = x.regs.map((r, i) => joinReg(r, y.regs[i]!));
    const stack = new Uint8Array(FRAME_BYTES);
    const spills = new Map<number, RegState>();
    for (let slot = 0; slot < FRAME_BYTES / 8; slot++) {
      const sx = x.spills.get(slot);
      const sy = y.spills.get(slot);
      const j = sx !== undefined && sy !== undefined ? joinReg(sx, sy) : UNINIT;
      if (j.kind !== 'uninit') {
        spills.set(slot, j);
        stack.fill(STACK_SPILL, slot * 8, slot * 8 + 8);
        continue;
      }
      for (let i = slot * 8; i < slot * 8 + 8; i++) {
        stack[i] =
          x.stack[i] === STACK_UNINIT || y.stack[i] === STACK_UNINIT ? STACK_UNINIT : STACK_MISC;
      }
    }
    frames.push({ regs, stack, spills, callsite: x.callsite, entry: x.entry });
  }
  return { frames, memLen: hull(a.memLen, b.memLen) };
}
