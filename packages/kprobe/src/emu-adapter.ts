// SPDX-License-Identifier: MIT
// Adapters between the probe manager and @axebpf/aarch64-emu: code/data access over
// PhysicalMemory, PtRegs over a Cpu, and an onException hook that routes BRKs and slot faults
// to a manager the way a kernel's debug exception handler would.

import { EC, sysRegKey } from '@axebpf/aarch64-emu';
import type { Cpu, ExceptionInfo, PhysicalMemory } from '@axebpf/aarch64-emu';
import { KprobeError } from './errors.js';
import type { KprobeManager } from './kprobe-manager.js';
import type { ProbeMemory } from './probe-memory.js';
import type { PtRegs } from './pt-regs.js';

/**
 * {@link ProbeMemory} over the emulator's physical memory. Writes go through
 * `PhysicalMemory.write`, which drops the decoded blocks of the written page (and ends the
 * block running on it), so patched code is fetched anew.
 *
 * @remarks The emulator has no instruction cache of its own, so {@link EmuProbeMemory.syncIcache}
 * only counts the maintenance operations (`icacheSyncs`), which tests may check.
 */
export class EmuProbeMemory implements ProbeMemory {
  /** The memory. */
  readonly memory: PhysicalMemory;
  /** Number of {@link EmuProbeMemory.syncIcache} calls. */
  icacheSyncs = 0;
  /** Number of instruction words written. */
  writes = 0;
  private readonly translate: (address: bigint) => bigint;

  /**
   * @param memory - the emulator's physical memory.
   * @param translate - maps the addresses code runs at to physical addresses; default identity
   *   (MMU off, as for the EL2 hypervisor image).
   */
  constructor(memory: PhysicalMemory, translate?: (address: bigint) => bigint) {
    this.memory = memory;
    this.translate = translate ?? ((a) => a);
  }

  /** @inheritDoc ProbeMemory.readInsn */
  readInsn(address: bigint): number {
    const b = this.memory.read(this.translate(address), 4);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }

  /** @inheritDoc ProbeMemory.writeInsn */
  writeInsn(address: bigint, word: number): void {
    const w = word >>> 0;
    this.memory.write(
      this.translate(address),
      new Uint8Array([w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24]),
    );
    this.writes++;
  }

  /** @inheritDoc ProbeMemory.syncIcache */
  syncIcache(_address: bigint, _length: number): void {
    this.icacheSyncs++;
  }

  /** @inheritDoc ProbeMemory.readData */
  readData(address: bigint, size: 4 | 8): bigint {
    const b = this.memory.read(this.translate(address), size);
    let v = 0n;
    for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
    return v;
  }
}

/**
 * {@link PtRegs} directly over an emulator {@link @axebpf/aarch64-emu!Cpu} (for a host that handles
 * exceptions in
 * `onException`, before the CPU enters a vector).
 */
export class CpuRegs implements PtRegs {
  /** The CPU. */
  readonly cpu: Cpu;

  /** @param cpu - the CPU. */
  constructor(cpu: Cpu) {
    this.cpu = cpu;
  }

  /**
   * Reads X0..X30.
   * @param index - register number.
   * @returns the value.
   * @throws {KprobeError} `BAD_ARGUMENT` outside 0..30.
   */
  getX(index: number): bigint {
    checkIndex(index);
    return this.cpu.getX(index);
  }

  /**
   * Writes X0..X30.
   * @param index - register number.
   * @param value - the value.
   * @throws {KprobeError} `BAD_ARGUMENT` outside 0..30.
   */
  setX(index: number, value: bigint): void {
    checkIndex(index);
    this.cpu.setX(index, value);
  }

  /** The current SP. */
  get sp(): bigint {
    return this.cpu.sp;
  }
  set sp(value: bigint) {
    this.cpu.sp = value;
  }

  /** The PC. */
  get pc(): bigint {
    return this.cpu.pc;
  }
  set pc(value: bigint) {
    this.cpu.pc = value;
  }

  /** PSTATE in SPSR layout. */
  get pstate(): number {
    return this.cpu.getPstate();
  }
  set pstate(value: number) {
    this.cpu.setPstate(value);
  }
}

function checkIndex(index: number): void {
  if (!Number.isInteger(index) || index < 0 || index > 30) {
    throw new KprobeError({
      code: 'BAD_ARGUMENT',
      message: `register \`x${index}\` does not exist (0..30)`,
    });
  }
}

/**
 * Installs an `onException` hook on a CPU that hands BRK exceptions to the manager and lets
 * it fix up faults raised by an instruction running from a slot; anything else (and BRKs that
 * are not the manager's) goes to the previous hook or is taken architecturally.
 * @param cpu - the CPU.
 * @param manager - the manager.
 * @returns a function that restores the previous hook.
 *
 * @remarks A fault in a slot that no fault handler takes is delivered with ELR = the probe
 * address (as Linux reports it). The emulator's hook cannot change the return address of an
 * exception it goes on to take, so this hook enters the vector itself (ELR, SPSR, ESR, FAR,
 * PSTATE, PC = VBAR + offset); with `stopOnEl2` a fault taken to EL2 then stops the CPU with
 * the reason `stopped` rather than `exception-el2`.
 */
export function attachToCpu(cpu: Cpu, manager: KprobeManager): () => void {
  const previous = cpu.onException;
  const regs = new CpuRegs(cpu);
  cpu.onException = (c: Cpu, info: ExceptionInfo): boolean => {
    // onException sees the CPU with PC = the preferred return address (the BRK itself).
    if (info.ec === EC.BRK64 && manager.handleBrk(regs, info.iss & 0xffff)) return true;
    if (
      info.ec !== EC.BRK64 &&
      info.ec !== EC.SVC64 &&
      info.ec !== EC.HVC64 &&
      info.ec !== EC.SMC64 &&
      manager.slots.contains(c.pc)
    ) {
      if (manager.handleFault(regs, info)) return true;
      // PC now points at the probed instruction: deliver the exception from there.
      const moved = { ...info, returnAddress: c.pc };
      if (previous !== undefined && previous(c, moved)) return true;
      takeException(c, moved);
      return true;
    }
    return previous !== undefined ? previous(c, info) : false;
  };
  return () => {
    cpu.onException = previous;
  };
}

const K_ELR = [0, sysRegKey(3, 0, 4, 0, 1), sysRegKey(3, 4, 4, 0, 1)];
const K_SPSR = [0, sysRegKey(3, 0, 4, 0, 0), sysRegKey(3, 4, 4, 0, 0)];
const K_ESR = [0, sysRegKey(3, 0, 5, 2, 0), sysRegKey(3, 4, 5, 2, 0)];
const K_FAR = [0, sysRegKey(3, 0, 6, 0, 0), sysRegKey(3, 4, 6, 0, 0)];
const K_VBAR = [0, sysRegKey(3, 0, 12, 0, 0), sysRegKey(3, 4, 12, 0, 0)];

/** Architectural exception entry through the CPU's public API (synchronous exceptions only). */
function takeException(cpu: Cpu, info: ExceptionInfo): void {
  const target = info.targetEl === 2 ? 2 : 1;
  const pstate = cpu.getPstate();
  const el = (pstate >>> 2) & 3;
  const spx = pstate & 1;
  cpu.setSysReg(K_ELR[target]!, info.returnAddress);
  cpu.setSysReg(K_SPSR[target]!, BigInt(pstate));
  cpu.setSysReg(
    K_ESR[target]!,
    BigInt(((info.ec << 26) | (1 << 25) | (info.iss & 0x1ffffff)) >>> 0),
  );
  if (info.far !== undefined) cpu.setSysReg(K_FAR[target]!, info.far);
  const offset = target === el ? (spx ? 0x200 : 0) : 0x400;
  // DAIF masked, SS and IL cleared, EL = target, SP_ELx selected
  cpu.setPstate(((pstate & 0xf0000000) | (0xf << 6) | (target << 2) | 1) >>> 0);
  cpu.pc = cpu.getSysReg(K_VBAR[target]!) + BigInt(offset);
  if (target === 2 && cpu.stopOnEl2) cpu.stop();
}
