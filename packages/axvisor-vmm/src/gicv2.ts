// SPDX-License-Identifier: MIT
// The virtual GICv2 of a VM (Arm GIC architecture specification v2, IHI 0048; QEMU virt layout:
// distributor at 0x0800_0000, CPU interface at 0x0801_0000). SGIs and PPIs (INTIDs 0-31) live in
// each vCPU's GicCpuState (the VMM's timer pends PPI 27 there); SPIs (INTIDs 32..32+GICV2_SPIS-1)
// are per VM, level-sensitive lines driven by devices (the PL011), routed by GICD_ITARGETSR.

import { bitSetRegister, byteRegister, GIC_FIRST_SPI, GIC_SPIS, SpiLines } from './gic-spi.js';
import type { SpiBitSet } from './gic-spi.js';
import type { GicCpuState } from './gicv3.js';

/** GICv2 distributor base on the QEMU virt board. */
export const GICD_BASE = 0x0800_0000n;
/** GICv2 CPU interface base on the QEMU virt board. */
export const GICC_BASE = 0x0801_0000n;
/** Size of each of the two register frames. */
export const GICV2_FRAME_SIZE = 0x1_0000n;
/** SPIs the distributor implements (GICD_TYPER.ITLinesNumber = 2: 96 INTIDs). */
export const GICV2_SPIS = GIC_SPIS;
const LINES = 32 + GICV2_SPIS;
const SPURIOUS_INTID = 1023;

/** The GICv2 per-vCPU state: the SGI/PPI bits plus the CPU interface. */
export interface GicV2CpuState extends GicCpuState {
  /** GICC_CTLR enable bit. */
  cpuInterface: boolean;
  /** Which vCPU sent each pending SGI (GICC_IAR.CPUID). */
  sgiSource: Uint8Array;
}

/** What a distributor write did that the VMM must act on. */
export interface GicV2Effects {
  /** SGIs sent: [target vCPU, INTID]. */
  sgis: [number, number][];
}

/**
 * A virtual GICv2. The VMM calls {@link VGicV2.access} for every trapped access to the two
 * frames, asks {@link VGicV2.signals} for each vCPU's IRQ line, and drives SPI lines with
 * {@link VGicV2.setSpiLevel}.
 */
export class VGicV2 {
  /** GICD_CTLR.Enable. */
  distributorOn = false;
  readonly #cpus: GicV2CpuState[];
  readonly #spi = new SpiLines();
  readonly #targets = new Uint8Array(GICV2_SPIS);
  /** Priorities of INTIDs 0-31 (one copy for all vCPUs); SPIs' are in `#spi`. */
  readonly #priority = new Uint8Array(GIC_FIRST_SPI);
  readonly #icfgr = new Uint32Array(LINES / 16);
  readonly #pmr: Uint8Array;

  /** @param cpus - the per-vCPU state, by vCPU id. */
  constructor(cpus: GicV2CpuState[]) {
    this.#cpus = cpus;
    this.#pmr = new Uint8Array(cpus.length);
  }

  /**
   * Sets the level of an SPI line (a device's interrupt output).
   * @param intid - 32..95.
   * @param level - asserted or not.
   * @returns false for an INTID outside the SPI range (ignored).
   */
  setSpiLevel(intid: number, level: boolean): boolean {
    return this.#spi.setLevel(intid, level);
  }

  /** The SPIs ready for a vCPU: enabled, pending (line or software), not active, targeting it. */
  #readySpi(cpu: number): number {
    for (let w = 0; w < GICV2_SPIS / 32; w++) {
      let ready = this.#spi.ready(w);
      while (ready !== 0) {
        const b = 31 - Math.clz32(ready & -ready);
        const s = w * 32 + b;
        if ((this.#targets[s]! & (1 << cpu)) !== 0) return 32 + s;
        ready &= ~(1 << b);
      }
    }
    return SPURIOUS_INTID;
  }

  /** The INTID a vCPU would acknowledge now (1023: none). */
  #highest(cpu: number): number {
    const g = this.#cpus[cpu]!;
    if (!this.distributorOn || !g.cpuInterface) return SPURIOUS_INTID;
    const ready = g.pending & g.enabled & ~g.active;
    if (ready !== 0) return 31 - Math.clz32(ready & -ready);
    return this.#readySpi(cpu);
  }

  /**
   * Whether the GIC signals an interrupt to the vCPU (its IRQ line; also what ends a WFI).
   * @param cpu - vCPU id.
   * @returns true when an interrupt can be acknowledged.
   */
  signals(cpu: number): boolean {
    const intid = this.#highest(cpu);
    if (intid === SPURIOUS_INTID) return false;
    const p = intid < GIC_FIRST_SPI ? this.#priority[intid]! : this.#spi.priority[intid - 32]!;
    return p < this.#pmr[cpu]!;
  }

  /** Whether an SPI is pending or active somewhere (for tests and the console). */
  spiState(intid: number): { enabled: boolean; level: boolean; active: boolean; targets: number } {
    const s = intid - 32,
      w = s >> 5,
      bit = 1 << (s & 31);
    return {
      enabled: (this.#spi.enabled[w]! & bit) !== 0,
      level: (this.#spi.level[w]! & bit) !== 0,
      active: (this.#spi.active[w]! & bit) !== 0,
      targets: this.#targets[s]!,
    };
  }

  /** A bit-set register word covering INTIDs 32*n.. (n = 0: the banked SGI/PPI word). */
  #bits(cpu: number, n: number, which: SpiBitSet): number {
    if (n === 0) return this.#cpus[cpu]![which];
    return this.#spi.word(n - 1, which);
  }

  #setBits(cpu: number, n: number, which: SpiBitSet, v: number, set: boolean): void {
    if (n === 0) {
      const g = this.#cpus[cpu]!;
      // SGIs are always enabled on the GICv2 (ISENABLER0 bits 0-15 read as one)
      g[which] = set ? g[which] | v : g[which] & ~v;
      return;
    }
    this.#spi.writeWord(n - 1, which, v, set);
  }

  /**
   * One access to the distributor or the CPU interface.
   * @param cpu - the accessing vCPU.
   * @param addr - guest physical address.
   * @param width - bytes (1, 2, 4 or 8).
   * @param write - a write.
   * @param value - the value written.
   * @param effects - collects SGIs sent.
   * @param now - virtual time (for the acknowledge timestamp).
   * @returns the value read (0 for writes).
   */
  access(
    cpu: number,
    addr: bigint,
    width: number,
    write: boolean,
    value: bigint,
    effects: GicV2Effects,
    now: bigint,
  ): bigint {
    const v = Number(value & 0xffffffffn) >>> 0;
    const g = this.#cpus[cpu]!;
    if (addr >= GICD_BASE && addr < GICD_BASE + GICV2_FRAME_SIZE) {
      const off = Number(addr - GICD_BASE);
      if (off === 0x000) {
        if (write) this.distributorOn = (v & 1) === 1;
        return this.distributorOn ? 1n : 0n;
      }
      if (off === 0x004) return BigInt((((this.#cpus.length - 1) & 7) << 5) | (LINES / 32 - 1)); // TYPER
      if (off === 0x008) return 0x0200_043bn; // IIDR: ARM, GICv2 (as QEMU's)
      if (off >= 0x100 && off < 0x400) {
        // ISENABLER/ICENABLER/ISPENDR/ICPENDR/ISACTIVER/ICACTIVER
        const { which, set, index } = bitSetRegister(off);
        if (write) this.#setBits(cpu, index, which, v, set);
        return BigInt(this.#bits(cpu, index, which) >>> 0);
      }
      if (off >= 0x400 && off < 0x400 + GIC_FIRST_SPI)
        return byteRegister(this.#priority, off - 0x400, width, write, v);
      if (off >= 0x400 + GIC_FIRST_SPI && off < 0x400 + LINES)
        return byteRegister(this.#spi.priority, off - 0x400 - GIC_FIRST_SPI, width, write, v);
      if (off >= 0x800 && off < 0x800 + LINES) {
        const i = off - 0x800;
        if (i < 32) return BigInt((0x01010101 * (1 << cpu)) >>> 0); // banked: this CPU
        return byteRegister(this.#targets, i - 32, width, write, v);
      }
      if (off >= 0xc00 && off < 0xc00 + LINES / 4) {
        const i = (off - 0xc00) >> 2;
        if (write && i >= 2) this.#icfgr[i] = v;
        return BigInt(i === 0 ? 0xaaaaaaaa : this.#icfgr[i]!);
      }
      if (off === 0xf00 && write) {
        // GICD_SGIR: INTID [3:0], CPU target list [23:16], filter [25:24]
        const intid = v & 0xf;
        const filter = (v >>> 24) & 3;
        for (let t = 0; t < this.#cpus.length; t++) {
          const hit =
            filter === 1
              ? t !== cpu
              : filter === 2
                ? t === cpu
                : ((v >>> 16) & 0xff & (1 << t)) !== 0;
          if (!hit) continue;
          const tg = this.#cpus[t]!;
          tg.pending |= 1 << intid;
          tg.sgiSource[intid] = cpu;
          effects.sgis.push([t, intid]);
        }
        return 0n;
      }
      if (off >= 0xfe0)
        return BigInt([0x04, 0x00, 0x00, 0x00, 0x92, 0xb4, 0x2b, 0x00][(off - 0xfe0) >> 2] ?? 0); // ICPIDR
      return 0n; // other distributor registers: writes ignored, reads as zero
    }
    const off = Number(addr - GICC_BASE);
    switch (off) {
      case 0x000:
        if (write) g.cpuInterface = (v & 1) === 1;
        return g.cpuInterface ? 1n : 0n;
      case 0x004:
        if (write) this.#pmr[cpu] = v & 0xf8;
        return BigInt(this.#pmr[cpu]!);
      case 0x00c: {
        if (write) return 0n;
        // GICC_IAR: acknowledge the highest-priority (here: lowest) ready INTID
        const intid = this.signals(cpu) ? this.#highest(cpu) : SPURIOUS_INTID;
        if (intid === SPURIOUS_INTID) return BigInt(SPURIOUS_INTID);
        g.ackedAt[intid] = now;
        if (intid < 32) {
          g.pending &= ~(1 << intid);
          g.active |= 1 << intid;
          return BigInt(intid < 16 ? intid | (g.sgiSource[intid]! << 10) : intid);
        }
        this.#spi.acknowledge(intid);
        return BigInt(intid);
      }
      case 0x010: {
        // GICC_EOIR: priority drop and deactivation (EOImode 0)
        if (!write) return 0n;
        const intid = v & 0x3ff;
        if (intid < 32) g.active &= ~(1 << intid);
        else this.#spi.deactivate(intid);
        return 0n;
      }
      case 0x018: {
        // GICC_HPPIR
        const intid = this.#highest(cpu);
        return BigInt(intid);
      }
      case 0x0fc:
        return 0x0202_043bn; // GICC_IIDR
      default:
        return 0n; // BPR, ABPR, APR...: accepted, read as zero
    }
  }
}
