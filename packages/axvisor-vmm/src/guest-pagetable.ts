// SPDX-License-Identifier: MIT
// Guest virtual -> guest physical translation through the guest's own stage-1 tables, as a
// hypervisor does it in software (the original's `gva_to_gpa_with` in Iscreamx/axebpf
// src/probe/kprobe/addr_translate.rs, there fixed to 48 bits through TTBR1). Here the walk
// follows the architecture (DDI 0487, D8 "The AArch64 Virtual Memory System Architecture"):
// TTBR0/TTBR1 chosen by the address and TCR_EL1.T0SZ/T1SZ, 4 KiB granule, start level from
// the input size (48-bit from level 0, 39-bit from level 1, ...), block and page descriptors.

import type { Cpu } from '@axebpf/aarch64-emu';
import { SYS_REG_BY_NAME } from '@axebpf/aarch64-emu';
import type { PhysicalMemory } from '@axebpf/aarch64-emu';
import { HypervisorError } from './errors.js';

/** The guest's stage-1 translation registers (EL1&0 regime). */
export interface Stage1Regs {
  /** SCTLR_EL1 (bit 0, M: MMU on). */
  sctlr: bigint;
  /** TCR_EL1 (T0SZ, EPD0, TG0, T1SZ, EPD1, TG1). */
  tcr: bigint;
  /** TTBR0_EL1 (lower address range). */
  ttbr0: bigint;
  /** TTBR1_EL1 (upper address range). */
  ttbr1: bigint;
}

/** The result of a guest translation. */
export interface GuestTranslation {
  /** The guest virtual address translated. */
  gva: bigint;
  /** The guest physical address (IPA). */
  gpa: bigint;
  /** The table register used: 0, 1, or undefined when the guest's MMU is off (identity). */
  ttbr: 0 | 1 | undefined;
  /** The level of the leaf descriptor (1 or 2 for a block, 3 for a page; -1 with the MMU off). */
  level: number;
  /** The leaf descriptor (0 with the MMU off). */
  descriptor: bigint;
  /** Bytes mapped by the leaf (4 KiB, 2 MiB, 1 GiB; 4 KiB with the MMU off). */
  size: bigint;
}

/** Reads one little-endian 64-bit word of guest physical memory (a table descriptor). */
export type GuestPhysReader = (gpa: bigint) => bigint;

const OA_MASK = 0x0000_ffff_ffff_f000n;
const TWO64 = 1n << 64n;

const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;
const K = {
  SCTLR: key('sctlr_el1'),
  TCR: key('tcr_el1'),
  TTBR0: key('ttbr0_el1'),
  TTBR1: key('ttbr1_el1'),
};

/**
 * Reads the stage-1 registers of a vCPU. These are EL1 registers: while the hypervisor handles
 * an exit they still hold the guest's values (they are not part of the trap frame).
 * @param cpu - the vCPU's emulated processor.
 * @returns the registers.
 */
export function stage1RegsOf(cpu: Cpu): Stage1Regs {
  return {
    sctlr: cpu.getSysReg(K.SCTLR),
    tcr: cpu.getSysReg(K.TCR),
    ttbr0: cpu.getSysReg(K.TTBR0),
    ttbr1: cpu.getSysReg(K.TTBR1),
  };
}

function fault(
  gva: bigint,
  level: number,
  descriptor: bigint | undefined,
  why: string,
): HypervisorError {
  const hex = `0x${gva.toString(16)}`;
  return new HypervisorError({
    code: 'TRANSLATION_FAULT',
    address: gva,
    level,
    descriptor,
    message: `guest address ${hex} has no translation: ${why}`,
  });
}

/**
 * Translates a guest virtual address through the guest's stage-1 tables.
 * @param regs - the guest's SCTLR_EL1, TCR_EL1, TTBR0_EL1, TTBR1_EL1.
 * @param gva - guest virtual address.
 * @param read64 - reads a descriptor at a guest physical address.
 * @returns the translation (identity when SCTLR_EL1.M is 0).
 * @throws {HypervisorError} `TRANSLATION_FAULT` with `address`, `level` and `descriptor` when the
 * address is outside both ranges, its range is disabled (EPD), the granule is not 4 KiB, a
 * descriptor is invalid, or a table lies outside guest RAM.
 * @remarks Differences from the original: the TCR is honoured (any T0SZ/T1SZ from 16 to 39,
 * TTBR0 and TTBR1), block output addresses are masked to bits [47:n] (the original let
 * attribute bits leak into the result), and the MMU-off case is the identity. Access flag and
 * permissions are not checked: a probe needs the mapping, not the right to use it. TBI
 * (ignoring the top byte) is not applied.
 */
export function translateGuestVa(
  regs: Stage1Regs,
  gva: bigint,
  read64: GuestPhysReader,
): GuestTranslation {
  gva = BigInt.asUintN(64, gva);
  if ((regs.sctlr & 1n) === 0n) {
    if (gva >= 1n << 48n)
      throw fault(
        gva,
        0,
        undefined,
        'the guest MMU is off and the address is above the 48-bit physical range',
      );
    return { gva, gpa: gva, ttbr: undefined, level: -1, descriptor: 0n, size: 4096n };
  }
  const tcr = regs.tcr;
  const t0sz = Number(tcr & 0x3fn);
  const t1sz = Number((tcr >> 16n) & 0x3fn);
  let ttbr: 0 | 1;
  let tsz: number;
  if (gva < 1n << BigInt(64 - t0sz)) {
    if ((tcr >> 7n) & 1n) throw fault(gva, 0, undefined, 'TTBR0 walks are disabled (TCR_EL1.EPD0)');
    if (((tcr >> 14n) & 3n) !== 0n)
      throw fault(gva, 0, undefined, 'TTBR0 granule is not 4 KiB (TCR_EL1.TG0)');
    ttbr = 0;
    tsz = t0sz;
  } else if (gva >= TWO64 - (1n << BigInt(64 - t1sz))) {
    if ((tcr >> 23n) & 1n)
      throw fault(gva, 0, undefined, 'TTBR1 walks are disabled (TCR_EL1.EPD1)');
    if (((tcr >> 30n) & 3n) !== 2n)
      throw fault(gva, 0, undefined, 'TTBR1 granule is not 4 KiB (TCR_EL1.TG1)');
    ttbr = 1;
    tsz = t1sz;
  } else {
    throw fault(gva, 0, undefined, `outside both address ranges (T0SZ=${t0sz}, T1SZ=${t1sz})`);
  }
  if (tsz < 16 || tsz > 39) throw fault(gva, 0, undefined, `TnSZ=${tsz} is outside 16..39`);
  const inputBits = 64 - tsz;
  let level = 4 - Math.ceil((inputBits - 12) / 9);
  let table = (ttbr === 0 ? regs.ttbr0 : regs.ttbr1) & 0x0000_ffff_ffff_fffen;
  const va = gva & ((1n << BigInt(inputBits)) - 1n);
  for (;;) {
    const shift = BigInt(12 + 9 * (3 - level));
    const idx = (va >> shift) & 511n;
    const at = table + idx * 8n;
    let desc: bigint;
    try {
      desc = read64(at);
    } catch (e) {
      if (HypervisorError.isInstance(e))
        throw fault(
          gva,
          level,
          undefined,
          `the level ${level} table at 0x${at.toString(16)} is not guest RAM`,
        );
      throw e;
    }
    if ((desc & 1n) === 0n)
      throw fault(gva, level, desc, `invalid level ${level} descriptor 0x${desc.toString(16)}`);
    if (level === 3) {
      if ((desc & 2n) === 0n)
        throw fault(gva, level, desc, `reserved level 3 descriptor 0x${desc.toString(16)}`);
      return {
        gva,
        gpa: (desc & OA_MASK) | (gva & 0xfffn),
        ttbr,
        level,
        descriptor: desc,
        size: 4096n,
      };
    }
    if ((desc & 2n) === 0n) {
      if (level === 0)
        throw fault(gva, level, desc, `block descriptor 0x${desc.toString(16)} at level 0`);
      const size = 1n << shift;
      return {
        gva,
        gpa: (desc & OA_MASK & ~(size - 1n)) | (gva & (size - 1n)),
        ttbr,
        level,
        descriptor: desc,
        size,
      };
    }
    table = desc & OA_MASK;
    level++;
  }
}

/**
 * A reader of guest RAM for table walks: only the VM's RAM regions (from its configuration)
 * are guest physical memory; host-only memory (the stage-2 tables) is not reachable.
 * @param memory - the VM's physical memory (host view; RAM is mapped 1:1 at stage 2).
 * @param ram - the VM's RAM regions (`gpa`, `size`).
 * @returns a reader throwing `NOT_GUEST_RAM` outside them.
 */
export function guestRamReader(
  memory: PhysicalMemory,
  ram: readonly { gpa: bigint; size: number }[],
): GuestPhysReader {
  return (gpa) => {
    checkGuestRam(ram, gpa, 8);
    const b = memory.read(gpa, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  };
}

/**
 * Checks that `[gpa, gpa + length)` is guest RAM and returns the host address of it (the
 * VMM maps guest RAM 1:1, so the host view uses the same address in the VM's memory).
 * @param ram - the VM's RAM regions.
 * @param gpa - guest physical address.
 * @param length - bytes.
 * @returns the host physical address.
 * @throws {HypervisorError} `NOT_GUEST_RAM` with `address`.
 */
export function checkGuestRam(
  ram: readonly { gpa: bigint; size: number }[],
  gpa: bigint,
  length: number,
): bigint {
  for (const r of ram)
    if (gpa >= r.gpa && gpa + BigInt(length) <= r.gpa + BigInt(r.size)) return gpa;
  throw new HypervisorError({
    code: 'NOT_GUEST_RAM',
    address: gpa,
    message: `guest physical address 0x${gpa.toString(16)} is not guest RAM`,
  });
}

/**
 * Reads guest virtual memory through the guest's stage-1 tables, page by page, as
 * `bpf_probe_read_kernel` reads kernel memory: a read never faults the guest or the host.
 * @param memory - the VM's physical memory.
 * @param ram - the VM's RAM regions.
 * @param regs - the guest's stage-1 registers (of the vCPU whose view is read: TTBR0 maps the
 *   current task's user memory).
 * @param gva - first guest virtual address.
 * @param length - bytes to read.
 * @returns the bytes, or undefined when any byte is unmapped or outside guest RAM.
 */
export function readGuestVirtual(
  memory: PhysicalMemory,
  ram: readonly { gpa: bigint; size: number }[],
  regs: Stage1Regs,
  gva: bigint,
  length: number,
): Uint8Array | undefined {
  const out = new Uint8Array(length);
  const reader = guestRamReader(memory, ram);
  let done = 0;
  while (done < length) {
    const va = BigInt.asUintN(64, gva + BigInt(done));
    const inPage = Math.min(length - done, 4096 - Number(va & 0xfffn));
    try {
      const t = translateGuestVa(regs, va, reader);
      checkGuestRam(ram, t.gpa, inPage);
      out.set(memory.read(t.gpa, inPage), done);
    } catch (e) {
      if (HypervisorError.isInstance(e)) return undefined;
      throw e;
    }
    done += inPage;
  }
  return out;
}
