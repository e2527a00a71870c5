// SPDX-License-Identifier: MIT
// Simulation of the PC-relative instructions that cannot run from an instruction slot.
// Semantics from torvalds/linux arch/arm64/kernel/probes/simulate-insn.c (simulate_adr_adrp,
// simulate_b_bl, simulate_b_cond, simulate_br_blr_ret, simulate_cbz_cbnz, simulate_tbz_tbnz,
// simulate_ldr_literal, simulate_ldrsw_literal); conditions are the emulator's `conditionHolds`.

import { conditionHolds } from '@axebpf/aarch64-emu';
import type { SimulatedInsn } from './decode-probe-insn.js';
import { KprobeError, hex } from './errors.js';
import type { ProbeMemory } from './probe-memory.js';
import type { PtRegs } from './pt-regs.js';

const MASK64 = (1n << 64n) - 1n;

/**
 * Applies a simulated instruction to the registers: writes its destination and sets the PC.
 * @param sim - the decoded instruction.
 * @param address - the address the instruction was at (its PC).
 * @param regs - the registers, changed in place.
 * @param memory - memory for literal loads.
 * @throws {KprobeError} `SIMULATION_FAULT` when a literal load reads unreadable memory.
 */
export function simulateInsn(
  sim: SimulatedInsn,
  address: bigint,
  regs: PtRegs,
  memory: ProbeMemory,
): void {
  const next = address + 4n;
  const setReg = (r: number, v: bigint): void => {
    if (r !== 31) regs.setX(r, v & MASK64);
  };
  const getReg = (r: number): bigint => (r === 31 ? 0n : regs.getX(r));
  switch (sim.op) {
    case 'adr':
      setReg(sim.reg, address + sim.offset);
      regs.pc = next;
      return;
    case 'adrp':
      setReg(sim.reg, (address & ~0xfffn) + sim.offset);
      regs.pc = next;
      return;
    case 'b':
      regs.pc = (address + sim.offset) & MASK64;
      return;
    case 'bl':
      regs.setX(30, next);
      regs.pc = (address + sim.offset) & MASK64;
      return;
    case 'b.cond':
      regs.pc = conditionHolds(sim.arg, regs.pstate) ? (address + sim.offset) & MASK64 : next;
      return;
    case 'cbz':
    case 'cbnz': {
      let v = getReg(sim.reg);
      if (sim.arg === 4) v &= 0xffffffffn;
      const taken = sim.op === 'cbz' ? v === 0n : v !== 0n;
      regs.pc = taken ? (address + sim.offset) & MASK64 : next;
      return;
    }
    case 'tbz':
    case 'tbnz': {
      const bit = (getReg(sim.reg) >> BigInt(sim.arg)) & 1n;
      const taken = sim.op === 'tbz' ? bit === 0n : bit === 1n;
      regs.pc = taken ? (address + sim.offset) & MASK64 : next;
      return;
    }
    case 'br':
    case 'blr':
    case 'ret': {
      const target = getReg(sim.reg); // read before BLR writes X30 (BLR X30 is legal)
      if (sim.op === 'blr') regs.setX(30, next);
      regs.pc = target;
      return;
    }
    case 'ldr-literal':
    case 'ldrsw-literal': {
      const at = (address + sim.offset) & MASK64;
      let value: bigint;
      try {
        value = memory.readData(at, sim.arg === 8 ? 8 : 4);
      } catch (cause) {
        throw new KprobeError({
          code: 'SIMULATION_FAULT',
          message: `simulated literal load at ${hex(address)} cannot read ${hex(at)}`,
          address,
          cause,
        });
      }
      if (sim.op === 'ldrsw-literal') value = BigInt.asUintN(64, BigInt.asIntN(32, value));
      else if (sim.arg === 4) value &= 0xffffffffn;
      setReg(sim.reg, value);
      regs.pc = next;
      return;
    }
  }
}
