// SPDX-License-Identifier: MIT
// Runs a program compiled to WebAssembly: binds its imports (memory, helpers, faults) to a VM's
// state and exposes run/count.

import { VmError } from '../errors.js';
import type { HelperCall, HelperFn } from '../helpers.js';
import { helperFailure, storeResult, unknownHelper } from '../helpers.js';
import type { AddressSpace } from '../memory.js';
import { MAX_CALL_FRAMES, OP } from '../opcodes.js';
import type { Program } from '../program.js';
import { wasm } from '../wasm-api.js';
import type { CompiledProgram } from './compiler.js';
import { compileProgram, FAULT, R0_IN_SCRATCH } from './compiler.js';

/** What the compiled code calls back into. @internal */
export interface WasmRunContext {
  memory: AddressSpace;
  helpers: () => (HelperFn | undefined)[];
  call: HelperCall;
}

/** The exports of one compiled variant. */
interface Variant {
  run: (fn: number, scratch: number) => void;
  reset: (budget: number) => void;
  count: () => number;
}

/**
 * A program compiled and instantiated for one VM: the checked variant at once, and the variant
 * without per-access bounds checks on demand (for verified programs, see {@link WasmEngine.run}).
 * @internal
 */
export class WasmEngine {
  readonly compiled: CompiledProgram;
  /** Nanoseconds spent compiling and instantiating (the checked variant). */
  readonly compileNs: number;
  readonly #checked: Variant;
  #unchecked: Variant | undefined;
  /** The variant of the run in progress (callbacks run in their run's variant). */
  #active: Variant;
  readonly #imports: Record<string, Record<string, unknown>>;
  readonly #imm: Int32Array;
  readonly #imm2: Int32Array;
  readonly #ctx: WasmRunContext;
  readonly #call: HelperCall;
  readonly #memory: AddressSpace;
  readonly #fnByEntry: Map<number, number>;
  #helpers: (HelperFn | undefined)[] = [];
  #budget = 0;
  readonly #program: Program;

  constructor(program: Program, imm: Int32Array, imm2: Int32Array, ctx: WasmRunContext) {
    const t0 = process.hrtime.bigint();
    this.compiled = compileProgram(program, imm, imm2);
    this.#program = program;
    this.#ctx = ctx;
    this.#call = ctx.call;
    this.#memory = ctx.memory;
    this.#fnByEntry = new Map(this.compiled.entries.map((e, i) => [e, i]));
    const memory = ctx.memory;
    const imports = {
      env: {
        memory: memory.memory,
        fault: (code: number, pc: number): never => {
          if ((code & 15) === FAULT.BUDGET) throw this.#budgetError(pc, code >>> 4);
          if (code === FAULT.CALL_DEPTH)
            throw new VmError({
              code: 'CALL_DEPTH_EXCEEDED',
              pc,
              message: `call depth exceeds ${MAX_CALL_FRAMES} frames`,
            });
          // The interpreter checks the budget before it finds it has run off the end.
          if (this.#count() >= this.#budget)
            throw new VmError({
              code: 'BUDGET_EXHAUSTED',
              pc,
              message: `instruction budget of ${this.#budget} exhausted`,
            });
          throw new VmError({
            code: 'JUMP_OUT_OF_CODE',
            pc,
            message: 'execution ran past the last instruction',
          });
        },
        faultAccess: (address: bigint, size: number, write: number, pc: number) => {
          const a = BigInt.asUintN(64, address);
          throw memory.accessError(
            Number(a >> 32n) | 0,
            Number(a & 0xffffffffn),
            size,
            write ? 'store' : 'load',
            pc,
          );
        },
        helper: (idLo: number, idHi: number, pc: number) => this.#helper(idLo, idHi, pc),
      },
    };
    this.#imports = imports;
    this.#imm = imm;
    this.#imm2 = imm2;
    this.#checked = this.#instantiate(this.compiled.bytes);
    this.#active = this.#checked;
    this.compileNs = Number(process.hrtime.bigint() - t0);
  }

  #instantiate(bytes: Uint8Array): Variant {
    const instance = new wasm.Instance(new wasm.Module(bytes), this.#imports);
    return {
      run: instance.exports['run'] as (fn: number, scratch: number) => void,
      reset: instance.exports['reset'] as (budget: number) => void,
      count: instance.exports['count'] as () => number,
    };
  }

  #count(): number {
    return this.#active.count();
  }

  /** Whether the unchecked variant has been compiled. */
  get hasUnchecked(): boolean {
    return this.#unchecked !== undefined;
  }

  /**
   * Compiles the variant without per-access bounds checks. The caller (the VM) must have
   * established that the verifier accepted exactly the instructions the engine was built from.
   * @returns nanoseconds spent.
   */
  compileUnchecked(): number {
    const t0 = process.hrtime.bigint();
    this.#unchecked ??= this.#instantiate(
      compileProgram(this.#program, this.#imm, this.#imm2, { unchecked: true }).bytes,
    );
    return Number(process.hrtime.bigint() - t0);
  }

  /**
   * The budget error at the instruction the interpreter stops at: the block starting at
   * `start` has `n` instructions, already added to the count; the one numbered budget + 1 of
   * the run faults.
   */
  #budgetError(start: number, n: number): VmError {
    const before = this.#count() - n;
    const p = this.#program;
    let pc = start;
    for (let k = this.#budget - before; k > 0; k--) pc += p.opcode[pc] === OP.LDDW ? 2 : 1;
    return new VmError({
      code: 'BUDGET_EXHAUSTED',
      pc,
      message: `instruction budget of ${this.#budget} exhausted`,
    });
  }

  /**
   * The `helper` import: runs helper `idHi:idLo` on the registers in the run's scratch slot
   * (`call.regs` is a view of it, which the run keeps valid when the memory grows). What
   * `invokeHelper` does, written out for the hot path.
   * @returns r0 when it is the sign extension of an int32 (the common case: the compiled code
   * takes it from the result, without a store it would read back); otherwise r0 is written to
   * the slot and {@link R0_IN_SCRATCH} is returned (which the fast path may return too: r0's
   * place then holds it).
   */
  #helper(idLo: number, idHi: number, pc: number): number {
    const call = this.#call;
    const id = idHi === 0 ? idLo : -1;
    const fn = id >= 0 ? this.#helpers[id] : undefined;
    if (fn === undefined) throw unknownHelper(id, pc);
    call.pc = pc;
    call.id = id;
    let value: number | bigint | void;
    try {
      value = fn(call);
    } catch (e) {
      throw helperFailure(e, id, pc);
    }
    if (typeof value === 'number' && (value | 0) === value) return value;
    if (value === undefined) return 0;
    storeResult(call.regs, 0, value);
    return R0_IN_SCRATCH;
  }

  /**
   * Runs a function of the program.
   * @param entryPc - the function's first instruction (0 for the program).
   * @param regs - initial r0..r10 as int32 halves; r0 is written back.
   * @param budget - instruction budget of the run (callbacks share their run's).
   * @param resetCount - start counting from zero (false for callbacks inside a run).
   * @param unchecked - run the variant without bounds checks (it must have been compiled); only
   * for a new run (callbacks run in their run's variant).
   * @returns instructions executed since the last reset.
   */
  run(
    entryPc: number,
    regs: Int32Array,
    budget: number,
    resetCount: boolean,
    unchecked = false,
  ): number {
    const fn = this.#fnByEntry.get(entryPc);
    if (fn === undefined)
      throw new VmError({
        code: 'INVALID_CALLBACK',
        pc: entryPc,
        message: `no function starts at instruction ${entryPc}`,
      });
    const memory = this.#ctx.memory;
    const scratch = memory.acquireScratch();
    // A callback runs inside a helper of the outer run, which keeps using the shared call
    // object after the callback returns: its registers view, pc and id are restored below.
    const call = this.#ctx.call;
    const savedRegs = call.regs;
    const savedPc = call.pc;
    const savedId = call.id;
    const savedHelpers = this.#helpers;
    const savedActive = this.#active;
    const savedOnGrow = memory.onGrow;
    const generation = memory.generation;
    if (resetCount)
      this.#active = unchecked && this.#unchecked !== undefined ? this.#unchecked : this.#checked;
    const active = this.#active;
    this.#helpers = this.#ctx.helpers();
    try {
      // The registers of this run, and what its helpers read their arguments through: a view
      // that must follow the memory when it grows (outer runs' views first, then this one, as
      // this run's call object may be the outer run's).
      const view = new Int32Array(memory.memory.buffer, scratch, 22);
      view.set(regs);
      call.regs = view;
      memory.onGrow = () => {
        savedOnGrow?.();
        call.regs = new Int32Array(memory.memory.buffer, scratch, 22);
      };
      if (resetCount) {
        active.reset(budget);
        this.#budget = budget;
      }
      try {
        active.run(fn, scratch);
      } catch (e) {
        // Only the unchecked variant can reach outside the memory; a verified program does not.
        if (e instanceof wasm.RuntimeError)
          throw new VmError({
            code: 'ACCESS_VIOLATION',
            pc: -1,
            cause: e,
            message: `the compiled program trapped: ${e.message}`,
          });
        throw e;
      }
      const out = call.regs;
      regs[0] = out[0]!;
      regs[1] = out[1]!;
      return this.#count();
    } finally {
      memory.onGrow = savedOnGrow;
      call.pc = savedPc;
      call.id = savedId;
      this.#helpers = savedHelpers;
      this.#active = savedActive;
      // The outer helper's view of its registers, re-created by the outer runs' onGrow if the
      // memory grew meanwhile (for a new run, the view from before it, which nothing reads).
      call.regs = savedRegs;
      if (memory.generation !== generation) savedOnGrow?.();
      memory.releaseScratch();
    }
  }
}
