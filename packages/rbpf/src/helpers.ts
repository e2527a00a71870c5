// SPDX-License-Identifier: MIT
// The calling convention between eBPF programs and host helper functions.

import { VmError } from './errors.js';
import type { AddressSpace } from './memory.js';

/**
 * What a helper sees of the call: its five arguments (r1–r5) and the program's memory. One
 * object per VM is reused for every call, so reading arguments allocates nothing unless you
 * ask for a `bigint`.
 */
export class HelperCall {
  /**
   * Register halves: argument `i` (1–5) is `regs[2*i]` (low 32 bits) and `regs[2*i+1]`
   * (high 32 bits). Set by the engine before each call.
   */
  regs: Int32Array;
  /** Instruction index of the call. */
  pc = 0;
  /** Helper id being called. */
  id = 0;
  /** The memory the program runs in. */
  readonly memory: AddressSpace;
  /** The VM (or whatever owns the run), for helpers that need per-VM state. */
  owner: unknown;
  /** Set by the engine: runs a function of the program (see {@link HelperCall.invoke}). @internal */
  invoker:
    | ((fnLo: number, fnHi: number, args: readonly (bigint | number)[], pc: number) => bigint)
    | undefined;

  /**
   * @param memory - the address space of the program.
   * @param regs - the register file the engine keeps (22 int32: r0–r10 as lo/hi pairs).
   */
  constructor(memory: AddressSpace, regs: Int32Array = new Int32Array(22)) {
    this.memory = memory;
    this.regs = regs;
  }

  /**
   * Argument as an unsigned 64-bit bigint.
   * @param i - argument number 1–5.
   * @returns its value.
   */
  u64(i: number): bigint {
    return (BigInt(this.regs[2 * i + 1]! >>> 0) << 32n) | BigInt(this.regs[2 * i]! >>> 0);
  }

  /**
   * Argument as a signed 64-bit bigint.
   * @param i - argument number 1–5.
   * @returns its value.
   */
  s64(i: number): bigint {
    return BigInt.asIntN(64, this.u64(i));
  }

  /**
   * Low 32 bits of an argument, unsigned.
   * @param i - argument number 1–5.
   * @returns its value.
   */
  u32(i: number): number {
    return this.regs[2 * i]! >>> 0;
  }

  /**
   * Low 32 bits of an argument, signed.
   * @param i - argument number 1–5.
   * @returns its value.
   */
  s32(i: number): number {
    return this.regs[2 * i]! | 0;
  }

  /**
   * High 32 bits of an argument (the segment of a pointer), signed.
   * @param i - argument number 1–5.
   * @returns its value.
   */
  hi(i: number): number {
    return this.regs[2 * i + 1]! | 0;
  }

  /**
   * Argument as a JavaScript number: exact for values below 2^53 (every pointer is), rounded
   * above.
   * @param i - argument number 1–5.
   * @returns its value.
   */
  number(i: number): number {
    return (this.regs[2 * i + 1]! >>> 0) * 4294967296 + (this.regs[2 * i]! >>> 0);
  }

  /**
   * Calls a function of the running program, as `bpf_loop` and `bpf_for_each_map_elem` call
   * their callbacks: the function pointer is an argument the program loaded with
   * `lddw rX, func` (`BPF_PSEUDO_FUNC`). The callback runs with its own registers and stack.
   * @param fnArg - argument number (1–5) holding the function pointer.
   * @param args - r1..r5 for the callback.
   * @returns the callback's r0.
   * @throws {VmError} `INVALID_CALLBACK` when the argument is not a function of the program, or
   * any fault of the callback.
   */
  invoke(fnArg: number, args: readonly (bigint | number)[]): bigint {
    if (this.invoker === undefined) throw new Error('this engine cannot invoke callbacks');
    return this.invoker(this.regs[2 * fnArg]!, this.regs[2 * fnArg + 1]!, args, this.pc);
  }

  /**
   * Translates a pointer argument to a byte offset in `memory.bytes`, checking `size` bytes.
   * @param i - argument number 1–5.
   * @param size - bytes the helper will touch.
   * @param access - `load` or `store`.
   * @returns the byte offset.
   * @throws {VmError} `ACCESS_VIOLATION` naming the call's pc.
   */
  pointer(i: number, size: number, access: 'load' | 'store'): number {
    const hi = this.regs[2 * i + 1]! | 0;
    const lo = this.regs[2 * i]! >>> 0;
    const at = this.memory.offsetOf(hi, lo, size, access === 'store');
    if (at < 0) throw this.memory.accessError(hi, lo, size, access, this.pc);
    return at;
  }
}

/**
 * A helper function. It returns r0: a number (an integer; negative values are sign-extended,
 * so `return -22` gives `-EINVAL` as Linux does), a bigint (taken modulo 2^64), or nothing (0).
 * Throwing a `VmError` stops the program with that error; any other exception stops it with
 * `HELPER_ERROR` and the exception as `cause`.
 */
export type HelperFn = (call: HelperCall) => number | bigint | void;

/** A registered helper with its name, for disassembly and errors. */
export interface HelperEntry {
  /** Linux helper id. */
  id: number;
  /** Name without the `bpf_` prefix, as Linux names it (`map_lookup_elem`). */
  name: string;
  /** The implementation. */
  fn: HelperFn;
}

/**
 * Helpers by id. A table is handed to each VM; tables are plain data, so many VMs can share
 * one.
 */
export class HelperTable {
  readonly #byId: (HelperEntry | undefined)[] = [];
  #functions: (HelperFn | undefined)[] | undefined;

  /**
   * Registers (or replaces) a helper.
   * @param id - helper id, 0 to 65535.
   * @param name - its name.
   * @param fn - the implementation.
   * @returns this table.
   */
  register(id: number, name: string, fn: HelperFn): this {
    if (!Number.isInteger(id) || id < 0 || id > 0xffff)
      throw new RangeError(`helper id \`${id}\` out of range 0..65535`);
    this.#byId[id] = { id, name, fn };
    this.#functions = undefined;
    return this;
  }

  /**
   * @param id - helper id.
   * @returns the helper, if registered.
   */
  get(id: number): HelperEntry | undefined {
    return id >= 0 && id < this.#byId.length ? this.#byId[id] : undefined;
  }

  /**
   * @param id - helper id.
   * @returns whether it is registered.
   */
  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** @returns every registered helper in id order. */
  entries(): HelperEntry[] {
    return this.#byId.filter((h): h is HelperEntry => h !== undefined);
  }

  /**
   * The implementations as a sparse array indexed by id (what the engines call).
   * @returns the functions.
   */
  functions(): (HelperFn | undefined)[] {
    this.#functions ??= Array.from(this.#byId, (h) => h?.fn);
    return this.#functions;
  }

  /** @returns a copy that can be extended without changing this table. */
  clone(): HelperTable {
    const t = new HelperTable();
    for (const h of this.entries()) t.register(h.id, h.name, h.fn);
    return t;
  }
}

/**
 * Calls a helper the way both engines do: looks it up, runs it with the call's pc and id set,
 * turns a foreign exception into `HELPER_ERROR` (a `VmError` passes through).
 * @param helpers - implementations by id.
 * @param call - the reused call object (its `regs` already hold r1–r5).
 * @param id - helper id (-1 for an id that cannot exist, like a callx target above 2^32).
 * @param pc - the calling instruction.
 * @returns what the helper returned.
 * @throws {VmError} `UNKNOWN_HELPER`, `HELPER_ERROR`, or the helper's own `VmError`.
 * @internal
 */
export function invokeHelper(
  helpers: readonly (HelperFn | undefined)[],
  call: HelperCall,
  id: number,
  pc: number,
): number | bigint | void {
  const fn = id >= 0 ? helpers[id] : undefined;
  if (fn === undefined) throw unknownHelper(id, pc);
  call.pc = pc;
  call.id = id;
  try {
    return fn(call);
  } catch (e) {
    throw helperFailure(e, id, pc);
  }
}

/**
 * The error for a call to a helper that is not registered.
 * @param id - helper id (-1 for one that cannot exist).
 * @param pc - the calling instruction.
 * @returns an `UNKNOWN_HELPER` error.
 * @internal
 */
export function unknownHelper(id: number, pc: number): VmError {
  return new VmError({
    code: 'UNKNOWN_HELPER',
    pc,
    helper: id,
    message: `call to unknown helper \`${id}\``,
  });
}

/**
 * What a helper's exception becomes: a `VmError` as it is, anything else `HELPER_ERROR`.
 * @param e - what the helper threw.
 * @param id - helper id.
 * @param pc - the calling instruction.
 * @returns the error to throw.
 * @internal
 */
export function helperFailure(e: unknown, id: number, pc: number): unknown {
  if (VmError.isInstance(e)) return e;
  return new VmError({
    code: 'HELPER_ERROR',
    pc,
    helper: id,
    cause: e,
    message: `helper \`${id}\` failed: ${e instanceof Error ? e.message : String(e)}`,
  });
}

/**
 * Stores a helper's return value into a register pair.
 * @param regs - register halves.
 * @param index - int32 index of the low half (0 for r0).
 * @param value - the helper's result.
 * @internal
 */
export function storeResult(regs: Int32Array, index: number, value: number | bigint | void): void {
  if (typeof value === 'number') {
    regs[index] = value;
    regs[index + 1] = Math.floor(value / 4294967296);
  } else if (typeof value === 'bigint') {
    regs[index] = Number(BigInt.asIntN(32, value));
    regs[index + 1] = Number(BigInt.asIntN(32, value >> 32n));
  } else {
    regs[index] = 0;
    regs[index + 1] = 0;
  }
}
