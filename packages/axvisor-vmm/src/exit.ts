// SPDX-License-Identifier: MIT
// Decoding an exception taken to EL2 into AxVisor's `AxVCpuExitReason` (arm_vcpu
// src/exception.rs does this on hardware; here the syndrome comes from the emulator).

import { EXIT_REASON_CODE } from './exit-reason.js';
import { ICC_SGI1R_EL1_ADDR } from './gicv3.js';

/** `AxVCpuExitReason`, with the variants ARM produces. */
export type AxVCpuExitReason =
  | { kind: 'Hypercall'; nr: bigint; args: bigint[] }
  | {
      kind: 'MmioRead';
      addr: bigint;
      width: number;
      reg: number;
      regWidth: number;
      signedExt: boolean;
    }
  | { kind: 'MmioWrite'; addr: bigint; width: number; data: bigint }
  | { kind: 'SysRegRead'; addr: number; reg: number }
  | { kind: 'SysRegWrite'; addr: number; value: bigint }
  | { kind: 'ExternalInterrupt'; vector: number }
  | { kind: 'NestedPageFault'; addr: bigint; write: boolean }
  | { kind: 'Halt' }
  | { kind: 'CpuUp'; targetCpu: bigint; entryPoint: bigint; arg: bigint }
  | { kind: 'CpuDown'; state: bigint }
  | { kind: 'SystemDown' }
  | { kind: 'Nothing' }
  | { kind: 'FailEntry'; reason: bigint }
  | {
      kind: 'SendIPI';
      targetCpu: bigint;
      targetCpuAux: bigint;
      sendToAll: boolean;
      sendToSelf: boolean;
      vector: number;
    };

/**
 * The trace code of an exit reason (as `vmm:vcpu_run_exit.exit_reason` reports it).
 * @param exit - the exit.
 * @returns 1..16.
 */
export function exitCode(exit: AxVCpuExitReason): number {
  return EXIT_REASON_CODE[exit.kind];
}

/** PSCI function ids (SMC Calling Convention, 32- and 64-bit forms). */
export const PSCI = {
  VERSION: 0x8400_0000n,
  CPU_OFF: 0x8400_0002n,
  CPU_ON_32: 0x8400_0003n,
  CPU_ON_64: 0xc400_0003n,
  SYSTEM_OFF: 0x8400_0008n,
  SYSTEM_RESET: 0x8400_0009n,
} as const;

/** What the decoder needs to read from the vCPU. */
export interface SyndromeSource {
  /** ESR_EL2. */
  esr: bigint;
  /** FAR_EL2. */
  far: bigint;
  /** HPFAR_EL2. */
  hpfar: bigint;
  /** Vector offset the exception was taken to (0x400 sync, 0x480 IRQ from a lower EL). */
  vectorOffset: number;
  /** The host's pending physical interrupt for an IRQ exit (arm_vcpu's `irq_fetch()`); 0 when unknown. */
  irq?: number;
  /** Reads a general register. */
  x(i: number): bigint;
}

/**
 * Decodes the exception that stopped the guest.
 * @param s - syndrome registers and general registers.
 * @returns the exit reason; `Nothing` for exceptions the VMM does not model.
 */
export function decodeExit(s: SyndromeSource): AxVCpuExitReason {
  if (s.vectorOffset === 0x480 || s.vectorOffset === 0x500)
    return { kind: 'ExternalInterrupt', vector: s.irq ?? 0 };
  const ec = Number((s.esr >> 26n) & 0x3fn);
  const iss = Number(s.esr & 0x1ffffffn);
  switch (ec) {
    case 0x01: // WFI/WFE
      return { kind: 'Halt' };
    case 0x16: // HVC
    case 0x17: {
      // SMC
      const fn = s.x(0) & 0xffffffffn;
      if (fn === PSCI.SYSTEM_OFF || fn === PSCI.SYSTEM_RESET) return { kind: 'SystemDown' };
      if (fn === PSCI.CPU_OFF) return { kind: 'CpuDown', state: 0n };
      if (fn === PSCI.CPU_ON_32 || fn === PSCI.CPU_ON_64)
        return { kind: 'CpuUp', targetCpu: s.x(1), entryPoint: s.x(2), arg: s.x(3) };
      return {
        kind: 'Hypercall',
        nr: s.x(0),
        args: [s.x(1), s.x(2), s.x(3), s.x(4), s.x(5), s.x(6)],
      };
    }
    case 0x18: {
      // MSR/MRS trap
      const addr = iss & ((0xfff << 10) | (0xf << 1));
      const reg = (iss >> 5) & 0x1f;
      if ((iss & 1) === 1) return { kind: 'SysRegRead', addr, reg };
      const value = reg === 31 ? 0n : s.x(reg);
      if (addr === ICC_SGI1R_EL1_ADDR) {
        // as arm_vcpu: INTID [27:24]; IRM [40] = every CPU but self; else Aff3.Aff2.Aff1 and the target list
        const vector = Number((value >> 24n) & 0xfn);
        if (((value >> 40n) & 1n) === 1n)
          return {
            kind: 'SendIPI',
            targetCpu: 0n,
            targetCpuAux: 0n,
            sendToAll: true,
            sendToSelf: false,
            vector,
          };
        const targetCpu =
          (((value >> 48n) & 0xffn) << 24n) |
          (((value >> 32n) & 0xffn) << 16n) |
          (((value >> 16n) & 0xffn) << 8n);
        return {
          kind: 'SendIPI',
          targetCpu,
          targetCpuAux: value & 0xffffn,
          sendToAll: false,
          sendToSelf: false,
          vector,
        };
      }
      return { kind: 'SysRegWrite', addr, value };
    }
    case 0x24: {
      // data abort from a lower EL
      const ipa = ((s.hpfar >> 4n) << 12n) | (s.far & 0xfffn);
      const write = ((iss >> 6) & 1) === 1;
      const isv = ((iss >> 24) & 1) === 1;
      const dfsc = iss & 0x3f;
      if (isv && (dfsc & 0x3c) === 0x04) {
        // translation fault with a valid instruction syndrome: an emulated device access
        const width = 1 << ((iss >> 22) & 3);
        const reg = (iss >> 16) & 0x1f;
        if (write)
          return {
            kind: 'MmioWrite',
            addr: ipa,
            width,
            data:
              reg === 31
                ? 0n
                : s.x(reg) & (width === 8 ? 0xffffffffffffffffn : (1n << BigInt(width * 8)) - 1n),
          };
        return {
          kind: 'MmioRead',
          addr: ipa,
          width,
          reg,
          regWidth: ((iss >> 15) & 1) === 1 ? 8 : 4,
          signedExt: ((iss >> 21) & 1) === 1,
        };
      }
      return { kind: 'NestedPageFault', addr: ipa, write };
    }
    case 0x20: {
      // instruction abort from a lower EL
      const ipa = ((s.hpfar >> 4n) << 12n) | (s.far & 0xfffn);
      return { kind: 'NestedPageFault', addr: ipa, write: false };
    }
    default:
      return { kind: 'FailEntry', reason: s.esr };
  }
}
