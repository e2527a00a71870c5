// SPDX-License-Identifier: MIT
// @axebpf/kprobe public API.
export { KprobeError } from './errors.js';
export type { KprobeErrorCode, KprobeErrorOptions } from './errors.js';
export { PT_REGS_MIN_SIZE, PT_REGS_OFFSET, PT_REGS_SIZE, TrapFrameRegs } from './pt-regs.js';
export type { PtRegs } from './pt-regs.js';
export type { ProbeMemory } from './probe-memory.js';
export { InsnSlotAllocator } from './insn-slots.js';
export type { InsnSlotRegion } from './insn-slots.js';
export { decodeProbeInsn } from './decode-probe-insn.js';
export type {
  DecodeProbeInsnOptions,
  ProbeInsnClass,
  RejectReason,
  SimulatedInsn,
  SimulatedOp,
} from './decode-probe-insn.js';
export { simulateInsn } from './simulate-insn.js';
/** Whether an A64 condition holds for a PSTATE (NZCV in bits 31:28); the emulator's, re-exported. */
export { conditionHolds } from '@axebpf/aarch64-emu';
export { Kprobe, Kretprobe } from './probe.js';
export type {
  FaultHandler,
  KprobeOptions,
  KretprobeInstance,
  KretprobeOptions,
  KretprobeReturn,
  ProbeHandler,
  ProbeLocation,
} from './probe.js';
export {
  KprobeManager,
  KPROBE_BRK,
  KPROBE_BRK_IMM,
  KPROBE_SS_BRK,
  KPROBE_SS_BRK_IMM,
  KRETPROBE_BRK_IMM,
  brkInsn,
} from './kprobe-manager.js';
export type { KprobeManagerOptions, ProbeInfo } from './kprobe-manager.js';
export { CpuRegs, EmuProbeMemory, attachToCpu } from './emu-adapter.js';
export { handleTrapFrame } from './handle-trap-frame.js';
export type { TrapFrameOutcome } from './handle-trap-frame.js';
