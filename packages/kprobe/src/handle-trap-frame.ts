// SPDX-License-Identifier: MIT
// One call for a host whose exception vector saved a struct pt_regs frame in memory: the role
// of axebpf src/probe/hprobe handler::handle_breakpoint (copy the frame in, dispatch, copy back).

import type { KprobeManager } from './kprobe-manager.js';
import { PT_REGS_MIN_SIZE, TrapFrameRegs } from './pt-regs.js';

/** What {@link handleTrapFrame} did. */
export type TrapFrameOutcome =
  /** A probe BRK (#4, #6 or the trampoline's): resume at the frame's (updated) PC. */
  | 'handled'
  /** A fault of a stepped instruction that a fault handler took: resume at the frame's PC. */
  | 'fault-handled'
  /** A fault of a stepped instruction: the frame's PC now is the probe address; deliver the fault from there. */
  | 'fault-fixed-up'
  /** Not the manager's exception; the frame is unchanged. */
  | 'not-ours';

/**
 * Handles a synchronous exception whose registers an exception vector saved as a
 * `struct pt_regs` frame in memory: BRKs go to {@link KprobeManager.handleBrk}, other
 * exceptions to {@link KprobeManager.handleFault}; the frame is written back when changed.
 * @param manager - the probe manager.
 * @param memory - memory holding the frame (an emulator `PhysicalMemory` works).
 * @param frameAddress - address of the frame (at least {@link PT_REGS_MIN_SIZE} bytes).
 * @param esr - the exception syndrome (ESR_ELx).
 * @returns what happened.
 * @throws {KprobeError} from the handlers (`HANDLER_FAILED`, `SIMULATION_FAULT`, `NO_RETPROBE_INSTANCE`).
 * @example
 * ```ts
 * // in the host call of an EL2 vector: x0 = frame, x1 = ESR_EL2
 * const outcome = handleTrapFrame(manager, mem, cpu.getX(0), Number(cpu.getX(1)));
 * ```
 */
export function handleTrapFrame(
  manager: KprobeManager,
  memory: {
    read(address: bigint, length: number): Uint8Array;
    write(address: bigint, data: Uint8Array): void;
  },
  frameAddress: bigint,
  esr: number | bigint,
): TrapFrameOutcome {
  const regs = TrapFrameRegs.read(memory, frameAddress, PT_REGS_MIN_SIZE);
  const e = Number(BigInt(esr) & 0xffffffffn);
  if (((e >>> 26) & 0x3f) === 0x3c) {
    if (!manager.handleBrk(regs, e & 0xffff)) return 'not-ours';
    regs.writeTo(memory, frameAddress);
    return 'handled';
  }
  const pc = regs.pc;
  const taken = manager.handleFault(regs, e);
  if (!taken && regs.pc === pc) return 'not-ours';
  regs.writeTo(memory, frameAddress);
  return taken ? 'fault-handled' : 'fault-fixed-up';
}
