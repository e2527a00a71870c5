// SPDX-License-Identifier: MIT
// A virtual GICv3 for one VM (Arm GIC architecture specification v3, IHI 0069; QEMU virt
// layout): the distributor and one redistributor per vCPU as MMIO, and the CPU interface as the
// ICC_*_EL1 system registers, whose accesses the emulator traps to EL2 (EC 0x18). AxVisor's
// arm_vcpu turns a trapped write of ICC_SGI1R_EL1 into a `SendIPI` exit; `sgiTargets` resolves
// its fields to vCPUs the way the architecture routes the SGI. SPIs (INTIDs 32-95, the device
// lines such as the PL011's) are routed by GICD_IROUTER: to the vCPU whose affinity it names, or
// with IRM set to the lowest-numbered vCPU whose CPU interface takes group 1 (deterministic).

import { GICV3_CPU_INTERFACE_REGS, sysRegTrapIss } from '@axebpf/aarch64-emu';
import { bitSetRegister, byteRegister, GIC_FIRST_SPI, GIC_SPIS, SpiLines } from './gic-spi.js';

/** Where the distributor and redistributors of a GICv3 VM are (`gppt-gicd`/`gppt-gicr` devices). */
export interface GicV3Layout {
  /** Distributor base (QEMU virt: 0x0800_0000); 64 KiB. */
  distributor: bigint;
  /** Redistributor of vCPU 0 (QEMU virt: 0x080A_0000). */
  redistributor: bigint;
  /** Distance between two vCPUs' redistributors (0x2_0000: RD frame, then the SGI frame at +0x1_0000). */
  redistributorStride: number;
}

/**
 * The SGI/PPI state the VMM keeps per vCPU for either GIC version (bit i = INTID i). The VMM's
 * timer pends PPI 27 here; the model reads and updates it.
 */
export interface GicCpuState {
  /** Enabled INTIDs (GICR_ISENABLER0). */
  enabled: number;
  /** Pending INTIDs. */
  pending: number;
  /** Active INTIDs. */
  active: number;
  /** Virtual time at which each INTID was acknowledged (for `vmm:irq_handle`). */
  ackedAt: bigint[];
}

/** A write of ICC_SGI1R_EL1 as AxVisor's `SendIPI` exit carries it. */
export interface SgiRequest {
  /** Aff3 << 24 | Aff2 << 16 | Aff1 << 8 of the targets (when not `sendToAll`). */
  targetCpu: bigint;
  /** The target list: bit n = the CPU with Aff0 = n. */
  targetCpuAux: bigint;
  /** IRM: every CPU but the sender. */
  sendToAll: boolean;
  /** Also the sender (not produced by arm_vcpu; honoured when set). */
  sendToSelf: boolean;
}

/** INTID read from ICC_IAR1_EL1 when nothing can be acknowledged. */
export const GIC_SPURIOUS_INTID = 1023;
/** Implemented priority bits (5, as QEMU's Cortex-A53/A57): priorities and PMR keep bits [7:3]. */
const PRIORITY_MASK = 0xf8;
/** Most vCPUs a GICv3 VM may have here: each needs an Aff0 below 16 to be an SGI target. */
export const GICV3_MAX_VCPUS = 16;
const FRAME = 0x1_0000;

const reg = (name: string): number => {
  const key = GICV3_CPU_INTERFACE_REGS.get(name);
  if (key === undefined) throw new Error(`emulator lacks ${name}`);
  return key;
};
/** `SysRegAddr` (ESR ISS without Rt and direction) of a register. */
const addrOf = (name: string): number => sysRegTrapIss(reg(name), 0, false);

/** AxVisor's `SysRegAddr` of ICC_SGI1R_EL1 (0x3A_3016). */
export const ICC_SGI1R_EL1_ADDR = addrOf('icc_sgi1r_el1');
const A = {
  IAR1: addrOf('icc_iar1_el1'),
  EOIR1: addrOf('icc_eoir1_el1'),
  HPPIR1: addrOf('icc_hppir1_el1'),
  BPR1: addrOf('icc_bpr1_el1'),
  CTLR: addrOf('icc_ctlr_el1'),
  SRE: addrOf('icc_sre_el1'),
  IGRPEN1: addrOf('icc_igrpen1_el1'),
  IGRPEN0: addrOf('icc_igrpen0_el1'),
  PMR: addrOf('icc_pmr_el1'),
  DIR: addrOf('icc_dir_el1'),
  RPR: addrOf('icc_rpr_el1'),
  IAR0: addrOf('icc_iar0_el1'),
  HPPIR0: addrOf('icc_hppir0_el1'),
};

/** Keys (`sysRegKey` form) of every ICC_*_EL1 register: the set a GICv3 VM's vCPUs trap. */
export const GICV3_TRAPPED_SYS_REGS: ReadonlySet<number> = new Set(
  GICV3_CPU_INTERFACE_REGS.values(),
);

/** The CPU-interface and redistributor state of one vCPU beyond {@link GicCpuState}. */
class CpuInterface {
  group1 = 0; // GICR_IGROUPR0
  readonly priority = new Uint8Array(32); // GICR_IPRIORITYR0-7
  icfgr1 = 0; // GICR_ICFGR1 (PPI trigger modes, stored only)
  pmr = 0;
  bpr1 = 0;
  eoiMode = 0; // ICC_CTLR_EL1.EOImode
  igrpen1 = false;
  asleep = true; // GICR_WAKER.ProcessorSleep
  /** INTIDs acknowledged and not yet priority-dropped, in order (the active priorities). */
  readonly running: number[] = [];
}

/**
 * A virtual GICv3: distributor, redistributors and CPU interfaces of one VM.
 *
 * @remarks AxVisor passes the host GICv3 partly through (`gppt-gicd`/`gppt-gicr`, arm_vgic);
 * here everything is emulated. Single security state (GICD_CTLR.DS = 1), affinity routing
 * always on (ARE reads 1), 5 priority bits; group 0 is never signalled (ICC_IAR0 reads 1023).
 */
export class VGicV3 {
  /** The register layout. */
  readonly layout: GicV3Layout;
  readonly #cpus: GicCpuState[];
  readonly #ifc: CpuInterface[];
  #enableGrp1 = false;
  #enableGrp0 = false;
  readonly #spi = new SpiLines();
  /** GICD_IGROUPR bits of the SPIs (word n = INTIDs 32*(n+1)..). */
  readonly #spiGroup1 = new Uint32Array(GIC_SPIS / 32);
  /** GICD_ICFGR words of the SPIs (stored only: every SPI line here is level-sensitive). */
  readonly #spiCfg = new Uint32Array(GIC_SPIS / 16);
  /** GICD_IROUTER of each SPI (Aff3 in bits 39:32, IRM bit 31, Aff2..Aff0). */
  readonly #route = new Float64Array(GIC_SPIS);
  readonly #dLo: bigint;
  readonly #rLo: bigint;
  readonly #rHi: bigint;

  /**
   * @param layout - register bases.
   * @param cpus - the per-vCPU SGI/PPI state, by vCPU id (vCPU i has affinity 0.0.0.i).
   */
  constructor(layout: GicV3Layout, cpus: GicCpuState[]) {
    this.layout = layout;
    this.#cpus = cpus;
    this.#ifc = cpus.map(() => new CpuInterface());
    this.#dLo = layout.distributor;
    this.#rLo = layout.redistributor;
    this.#rHi =
      layout.redistributor + BigInt(layout.redistributorStride * (cpus.length - 1) + 2 * FRAME);
  }

  /**
   * @param addr - a guest physical address.
   * @returns true when it is a distributor or redistributor register.
   */
  owns(addr: bigint): boolean {
    return (
      (addr >= this.#dLo && addr < this.#dLo + BigInt(FRAME)) ||
      (addr >= this.#rLo && addr < this.#rHi)
    );
  }

  /**
   * The highest-priority pending, enabled group 1 interrupt of a vCPU (lowest priority value,
   * then lowest INTID), or -1.
   */
  #best(cpu: number): number {
    const s = this.#cpus[cpu]!;
    const ifc = this.#ifc[cpu]!;
    let m = s.pending & s.enabled & ifc.group1 & ~s.active;
    let best = -1;
    let bestPrio = 0x100;
    while (m !== 0) {
      const i = 31 - Math.clz32(m & -m);
      m &= m - 1;
      if (ifc.priority[i]! < bestPrio) {
        best = i;
        bestPrio = ifc.priority[i]!;
      }
    }
    for (let w = 0; w < GIC_SPIS / 32; w++) {
      let r = this.#spi.ready(w) & this.#spiGroup1[w]!;
      while (r !== 0) {
        const b = 31 - Math.clz32(r & -r);
        r &= r - 1;
        const n = w * 32 + b;
        if (this.spiTarget(GIC_FIRST_SPI + n) !== cpu) continue;
        if (this.#spi.priority[n]! < bestPrio) {
          best = GIC_FIRST_SPI + n;
          bestPrio = this.#spi.priority[n]!;
        }
      }
    }
    return best;
  }

  /** The priority of an INTID as a vCPU sees it (SGIs/PPIs banked, SPIs per VM). */
  #prio(ifc: CpuInterface, intid: number): number {
    return intid < GIC_FIRST_SPI
      ? ifc.priority[intid]!
      : this.#spi.priority[intid - GIC_FIRST_SPI]!;
  }

  #runningPriority(ifc: CpuInterface): number {
    let p = 0x100; // idle
    for (const i of ifc.running) if (this.#prio(ifc, i) < p) p = this.#prio(ifc, i);
    return p;
  }

  /**
   * The vCPU an SPI is delivered to (GICD_IROUTER): the one with the affinity it names, or with
   * IRM (1 of N) the lowest-numbered vCPU whose CPU interface has group 1 enabled and that is
   * awake; -1 when none.
   * @param intid - 32..95.
   * @returns a vCPU id or -1.
   */
  spiTarget(intid: number): number {
    const r = this.#route[intid - GIC_FIRST_SPI]!;
    if (r >= 2 ** 31 && Math.floor(r / 2 ** 31) % 2 === 1) {
      for (let i = 0; i < this.#ifc.length; i++)
        if (this.#ifc[i]!.igrpen1 && !this.#ifc[i]!.asleep) return i;
      return -1;
    }
    // vCPU i has affinity 0.0.0.i: Aff3 (bits 39:32) and Aff2/Aff1 (23:8) must be zero
    if (r >= 2 ** 32 || (r & 0xff_ff00) !== 0) return -1;
    const aff0 = r & 0xff;
    return aff0 < this.#cpus.length ? aff0 : -1;
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

  /**
   * Whether the CPU interface signals an interrupt to the vCPU (its virtual IRQ line, which also
   * ends a WFI): group 1 enabled in the distributor and the CPU interface, and a pending enabled
   * interrupt whose priority is above both the priority mask and the running priority.
   * @param cpu - vCPU id.
   * @returns the level of the vCPU's IRQ.
   */
  signals(cpu: number): boolean {
    const ifc = this.#ifc[cpu]!;
    if (!this.#enableGrp1 || !ifc.igrpen1) return false;
    const best = this.#best(cpu);
    if (best < 0) return false;
    const p = this.#prio(ifc, best);
    return p < ifc.pmr && p < this.#runningPriority(ifc);
  }

  /**
   * Pends an SGI on a vCPU (the VMM delivering a `SendIPI`).
   * @param cpu - target vCPU id.
   * @param intid - 0..15.
   */
  pendSgi(cpu: number, intid: number): void {
    this.#cpus[cpu]!.pending |= 1 << (intid & 15);
  }

  /**
   * The vCPUs an ICC_SGI1R_EL1 write reaches: with IRM every vCPU but the sender, otherwise
   * those whose Aff3.Aff2.Aff1 equal the request's and whose Aff0 is in the target list.
   * @param req - the `SendIPI` fields.
   * @param sender - vCPU id of the writer.
   * @returns target vCPU ids, ascending.
   */
  sgiTargets(req: SgiRequest, sender: number): number[] {
    const out: number[] = [];
    const aff321 = Number((req.targetCpu >> 8n) & 0xff_ffffn);
    const list = Number(req.targetCpuAux & 0xffffn);
    for (let i = 0; i < this.#cpus.length; i++) {
      const hit = req.sendToAll
        ? i !== sender
        : aff321 === i >>> 8 && (i & 0xff) < 16 && (list & (1 << (i & 0xff))) !== 0;
      if (hit || (req.sendToSelf && i === sender)) out.push(i);
    }
    return out;
  }

  /**
   * Reads a trapped ICC_*_EL1 register.
   * @param cpu - the reading vCPU.
   * @param addr - AxVisor's `SysRegAddr` (the ESR ISS without Rt and direction).
   * @param nowNs - virtual time (recorded when an interrupt is acknowledged).
   * @returns the value; ICC_IAR1_EL1 acknowledges the interrupt it returns.
   */
  sysRegRead(cpu: number, addr: number, nowNs: bigint): bigint {
    const ifc = this.#ifc[cpu]!;
    const s = this.#cpus[cpu]!;
    switch (addr) {
      case A.IAR1: {
        if (!this.signals(cpu)) return BigInt(GIC_SPURIOUS_INTID); // PSTATE.I plays no part
        const i = this.#best(cpu);
        if (i >= GIC_FIRST_SPI) this.#spi.acknowledge(i);
        else {
          s.pending &= ~(1 << i);
          s.active |= 1 << i;
        }
        s.ackedAt[i] = nowNs;
        ifc.running.push(i);
        return BigInt(i);
      }
      case A.HPPIR1: {
        const i = this.#best(cpu);
        return BigInt(i < 0 ? GIC_SPURIOUS_INTID : i);
      }
      case A.PMR:
        return BigInt(ifc.pmr);
      case A.BPR1:
        return BigInt(ifc.bpr1);
      case A.RPR: {
        const p = this.#runningPriority(ifc);
        return BigInt(p > 0xff ? 0xff : p);
      }
      case A.IGRPEN1:
        return ifc.igrpen1 ? 1n : 0n;
      case A.SRE:
        return 7n; // SRE, DFB, DIB: system registers only
      case A.CTLR:
        return BigInt(ifc.eoiMode << 1) | (4n << 8n); // PRIbits = 5 - 1; IDbits 16
      case A.IAR0:
      case A.HPPIR0:
        return BigInt(GIC_SPURIOUS_INTID); // group 0 is never signalled
      default:
        return 0n; // write-only (SGI1R, EOIR1, DIR) and group 0 registers
    }
  }

  /**
   * Writes a trapped ICC_*_EL1 register (ICC_SGI1R_EL1 writes reach the VMM as `SendIPI`).
   * @param cpu - the writing vCPU.
   * @param addr - `SysRegAddr`.
   * @param value - the value written.
   * @returns the INTID the write deactivated (ICC_EOIR1_EL1 with EOImode 0, ICC_DIR_EL1), or -1.
   */
  sysRegWrite(cpu: number, addr: number, value: bigint): number {
    const ifc = this.#ifc[cpu]!;
    const s = this.#cpus[cpu]!;
    const v = Number(value & 0xffff_ffffn);
    switch (addr) {
      case A.EOIR1: {
        const i = v & 0xff_ffff;
        if (ifc.running.length === 0) return -1; // nothing active: ignored
        // priority drop: the highest active priority goes (the architecture assumes it is i's)
        let at = 0;
        for (let k = 1; k < ifc.running.length; k++)
          if (this.#prio(ifc, ifc.running[k]!) < this.#prio(ifc, ifc.running[at]!)) at = k;
        ifc.running.splice(at, 1);
        if (ifc.eoiMode === 1) return -1;
        if (i >= GIC_FIRST_SPI) return this.#spi.deactivate(i) ? i : -1;
        if (i >= 32 || (s.active & (1 << i)) === 0) return -1;
        s.active &= ~(1 << i);
        return i;
      }
      case A.DIR: {
        const i = v & 0xff_ffff;
        if (ifc.eoiMode === 0) return -1;
        if (i >= GIC_FIRST_SPI) return this.#spi.deactivate(i) ? i : -1;
        if ((s.active & (1 << i)) === 0) return -1;
        s.active &= ~(1 << i);
        return i;
      }
      case A.PMR:
        ifc.pmr = v & PRIORITY_MASK;
        return -1;
      case A.BPR1:
        ifc.bpr1 = v & 7;
        return -1;
      case A.IGRPEN1:
        ifc.igrpen1 = (v & 1) === 1;
        return -1;
      case A.CTLR:
        ifc.eoiMode = (v >>> 1) & 1;
        return -1;
      default:
        return -1; // SRE (fixed), group 0 registers, read-only registers: ignored
    }
  }

  /**
   * Reads a distributor or redistributor register.
   * @param addr - guest physical address (see {@link VGicV3.owns}).
   * @param width - access size in bytes.
   * @returns the value (registers not modelled read as zero).
   */
  mmioRead(addr: bigint, width: number): bigint {
    if (addr < this.#dLo + BigInt(FRAME) && addr >= this.#dLo)
      return this.#distRead(Number(addr - this.#dLo), width);
    const rel = Number(addr - this.#rLo);
    const cpu = Math.floor(rel / this.layout.redistributorStride);
    return this.#redistRead(cpu, rel - cpu * this.layout.redistributorStride, width);
  }

  /**
   * Writes a distributor or redistributor register.
   * @param addr - guest physical address.
   * @param width - access size in bytes.
   * @param value - the value.
   */
  mmioWrite(addr: bigint, width: number, value: bigint): void {
    const v = Number(value & 0xffff_ffffn);
    if (addr < this.#dLo + BigInt(FRAME) && addr >= this.#dLo) {
      this.#distWrite(Number(addr - this.#dLo), width, value);
      return;
    }
    const rel = Number(addr - this.#rLo);
    const cpu = Math.floor(rel / this.layout.redistributorStride);
    const off = rel - cpu * this.layout.redistributorStride;
    const s = this.#cpus[cpu]!;
    const ifc = this.#ifc[cpu]!;
    if (off === 0x14) {
      ifc.asleep = (v & 2) === 2; // GICR_WAKER.ProcessorSleep
      return;
    }
    if (off < FRAME) return;
    const o = off - FRAME;
    if (o >= 0x400 && o < 0x420) {
      for (let k = 0; k < width && o - 0x400 + k < 32; k++)
        ifc.priority[o - 0x400 + k] = (v >>> (8 * k)) & PRIORITY_MASK;
      return;
    }
    switch (o) {
      case 0x080:
        ifc.group1 = v;
        return; // GICR_IGROUPR0
      case 0x100:
        s.enabled |= v;
        return; // GICR_ISENABLER0
      case 0x180:
        s.enabled &= ~v;
        return; // GICR_ICENABLER0
      case 0x200:
        s.pending |= v;
        return; // GICR_ISPENDR0
      case 0x280:
        s.pending &= ~v;
        return; // GICR_ICPENDR0
      case 0x300:
        s.active |= v;
        return; // GICR_ISACTIVER0
      case 0x380:
        s.active &= ~v;
        return; // GICR_ICACTIVER0
      case 0xc04:
        ifc.icfgr1 = v;
        return; // GICR_ICFGR1
      default:
        return; // GICR_ICFGR0 (SGIs are edge-triggered, fixed) and others: ignored
    }
  }

  /**
   * Distributor registers of the SPIs. With affinity routing (ARE = 1) the words and bytes of
   * INTIDs 0-31 are RAZ/WI here (the redistributors have them).
   * @returns the value read, or undefined for an offset that is not an SPI register.
   */
  #distSpi(off: number, width: number, write: boolean, value: bigint): bigint | undefined {
    const v = Number(value & 0xffff_ffffn) >>> 0;
    if (off >= 0x0080 && off < 0x0100) {
      // GICD_IGROUPR<n>
      const n = (off - 0x0080) >> 2;
      if (n === 0 || n > this.#spiGroup1.length) return 0n;
      if (write) this.#spiGroup1[n - 1] = v;
      return BigInt(this.#spiGroup1[n - 1]! >>> 0);
    }
    if (off >= 0x0100 && off < 0x0400) {
      // GICD_IS/ICENABLER, IS/ICPENDR, IS/ICACTIVER; word 0 (INTIDs 0-31) is RAZ/WI
      const { which, set, index } = bitSetRegister(off);
      if (index === 0) return 0n;
      if (write) this.#spi.writeWord(index - 1, which, v, set);
      return BigInt(this.#spi.word(index - 1, which) >>> 0);
    }
    if (off >= 0x0400 && off < 0x0400 + GIC_FIRST_SPI) return 0n;
    if (off >= 0x0400 + GIC_FIRST_SPI && off < 0x0800)
      return byteRegister(
        this.#spi.priority,
        off - 0x0400 - GIC_FIRST_SPI,
        width,
        write,
        v,
        PRIORITY_MASK,
      );
    if (off >= 0x0c00 && off < 0x0d00) {
      // GICD_ICFGR<n>: 0 and 1 cover SGIs and PPIs
      const n = ((off - 0x0c00) >> 2) - 2;
      if (n < 0 || n >= this.#spiCfg.length) return 0n;
      if (write) this.#spiCfg[n] = v;
      return BigInt(this.#spiCfg[n]! >>> 0);
    }
    if (off >= 0x6000 + 8 * GIC_FIRST_SPI && off < 0x6000 + 8 * (GIC_FIRST_SPI + GIC_SPIS)) {
      // GICD_IROUTER<n>, 64-bit, also accessed as two 32-bit halves
      const n = ((off - 0x6000) >> 3) - GIC_FIRST_SPI;
      const high = (off & 4) !== 0;
      const cur = this.#route[n]!;
      const lo = cur % 2 ** 32;
      const hi = Math.floor(cur / 2 ** 32);
      if (write) {
        // IRM, Aff2..Aff0 in the low word, Aff3 in bits 7:0 of the high word
        const nlo = high ? lo : (width === 8 ? Number(value & 0xffff_ffffn) : v) & 0x80ff_ffff;
        const nhi = high ? v & 0xff : width === 8 ? Number((value >> 32n) & 0xffn) : hi;
        this.#route[n] = (nhi & 0xff) * 2 ** 32 + (nlo >>> 0);
        return 0n;
      }
      if (high) return BigInt(hi);
      return width === 8 ? BigInt(cur) : BigInt(lo);
    }
    return undefined;
  }

  #distWrite(off: number, width: number, value: bigint): void {
    if (off === 0x0000) {
      const v = Number(value & 0xffff_ffffn);
      this.#enableGrp0 = (v & 1) === 1;
      this.#enableGrp1 = (v & 2) === 2;
      return;
    }
    this.#distSpi(off, width, true, value); // anything else: ignored
  }

  #distRead(off: number, width: number): bigint {
    switch (off) {
      case 0x0000: // GICD_CTLR: RWP 0, DS 1, ARE 1 (fixed), group enables
        return BigInt(
          (1 << 6) | (1 << 4) | (this.#enableGrp1 ? 2 : 0) | (this.#enableGrp0 ? 1 : 0),
        );
      case 0x0004:
        // GICD_TYPER: IDbits 10, ITLinesNumber: (N + 1) * 32 INTIDs
        return BigInt((9 << 19) | ((GIC_FIRST_SPI + GIC_SPIS) / 32 - 1));
      case 0x0008:
        return 0x43bn; // GICD_IIDR: Arm
      case 0xffe8:
        return 0x3bn; // GICD_PIDR2: ArchRev 3
      default:
        return this.#distSpi(off, width, false, 0n) ?? 0n; // others: read as zero
    }
  }

  #redistRead(cpu: number, off: number, width: number): bigint {
    const s = this.#cpus[cpu]!;
    const ifc = this.#ifc[cpu]!;
    const last = cpu === this.#cpus.length - 1 ? 1 << 4 : 0;
    // GICR_TYPER: affinity 0.0.0.cpu [63:32], processor number [23:8], Last [4]
    const typerLo = BigInt((cpu << 8) | last);
    const typerHi = BigInt(cpu);
    switch (off) {
      case 0x0000:
        return 0n; // GICR_CTLR
      case 0x0004:
        return 0x43bn; // GICR_IIDR
      case 0x0008:
        return width === 8 ? (typerHi << 32n) | typerLo : typerLo;
      case 0x000c:
        return typerHi;
      case 0x0014:
        return ifc.asleep ? 6n : 0n; // GICR_WAKER: ProcessorSleep, ChildrenAsleep
      case 0xffe8:
        return 0x3bn; // GICR_PIDR2: ArchRev 3
      default:
        break;
    }
    if (off < FRAME) return 0n;
    const o = off - FRAME;
    if (o >= 0x400 && o < 0x420) {
      let v = 0;
      for (let k = width - 1; k >= 0; k--) v = (v << 8) | (ifc.priority[o - 0x400 + k] ?? 0);
      return BigInt(v >>> 0);
    }
    switch (o) {
      case 0x080:
        return BigInt(ifc.group1 >>> 0);
      case 0x100:
      case 0x180:
        return BigInt(s.enabled >>> 0);
      case 0x200:
      case 0x280:
        return BigInt(s.pending >>> 0);
      case 0x300:
      case 0x380:
        return BigInt(s.active >>> 0);
      case 0xc00:
        return 0xaaaa_aaaan; // GICR_ICFGR0: SGIs edge-triggered
      case 0xc04:
        return BigInt(ifc.icfgr1 >>> 0);
      default:
        return 0n;
    }
  }
}
