// SPDX-License-Identifier: MIT
// The public VM: a loaded program, its memory, helpers and engine.

import { ProgramError, VmError } from './errors.js';
import { HelperCall, HelperTable } from './helpers.js';
import type { InterpreterState } from './interpreter.js';
import { interpret, packCode } from './interpreter.js';
import type { Region } from './memory.js';
import { AddressSpace } from './memory.js';
import {
  BPF_PSEUDO_FUNC,
  FUNC_POINTER_TAG,
  MAX_CALL_FRAMES,
  OP,
  STACK_FRAME_SIZE,
} from './opcodes.js';
import { Program } from './program.js';
import type { VerifiedFacts } from './verified.js';
import { verifiedFacts } from './verified.js';
import { WasmEngine } from './wasm/engine.js';

/** Default instruction budget of one run. */
export const DEFAULT_MAX_INSTRUCTIONS = 1_000_000;

/**
 * Resolves a pseudo `lddw` (`src` 1: map by fd, `src` 2: address of a map value) to the 64-bit
 * value the instruction loads.
 */
export type LddwResolver = (insn: { pc: number; src: number; imm: number; imm2: number }) => bigint;

/** Options of {@link EbpfVm}. */
export interface VmOptions {
  /** Helpers the program may call. Default: none. */
  helpers?: HelperTable;
  /** Memory to run in; share one between VMs to share maps. Default: a new one. */
  memory?: AddressSpace;
  /** Instructions one run may execute before `BUDGET_EXHAUSTED`. Default 1,000,000. */
  maxInstructions?: number;
  /** Resolver for pseudo `lddw` instructions; required when the program has any. */
  resolveLddw?: LddwResolver;
  /** Whether programs may write the context memory. Default true. */
  ctxWritable?: boolean;
  /**
   * Execution engine. `interpreter`: run at once, no compile cost. `wasm`: compile to
   * WebAssembly at construction (about 10x faster per instruction once V8 has tiered up).
   * `auto` (default): interpret the first {@link AUTO_COMPILE_AFTER} runs, then compile.
   */
  engine?: EngineKind;
  /**
   * Bounds checks of the `wasm` engine. `auto` (default): a program the verifier accepted (this
   * package's `verify`, on this very `Program` object, unchanged since) runs in a compiled variant
   * without per-access bounds checks whenever the run's context is at least as large (and, if
   * the verifier let it store there, as writable) as the verifier assumed; any other run is
   * checked. `always`: every access is checked.
   *
   * @remarks The verifier proves accesses against the map sizes and helper signatures it was
   * given: pass it the maps and helpers this VM resolves and calls (as `BpfSystem.progLoad`
   * does). Unchecked code cannot leave the VM's WebAssembly memory either way.
   */
  boundsChecks?: 'auto' | 'always';
}

/** The engines of {@link EbpfVm}. */
export type EngineKind = 'interpreter' | 'wasm' | 'auto';

/** Runs after which the `auto` engine compiles a program to WebAssembly. */
export const AUTO_COMPILE_AFTER = 32;

/** Result of {@link EbpfVm.run}. */
export interface RunResult {
  /** r0 at exit, unsigned. */
  value: bigint;
  /** Instructions executed, the final `exit` included. */
  insnCount: number;
}

/**
 * A loaded eBPF program, ready to run many times.
 *
 * Registers at entry: r1 = address of the context (0 without one), r2 = its length in bytes
 * (the convention of the bpf_conformance suite; programs that expect a context pointer only
 * ignore it), r10 = top of a 512-byte stack frame. Local calls get fresh 512-byte frames, up to
 * 8, each its own region: a frame can touch only its own 512 bytes (`[r10 - 520]` faults with
 * `ACCESS_VIOLATION`, as uBPF faults and the Linux verifier rejects it).
 *
 * @example
 * ```ts
 * import { EbpfVm, assemble } from '@axebpf/rbpf';
 * const vm = new EbpfVm(assemble('mov %r0, 42\nexit'));
 * vm.run().value; // 42n
 * ```
 */
export class EbpfVm {
  /** The program. */
  readonly program: Program;
  /** The memory it runs in. */
  readonly memory: AddressSpace;
  /** The helpers it may call. */
  readonly helpers: HelperTable;
  /** Stack region of the main frame (512 bytes; r10 points at its end). */
  readonly stack: Region;
  /**
   * The stack frames of a run, one 512-byte region each at consecutive segments: a local call's
   * frame is the next one, so a frame can only touch its own 512 bytes (an access below it
   * faults instead of landing in another frame).
   */
  readonly stackFrames: readonly Region[];
  /** Instruction budget per run. */
  maxInstructions: number;
  /** Instructions executed by the last run; -1 after a fault. */
  lastInsnCount = 0;
  readonly #state: InterpreterState;
  readonly #ctxWritable: boolean;
  #ctx: Region | undefined;
  #callbackDepth = 0;
  readonly #callbackStacks: Region[][] = [];
  /** Instructions a `lddw src=4` names: the only valid callback entries (both engines). */
  readonly #callbackEntries = new Set<number>();
  readonly #engineKind: EngineKind;
  #wasm: WasmEngine | undefined;
  #runs = 0;
  readonly #boundsChecks: 'auto' | 'always';
  /** Set once the unchecked variant is compiled: what the verifier assumed about the context. */
  #verified: VerifiedFacts | undefined;
  #lastUnchecked = false;

  /**
   * @param program - a decoded program or its bytecode.
   * @param options - helpers, memory, budget, lddw resolver.
   * @throws {ProgramError} for invalid bytecode, or `UNRESOLVED_LDDW`-coded `VmError` when a
   * pseudo `lddw` has no resolver.
   */
  constructor(program: Program | Uint8Array, options: VmOptions = {}) {
    this.program = program instanceof Program ? program : Program.fromBytes(program);
    this.memory = options.memory ?? new AddressSpace();
    this.helpers = options.helpers ?? new HelperTable();
    this.maxInstructions = options.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
    this.#ctxWritable = options.ctxWritable ?? true;
    this.stackFrames = this.memory.mapConsecutive('stack', MAX_CALL_FRAMES, STACK_FRAME_SIZE, true);
    this.stack = this.stackFrames[0]!;
    const regs = new Int32Array(22);
    const call = new HelperCall(this.memory, regs);
    call.owner = this;
    this.#state = {
      program: this.program,
      code: packCode(this.program),
      imm: this.program.imm,
      imm2: this.program.imm2,
      regs,
      memory: this.memory,
      helpers: [],
      call,
      maxInstructions: this.maxInstructions,
      frames: new Int32Array(MAX_CALL_FRAMES * 11),
      startPc: 0,
      counter: { executed: 0 },
    };
    call.invoker = (fnLo, fnHi, args, pc) => this.#invoke(fnLo, fnHi, args, pc);
    this.#engineKind = options.engine ?? 'auto';
    this.#boundsChecks = options.boundsChecks ?? 'auto';
    try {
      this.#resolvePseudo(options.resolveLddw);
      if (this.#engineKind === 'wasm') this.compile();
    } catch (e) {
      for (const r of this.stackFrames) this.memory.unmap(r); // a VM that fails to construct keeps no memory
      throw e;
    }
  }

  /**
   * Compiles the program to WebAssembly now (the `wasm` engine does this at construction, `auto`
   * after {@link AUTO_COMPILE_AFTER} runs). Later runs use the compiled code.
   * @returns the nanoseconds compiling and instantiating took.
   */
  compile(): number {
    if (this.#wasm === undefined) {
      const wasmCall = new HelperCall(this.memory);
      wasmCall.owner = this;
      wasmCall.invoker = this.#state.call.invoker;
      const state = this.#state;
      this.#wasm = new WasmEngine(this.program, state.imm, state.imm2, {
        memory: this.memory,
        helpers: () => state.helpers,
        call: wasmCall,
      });
    }
    return this.#wasm.compileNs;
  }

  /**
   * Whether the last run ran the compiled variant without per-access bounds checks (see
   * {@link VmOptions.boundsChecks}).
   */
  get verifiedVariant(): boolean {
    return this.#lastUnchecked;
  }

  /**
   * Whether this run may use the unchecked variant: the program was verified as it is (and as
   * the engine compiled it), and the context is what the verifier assumed. Compiles the variant
   * the first time.
   */
  #unchecked(ctx: Region | undefined): boolean {
    if (this.#boundsChecks !== 'auto' || this.#wasm === undefined) return false;
    if (this.#verified === undefined) {
      const facts = verifiedFacts(this.program);
      if (facts === undefined || !this.#immediatesAsVerified()) return false;
      this.#wasm.compileUnchecked();
      this.#verified = facts;
    }
    const need = this.#verified;
    if (ctx === undefined) return need.contextBytes === 0;
    return ctx.size >= need.contextBytes && (ctx.writable || !need.contextWritable);
  }

  /** The engine's immediates are the program's, except the pseudo `lddw` this VM resolved. */
  #immediatesAsVerified(): boolean {
    const p = this.program;
    const { imm, imm2 } = this.#state;
    for (let pc = 0; pc < p.length; pc++) {
      if (p.opcode[pc] === OP.LDDW && p.src[pc] !== 0) {
        pc++;
        continue;
      }
      if (imm[pc] !== p.imm[pc] || imm2[pc] !== p.imm2[pc]) return false;
    }
    return true;
  }

  /** The engine the next run uses. */
  get engine(): 'interpreter' | 'wasm' {
    return this.#wasm === undefined ? 'interpreter' : 'wasm';
  }

  #resolvePseudo(resolve: LddwResolver | undefined): void {
    const p = this.program;
    let imm: Int32Array | undefined;
    let imm2: Int32Array | undefined;
    for (let pc = 0; pc < p.length; pc++) {
      if (p.opcode[pc] !== OP.LDDW) continue;
      const src = p.src[pc]!;
      if (src === BPF_PSEUDO_FUNC) {
        imm ??= p.imm.slice();
        imm2 ??= p.imm2.slice();
        imm[pc] = pc + p.imm[pc]! + 1;
        imm2[pc] = FUNC_POINTER_TAG;
        this.#callbackEntries.add(imm[pc]!);
      } else if (src !== 0) {
        if (resolve === undefined) {
          throw new VmError({
            code: 'UNRESOLVED_LDDW',
            pc,
            message: `\`lddw\` with pseudo source \`${src}\` needs a map resolver (load the program through a loader)`,
          });
        }
        const v = BigInt.asUintN(64, resolve({ pc, src, imm: p.imm[pc]!, imm2: p.imm2[pc]! }));
        imm ??= p.imm.slice();
        imm2 ??= p.imm2.slice();
        imm[pc] = Number(BigInt.asIntN(32, v));
        imm2[pc] = Number(BigInt.asIntN(32, v >> 32n));
      }
      pc++;
    }
    if (imm !== undefined && imm2 !== undefined) {
      this.#state.imm = imm;
      this.#state.imm2 = imm2;
    }
  }

  /** The region the last context was copied into (undefined before the first run with one). */
  get ctxRegion(): Region | undefined {
    return this.#ctx;
  }

  #prepare(ctx: Uint8Array | Region | undefined): Region | undefined {
    const state = this.#state;
    state.helpers = this.helpers.functions();
    state.maxInstructions = this.maxInstructions;
    state.counter.executed = 0;
    const R = state.regs;
    R.fill(0);
    if (ctx !== undefined) {
      let region: Region;
      if (ctx instanceof Uint8Array) {
        if (this.#ctx === undefined)
          this.#ctx = this.memory.map('ctx', ctx.length, this.#ctxWritable);
        else if (this.#ctx.size !== ctx.length)
          this.#ctx = this.memory.resize(this.#ctx, ctx.length);
        region = this.#ctx;
        this.memory.bytes.set(ctx, region.offset);
      } else {
        region = ctx;
      }
      R[2] = 0;
      R[3] = region.segment;
      R[4] = region.size;
    }
    // r10: top of the first frame, at the top of the stack region.
    R[20] = this.stack.size;
    R[21] = this.stack.segment;
    return ctx === undefined ? undefined : ctx instanceof Uint8Array ? this.#ctx : ctx;
  }

  /**
   * Runs the program once.
   * @param ctx - context memory: bytes (copied in, and copied back after the run when the
   * context is writable) or a region of this VM's memory (used in place).
   * @returns r0 and the instruction count.
   * @throws {VmError} on a fault: `ACCESS_VIOLATION`, `UNKNOWN_HELPER`, `HELPER_ERROR`,
   * `BUDGET_EXHAUSTED`, `CALL_DEPTH_EXCEEDED`, `JUMP_OUT_OF_CODE`, `OUT_OF_MEMORY`.
   */
  run(ctx?: Uint8Array | Region): RunResult {
    this.execute(ctx);
    const R = this.#state.regs;
    return {
      value: (BigInt(R[1]! >>> 0) << 32n) | BigInt(R[0]! >>> 0),
      insnCount: this.lastInsnCount,
    };
  }

  /**
   * Runs the program once without allocating: the result is left in {@link EbpfVm.r0Low} /
   * {@link EbpfVm.r0High}, and r0's low 32 bits are returned (signed).
   * @param ctx - as for {@link EbpfVm.run}.
   * @returns r0's low 32 bits as a signed number.
   * @throws {VmError} as {@link EbpfVm.run}.
   */
  execute(ctx?: Uint8Array | Region): number {
    const region = this.#prepare(ctx);
    const state = this.#state;
    if (
      this.#wasm === undefined &&
      this.#engineKind === 'auto' &&
      ++this.#runs > AUTO_COMPILE_AFTER
    )
      this.compile();
    try {
      this.#lastUnchecked = this.#unchecked(region);
      this.lastInsnCount =
        this.#wasm === undefined
          ? interpret(state)
          : this.#wasm.run(0, state.regs, this.maxInstructions, true, this.#lastUnchecked);
    } catch (e) {
      this.lastInsnCount = -1;
      throw e;
    } finally {
      if (ctx instanceof Uint8Array && this.#ctxWritable && this.#ctx !== undefined) {
        ctx.set(this.memory.bytes.subarray(this.#ctx.offset, this.#ctx.offset + ctx.length));
      }
    }
    return state.regs[0]!;
  }

  #invoke(fnLo: number, fnHi: number, args: readonly (bigint | number)[], pc: number): bigint {
    if (fnHi !== FUNC_POINTER_TAG || !this.#callbackEntries.has(fnLo)) {
      throw new VmError({
        code: 'INVALID_CALLBACK',
        pc,
        message: `\`0x${((BigInt(fnHi >>> 0) << 32n) | BigInt(fnLo >>> 0)).toString(16)}\` is not a function of this program (load callbacks with \`lddw\` BPF_PSEUDO_FUNC)`,
      });
    }
    if (this.#callbackDepth >= MAX_CALL_FRAMES) {
      throw new VmError({
        code: 'CALL_DEPTH_EXCEEDED',
        pc,
        message: `callbacks nested deeper than ${MAX_CALL_FRAMES}`,
      });
    }
    // A callback runs on its own registers and stack, like a fresh frame in Linux.
    const outer = this.#state;
    this.#callbackDepth++;
    const stack = (this.#callbackStacks[this.#callbackDepth - 1] ??= this.memory.mapConsecutive(
      `callback${this.#callbackDepth}-stack`,
      MAX_CALL_FRAMES,
      STACK_FRAME_SIZE,
      true,
    ))[0]!;
    const regs = new Int32Array(22);
    const call = new HelperCall(this.memory, regs);
    call.owner = this;
    call.invoker = outer.call.invoker;
    for (let i = 0; i < args.length && i < 5; i++) {
      const v = BigInt.asUintN(64, BigInt(args[i]!));
      regs[2 + 2 * i] = Number(BigInt.asIntN(32, v));
      regs[3 + 2 * i] = Number(BigInt.asIntN(32, v >> 32n));
    }
    regs[20] = stack.size;
    regs[21] = stack.segment;
    try {
      if (this.#wasm === undefined)
        interpret({
          ...outer,
          regs,
          call,
          frames: new Int32Array(MAX_CALL_FRAMES * 11),
          startPc: fnLo,
        });
      else this.#wasm.run(fnLo, regs, this.maxInstructions, false);
    } finally {
      this.#callbackDepth--;
    }
    return (BigInt(regs[1]! >>> 0) << 32n) | BigInt(regs[0]! >>> 0);
  }

  /**
   * Frees the VM's memory: unmaps its stack, its context copy and its callback stacks from the
   * address space (their bytes are reused by later regions). The VM must not run afterwards.
   * @remarks A loader that creates and drops many VMs in one address space must call this, or
   * the regions stay mapped until the space runs out of segments (`OUT_OF_MEMORY`).
   */
  dispose(): void {
    for (const r of this.stackFrames) this.memory.unmap(r);
    if (this.#ctx !== undefined) this.memory.unmap(this.#ctx);
    this.#ctx = undefined;
    for (const set of this.#callbackStacks) for (const r of set) this.memory.unmap(r);
    this.#callbackStacks.length = 0;
  }

  /** r0's low 32 bits after the last run. */
  get r0Low(): number {
    return this.#state.regs[0]!;
  }

  /** r0's high 32 bits after the last run. */
  get r0High(): number {
    return this.#state.regs[1]!;
  }

  /**
   * Reads a register after a run (or a fault).
   * @param reg - 0 to 10.
   * @returns its value, unsigned.
   */
  register(reg: number): bigint {
    if (!Number.isInteger(reg) || reg < 0 || reg > 10)
      throw new ProgramError({
        code: 'INVALID_REGISTER',
        pc: 0,
        message: `no register \`r${reg}\``,
      });
    const R = this.#state.regs;
    return (BigInt(R[2 * reg + 1]! >>> 0) << 32n) | BigInt(R[2 * reg]! >>> 0);
  }
}
