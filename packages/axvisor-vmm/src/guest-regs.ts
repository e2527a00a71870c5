// SPDX-License-Identifier: MIT
// The guest's saved state as an exit handler sees it. On AxVisor the trap frame
// (arm_vcpu `TrapFrame`: gpr[31], sp_el0, elr, spsr) holds the guest's registers while the
// hypervisor handles an exit; handlers read and write the frame, and the world switch puts
// it back with ERET. Every TypeScript exit handler goes through this view, so the same
// handler code serves whether the frame lives in the emulator's registers or in EL2 memory.

import type { Cpu } from '@axebpf/aarch64-emu';
import { SYS_REG_BY_NAME } from '@axebpf/aarch64-emu';

/** The guest registers of one exit, as the exit handlers read and change them. */
export interface GuestRegs {
  /** Reads general register `i` (0..30). */
  x(i: number): bigint;
  /** Writes general register `i` (0..30; 31 is ignored: XZR). */
  setX(i: number, value: bigint): void;
  /** The guest PC the exception returns to (ELR_EL2). */
  elr(): bigint;
  /** The guest PSTATE the exception returns with (SPSR_EL2). */
  spsr(): bigint;
  /** Replaces the saved PSTATE (for example to set SPSR.SS for a software step). */
  setSpsr(value: bigint): void;
  /** Resumes the guest at `pc` with the saved PSTATE when the exit handling ends. */
  resumeAt(pc: bigint): void;
}

const ELR_EL2 = SYS_REG_BY_NAME.get('elr_el2')!;
const SPSR_EL2 = SYS_REG_BY_NAME.get('spsr_el2')!;

/**
 * The view over the emulator's live registers: used when TypeScript handles the exit
 * directly after the exception to EL2 (no EL2 code ran), so returning is an ERET done here.
 * @internal
 */
export class CpuGuestRegs implements GuestRegs {
  cpu: Cpu | undefined;
  x(i: number): bigint {
    return this.cpu!.getX(i);
  }
  setX(i: number, value: bigint): void {
    if (i !== 31) this.cpu!.setX(i, value);
  }
  elr(): bigint {
    return this.cpu!.getSysReg(ELR_EL2);
  }
  spsr(): bigint {
    return this.cpu!.getSysReg(SPSR_EL2);
  }
  setSpsr(value: bigint): void {
    this.cpu!.setSysReg(SPSR_EL2, value);
  }
  resumeAt(pc: bigint): void {
    const cpu = this.cpu!;
    cpu.pc = pc;
    cpu.setPstate(Number(cpu.getSysReg(SPSR_EL2) & 0xffffffffn));
  }
}

/**
 * The view over the trap frame the EL2 image saved in memory (its `struct vcpu_ctx`: x0–x30,
 * SP_EL0, ELR, SPSR): used while the image asks the host to handle an exit. `resumeAt` sets
 * the saved ELR; the image's world switch restores the frame and ERETs.
 * @internal
 */
export class MemGuestRegs implements GuestRegs {
  view: DataView = new DataView(new ArrayBuffer(0));
  /** Offset of the context in `view`. */
  off = 0;
  x(i: number): bigint {
    return this.view.getBigUint64(this.off + 8 * i, true);
  }
  setX(i: number, value: bigint): void {
    if (i !== 31) this.view.setBigUint64(this.off + 8 * i, BigInt.asUintN(64, value), true);
  }
  elr(): bigint {
    return this.view.getBigUint64(this.off + 256, true);
  }
  spsr(): bigint {
    return this.view.getBigUint64(this.off + 264, true);
  }
  setSpsr(value: bigint): void {
    this.view.setBigUint64(this.off + 264, BigInt.asUintN(64, value), true);
  }
  resumeAt(pc: bigint): void {
    this.view.setBigUint64(this.off + 256, BigInt.asUintN(64, pc), true);
  }
}
