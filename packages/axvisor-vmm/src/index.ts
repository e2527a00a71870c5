// SPDX-License-Identifier: MIT
// @axebpf/axvisor-vmm: the simulated AxVisor (issue 11).
export { VMM_EVENTS, VMM_EVENT_LIST } from './catalog.js';
export { EXIT_REASON_CODE, exitReasonName } from './exit-reason.js';
export type { ExitReasonName } from './exit-reason.js';
export { MAP_TYPE_LAZY, parseVmConfig } from './config.js';
export type { VmConfig, MemoryRegionConfig, EmuDeviceConfig, GicConfig } from './config.js';
export { decodeExit, exitCode, PSCI } from './exit.js';
export type { AxVCpuExitReason, SyndromeSource } from './exit.js';
export {
  Vmm,
  Vm,
  VCpu,
  HYPERCALL,
  NS_PER_INSN,
  EXIT_COST_NS,
  QUANTUM_INSNS,
  EL2_INSN_LIMIT,
  HOST_TIMER_INTID,
} from './vmm.js';
export {
  HypImage,
  bundledHypImage,
  HOST_CALL,
  HYP_TRACE_EVENT,
  VCPU_CTX,
  PT_REGS,
  HYP_FUNCTIONS,
  HYP_MAX_VCPUS,
} from './hyp.js';
export type { HypSymbol } from './hyp.js';
export type { HypSegment } from './elf-image.js';
export type {
  VmStatus,
  VCpuState,
  VmmOptions,
  VmmPlatform,
  El2Trap,
  HprobeHostShape,
  ExitHook,
} from './vmm.js';
export { GuestProbeManager, GUEST_BRK_WORD } from './guest-probe.js';
export type {
  GuestProbeMode,
  GuestProbeState,
  GuestProbeHit,
  GuestProbeInfo,
  GuestProbeManagerOptions,
  GuestProbeOptions,
  GuestProbeStats,
} from './guest-probe.js';
export {
  translateGuestVa,
  stage1RegsOf,
  guestRamReader,
  checkGuestRam,
  readGuestVirtual,
} from './guest-pagetable.js';
export type { Stage1Regs, GuestTranslation, GuestPhysReader } from './guest-pagetable.js';
export type { GuestRegs } from './guest-regs.js';
export { HypervisorError } from './errors.js';
export type { HypervisorErrorCode } from './errors.js';
export {
  BUNDLED_VMS,
  BENCHMARK_VMS,
  PROBE_VMS,
  LONG_RUNNING_VMS,
  bundledConfig,
  bundledImage,
} from './bundled.js';
export {
  VGicV3,
  GICV3_TRAPPED_SYS_REGS,
  GICV3_MAX_VCPUS,
  GIC_SPURIOUS_INTID,
  ICC_SGI1R_EL1_ADDR,
} from './gicv3.js';
export type { GicV3Layout, GicCpuState, SgiRequest } from './gicv3.js';
export { writeFdt, node as fdtNode, cells as fdtCells, FdtCells } from './fdt.js';
export type { FdtNode, FdtValue, FdtWriteOptions } from './fdt.js';
export { vmDeviceTree, vmDeviceTreeBlob } from './virt-dt.js';
export type { ChosenOptions } from './virt-dt.js';
export { isLinuxImage, parseLinuxImage, linuxLayout, ARM64_IMAGE_MAGIC } from './linux-image.js';
export type { LinuxImageHeader, LinuxLayout } from './linux-image.js';
export { linuxVmToml, LINUX_RAM_BASE, LINUX_KERNEL_ADDR } from './linux-config.js';
export type { LinuxVmSpec } from './linux-config.js';
export { Pl011 } from './pl011.js';
export { VGicV2, GICD_BASE, GICC_BASE, GICV2_SPIS } from './gicv2.js';
export type { GicV2CpuState, GicV2Effects } from './gicv2.js';
