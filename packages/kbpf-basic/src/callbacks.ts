// SPDX-License-Identifier: MIT
// BPF callbacks (bpf_for_each_map_elem): function pointers from `lddw src=4` and a way to call
// them. @axebpf/rbpf has no API to call into a program at another pc, so a callback runs as a
// second EbpfVm whose program is a small trampoline followed by the original instructions.

import type { HelperTable, LddwResolver } from '@axebpf/rbpf';
import { EbpfVm, encodeInsns } from '@axebpf/rbpf';
import type { AddressSpace, Region } from '@axebpf/rbpf';

/** Upper 32 bits of a function pointer: beyond every segment, so it faults if dereferenced. */
export const FUNC_POINTER_TAG = 0x7f000000;
/** Slots of the trampoline before the original program. */
const PREFIX = 8;

/**
 * Encodes the function pointer of the instruction at `pc` (what `lddw src=4` loads).
 * @param pc - instruction index of the callback's first instruction.
 * @returns the 64-bit value.
 */
export function funcPointer(pc: number): bigint {
  return (BigInt(FUNC_POINTER_TAG) << 32n) | BigInt(pc >>> 0);
}

/** What a program needs so its callbacks can be run. */
export interface CallbackProgram {
  /** Bytecode of the program (pseudo lddw unresolved). */
  bytes: Uint8Array;
  /** Resolver for its pseudo lddw, as given to its VM. */
  resolve: LddwResolver | undefined;
  /** Helpers of its VM. */
  helpers: HelperTable;
  /** Memory of its VM. */
  memory: AddressSpace;
  /** Budget of one callback run. */
  maxInstructions: number;
}

/**
 * Calls BPF callbacks of one program: one cached trampoline VM per callback target.
 * The callback gets r1–r4 from a small argument region, runs in its own VM (own stack, own
 * instruction budget) sharing the caller's memory and helpers, and returns r0.
 */
export class CallbackRunner {
  readonly #program: CallbackProgram;
  readonly #vms = new Map<number, { vm: EbpfVm; busy: boolean }>();
  #args: Region | undefined;

  /** @param program - the program the callbacks belong to. */
  constructor(program: CallbackProgram) {
    this.#program = program;
  }

  #build(target: number): EbpfVm {
    const p = this.#program;
    this.#args ??= p.memory.map('callback-args', 32, false);
    const at = this.#args.address;
    const prefix = encodeInsns([
      { opcode: 0x18, dst: 6, src: 0, off: 0, imm: Number(BigInt.asIntN(32, at)), imm2: Number(BigInt.asIntN(32, at >> 32n)) },
      { opcode: 0x79, dst: 1, src: 6, off: 0, imm: 0, imm2: 0 },
      { opcode: 0x79, dst: 2, src: 6, off: 8, imm: 0, imm2: 0 },
      { opcode: 0x79, dst: 3, src: 6, off: 16, imm: 0, imm2: 0 },
      { opcode: 0x79, dst: 4, src: 6, off: 24, imm: 0, imm2: 0 },
      { opcode: 0x85, dst: 0, src: 1, off: 0, imm: target + PREFIX - 7, imm2: 0 },
      { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 },
    ]);
    const bytes = new Uint8Array(prefix.length + p.bytes.length);
    bytes.set(prefix);
    bytes.set(p.bytes, prefix.length);
    const resolve = p.resolve;
    const vm = new EbpfVm(bytes, {
      memory: p.memory,
      helpers: p.helpers,
      maxInstructions: p.maxInstructions,
      ...(resolve === undefined ? {} : { resolveLddw: (insn: Parameters<LddwResolver>[0]) => resolve({ ...insn, pc: insn.pc - PREFIX }) }),
    });
    callbackPrograms.set(vm, p);
    return vm;
  }

  /**
   * Calls the callback at `target` with four arguments.
   * @param target - instruction index in the original program.
   * @param a1 - r1 (as a number: pointers are below 2^53).
   * @param a2 - r2.
   * @param a3 - r3.
   * @param a4 - r4.
   * @returns r0's low 32 bits (signed).
   * @throws {VmError} when the callback faults.
   */
  call(target: number, a1: number, a2: number, a3: number, a4: bigint): number {
    let entry = this.#vms.get(target);
    let fresh = false;
    if (entry === undefined || entry.busy) {
      entry = { vm: this.#build(target), busy: false };
      if (!this.#vms.has(target)) this.#vms.set(target, entry);
      else fresh = true;
    }
    const v = this.#program.memory.view;
    const o = this.#args!.offset;
    v.setBigUint64(o, BigInt(a1), true);
    v.setBigUint64(o + 8, BigInt(a2), true);
    v.setBigUint64(o + 16, BigInt(a3), true);
    v.setBigUint64(o + 24, BigInt.asUintN(64, a4), true);
    entry.busy = true;
    try {
      return entry.vm.execute();
    } finally {
      entry.busy = false;
      if (fresh) this.#program.memory.unmap(entry.vm.stack);
    }
  }
}

/** Programs whose callbacks can be run, by the VM (the HelperCall `owner`) running them. */
export const callbackPrograms = new WeakMap<object, CallbackProgram>();
const runners = new WeakMap<CallbackProgram, CallbackRunner>();

/**
 * Makes the callbacks of a VM's program callable by `bpf_for_each_map_elem`. The loader of
 * the command layer does this; call it for VMs you build yourself when the program has pseudo
 * `lddw` instructions (VMs without them work without registration).
 * @param vm - the VM.
 * @param resolve - the resolver given to the VM, if any.
 */
export function registerCallbackProgram(vm: EbpfVm, resolve?: LddwResolver): void {
  callbackPrograms.set(vm, { bytes: vm.program.bytes, resolve, helpers: vm.helpers, memory: vm.memory, maxInstructions: vm.maxInstructions });
}

/**
 * The callback runner of the VM making a helper call.
 * @param owner - `call.owner`.
 * @returns the runner, or undefined when the owner is unknown.
 * @internal
 */
export function runnerFor(owner: unknown): CallbackRunner | undefined {
  if (typeof owner !== 'object' || owner === null) return undefined;
  let p = callbackPrograms.get(owner);
  if (p === undefined && owner instanceof EbpfVm) {
    registerCallbackProgram(owner);
    p = callbackPrograms.get(owner);
  }
  if (p === undefined) return undefined;
  let r = runners.get(p);
  if (r === undefined) {
    r = new CallbackRunner(p);
    runners.set(p, r);
  }
  return r;
}
