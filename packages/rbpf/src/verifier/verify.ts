// SPDX-License-Identifier: MIT
// The verifier: structural checks over the control-flow graph, then a path-sensitive abstract
// interpretation (register types, scalar ranges, stack slots, call frames) with state pruning.

import { formatInsn } from '../disassembler.js';
import { MAX_CALL_FRAMES, OP } from '../opcodes.js';
import { Program } from '../program.js';
import { recordVerified } from '../verified.js';
import { VerifierError, type VerifierErrorCode } from './errors.js';
import type { ContextLayout, HelperSignature, MapInfo, ProgramType } from './program-types.js';
import { CONFORMANCE_HELPERS, LINUX_TRACING_HELPERS } from './program-types.js';
import type { Scalar } from './scalar.js';
import * as S from './scalar.js';
import type { Frame, RegState, State } from './state.js';
import {
  ALL_REGISTERS,
  cloneState,
  FRAME_BYTES,
  joinState,
  formatRegs,
  KIND_NAMES,
  STACK_MISC,
  STACK_SPILL,
  STACK_UNINIT,
  stateWithin,
  UNINIT,
} from './state.js';

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** What the program is loaded as: decides r1/r2 at entry, context rules and helpers. */
  programType: ProgramType;
  /** `raw-memory`: the memory length when known (the conformance suite's `mem` size). */
  memorySize?: number;
  /** `raw-memory`: whether the program may write the memory. Default true. */
  memoryWritable?: boolean;
  /** `tracepoint`: the record layout (required for that type). */
  context?: ContextLayout;
  /** Helper signatures by id, added to (and overriding) the program type's table. */
  helpers?: ReadonlyMap<number, HelperSignature>;
  /** Maps by the fd their pseudo `lddw` names. */
  maps?: ReadonlyMap<number, MapInfo>;
  /** Analysis budget: instructions the verifier may walk through in all. Default 1,000,000. */
  maxInstructions?: number;
  /**
   * Distinct states a point outside a running loop may see before the verifier continues with
   * one state covering them all (path-explosion control; lower is faster but less precise).
   * Default 4.
   */
  joinAfter?: number;
  /** States kept per pruning point. Default 64. */
  maxStatesPerInsn?: number;
  /**
   * Complexity bound: instructions analysed plus stored states compared at pruning points,
   * in all. Deterministic (the same program gets the same verdict on any machine); the
   * default, 300,000, keeps the worst case of a 4,096-instruction program under a second.
   * Exceeding it is `COMPLEXITY_LIMIT`.
   */
  maxWork?: number;
  /**
   * Division by a register that may be zero: `allow` (the ISA defines `x / 0 = 0` and
   * `x % 0 = x`; the default) or `reject`.
   */
  divisionByZero?: 'allow' | 'reject';
  /** Instructions no path reaches: `reject` (like Linux, the default) or `allow`. */
  unreachable?: 'reject' | 'allow';
  /** Record a log: `true` for the summary and errors, `'verbose'` for every instruction. */
  log?: boolean | 'verbose';
  /** @internal Entry state override (test translators). */
  entryState?: (state: State) => void;
}

/** Result of a successful {@link verify}. */
export interface VerifyResult {
  /** Always true (failures throw). */
  ok: true;
  /** Instructions walked through, over all paths (the kernel's `processed N insns`). */
  insnProcessed: number;
  /** States kept for pruning. */
  statesStored: number;
  /** Paths cut because an earlier, wider state at the same point was already proven safe. */
  statesPruned: number;
  /** Times states were merged at a join point (see `joinAfter`). */
  statesJoined: number;
  /** Deepest stack use of any frame, in bytes. */
  maxStackDepth: number;
  /** The log text, when asked for. */
  log?: string;
}

interface Node {
  state: State;
  parent: Node | undefined;
  live: number;
  done: boolean;
}

interface Work {
  pc: number;
  state: State;
  node: Node;
}

const LEN_ID = 1;
const BOUND = 1 << 29;

function isCondJump(op: number): boolean {
  const cls = op & 7;
  if (cls !== 5 && cls !== 6) return false;
  const code = op & 0xf0;
  return code !== 0x00 && code !== 0x80 && code !== 0x90;
}

/**
 * Verifies that a program is safe to run: it terminates, reads no uninitialised register or
 * stack byte, touches memory only inside the regions it may (proven for every path), passes
 * helpers the arguments they expect, and returns a number.
 *
 * @param program - a decoded program or its bytecode (decoded with `Program.fromBytes`).
 * @param options - program type and its parameters, helpers, maps, budget, log.
 * @returns statistics (and the log when asked for).
 * @throws {VerifierError} with the pc, the register and the reason when the program is not
 * proven safe. `ProgramError` for bytecode that does not decode.
 *
 * @example
 * ```ts
 * import { assemble, verify } from '@axebpf/rbpf';
 * verify(assemble('ldxb %r0, [%r1+2]\nexit'), { programType: 'raw-memory', memorySize: 4 });
 * ```
 */
export function verify(program: Program | Uint8Array, options: VerifyOptions): VerifyResult {
  const prog = program instanceof Program ? program : Program.fromBytes(program);
  const result = new Verifier(prog, options).run();
  // The Wasm engine may now run these instructions without per-access bounds checks, given a
  // context at least this large (see ../verified.ts).
  // A test's entry-state override changes what was assumed: no record then.
  if (options.entryState !== undefined) return result;
  if (options.programType === 'tracepoint') recordVerified(prog, options.context?.size ?? 0, false);
  else recordVerified(prog, options.memorySize ?? 0, options.memoryWritable ?? true);
  return result;
}

class Verifier {
  readonly prog: Program;
  readonly opts: VerifyOptions;
  readonly helpers: Map<number, HelperSignature>;
  readonly maps: ReadonlyMap<number, MapInfo>;
  readonly pruneAt: Uint8Array;
  readonly visited = new Map<number, Node[]>();
  readonly logLines: string[] = [];
  readonly verbose: boolean;
  readonly logOn: boolean;
  processed = 0;
  stored = 0;
  pruned = 0;
  joined = 0;
  work = 0;
  readonly joinAfter: number;
  /** Per pc, the registers whose scalar value matters from there on (undefined: all). */
  needed: Uint16Array | undefined;
  maxDepth = 0;
  nextId = LEN_ID + 1;
  pc = 0;

  constructor(prog: Program, opts: VerifyOptions) {
    this.prog = prog;
    this.opts = opts;
    this.helpers = new Map(
      opts.programType === 'tracepoint' ? LINUX_TRACING_HELPERS : CONFORMANCE_HELPERS,
    );
    for (const [id, sig] of opts.helpers ?? []) this.helpers.set(id, sig);
    this.maps = opts.maps ?? new Map();
    this.pruneAt = new Uint8Array(prog.length);
    this.logOn = opts.log !== undefined && opts.log !== false;
    this.verbose = opts.log === 'verbose';
    this.joinAfter = opts.joinAfter ?? 4;
  }

  fail(code: VerifierErrorCode, message: string, register?: number, pc = this.pc): never {
    const e = new VerifierError({
      code,
      message,
      pc,
      ...(register === undefined ? {} : { register }),
    });
    if (this.logOn) {
      this.logLines.push(e.message);
      e.log = this.logLines.join('\n');
    }
    throw e;
  }

  run(): VerifyResult {
    if (this.opts.programType === 'tracepoint' && this.opts.context === undefined) {
      this.fail(
        'UNSUPPORTED',
        'the tracepoint program type needs `context` (the record layout)',
        undefined,
        0,
      );
    }
    this.structural();
    this.needed = neededRegisters(this.prog);
    this.analyse();
    const summary = `processed ${this.processed} insns (work ${this.work}) (limit ${this.opts.maxInstructions ?? 1_000_000}) states_stored ${this.stored} states_pruned ${this.pruned} max_stack ${this.maxDepth}`;
    if (this.logOn) this.logLines.push(summary);
    return {
      ok: true,
      insnProcessed: this.processed,
      statesStored: this.stored,
      statesPruned: this.pruned,
      statesJoined: this.joined,
      maxStackDepth: this.maxDepth,
      ...(this.logOn ? { log: this.logLines.join('\n') } : {}),
    };
  }

  // ---------------------------------------------------------------- structural checks

  structural(): void {
    const p = this.prog;
    const n = p.length;
    const second = new Uint8Array(n);
    for (let pc = 0; pc < n; pc++) if (p.opcode[pc] === OP.LDDW) second[++pc] = 1;
    // subprograms
    const starts = new Set<number>([0]);
    for (let pc = 0; pc < n; pc++) {
      if (second[pc]) continue;
      if (p.opcode[pc] === OP.CALL && p.src[pc] === 1) starts.add(pc + p.imm[pc]! + 1);
    }
    const sorted = [...starts].sort((a, b) => a - b);
    const subOf = new Int32Array(n);
    for (let i = 0, s = 0; i < n; i++) {
      while (s + 1 < sorted.length && sorted[s + 1]! <= i) s++;
      subOf[i] = s;
    }
    const reach = new Uint8Array(n);
    const todo: number[] = [0];
    const mark = (from: number, to: number, fall: boolean) => {
      if (to >= n) {
        this.fail(
          'FALLS_OFF_END',
          'execution can run past the last instruction: end every path with `exit` or a jump',
          undefined,
          from,
        );
      }
      if (subOf[to] !== subOf[from]) {
        if (fall)
          this.fail(
            'FALLS_OFF_END',
            `execution falls through into the function at insn #${to}: end the function with \`exit\` or a jump`,
            undefined,
            from,
          );
        this.fail(
          'JUMP_OUT_OF_SUBPROGRAM',
          `jump to insn #${to} leaves the current function: use a call`,
          undefined,
          from,
        );
      }
      if (!reach[to]) {
        reach[to] = 1;
        todo.push(to);
      }
    };
    reach[0] = 1;
    while (todo.length > 0) {
      const pc = todo.pop()!;
      const op = p.opcode[pc]!;
      const cls = op & 7;
      if (op === OP.LDDW) {
        mark(pc, pc + 2, true);
        continue;
      }
      if (op === OP.EXIT) continue;
      if (op === OP.CALL) {
        if (p.src[pc] === 1) {
          const t = pc + p.imm[pc]! + 1;
          if (!reach[t]) {
            reach[t] = 1;
            todo.push(t);
          }
        } else if (!this.helpers.has(p.imm[pc]!)) {
          this.fail(
            'UNKNOWN_HELPER',
            `helper #${p.imm[pc]} is not known for the ${this.opts.programType} program type`,
            undefined,
            pc,
          );
        }
        mark(pc, pc + 1, true);
        continue;
      }
      if (op === OP.JA || op === OP.JA32) {
        const t = pc + (op === OP.JA32 ? p.imm[pc]! : p.offset[pc]!) + 1;
        this.pruneAt[t] = 1;
        mark(pc, t, false);
        continue;
      }
      if ((cls === 5 || cls === 6) && op !== OP.CALLX && isCondJump(op)) {
        const t = pc + p.offset[pc]! + 1;
        this.pruneAt[t] = 1;
        mark(pc, t, false);
        if (pc + 1 < n) this.pruneAt[pc + 1] = 1;
        mark(pc, pc + 1, true);
        continue;
      }
      mark(pc, pc + 1, true);
    }
    if (this.opts.unreachable !== 'allow') {
      for (let pc = 0; pc < n; pc++) {
        if (!second[pc] && !reach[pc])
          this.fail(
            'UNREACHABLE_INSN',
            'this instruction is unreachable: remove dead code',
            undefined,
            pc,
          );
      }
    }
  }

  // ---------------------------------------------------------------- analysis driver

  entry(): State {
    const regs: RegState[] = new Array(11).fill(UNINIT);
    const frame: Frame = {
      regs,
      stack: new Uint8Array(FRAME_BYTES),
      spills: new Map(),
      callsite: -1,
      entry: 0,
    };
    regs[10] = { kind: 'stack', frame: 0, lo: 0, hi: 0 };
    let memLen: Scalar = S.constant(0n);
    if (this.opts.programType === 'raw-memory') {
      memLen =
        this.opts.memorySize !== undefined
          ? S.constant(BigInt(this.opts.memorySize))
          : S.withId(S.unsignedRange(0n, S.U32_MAX), LEN_ID);
      regs[1] = { kind: 'mem', lo: 0, hi: 0 };
      regs[2] = { kind: 'scalar', s: memLen };
    } else {
      regs[1] = { kind: 'ctx', lo: 0, hi: 0 };
    }
    const state: State = { frames: [frame], memLen };
    this.opts.entryState?.(state);
    return state;
  }

  release(node: Node | undefined): void {
    while (node !== undefined) {
      node.live--;
      if (node.live > 0) return;
      node.done = true;
      node = node.parent;
    }
  }

  analyse(): void {
    const limit = this.opts.maxInstructions ?? 1_000_000;
    const cap = this.opts.maxStatesPerInsn ?? 64;
    const maxWork = this.opts.maxWork ?? 300_000;
    const tooComplex = (): never =>
      this.fail(
        'COMPLEXITY_LIMIT',
        `the program is too complex to verify: the analysis reached its bound of ${maxWork} steps (instructions analysed plus states compared) without finishing (loops with large or unproven bounds multiply paths); bound loops tighter or raise maxWork`,
      );
    const root: Node = { state: this.entry(), parent: undefined, live: 1, done: false };
    const work: Work[] = [{ pc: 0, state: cloneState(root.state), node: root }];
    while (work.length > 0) {
      const w = work.pop()!;
      let { pc, state, node } = w;
      for (;;) {
        this.pc = pc;
        if (++this.processed > limit) {
          this.fail(
            'COMPLEXITY_LIMIT',
            `the program is too complex to verify: ${limit} instructions analysed without finishing (loops with large or unproven bounds multiply paths); bound loops tighter or raise maxInstructions`,
          );
        }
        // deeper call stacks cost more per step (clones, comparisons): weigh by frames
        this.work += state.frames.length;
        if (this.work > maxWork) tooComplex();
        if (this.pruneAt[pc]) {
          let list = this.visited.get(pc);
          let prune = false;
          const needed = this.needed === undefined ? ALL_REGISTERS : this.needed[pc]!;
          if (list !== undefined) {
            // checked at the next instruction, where the instruction limit is checked too
            this.work += list.length * state.frames.length;
            for (const v of list) {
              if (v.done) {
                if (stateWithin(state, v.state, false, needed)) {
                  prune = true;
                  break;
                }
              } else if (stateWithin(state, v.state, true, needed)) {
                this.fail(
                  'INFINITE_LOOP',
                  'infinite loop: this point is reached again with the same state, so the loop makes no progress; make sure its counter changes and is bounded',
                );
              }
            }
          } else {
            list = [];
            this.visited.set(pc, list);
          }
          if (!prune && list.length >= this.joinAfter && list.every((v) => v.done)) {
            // many different states meet here outside any loop in progress: continue with one
            // state covering them (a sound over-approximation that stops path explosion)
            const last = list[list.length - 1]!;
            const joined = joinState(last.state, state);
            if (joined !== undefined) {
              state = joined;
              if (stateWithin(state, last.state, false, needed)) prune = true;
              this.joined++;
            }
          }
          if (prune) {
            this.pruned++;
            if (this.verbose) this.logLines.push(`${pc}: safe (state pruned)`);
            this.release(node);
            break;
          }
          const child: Node = { state: cloneState(state), parent: node, live: 1, done: false };
          list.push(child);
          this.stored++;
          if (list.length > cap) {
            // forget the oldest state (less pruning and loop detection; the budget still bounds)
            const i = list.findIndex((v) => v.done);
            list.splice(i >= 0 ? i : 0, 1);
          }
          node = child;
        }
        if (this.verbose)
          this.logLines.push(`${pc}: ${formatInsn(this.prog.insn(pc))} ; ${formatRegs(state)}`);
        const next = this.step(pc, state);
        if (next === undefined) {
          this.release(node);
          break;
        }
        if (next.length === 0) {
          this.release(node);
          break;
        }
        for (let i = 1; i < next.length; i++) {
          node.live++;
          work.push({ pc: next[i]![0], state: next[i]![1], node });
        }
        pc = next[0]![0];
        state = next[0]![1];
      }
    }
  }

  // ---------------------------------------------------------------- helpers on state

  frame(s: State): Frame {
    return s.frames[s.frames.length - 1]!;
  }

  read(s: State, r: number): RegState {
    const v = this.frame(s).regs[r]!;
    if (v.kind === 'uninit') {
      this.fail(
        'UNINITIALIZED_REGISTER',
        `r${r} is read before it is set: assign it first${r >= 1 && r <= 5 ? ' (a call leaves r1-r5 unset)' : ''}`,
        r,
      );
    }
    return v;
  }

  scalarOf(s: State, r: number, what: string): Scalar {
    const v = this.read(s, r);
    if (v.kind !== 'scalar')
      this.fail(
        'INVALID_POINTER_ARITHMETIC',
        `r${r} holds ${KIND_NAMES[v.kind]}: ${what} needs a scalar`,
        r,
      );
    return v.s;
  }

  /** Sets a register, propagating a refined value to every register linked to it. */
  setScalarLinked(s: State, r: number, v: Scalar): void {
    const f = this.frame(s);
    const old = f.regs[r]!;
    f.regs[r] = { kind: 'scalar', s: v };
    if (old.kind !== 'scalar' || old.s.id === 0) return;
    const id = old.s.id;
    for (const fr of s.frames) {
      for (let i = 0; i < 11; i++) {
        const x = fr.regs[i]!;
        if (x.kind === 'scalar' && x.s.id === id)
          fr.regs[i] = { kind: 'scalar', s: S.withId(v, id) };
      }
      for (const [k, x] of fr.spills)
        if (x.kind === 'scalar' && x.s.id === id)
          fr.spills.set(k, { kind: 'scalar', s: S.withId(v, id) });
    }
    if (id === LEN_ID) s.memLen = S.withId(v, id);
  }

  // ---------------------------------------------------------------- one instruction

  /** @returns successor (pc, state) pairs; empty when the path ends. */
  step(pc: number, s: State): Array<[number, State]> | undefined {
    const p = this.prog;
    const op = p.opcode[pc]!;
    const cls = op & 7;
    const dst = p.dst[pc]!;
    const src = p.src[pc]!;
    const off = p.offset[pc]!;
    const imm = p.imm[pc]!;
    const f = this.frame(s);
    switch (cls) {
      case 0: {
        // lddw
        if (src === 0)
          f.regs[dst] = {
            kind: 'scalar',
            s: S.constant((BigInt(p.imm2[pc]!) << 32n) | BigInt(imm >>> 0)),
          };
        else {
          const map = this.maps.get(imm);
          if (map === undefined)
            this.fail(
              'INVALID_MAP',
              `map fd ${imm} is not known: pass it in the \`maps\` option`,
              dst,
            );
          if (src === 1) f.regs[dst] = { kind: 'map', map: imm };
          else {
            const o = p.imm2[pc]!;
            if (o < 0 || o >= map.valueSize)
              this.fail(
                'OUT_OF_BOUNDS',
                `map value offset ${o} is outside the ${map.valueSize}-byte value`,
                dst,
              );
            f.regs[dst] = { kind: 'map_value', map: imm, lo: o, hi: o, nullId: 0 };
          }
        }
        return [[pc + 2, s]];
      }
      case 4:
      case 7:
        this.alu(pc, s, op, dst, src, off, imm, cls === 7);
        return [[pc + 1, s]];
      case 1: {
        const mode = op & 0xe0;
        const size = sizeOf(op);
        const ptr = this.read(s, src);
        const loaded = this.access(s, src, ptr, off, size, 'read');
        if (mode === 0x80) f.regs[dst] = { kind: 'scalar', s: S.signedOfWidth(size * 8) };
        else f.regs[dst] = loaded ?? { kind: 'scalar', s: S.unsignedOfWidth(size * 8) };
        return [[pc + 1, s]];
      }
      case 2: {
        const ptr = this.read(s, dst);
        this.access(s, dst, ptr, off, sizeOf(op), 'write', {
          kind: 'scalar',
          s: S.constant(BigInt(imm)),
        });
        return [[pc + 1, s]];
      }
      case 3: {
        const ptr = this.read(s, dst);
        const value = this.read(s, src);
        if ((op & 0xe0) === 0xc0) {
          this.atomic(s, dst, ptr, src, value, off, sizeOf(op), imm);
          return [[pc + 1, s]];
        }
        this.access(s, dst, ptr, off, sizeOf(op), 'write', value, src);
        return [[pc + 1, s]];
      }
      default:
        return this.jump(pc, s, op, dst, src, off, imm, cls === 5);
    }
  }

  // ---------------------------------------------------------------- ALU

  alu(
    pc: number,
    s: State,
    op: number,
    dst: number,
    src: number,
    off: number,
    imm: number,
    is64: boolean,
  ): void {
    const f = this.frame(s);
    const code = op & 0xf0;
    const useReg = (op & 0x08) !== 0;
    const w = is64 ? 'a 64-bit' : 'a 32-bit';
    if (code === 0xb0) {
      // mov / movsx
      if (!useReg) {
        f.regs[dst] = {
          kind: 'scalar',
          s: is64 ? S.constant(BigInt(imm)) : S.constant(BigInt(imm >>> 0)),
        };
        return;
      }
      const v = this.read(s, src);
      if (v.kind !== 'scalar') {
        if (is64 && off === 0) {
          f.regs[dst] = v;
          return;
        }
        this.fail(
          'POINTER_LEAK',
          `r${src} holds ${KIND_NAMES[v.kind]}: ${w} ${off ? 'sign-extending ' : ''}move would turn part of it into a number; move it with a plain 64-bit mov`,
          src,
        );
      }
      let r = v.s;
      if (off !== 0) r = S.signExtend(r, off);
      if (!is64) r = S.truncate32(r);
      else if (off === 0) {
        // link the two registers: a later check on one bounds the other
        let id = r.id;
        if (id === 0) {
          id = this.nextId++;
          f.regs[src] = { kind: 'scalar', s: S.withId(r, id) };
        }
        r = S.withId(r, id);
      }
      f.regs[dst] = { kind: 'scalar', s: off === 0 && is64 ? r : S.withId(r, 0) };
      return;
    }
    const a = this.read(s, dst);
    if (code === 0x80 || code === 0xd0) {
      if (a.kind !== 'scalar')
        this.fail(
          'INVALID_POINTER_ARITHMETIC',
          `r${dst} holds ${KIND_NAMES[a.kind]}: ${code === 0x80 ? 'negation' : 'byte swap'} of a pointer is not allowed`,
          dst,
        );
      f.regs[dst] = {
        kind: 'scalar',
        s: code === 0x80 ? unaryNeg(a.s, is64) : byteSwap(a.s, op, imm),
      };
      return;
    }
    const b: RegState = useReg
      ? this.read(s, src)
      : { kind: 'scalar', s: is64 ? S.constant(BigInt(imm)) : S.constant(BigInt(imm >>> 0)) };
    if (a.kind !== 'scalar' || b.kind !== 'scalar') {
      f.regs[dst] = this.pointerArith(a, b, dst, src, useReg, code, is64);
      this.trackStack(f.regs[dst]!);
      return;
    }
    let x = a.s;
    let y = b.s;
    if (!is64) {
      x = S.truncate32(x);
      y = S.truncate32(y);
    }
    if ((code === 0x30 || code === 0x90) && y.umin === 0n) {
      if (this.opts.divisionByZero === 'reject') {
        this.fail(
          'DIVISION_BY_ZERO',
          useReg
            ? `r${src} may be zero: check \`if r${src} == 0\` before dividing (this program type rejects division by zero)`
            : 'division by the constant 0',
          useReg ? src : dst,
        );
      }
    }
    f.regs[dst] = { kind: 'scalar', s: scalarAlu(code, is64, off, x, y) };
  }

  trackStack(r: RegState): void {
    if (r.kind === 'stack' && -r.lo > this.maxDepth) this.maxDepth = Math.min(-r.lo, FRAME_BYTES);
  }

  pointerArith(
    a: RegState,
    b: RegState,
    dst: number,
    src: number,
    useReg: boolean,
    code: number,
    is64: boolean,
  ): RegState {
    const blame = a.kind !== 'scalar' ? dst : src;
    const kindOf = a.kind !== 'scalar' ? a : b;
    const what = `r${blame} holds ${KIND_NAMES[kindOf.kind]}`;
    if (!is64 || (code !== 0x00 && code !== 0x10)) {
      this.fail(
        'INVALID_POINTER_ARITHMETIC',
        `${what}: only 64-bit add and sub of a bounded scalar are allowed on pointers`,
        blame,
      );
    }
    if (code === 0x10 && a.kind !== 'scalar' && b.kind !== 'scalar') {
      // pointer difference: a number when both point into the same region
      const same =
        a.kind === b.kind &&
        (a.kind !== 'stack' || (b as { frame: number }).frame === a.frame) &&
        (a.kind !== 'map_value' ||
          ((b as { map: number }).map === a.map &&
            a.nullId === 0 &&
            (b as { nullId: number }).nullId === 0));
      if (!same || a.kind === 'map')
        this.fail(
          'INVALID_POINTER_ARITHMETIC',
          `r${dst} and r${src} point into different regions: their difference means nothing`,
          dst,
        );
      const pa = a as { lo: number; hi: number };
      const pb = b as { lo: number; hi: number };
      return { kind: 'scalar', s: S.signedRange(BigInt(pa.lo - pb.hi), BigInt(pa.hi - pb.lo)) };
    }
    if (a.kind !== 'scalar' && b.kind !== 'scalar') {
      this.fail(
        'INVALID_POINTER_ARITHMETIC',
        `r${dst} and r${src} both hold pointers: adding two pointers is not allowed`,
        src,
      );
    }
    if (code === 0x10 && a.kind === 'scalar')
      this.fail(
        'INVALID_POINTER_ARITHMETIC',
        `r${src} holds ${KIND_NAMES[b.kind]}: a number minus a pointer is not allowed`,
        src,
      );
    const ptr = a.kind !== 'scalar' ? a : b;
    const num = (a.kind === 'scalar' ? a : b) as { kind: 'scalar'; s: Scalar };
    const ptrReg = a.kind !== 'scalar' ? dst : src;
    const numReg = a.kind === 'scalar' ? dst : src;
    if (ptr.kind === 'map')
      this.fail(
        'INVALID_POINTER_ARITHMETIC',
        `r${ptrReg} holds a map pointer: arithmetic on it is not allowed`,
        ptrReg,
      );
    if (ptr.kind === 'map_value' && ptr.nullId !== 0) {
      this.fail(
        'NULL_DEREFERENCE',
        `r${ptrReg} may be null: check the result of map_lookup_elem before pointer arithmetic`,
        ptrReg,
      );
    }
    if (ptr.kind === 'uninit' || ptr.kind === 'scalar') throw new Error('unreachable');
    let lo = num.s.smin;
    let hi = num.s.smax;
    if (code === 0x10) [lo, hi] = [-hi, -lo];
    if (lo < -BigInt(BOUND) || hi > BigInt(BOUND)) {
      this.fail(
        'INVALID_POINTER_ARITHMETIC',
        `${useReg ? `r${numReg}` : 'the offset'} is not bounded: bound it (e.g. \`if r${numReg} > N goto\`) before adding it to pointer r${ptrReg}`,
        useReg ? numReg : dst,
      );
    }
    const nlo = ptr.lo + Number(lo);
    const nhi = ptr.hi + Number(hi);
    if (Math.abs(nlo) > BOUND || Math.abs(nhi) > BOUND)
      this.fail(
        'INVALID_POINTER_ARITHMETIC',
        `pointer r${ptrReg} is moved too far from its region`,
        ptrReg,
      );
    return { ...ptr, lo: nlo, hi: nhi };
  }

  // ---------------------------------------------------------------- memory

  /** Checks an access; for reads of a spilled slot returns the spilled register. */
  access(
    s: State,
    reg: number,
    ptr: RegState,
    off: number,
    size: number,
    dir: 'read' | 'write',
    value?: RegState,
    valueReg?: number,
  ): RegState | undefined {
    const name = `r${reg}${off === 0 ? '' : off > 0 ? `+${off}` : off}`;
    switch (ptr.kind) {
      case 'scalar':
        if (S.isConstant(ptr.s) && ptr.s.umin === 0n)
          this.fail('NULL_DEREFERENCE', `r${reg} is null (0): it cannot be dereferenced`, reg);
        return this.fail(
          'INVALID_MEMORY_ACCESS',
          `r${reg} holds a scalar, not a pointer: only pointers to the context, the stack, a map value or the memory can be dereferenced`,
          reg,
        );
      case 'map':
        return this.fail(
          'INVALID_MEMORY_ACCESS',
          `r${reg} holds a map pointer: look the value up with map_lookup_elem and dereference that`,
          reg,
        );
      case 'uninit':
        return this.fail('UNINITIALIZED_REGISTER', `r${reg} is read before it is set`, reg);
      case 'map_value': {
        if (ptr.nullId !== 0)
          this.fail(
            'NULL_DEREFERENCE',
            `r${reg} may be null: check the result of map_lookup_elem before dereferencing`,
            reg,
          );
        const map = this.maps.get(ptr.map)!;
        if (dir === 'write' && map.readOnly === true)
          this.fail(
            'READ_ONLY',
            `r${reg} points into a value of ${map.name === undefined ? 'a read-only map' : `the read-only map \`${map.name}\``} (BPF_F_RDONLY_PROG, e.g. \`.rodata\`): programs cannot write it`,
            reg,
          );
        this.bounds(
          reg,
          name,
          ptr.lo + off,
          ptr.hi + off,
          size,
          map.valueSize,
          `the ${map.valueSize}-byte map value`,
        );
        this.noPointerStore(value, valueReg, 'a map value');
        return undefined;
      }
      case 'mem': {
        if (dir === 'write' && this.opts.memoryWritable === false)
          this.fail('READ_ONLY', `r${reg} points into read-only memory`, reg);
        const proven = s.memLen.umin;
        const known = this.opts.memorySize !== undefined;
        const lo = ptr.lo + off;
        const hi = ptr.hi + off;
        if (lo < 0 || BigInt(hi + size) > proven) {
          this.fail(
            'OUT_OF_BOUNDS',
            `${name} may be outside the memory: ${dir === 'read' ? 'reading' : 'writing'} ${size} bytes at offset ${lo === hi ? lo : `[${lo},${hi}]`}, but ${known ? `the memory is ${proven} bytes` : `only ${proven} bytes are proven present (check the length in r2 first, e.g. \`if r2 < ${hi + size} goto out\`)`}`,
            reg,
          );
        }
        this.noPointerStore(value, valueReg, 'the memory');
        return undefined;
      }
      case 'ctx': {
        const ctx = this.opts.context!;
        if (ptr.lo !== ptr.hi)
          this.fail(
            'CONTEXT_ACCESS',
            `r${reg} has a variable offset into the context: context fields must be accessed at constant offsets`,
            reg,
          );
        const at = ptr.lo + off;
        if (at < 0 || at + size > ctx.size)
          this.fail(
            'CONTEXT_ACCESS',
            `${name}: ${size}-byte ${dir} at context offset ${at} is outside the ${ctx.size}-byte record`,
            reg,
          );
        if (dir === 'write') {
          const field = ctx.fields?.find(
            (fl) => fl.writable === true && at >= fl.offset && at + size <= fl.offset + fl.size,
          );
          if (field === undefined)
            this.fail(
              'READ_ONLY',
              `${name}: the context is read-only at offset ${at}: copy the field to the stack and change the copy`,
              reg,
            );
          this.noPointerStore(value, valueReg, 'the context');
        }
        return undefined;
      }
      case 'stack':
        return this.stackAccess(s, reg, name, ptr, off, size, dir, value);
    }
  }

  noPointerStore(value: RegState | undefined, valueReg: number | undefined, where: string): void {
    if (value !== undefined && value.kind !== 'scalar') {
      this.fail(
        'POINTER_LEAK',
        `r${valueReg} holds ${KIND_NAMES[value.kind]}: storing it into ${where} would leak an address; store numbers only`,
        valueReg,
      );
    }
  }

  bounds(
    reg: number,
    name: string,
    lo: number,
    hi: number,
    size: number,
    limit: number,
    what: string,
  ): void {
    if (lo < 0 || hi + size > limit) {
      this.fail(
        'OUT_OF_BOUNDS',
        `${name} may be outside ${what}: access of ${size} bytes at offset ${lo === hi ? lo : `[${lo},${hi}]`}; check the offset first`,
        reg,
      );
    }
  }

  stackAccess(
    s: State,
    reg: number,
    name: string,
    ptr: { frame: number; lo: number; hi: number },
    off: number,
    size: number,
    dir: 'read' | 'write',
    value: RegState | undefined,
  ): RegState | undefined {
    const lo = ptr.lo + off;
    const hi = ptr.hi + off;
    if (lo < -FRAME_BYTES || hi + size > 0) {
      this.fail(
        'OUT_OF_BOUNDS',
        `${name} may be outside the stack: ${size}-byte ${dir} at fp${lo === hi ? lo : `[${lo},${hi}]`}, the frame is [-${FRAME_BYTES}, 0)`,
        reg,
      );
    }
    if (-lo > this.maxDepth) this.maxDepth = -lo;
    const fr = s.frames[ptr.frame]!;
    const first = FRAME_BYTES + lo;
    const last = FRAME_BYTES + hi + size; // exclusive
    if (dir === 'read') {
      for (let i = first; i < last; i++) {
        if (fr.stack[i] === STACK_UNINIT) {
          this.fail(
            'UNINITIALIZED_STACK',
            `${name} reads stack byte fp${i - FRAME_BYTES}, which is never written on this path: write it first`,
            reg,
          );
        }
      }
      if (lo === hi && size === 8 && first % 8 === 0) {
        const spilled = fr.spills.get(first / 8);
        if (spilled !== undefined) return spilled;
      }
      if (lo === hi) {
        // a narrower read of a spilled constant
        const slot = first >> 3;
        const sp = fr.spills.get(slot);
        if (
          sp !== undefined &&
          sp.kind === 'scalar' &&
          S.isConstant(sp.s) &&
          first >> 3 === (last - 1) >> 3
        ) {
          const shift = BigInt((first & 7) * 8);
          const m = (1n << BigInt(size * 8)) - 1n;
          return { kind: 'scalar', s: S.constant((sp.s.umin >> shift) & m) };
        }
      }
      return undefined;
    }
    // write
    if (lo === hi) {
      for (let slot = first >> 3; slot <= (last - 1) >> 3; slot++) {
        if (fr.spills.delete(slot))
          for (let i = slot * 8; i < slot * 8 + 8; i++) fr.stack[i] = STACK_MISC;
      }
      if (size === 8 && first % 8 === 0 && value !== undefined) {
        fr.spills.set(first / 8, value.kind === 'scalar' ? { kind: 'scalar', s: value.s } : value);
        fr.stack.fill(STACK_SPILL, first, last);
      } else {
        fr.stack.fill(STACK_MISC, first, last);
      }
    } else {
      // variable offset: which bytes are written is unknown; spills in range lose their value
      for (let slot = first >> 3; slot <= (last - 1) >> 3; slot++) {
        if (fr.spills.delete(slot))
          for (let i = slot * 8; i < slot * 8 + 8; i++) fr.stack[i] = STACK_MISC;
      }
    }
    return undefined;
  }

  atomic(
    s: State,
    dst: number,
    ptr: RegState,
    src: number,
    value: RegState,
    off: number,
    size: number,
    imm: number,
  ): void {
    const f = this.frame(s);
    if (value.kind !== 'scalar')
      this.fail(
        'POINTER_LEAK',
        `r${src} holds ${KIND_NAMES[value.kind]}: atomic operations take numbers`,
        src,
      );
    if (imm === 0xf1) {
      const r0 = this.read(s, 0);
      if (r0.kind !== 'scalar')
        this.fail('POINTER_LEAK', `r0 holds ${KIND_NAMES[r0.kind]}: cmpxchg compares numbers`, 0);
    }
    if (ptr.kind === 'stack') {
      const lo = ptr.lo + off;
      const fr = s.frames[ptr.frame]!;
      const slot = (FRAME_BYTES + lo) >> 3;
      const sp = fr.spills.get(slot);
      if (sp !== undefined && sp.kind !== 'scalar')
        this.fail(
          'POINTER_LEAK',
          `r${dst}${off ? off : ''} holds a spilled pointer: atomic operations on it are not allowed`,
          dst,
        );
    }
    this.access(s, dst, ptr, off, size, 'read');
    this.access(s, dst, ptr, off, size, 'write', undefined);
    const result: RegState = { kind: 'scalar', s: S.unsignedOfWidth(size * 8) };
    if (imm === 0xf1) f.regs[0] = result;
    else if ((imm & 0x01) !== 0) f.regs[src] = result;
  }

  // ---------------------------------------------------------------- jumps, calls, exit

  jump(
    pc: number,
    s: State,
    op: number,
    dst: number,
    src: number,
    off: number,
    imm: number,
    is64: boolean,
  ): Array<[number, State]> {
    const code = op & 0xf0;
    if (op === OP.JA) return [[pc + off + 1, s]];
    if (op === OP.JA32) return [[pc + imm + 1, s]];
    if (op === OP.EXIT) return this.exit(s);
    if (op === OP.CALL) return this.call(pc, s, src, imm);
    if (op === OP.CALLX) {
      const r = this.read(s, dst);
      if (r.kind !== 'scalar' || !S.isConstant(r.s))
        this.fail(
          'INVALID_CALL',
          `callx through r${dst}: the register must hold a known helper id`,
          dst,
        );
      const id = Number(r.s.umin);
      if (!this.helpers.has(id))
        this.fail(
          'UNKNOWN_HELPER',
          `helper #${id} (callx r${dst}) is not known for the ${this.opts.programType} program type`,
          dst,
        );
      return this.call(pc, s, 0, id);
    }
    const useReg = (op & 0x08) !== 0;
    const a = this.read(s, dst);
    const b: RegState = useReg
      ? this.read(s, src)
      : { kind: 'scalar', s: is64 ? S.constant(BigInt(imm)) : S.constant(BigInt(imm >>> 0)) };
    const target = pc + off + 1;
    if (a.kind === 'scalar' && b.kind === 'scalar') {
      const out: Array<[number, State]> = [];
      const t = refine(code, is64, a.s, b.s, true);
      const n = refine(code, is64, a.s, b.s, false);
      if (n !== undefined) {
        const ns = t !== undefined ? cloneState(s) : s;
        this.setScalarLinked(ns, dst, n[0]);
        if (useReg) this.setScalarLinked(ns, src, n[1]);
        out.push([pc + 1, ns]);
      }
      if (t !== undefined) {
        this.setScalarLinked(s, dst, t[0]);
        if (useReg) this.setScalarLinked(s, src, t[1]);
        out.push([target, s]);
      }
      if (this.verbose && (t === undefined || n === undefined))
        this.logLines.push(`${pc}: branch ${t === undefined ? 'never' : 'always'} taken`);
      return out;
    }
    // a null check of a map value pointer
    const nullable =
      a.kind === 'map_value' && a.nullId !== 0
        ? a
        : b.kind === 'map_value' && b.nullId !== 0
          ? b
          : undefined;
    const other = nullable === a ? b : a;
    if (
      is64 &&
      nullable !== undefined &&
      (code === 0x10 || code === 0x50) &&
      other.kind === 'scalar' &&
      S.isConstant(other.s) &&
      other.s.umin === 0n
    ) {
      const id = nullable.nullId;
      const isNull = cloneState(s);
      const notNull = s;
      for (const fr of isNull.frames) {
        for (let i = 0; i < 11; i++)
          if (fr.regs[i]!.kind === 'map_value' && (fr.regs[i] as { nullId: number }).nullId === id)
            fr.regs[i] = { kind: 'scalar', s: S.constant(0n) };
        for (const [k, x] of fr.spills)
          if (x.kind === 'map_value' && x.nullId === id)
            fr.spills.set(k, { kind: 'scalar', s: S.constant(0n) });
      }
      for (const fr of notNull.frames) {
        for (let i = 0; i < 11; i++) {
          const x = fr.regs[i]!;
          if (x.kind === 'map_value' && x.nullId === id) fr.regs[i] = { ...x, nullId: 0 };
        }
        for (const [k, x] of fr.spills)
          if (x.kind === 'map_value' && x.nullId === id) fr.spills.set(k, { ...x, nullId: 0 });
      }
      return code === 0x10
        ? [
            [pc + 1, notNull],
            [target, isNull],
          ]
        : [
            [pc + 1, isNull],
            [target, notNull],
          ];
    }
    // other comparisons involving pointers: both ways, no refinement
    return [
      [pc + 1, cloneState(s)],
      [target, s],
    ];
  }

  exit(s: State): Array<[number, State]> {
    const f = this.frame(s);
    const r0 = f.regs[0]!;
    if (r0.kind === 'uninit')
      this.fail(
        'UNINITIALIZED_REGISTER',
        s.frames.length > 1
          ? 'r0 is not set before the function returns: assign its return value'
          : 'r0 is not set before exit: assign the return value',
        0,
      );
    if (s.frames.length === 1) {
      if (r0.kind !== 'scalar')
        this.fail(
          'INVALID_RETURN',
          `r0 holds ${KIND_NAMES[r0.kind]} at exit: programs must return a number (returning an address would leak it)`,
          0,
        );
      return [];
    }
    const depth = s.frames.length - 1;
    if (r0.kind === 'stack' && r0.frame === depth)
      this.fail(
        'INVALID_RETURN',
        "r0 points into the returning function's stack frame, which is gone after the return",
        0,
      );
    for (let d = 0; d < depth; d++) {
      for (const x of s.frames[d]!.spills.values()) {
        if (x.kind === 'stack' && x.frame === depth)
          this.fail(
            'INVALID_RETURN',
            "a pointer to the returning function's stack is stored in a caller's stack; it would dangle",
            undefined,
          );
      }
    }
    s.frames.pop();
    const caller = this.frame(s);
    caller.regs[0] = r0;
    for (let r = 1; r <= 5; r++) caller.regs[r] = UNINIT;
    return [[f.callsite + 1, s]];
  }

  call(pc: number, s: State, src: number, imm: number): Array<[number, State]> {
    const f = this.frame(s);
    if (src === 1) {
      const target = pc + imm + 1;
      if (s.frames.length >= MAX_CALL_FRAMES)
        this.fail(
          'CALL_DEPTH_EXCEEDED',
          `call to insn #${target} would need more than ${MAX_CALL_FRAMES} nested frames`,
        );
      if (s.frames.some((fr) => fr.entry === target))
        this.fail(
          'RECURSION',
          `recursive call to the function at insn #${target}: recursion is not allowed`,
        );
      const regs: RegState[] = new Array(11).fill(UNINIT);
      for (let r = 1; r <= 5; r++) regs[r] = f.regs[r]!;
      regs[10] = { kind: 'stack', frame: s.frames.length, lo: 0, hi: 0 };
      s.frames.push({
        regs,
        stack: new Uint8Array(FRAME_BYTES),
        spills: new Map(),
        callsite: pc,
        entry: target,
      });
      return [[target, s]];
    }
    const sig = this.helpers.get(imm);
    if (sig === undefined)
      this.fail(
        'UNKNOWN_HELPER',
        `helper #${imm} is not known for the ${this.opts.programType} program type`,
      );
    let map: MapInfo | undefined;
    let mapReg = 0;
    for (let i = 0; i < sig.args.length; i++) {
      const r = i + 1;
      const t = sig.args[i]!;
      const v = this.read(s, r);
      const bad = (want: string): never =>
        this.fail(
          'INVALID_HELPER_ARGUMENT',
          `${sig.name} argument ${r} (r${r}) must be ${want}, but it holds ${KIND_NAMES[v.kind]}`,
          r,
        );
      switch (t) {
        case 'anything':
          break;
        case 'scalar':
        case 'size':
        case 'size_or_zero':
          if (v.kind !== 'scalar') bad('a number');
          break;
        case 'ctx':
          if (v.kind !== 'ctx' || v.lo !== 0 || v.hi !== 0) bad('the unmodified context pointer');
          break;
        case 'map':
          if (v.kind !== 'map') return bad('a map pointer (lddw rN, map)');
          map = this.maps.get(v.map)!;
          mapReg = r;
          break;
        case 'map_key':
        case 'map_value': {
          if (map === undefined)
            this.fail(
              'INVALID_HELPER_ARGUMENT',
              `${sig.name}: no map argument before argument ${r}`,
              r,
            );
          const n = t === 'map_key' ? map.keySize : map.valueSize;
          if (v.kind === 'ctx')
            this.fail(
              'INVALID_HELPER_ARGUMENT',
              `${sig.name} argument ${r} (r${r}) must point to the ${t === 'map_key' ? 'key' : 'value'} on the stack or in a map value, not into the context`,
              r,
            );
          this.memArg(s, sig.name, r, v, n, 'read');
          break;
        }
        case 'mem':
        case 'uninit_mem': {
          const sizeType = sig.args[i + 1];
          const sv = this.read(s, r + 1);
          if (sv.kind !== 'scalar')
            this.fail(
              'INVALID_HELPER_ARGUMENT',
              `${sig.name} argument ${r + 1} (r${r + 1}) must be the size of argument ${r}, a number`,
              r + 1,
            );
          if (sizeType === 'size' && sv.s.umin === 0n)
            this.fail(
              'INVALID_HELPER_ARGUMENT',
              `${sig.name}: the size in r${r + 1} may be zero: check it first`,
              r + 1,
            );
          if (sv.s.umax > BigInt(BOUND))
            this.fail(
              'INVALID_HELPER_ARGUMENT',
              `${sig.name}: the size in r${r + 1} is not bounded: bound it first`,
              r + 1,
            );
          const n = Number(sv.s.umax);
          if (n > 0) this.memArg(s, sig.name, r, v, n, t === 'mem' ? 'read' : 'write');
          break;
        }
      }
    }
    void mapReg;
    for (let r = 1; r <= 5; r++) f.regs[r] = UNINIT;
    if (sig.ret === 'map_value_or_null') {
      if (map === undefined)
        this.fail(
          'INVALID_HELPER_ARGUMENT',
          `${sig.name} returns a map value but has no map argument`,
        );
      const mapFd = this.findMapFd(map);
      f.regs[0] = { kind: 'map_value', map: mapFd, lo: 0, hi: 0, nullId: this.nextId++ };
    } else {
      f.regs[0] = { kind: 'scalar', s: S.UNKNOWN };
    }
    return [[pc + 1, s]];
  }

  findMapFd(map: MapInfo): number {
    for (const [fd, m] of this.maps) if (m === map) return fd;
    return -1;
  }

  memArg(
    s: State,
    helper: string,
    r: number,
    v: RegState,
    size: number,
    dir: 'read' | 'write',
  ): void {
    if (v.kind !== 'stack' && v.kind !== 'map_value' && v.kind !== 'mem' && v.kind !== 'ctx') {
      this.fail(
        'INVALID_HELPER_ARGUMENT',
        `${helper} argument ${r} (r${r}) must point to ${size} bytes of memory, but it holds ${KIND_NAMES[v.kind]}`,
        r,
      );
    }
    if (v.kind === 'stack' && dir === 'write') {
      if (v.lo !== v.hi)
        this.fail(
          'INVALID_HELPER_ARGUMENT',
          `${helper} argument ${r} (r${r}) has a variable stack offset: pass a constant one`,
          r,
        );
      const lo = v.lo;
      if (lo < -FRAME_BYTES || lo + size > 0)
        this.fail(
          'OUT_OF_BOUNDS',
          `${helper} argument ${r} (r${r}): ${size} bytes at fp${lo} do not fit in the stack frame`,
          r,
        );
      const fr = s.frames[v.frame]!;
      const first = FRAME_BYTES + lo;
      for (let slot = first >> 3; slot <= (first + size - 1) >> 3; slot++) {
        if (fr.spills.delete(slot))
          for (let i = slot * 8; i < slot * 8 + 8; i++) fr.stack[i] = STACK_MISC;
      }
      fr.stack.fill(STACK_MISC, first, first + size);
      if (-lo > this.maxDepth) this.maxDepth = -lo;
      return;
    }
    if (v.kind === 'stack') {
      const lo = v.lo;
      const hi = v.hi;
      if (lo < -FRAME_BYTES || hi + size > 0)
        this.fail(
          'OUT_OF_BOUNDS',
          `${helper} argument ${r} (r${r}): ${size} bytes at fp${lo} do not fit in the stack frame`,
          r,
        );
      const fr = s.frames[v.frame]!;
      for (let i = FRAME_BYTES + lo; i < FRAME_BYTES + hi + size; i++) {
        if (fr.stack[i] === STACK_UNINIT)
          this.fail(
            'UNINITIALIZED_STACK',
            `${helper} argument ${r} (r${r}) points to stack bytes that are not initialised (fp${i - FRAME_BYTES}): write all ${size} bytes first`,
            r,
          );
      }
      return;
    }
    this.access(s, r, v, 0, size, dir);
  }
}

function sizeOf(op: number): number {
  const code = op & 0x18;
  return code === 0x10 ? 1 : code === 0x08 ? 2 : code === 0x00 ? 4 : 8;
}

function unaryNeg(a: Scalar, is64: boolean): Scalar {
  if (S.isConstant(a)) return S.constant(is64 ? -a.umin : BigInt.asUintN(32, -a.umin));
  if (!is64) return S.unsignedOfWidth(32);
  if (a.smin > S.S64_MIN) return S.signedRange(-a.smax, -a.smin);
  return S.UNKNOWN;
}

function byteSwap(a: Scalar, op: number, imm: number): Scalar {
  const bits = BigInt(imm);
  if (op === OP.LE) {
    const t = imm === 64 ? a : imm === 32 ? S.truncate32(a) : S.and(a, S.constant(0xffffn));
    return S.withId(t, 0);
  }
  if (S.isConstant(a)) {
    let v = a.umin & ((1n << bits) - 1n);
    let r = 0n;
    for (let i = 0n; i < bits / 8n; i++) {
      r = (r << 8n) | (v & 0xffn);
      v >>= 8n;
    }
    return S.constant(r);
  }
  return S.unsignedOfWidth(imm);
}

/** Exact result of an ALU operation on two known values (ISA semantics, division by 0 defined). */
function concrete(code: number, is64: boolean, off: number, a: bigint, b: bigint): bigint {
  const w = is64 ? 64 : 32;
  const W = BigInt(w);
  const ua = BigInt.asUintN(w, a);
  const ub = BigInt.asUintN(w, b);
  const sa = BigInt.asIntN(w, a);
  const sb = BigInt.asIntN(w, b);
  let r: bigint;
  switch (code) {
    case 0x00:
      r = ua + ub;
      break;
    case 0x10:
      r = ua - ub;
      break;
    case 0x20:
      r = ua * ub;
      break;
    case 0x30:
      r = off === 1 ? (sb === 0n ? 0n : sa / sb) : ub === 0n ? 0n : ua / ub;
      break;
    case 0x90:
      r = off === 1 ? (sb === 0n ? sa : sa % sb) : ub === 0n ? ua : ua % ub;
      break;
    case 0x40:
      r = ua | ub;
      break;
    case 0x50:
      r = ua & ub;
      break;
    case 0xa0:
      r = ua ^ ub;
      break;
    case 0x60:
      r = ua << (ub & (W - 1n));
      break;
    case 0x70:
      r = ua >> (ub & (W - 1n));
      break;
    case 0xc0:
      r = sa >> (ub & (W - 1n));
      break;
    default:
      r = 0n;
  }
  return BigInt.asUintN(w, r);
}

/** Abstract result of a binary ALU operation; 32-bit operands come truncated. */
function scalarAlu(code: number, is64: boolean, off: number, x: Scalar, y: Scalar): Scalar {
  const fin = (r: Scalar) => (is64 ? S.withId(r, 0) : S.truncate32(r));
  if (S.isConstant(x) && S.isConstant(y))
    return S.constant(concrete(code, is64, off, x.umin, y.umin));
  const w = is64 ? 64n : 32n;
  switch (code) {
    case 0x00:
      return fin(S.add(x, y));
    case 0x10:
      return fin(S.sub(x, y));
    case 0x20:
      return fin(S.mul(x, y));
    case 0x40:
      return fin(S.or(x, y));
    case 0x50:
      return fin(S.and(x, y));
    case 0xa0:
      return fin(S.xor(x, y));
    case 0x60:
      return S.isConstant(y)
        ? fin(S.shiftLeft(x, y.umin & (w - 1n)))
        : is64
          ? S.UNKNOWN
          : S.unsignedOfWidth(32);
    case 0x70:
      return S.isConstant(y)
        ? fin(S.shiftRight(x, y.umin & (w - 1n)))
        : S.unsignedRange(0n, x.umax);
    case 0xc0: {
      if (!is64) {
        if (S.isConstant(y))
          return S.truncate32(S.shiftRightArith(S.signExtend(x, 32), y.umin & 31n));
        return S.unsignedOfWidth(32);
      }
      if (S.isConstant(y)) return S.shiftRightArith(x, y.umin & 63n);
      return x.smin >= 0n
        ? S.signedRange(0n, x.smax)
        : x.smax < 0n
          ? S.signedRange(x.smin, -1n)
          : S.signedRange(x.smin, x.smax);
    }
    case 0x30:
      if (off === 1) return is64 ? S.UNKNOWN : S.unsignedOfWidth(32);
      if (y.umin > 0n) return S.unsignedRange(x.umin / y.umax, x.umax / y.umin);
      return S.unsignedRange(0n, x.umax);
    case 0x90:
      if (off === 1) return is64 ? S.UNKNOWN : S.unsignedOfWidth(32);
      if (y.umin > 0n) return S.unsignedRange(0n, x.umax < y.umax - 1n ? x.umax : y.umax - 1n);
      return S.unsignedRange(0n, x.umax);
    default:
      return is64 ? S.UNKNOWN : S.unsignedOfWidth(32);
  }
}

type Rel =
  | 'eq'
  | 'ne'
  | 'ugt'
  | 'uge'
  | 'ult'
  | 'ule'
  | 'sgt'
  | 'sge'
  | 'slt'
  | 'sle'
  | 'set'
  | 'nset';

const TAKEN: Record<number, Rel> = {
  0x10: 'eq',
  0x50: 'ne',
  0x20: 'ugt',
  0x30: 'uge',
  0xa0: 'ult',
  0xb0: 'ule',
  0x60: 'sgt',
  0x70: 'sge',
  0xc0: 'slt',
  0xd0: 'sle',
  0x40: 'set',
};
const NEGATE: Record<Rel, Rel> = {
  eq: 'ne',
  ne: 'eq',
  ugt: 'ule',
  uge: 'ult',
  ult: 'uge',
  ule: 'ugt',
  sgt: 'sle',
  sge: 'slt',
  slt: 'sge',
  sle: 'sgt',
  set: 'nset',
  nset: 'set',
};
const SWAP: Record<Rel, Rel> = {
  eq: 'eq',
  ne: 'ne',
  ugt: 'ult',
  uge: 'ule',
  ult: 'ugt',
  ule: 'uge',
  sgt: 'slt',
  sge: 'sle',
  slt: 'sgt',
  sle: 'sge',
  set: 'set',
  nset: 'nset',
};

function mk(a: Scalar, o: Partial<Scalar>): Scalar {
  return S.normalize({ ...a, ...o });
}

/** Refines `a REL b` for 64-bit values. @returns the refined pair, or undefined when impossible. */
function refine64(rel: Rel, a: Scalar, b: Scalar): [Scalar, Scalar] | undefined {
  let x = a;
  let y = b;
  const max = (p: bigint, q: bigint) => (p > q ? p : q);
  const min = (p: bigint, q: bigint) => (p < q ? p : q);
  switch (rel) {
    case 'eq': {
      const v = a.value | b.value;
      const m = a.mask & b.mask;
      if (((a.value ^ b.value) & ~a.mask & ~b.mask & S.U64_MAX) !== 0n) return undefined;
      const both = {
        smin: max(a.smin, b.smin),
        smax: min(a.smax, b.smax),
        umin: max(a.umin, b.umin),
        umax: min(a.umax, b.umax),
        value: v & ~m,
        mask: m,
      };
      x = mk(a, both);
      y = mk(b, both);
      break;
    }
    case 'ne':
      if (S.isConstant(a) && S.isConstant(b) && a.umin === b.umin) return undefined;
      if (S.isConstant(b)) x = neAdjust(a, b.umin);
      if (S.isConstant(a)) y = neAdjust(b, a.umin);
      break;
    case 'ugt':
      if (a.umax === 0n || b.umin === S.U64_MAX) return undefined;
      x = mk(a, { umin: max(a.umin, b.umin + 1n) });
      y = mk(b, { umax: min(b.umax, a.umax - 1n) });
      break;
    case 'uge':
      x = mk(a, { umin: max(a.umin, b.umin) });
      y = mk(b, { umax: min(b.umax, a.umax) });
      break;
    case 'sgt':
      if (a.smax === S.S64_MIN || b.smin === S.S64_MAX) return undefined;
      x = mk(a, { smin: max(a.smin, b.smin + 1n) });
      y = mk(b, { smax: min(b.smax, a.smax - 1n) });
      break;
    case 'sge':
      x = mk(a, { smin: max(a.smin, b.smin) });
      y = mk(b, { smax: min(b.smax, a.smax) });
      break;
    case 'ult':
    case 'ule':
    case 'slt':
    case 'sle': {
      const r = refine64(SWAP[rel], b, a);
      return r === undefined ? undefined : [r[1], r[0]];
    }
    case 'set':
      if (S.isConstant(b)) {
        if (((a.value | a.mask) & b.umin) === 0n) return undefined;
      } else if (S.isConstant(a) && a.umin === 0n) return undefined;
      break;
    case 'nset':
      if (S.isConstant(b)) {
        if ((a.value & b.umin) !== 0n) return undefined;
        x = mk(a, { mask: a.mask & ~b.umin & S.U64_MAX });
      }
      break;
  }
  if (S.isEmpty(x) || S.isEmpty(y)) return undefined;
  return [S.withId(x, a.id), S.withId(y, b.id)];
}

function neAdjust(a: Scalar, c: bigint): Scalar {
  let r = a;
  if (r.umin === c) r = mk(r, { umin: c + 1n });
  if (r.umax === c && c > 0n) r = mk(r, { umax: c - 1n });
  const sc = S.toS64(c);
  if (r.smin === sc && sc < S.S64_MAX) r = mk(r, { smin: sc + 1n });
  if (r.smax === sc && sc > S.S64_MIN) r = mk(r, { smax: sc - 1n });
  return r;
}

function decide32(rel: Rel, a: Scalar, b: Scalar): boolean | undefined {
  if (!S.isConstant(a) || !S.isConstant(b)) return undefined;
  const ua = a.umin & S.U32_MAX;
  const ub = b.umin & S.U32_MAX;
  const sa = BigInt.asIntN(32, ua);
  const sb = BigInt.asIntN(32, ub);
  switch (rel) {
    case 'eq':
      return ua === ub;
    case 'ne':
      return ua !== ub;
    case 'ugt':
      return ua > ub;
    case 'uge':
      return ua >= ub;
    case 'ult':
      return ua < ub;
    case 'ule':
      return ua <= ub;
    case 'sgt':
      return sa > sb;
    case 'sge':
      return sa >= sb;
    case 'slt':
      return sa < sb;
    case 'sle':
      return sa <= sb;
    case 'set':
      return (ua & ub) !== 0n;
    case 'nset':
      return (ua & ub) === 0n;
  }
}

/** @returns the refined operands on the chosen side of a branch, or undefined when impossible. */
function refine(
  code: number,
  is64: boolean,
  a: Scalar,
  b: Scalar,
  taken: boolean,
): [Scalar, Scalar] | undefined {
  const rel0 = TAKEN[code];
  if (rel0 === undefined) return [a, b];
  const rel = taken ? rel0 : NEGATE[rel0];
  if (is64) return refine64(rel, a, b);
  // 32-bit compares: exact when both values fit the compared range, else only decided for constants
  const fitsU = a.umax <= S.U32_MAX && b.umax <= S.U32_MAX;
  const fitsS = a.umax < 1n << 31n && b.umax < 1n << 31n;
  const signed = rel.startsWith('s') && rel !== 'set';
  if ((signed && fitsS) || (!signed && fitsU)) return refine64(rel, a, b);
  const d = decide32(rel, a, b);
  if (d === false) return undefined;
  return [a, b];
}

/**
 * For each pc, the registers whose scalar value can still matter (a backward data-flow analysis
 * in the spirit of Linux's precision tracking): a value matters when it can reach a branch
 * condition, a memory address, a store, a helper argument, a divisor or pointer arithmetic.
 * State pruning compares only those; other scalars match any scalar. Programs with local calls
 * or callbacks get `undefined` (every register matters), which is always sound.
 * @param p - the program.
 * @returns bit masks (bit r = register r), or undefined.
 */
function neededRegisters(p: Program): Uint16Array | undefined {
  const n = p.length;
  for (let pc = 0; pc < n; pc++) {
    const op = p.opcode[pc]!;
    if (
      (op === OP.CALL && p.src[pc] === 1) ||
      op === OP.CALLX ||
      (op === OP.LDDW && p.src[pc] === 4)
    )
      return undefined;
    if (op === OP.LDDW) pc++;
  }
  const need = new Uint16Array(n);
  const second = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) if (p.opcode[pc] === OP.LDDW) second[++pc] = 1;
  const bit = (r: number) => 1 << r;
  const transfer = (pc: number, out: number): number => {
    const op = p.opcode[pc]!;
    const cls = op & 7;
    const d = p.dst[pc]!;
    const sr = p.src[pc]!;
    const useReg = (op & 0x08) !== 0;
    if (cls === 4 || cls === 7) {
      const code = op & 0xf0;
      if (code === 0xb0) {
        // mov: dst's old value is dead; the source matters when dst does
        const dstNeeded = (out & bit(d)) !== 0;
        let v = out & ~bit(d);
        if (dstNeeded && useReg) v |= bit(sr);
        return v;
      }
      // add/sub of a register may be pointer arithmetic (bounds checked), div/mod may check
      // the divisor: their operands always matter
      if ((useReg && (code === 0x00 || code === 0x10)) || code === 0x30 || code === 0x90)
        return out | bit(d) | (useReg ? bit(sr) : 0);
      if ((out & bit(d)) !== 0)
        return out | (useReg && code !== 0x80 && code !== 0xd0 ? bit(sr) : 0);
      return out;
    }
    if (cls === 1) return (out & ~bit(d)) | bit(sr); // ldx: address register
    if (cls === 2) return out | bit(d); // st
    if (cls === 3)
      return out | bit(d) | bit(sr) | (op === OP.ATOMIC_W || op === OP.ATOMIC_DW ? 1 : 0); // stx, atomics (cmpxchg reads r0)
    if (cls === 0) return out & ~bit(d); // lddw
    if (op === OP.EXIT) return 0;
    if (op === OP.CALL) return (out & ~0x3f) | 0x3e; // r1-r5 are arguments; r0-r5 are clobbered
    if (op === OP.JA || op === OP.JA32) return out;
    return out | bit(d) | (useReg ? bit(sr) : 0); // conditional jumps
  };
  const successors = (pc: number): number[] => {
    const op = p.opcode[pc]!;
    const cls = op & 7;
    if (op === OP.EXIT) return [];
    if (op === OP.LDDW) return [pc + 2];
    if (op === OP.JA) return [pc + p.offset[pc]! + 1];
    if (op === OP.JA32) return [pc + p.imm[pc]! + 1];
    if ((cls === 5 || cls === 6) && op !== OP.CALL && isCondJump(op))
      return [pc + 1, pc + p.offset[pc]! + 1];
    return [pc + 1];
  };
  // Iterate to a fixed point (masks only grow).
  for (let changed = true; changed; ) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (second[pc]) continue;
      let out = 0;
      for (const t of successors(pc)) if (t >= 0 && t < n) out |= need[t]!;
      const v = transfer(pc, out) & ALL_REGISTERS;
      if (v !== need[pc]) {
        need[pc] = v | need[pc]!;
        changed = true;
      }
    }
  }
  return need;
}
