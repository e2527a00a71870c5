// SPDX-License-Identifier: MIT
// Runs a program compiled to WebAssembly: binds its imports (memory, helpers, faults) to a VM's
// state and exposes run/count.

import { VmError } from '../errors.js';
import type { HelperCall, HelperFn } from '../helpers.js';
import { invokeHelper, storeResult } from '../helpers.js';
import type { AddressSpace } from '../memory.js';
import { MAX_CALL_FRAMES, OP } from '../opcodes.js';
import type { Program } from '../program.js';
import { wasm } from '../wasm-api.js';
import type { CompiledProgram } from './compiler.js';
import { compileProgram, FAULT } from './compiler.js';

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
  #scratch = 0;
  #scratchGeneration = -1;
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

  #helper(idLo: number, idHi: number, pc: number): void {
    const call = this.#call;
    const memory = this.#memory;
    if (this.#scratchGeneration !== memory.generation) {
      call.regs = new Int32Array(memory.memory.buffer, this.#scratch, 22);
      this.#scratchGeneration = memory.generation;
    }
    const value = invokeHelper(this.#helpers, call, idHi === 0 ? idLo : -1, pc);
    if (this.#scratchGeneration !== memory.generation) {
      call.regs = new Int32Array(memory.memory.buffer, this.#scratch, 22);
      this.#scratchGeneration = memory.generation;
    }
    // The common case, a 32-bit integer, without storeResult's general path.
    if (typeof value === 'number' && (value | 0) === value) {
      const regs = call.regs;
      regs[0] = value;
      regs[1] = value >> 31;
    } else {
      storeResult(call.regs, 0, value);
    }
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
    const savedScratch = this.#scratch;
    // A callback runs inside a helper of the outer run, which keeps using the shared call
    // object after the callback returns: its registers view, pc and id are restored below.
    const call = this.#ctx.call;
    const savedRegs = call.regs;
    const savedPc = call.pc;
    const savedId = call.id;
    const savedHelpers = this.#helpers;
    const savedActive = this.#active;
    if (resetCount)
      this.#active = unchecked && this.#unchecked !== undefined ? this.#unchecked : this.#checked;
    const active = this.#active;
    this.#scratch = scratch;
    this.#scratchGeneration = -1;
    this.#helpers = this.#ctx.helpers();
    try {
      new Int32Array(memory.memory.buffer, scratch, 22).set(regs);
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
      const out = new Int32Array(memory.memory.buffer, scratch, 2);
      regs[0] = out[0]!;
      regs[1] = out[1]!;
      return this.#count();
    } finally {
      this.#scratch = savedScratch;
      this.#scratchGeneration = -1; // the outer run (if any) re-creates its view on its next call
      call.pc = savedPc;
      call.id = savedId;
      this.#helpers = savedHelpers;
      this.#active = savedActive;
      // The outer helper's view of its registers, re-created if the memory grew meanwhile.
      call.regs =
        savedRegs.buffer === memory.memory.buffer || resetCount
          ? savedRegs
          : new Int32Array(memory.memory.buffer, savedScratch, 22);
      memory.releaseScratch();
    }
  }
}
