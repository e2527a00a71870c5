// SPDX-License-Identifier: MIT
// @axebpf/aarch64-emu public API.
export { Cpu, EC } from './cpu.js';
export type { CpuOptions, ExceptionInfo, StopReason } from './cpu.js';
export { CPU_MODELS } from './cpu-model.js';
export type { CpuModel, CpuModelInfo } from './cpu-model.js';
export { PhysicalMemory } from './memory.js';
export type { MmioDevice, PhysicalMemoryOptions, Region } from './memory.js';
export type { ArenaMemory } from './wasm-jit.js';
export { A64Fault, DecodeError, EmuInputError } from './errors.js';
export type {
  A64FaultCode,
  A64FaultOptions,
  DecodeErrorCode,
  DecodeErrorOptions,
  EmuInputErrorCode,
  EmuInputErrorOptions,
} from './errors.js';
export { loadLinuxProgram, runLinuxProgram, signalOf, SYSCALL } from './linux-user.js';
export type { LinuxProcess, LinuxRunOptions, LinuxRunResult } from './linux-user.js';
export { decodeBitMasks, bits, signExtend } from './decode.js';
export type { BitMasks } from './decode.js';
export {
  GICV3_CPU_INTERFACE_REGS,
  SYS_REGS,
  SYS_REG_BY_NAME,
  sysRegKey,
  sysRegName,
  sysRegTrapIss,
} from './sysregs.js';
export type { SysRegInfo } from './sysregs.js';
export { main } from './cli.js';
export { disassemble } from './disasm.js';
export { bootImage, VIRT_RAM_BASE, VIRT_UART_BASE } from './board.js';
export type { BootOptions, BootResult } from './board.js';
export { formatCpuState, formatCpuStateFp } from './trace.js';
export { conditionHolds, conditionHoldsFlags } from './condition.js';
export { decodeInsn } from './decode-insn.js';
export type { DecodedInsn, DecodeInsnOptions } from './decode-insn.js';
