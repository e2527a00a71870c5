// Stage 1 and stage 2 translation with page tables written into guest RAM: mappings, block and
// page descriptors, permissions, fault status codes and levels, routing (stage 2 -> EL2 with
// HPFAR), the soft TLB (stale until TLBI) and AT S1E1R.
import { describe, expect, it } from 'vitest';
import { Cpu, PhysicalMemory, SYS_REG_BY_NAME } from '../src/index.js';
import { ACC_READ, translate } from '../src/mmu.js';
import type { TranslationRegs, WalkResult } from '../src/mmu.js';

const RAM = 0x40000000n;
const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;
const LDR_W3_X1 = 0xb9400023,
  STR_W3_X1 = 0xb9000023,
  TLBI_VMALLE1 = 0xd508871f,
  AT_S1E1R_X1 = 0xd5087801,
  B_SELF = 0x14000000;
const AF = 1n << 10n;

function setup(words: number[]): {
  cpu: Cpu;
  w64: (a: bigint, v: bigint) => void;
  w32: (a: bigint, v: number) => void;
} {
  const mem = new PhysicalMemory();
  mem.addRam(RAM, 4 << 20);
  const cpu = new Cpu({ memory: mem });
  const w64 = (a: bigint, v: bigint): void => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, v, true);
    mem.write(a, b);
  };
  const w32 = (a: bigint, v: number): void => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    mem.write(a, b);
  };
  words.forEach((w, i) => w32(RAM + BigInt(i * 4), w));
  cpu.setPstate(0x3c5); // EL1h
  cpu.pc = RAM;
  cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
  cpu.setSysReg(key('vbar_el2'), RAM + 0x1000n);
  return { cpu, w64, w32 };
}

/** Stage 1: T0SZ=25 (39-bit VA, start at level 1); L1 at RAM+0x10000, L2 at +0x11000, L3 at +0x12000. */
function stage1(cpu: Cpu, w64: (a: bigint, v: bigint) => void): void {
  const l1 = RAM + 0x10000n,
    l2 = RAM + 0x11000n,
    l3 = RAM + 0x12000n;
  w64(l1 + 8n, RAM | AF | 1n); // VA 1 GiB block -> RAM, EL1 RW
  w64(l1 + 16n, l2 | 3n); // VA 0x80000000.. -> L2 table
  w64(l2, l3 | 3n); // -> L3 table
  w64(l3, (RAM + 0x20000n) | AF | (2n << 6n) | 3n); // VA 0x80000000 page -> RAM+0x20000, read-only
  w64(l3 + 8n, (RAM + 0x21000n) | (1n << 6n) | 3n); // VA 0x80001000 page without AF
  cpu.setSysReg(key('ttbr0_el1'), l1);
  cpu.setSysReg(key('tcr_el1'), 25n);
  cpu.setSysReg(key('sctlr_el1'), 0x30d00801n); // M
}

describe('stage 1', () => {
  it('translates through block and page descriptors', () => {
    const { cpu, w64, w32 } = setup([LDR_W3_X1, B_SELF]);
    stage1(cpu, w64);
    w32(RAM + 0x20000n, 0xcafe);
    cpu.setX(1, 0x80000000n);
    cpu.run(1);
    expect(cpu.getX(3)).toBe(0xcafen);
    expect(cpu.pc).toBe(RAM + 4n);
  });

  it('a store to a read-only page is a level-3 permission fault to EL1 (WnR, ISV=0)', () => {
    const { cpu, w64 } = setup([STR_W3_X1]);
    stage1(cpu, w64);
    cpu.setX(1, 0x80000000n);
    cpu.run(1);
    expect(cpu.getSysReg(key('esr_el1'))).toBe(
      BigInt(((0x25 << 26) | (1 << 25) | (1 << 6) | 0x0f) >>> 0),
    );
    expect(cpu.getSysReg(key('far_el1'))).toBe(0x80000000n);
    expect(cpu.pc).toBe(RAM + 0xa00n);
  });

  it('reports translation faults at the level of the invalid descriptor and access-flag faults', () => {
    const { cpu, w64 } = setup([LDR_W3_X1]);
    stage1(cpu, w64);
    cpu.setX(1, 0xc0000000n); // L1 index 3: invalid
    cpu.run(1);
    expect(Number(cpu.getSysReg(key('esr_el1')) & 0x3fn)).toBe(0x05);
    cpu.pc = RAM;
    cpu.setX(1, 0x80001000n); // page with AF=0
    cpu.run(1);
    expect(Number(cpu.getSysReg(key('esr_el1')) & 0x3fn)).toBe(0x0b);
    cpu.pc = RAM;
    cpu.setX(1, 0x8000000000n); // beyond the 39-bit TTBR0 range and not a TTBR1 address
    cpu.run(1);
    expect(Number(cpu.getSysReg(key('esr_el1')) & 0x3fn)).toBe(0x04);
  });

  it('keeps using a cached translation until TLBI', () => {
    const { cpu, w64, w32 } = setup([LDR_W3_X1, LDR_W3_X1, TLBI_VMALLE1, LDR_W3_X1, B_SELF]);
    stage1(cpu, w64);
    w32(RAM + 0x20000n, 1);
    w32(RAM + 0x30000n, 2);
    cpu.setX(1, 0x80000000n);
    cpu.run(1);
    expect(cpu.getX(3)).toBe(1n);
    w64(RAM + 0x12000n, (RAM + 0x30000n) | AF | (2n << 6n) | 3n); // remap without TLBI
    cpu.run(1);
    expect(cpu.getX(3)).toBe(1n); // stale, as on hardware
    cpu.run(2);
    expect(cpu.getX(3)).toBe(2n);
  });

  it('TLBI VAE1 drops the cached translation of its page', () => {
    const TLBI_VAE1_X2 = 0xd5088722;
    const { cpu, w64, w32 } = setup([LDR_W3_X1, TLBI_VAE1_X2, LDR_W3_X1, B_SELF]);
    stage1(cpu, w64);
    w32(RAM + 0x20000n, 1);
    w32(RAM + 0x30000n, 2);
    cpu.setX(1, 0x80000000n);
    cpu.setX(2, 0x80000n); // VA[55:12]
    cpu.run(1);
    expect(cpu.getX(3)).toBe(1n);
    w64(RAM + 0x12000n, (RAM + 0x30000n) | AF | (2n << 6n) | 3n); // remap
    cpu.run(2);
    expect(cpu.getX(3)).toBe(2n);
  });

  it('TLBI VAE1 drops a cached page whose number is not a multiple of the TLB size', () => {
    const TLBI_VAE1_X2 = 0xd5088722;
    const { cpu, w64, w32 } = setup([LDR_W3_X1, TLBI_VAE1_X2, LDR_W3_X1, B_SELF]);
    stage1(cpu, w64);
    const l3b = RAM + 0x13000n;
    w64(RAM + 0x11000n + 8n, l3b | 3n); // VA 0x80200000.. -> second L3 table
    w64(l3b + 5n * 8n, (RAM + 0x20000n) | AF | (2n << 6n) | 3n); // VA 0x80205000
    w32(RAM + 0x20000n, 1);
    w32(RAM + 0x30000n, 2);
    cpu.setX(1, 0x80205000n);
    cpu.setX(2, 0x80205n);
    cpu.run(1);
    expect(cpu.getX(3)).toBe(1n);
    w64(l3b + 5n * 8n, (RAM + 0x30000n) | AF | (2n << 6n) | 3n); // remap
    cpu.run(2);
    expect(cpu.getX(3)).toBe(2n);
  });

  /**
   * LDR w3, [x1] from VA 0x80203000 in a 2 MiB block (RAM + 0x200000, holding 1 there), TLBI
   * VAE1 of page `tlbiPage`, LDR again after the block moved to RAM (holding 2 there): x3.
   */
  function blockThenTlbi(tlbiPage: bigint): bigint {
    const TLBI_VAE1_X2 = 0xd5088722;
    const { cpu, w64, w32 } = setup([LDR_W3_X1, TLBI_VAE1_X2, LDR_W3_X1, B_SELF]);
    stage1(cpu, w64);
    const l2 = RAM + 0x11000n;
    w64(l2 + 8n, (RAM + 0x200000n) | AF | (2n << 6n) | 1n); // VA 0x80200000: 2 MiB block
    w32(RAM + 0x203000n, 1);
    w32(RAM + 0x3000n, 2);
    cpu.setX(1, 0x80203000n); // cached from the block
    cpu.setX(2, tlbiPage);
    cpu.run(1);
    expect(cpu.getX(3)).toBe(1n);
    w64(l2 + 8n, RAM | AF | (2n << 6n) | 1n); // the block moves to RAM
    cpu.run(2);
    return cpu.getX(3);
  }

  it('TLBI VAE1 of one page of a 2 MiB block drops the cached translations of its other pages', () => {
    expect(blockThenTlbi(0x80205n)).toBe(2n); // another page of the same block
  });

  it('TLBI VAE1 of a page-mapped address leaves the pages of other 2 MiB blocks cached', () => {
    // a page of the L3 table, in another 2 MiB: the block's page stays cached, as on hardware
    expect(blockThenTlbi(0x80000n)).toBe(1n);
  });

  it('TLBI VAE1 of a code page renews the links to blocks in it', () => {
    const BLR_X6 = 0xd63f00c0,
      TLBI_VAE1_X2 = 0xd5088722,
      B_BACK2 = 0x17fffffe,
      RET = 0xd65f03c0;
    // a call to VA 0x80002000 from the same block twice, the page remapped in between
    const { cpu, w64, w32 } = setup([BLR_X6, TLBI_VAE1_X2, B_BACK2]);
    stage1(cpu, w64);
    w32(RAM + 0x22000n, 0xd2800025); // movz x5, #1
    w32(RAM + 0x22004n, RET);
    w32(RAM + 0x23000n, 0xd2800045); // movz x5, #2
    w32(RAM + 0x23004n, RET);
    w64(RAM + 0x12010n, (RAM + 0x22000n) | AF | 3n); // VA 0x80002000 -> RAM+0x22000, EL1 RWX
    cpu.setX(6, 0x80002000n);
    cpu.setX(2, 0x80002n);
    for (const jit of [Infinity, 0]) {
      cpu.jitThreshold = jit;
      cpu.run(3); // blr, movz, ret
      expect(cpu.getX(5)).toBe(1n);
      w64(RAM + 0x12010n, (RAM + 0x23000n) | AF | 3n); // remap to the other code
      cpu.run(5); // tlbi, b, blr, movz, ret: the same blr reaches the new page
      expect(cpu.getX(5)).toBe(2n);
      w64(RAM + 0x12010n, (RAM + 0x22000n) | AF | 3n);
      cpu.run(2); // tlbi, b
    }
  });

  it('IC IVAU by an alias that is not executable (as Linux cleans code by its linear map) drops the stale block', () => {
    const RET = 0xd65f03c0,
      IC_IVAU_X2 = 0xd50b7522;
    // bl sub; bl sub; ic ivau, x2; bl sub; b . -- sub at +0x100: movz x5, #1; ret
    const { cpu, w64, w32 } = setup([0x94000040, 0x9400003f, IC_IVAU_X2, 0x9400003d, B_SELF]);
    stage1(cpu, w64);
    w32(RAM + 0x100n, 0xd2800025);
    w32(RAM + 0x104n, RET);
    // VA 0x80004000 -> the code page, read-only, PXN and UXN
    w64(RAM + 0x12020n, RAM | (3n << 53n) | AF | (2n << 6n) | 3n);
    cpu.pc = 0x40000000n;
    cpu.setX(2, 0x80004100n);
    cpu.run(3); // bl, movz, ret
    expect(cpu.getX(5)).toBe(1n);
    // the code changes behind the CPU's back (no store it sees, as by DMA)
    const r = cpu.memory.regions.find((x) => x.base === Number(RAM))!;
    new DataView(r.bytes.buffer, r.bytes.byteOffset).setUint32(0x100, 0xd2800045, true); // movz x5, #2
    cpu.run(3);
    expect(cpu.getX(5)).toBe(1n); // the decoded block, still
    cpu.run(4); // ic ivau, bl, movz, ret
    expect(cpu.getX(5)).toBe(2n);
  });

  it('compiled code with the MMU on: 64-bit loads, stores and pairs, and a permission fault', () => {
    const words = [
      0xf9400023, // ldr x3, [x1]
      0x91000463, // add x3, x3, #1
      0xf9000423, // str x3, [x1, #8]
      0xa9401424, // ldp x4, x5, [x1]
      0xa9011025, // stp x5, x4, [x1, #16]
      0xf8408c26, // ldr x6, [x1, #8]!
      0xf9000043, // str x3, [x2]: x2 points into the read-only page
      B_SELF,
    ];
    const { cpu, w64, w32 } = setup(words);
    stage1(cpu, w64);
    w64(RAM + 0x12018n, (RAM + 0x24000n) | AF | 3n); // VA 0x80003000 -> RAM+0x24000, EL1 RW
    w32(RAM + 0x24000n, 0x1234);
    w32(RAM + 0x24004n, 0x10);
    w32(RAM + 0xa00n, B_SELF); // the EL1 synchronous vector
    cpu.jitThreshold = 0; // compiled on first use, with translation on
    cpu.setX(1, 0x80003000n);
    cpu.setX(2, 0x80000010n);
    cpu.run(8); // the 7 instructions to the fault, then the vector's branch
    expect(cpu.jitBlocks).toBe(2); // the block and the vector
    expect(cpu.getX(3)).toBe(0x10_0000_1235n);
    expect([cpu.getX(4), cpu.getX(5), cpu.getX(6)]).toEqual([
      0x10_0000_1234n,
      0x10_0000_1235n,
      0x10_0000_1235n,
    ]);
    expect(cpu.getX(1)).toBe(0x80003008n);
    const r = new DataView(cpu.memory.read(RAM + 0x24010n, 16).slice().buffer);
    expect([r.getBigUint64(0, true), r.getBigUint64(8, true)]).toEqual([
      0x10_0000_1235n,
      0x10_0000_1234n,
    ]);
    // the store to the read-only page: permission fault, level 3, ELR = the store
    expect(cpu.getSysReg(key('esr_el1'))).toBe(
      BigInt(((0x25 << 26) | (1 << 25) | (1 << 6) | 0x0f) >>> 0),
    );
    expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM + 24n);
    expect(cpu.pc).toBe(RAM + 0xa00n);
  });

  it('AT S1E1R writes the PA (or the fault) into PAR_EL1', () => {
    const { cpu, w64 } = setup([AT_S1E1R_X1, AT_S1E1R_X1, B_SELF]);
    stage1(cpu, w64);
    cpu.setX(1, 0x80000123n);
    cpu.run(1);
    expect(cpu.getSysReg(key('par_el1'))).toBe(RAM + 0x20000n);
    cpu.setX(1, 0xc0000000n);
    cpu.run(1);
    expect(cpu.getSysReg(key('par_el1'))).toBe(1n | (0x05n << 1n));
  });
});

/** Stage 2: VTCR T0SZ=32 (4 GiB IPA), SL0=1 (start level 1); IPA 1 GiB block -> RAM. */
function stage2(cpu: Cpu, w64: (a: bigint, v: bigint) => void, s2ap = 3n, xn = 0n): void {
  const l1 = RAM + 0x40000n;
  w64(l1 + 8n, RAM | AF | (s2ap << 6n) | (xn << 54n) | 1n);
  cpu.setSysReg(key('vttbr_el2'), l1);
  cpu.setSysReg(key('vtcr_el2'), 32n | (1n << 6n));
  cpu.setSysReg(key('hcr_el2'), (1n << 31n) | 1n); // RW, VM
}

describe('stage 1 walks (translate)', () => {
  // the same tables as stage1(): L1 at RAM+0x10000 (index 1: 1 GiB block at RAM, index 2: L2),
  // L2 at +0x11000 (index 0: L3), L3 at +0x12000 (index 0: page RAM+0x20000, read-only)
  function tables(): PhysicalMemory {
    const { cpu, w64 } = setup([B_SELF]);
    stage1(cpu, w64);
    return cpu.memory;
  }
  const regs = (tcr: bigint, ttbr0: bigint, ttbr1: bigint): TranslationRegs => ({
    sctlrEl1: 1n,
    tcrEl1: tcr,
    ttbr0El1: ttbr0,
    ttbr1El1: ttbr1,
    sctlrEl2: 0n,
    tcrEl2: 0n,
    ttbr0El2: 0n,
    hcrEl2: 0n,
    vttbrEl2: 0n,
    vtcrEl2: 0n,
  });
  const at = (r: TranslationRegs, va: bigint): WalkResult =>
    translate(tables(), r, 1, Number(va & 0xffffffffn) | 0, Number(va >> 32n) | 0, ACC_READ);

  it('walks TTBR1 for the upper VA range and faults between the ranges', () => {
    const r = regs(25n | (25n << 16n), 0n, RAM + 0x10000n); // T0SZ = T1SZ = 25
    expect(at(r, 0xffffff8080000123n)).toMatchObject({ fault: 0, pa: Number(RAM) + 0x20123 });
    expect(at(r, 0xffffff8040201000n)).toMatchObject({
      fault: 0,
      pa: Number(RAM) + 0x201000,
      block: true,
    });
    expect(at(r, 0xfffffe8080000000n).fault).toBe(0x04); // bits 63:39 not all ones
    expect(at(r, 0x0000008080000000n).fault).toBe(0x04); // not all zeros either
  });

  it('starts at level 2 for a VA space below 1 GiB (T0SZ = 34)', () => {
    const r = regs(34n, RAM + 0x11000n, 0n); // TTBR0 -> the L2 table
    expect(at(r, 0x00000123n)).toMatchObject({ fault: 0, pa: Number(RAM) + 0x20123, block: false });
    expect(at(r, 0x40000000n).fault).toBe(0x04); // bit 30 set: outside the 30-bit range
    expect(at(r, 0x00200000n).fault).toBe(0x06); // L2 index 1: invalid at level 2
  });
});

describe('stage 2', () => {
  it('a load from an unmapped IPA is a stage-2 translation fault to EL2 with HPFAR and ISV', () => {
    const { cpu, w64 } = setup([LDR_W3_X1]);
    stage2(cpu, w64);
    cpu.setX(1, 0x80000000n);
    cpu.stopOnEl2 = true;
    expect(cpu.run(10)).toBe('exception-el2');
    // the same syndrome qemu-system-aarch64 reports for this access (toolchain notes): 0x93810005 with SRT=3
    expect(cpu.getSysReg(key('esr_el2'))).toBe(
      BigInt(((0x24 << 26) | (1 << 25) | (1 << 24) | (2 << 22) | (3 << 16) | 0x05) >>> 0),
    );
    expect(cpu.getSysReg(key('far_el2'))).toBe(0x80000000n);
    expect(cpu.getSysReg(key('hpfar_el2'))).toBe(0x800000n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM);
    expect(cpu.pc).toBe(RAM + 0x1400n);
  });

  it('S2AP read-only makes a store a stage-2 permission fault', () => {
    const { cpu, w64 } = setup([STR_W3_X1]);
    stage2(cpu, w64, 1n);
    cpu.setX(1, RAM + 0x30000n);
    cpu.run(1);
    expect(cpu.el).toBe(2);
    expect(Number(cpu.getSysReg(key('esr_el2')) & 0x7fn)).toBe(0x40 | 0x0d);
    expect(cpu.getSysReg(key('hpfar_el2'))).toBe(((RAM + 0x30000n) >> 12n) << 4n);
  });

  it('XN makes an instruction fetch a stage-2 instruction abort (EC 0x20)', () => {
    const { cpu, w64 } = setup([LDR_W3_X1]);
    stage2(cpu, w64, 3n, 1n);
    cpu.stopOnEl2 = true;
    cpu.run(1);
    expect(cpu.el).toBe(2);
    expect(cpu.getSysReg(key('esr_el2'))).toBe(BigInt(((0x20 << 26) | (1 << 25) | 0x0d) >>> 0));
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM);
    expect(cpu.getSysReg(key('far_el2'))).toBe(RAM);
  });

  it('stage-1 table reads go through stage 2 (S1PTW fault, ISV=0)', () => {
    const { cpu, w64 } = setup([LDR_W3_X1]);
    stage2(cpu, w64);
    stage1(cpu, w64);
    cpu.setSysReg(key('ttbr0_el1'), 0x80000000n); // stage-1 tables at an IPA stage 2 does not map
    cpu.stopOnEl2 = true;
    cpu.run(1);
    expect(cpu.el).toBe(2);
    const esr = Number(cpu.getSysReg(key('esr_el2')));
    expect(esr >>> 26).toBe(0x20); // the fetch walks first
    expect(esr & (1 << 7)).toBe(1 << 7);
    expect(esr & 0x3f).toBe(0x05);
    expect(cpu.getSysReg(key('hpfar_el2'))).toBe(0x800000n);
  });
});

/** Stage 1 with VA 0x80002000 -> RAM+0x30000 and VA 0x80003000 -> RAM+0x50000 (EL1 RW, not adjacent in PA), VA 0x80004000 unmapped. */
function splitPages(cpu: Cpu, w64: (a: bigint, v: bigint) => void): void {
  stage1(cpu, w64);
  const l3 = RAM + 0x12000n;
  w64(l3 + 16n, (RAM + 0x30000n) | AF | 3n);
  w64(l3 + 24n, (RAM + 0x50000n) | AF | 3n);
  cpu.setSysReg(key('cpacr_el1'), 3n << 20n);
}

describe('accesses that cross a page boundary (MMU on)', () => {
  const LDR_X3_X1 = 0xf9400023,
    STR_X3_X1 = 0xf9000023,
    STP_X3_X4_X1 = 0xa9001023,
    LDR_Q0_X1 = 0x3dc00020,
    LDR_W5_X2 = 0xb9400045;
  it('a load takes each byte from the page its VA maps to (the pages are not adjacent in PA)', () => {
    const { cpu, w64, w32 } = setup([LDR_X3_X1, LDR_Q0_X1, LDR_W5_X2, B_SELF]);
    splitPages(cpu, w64);
    w32(RAM + 0x30ff8n, 0x01020304);
    w32(RAM + 0x30ffcn, 0x11223344);
    w32(RAM + 0x50000n, 0x55667788);
    w32(RAM + 0x50004n, 0x99aabbcc);
    w32(RAM + 0x31000n, 0xdeadbeef); // what RAM holds after the first page in PA
    cpu.setX(1, 0x80002ffcn);
    cpu.setX(2, 0x80002ffen);
    cpu.run(3);
    expect(cpu.getX(3)).toBe(0x5566778811223344n);
    expect(cpu.getV(0)).toBe(0x99aabbcc_55667788_11223344n);
    expect(cpu.getX(5)).toBe(0x77881122n);
  });

  it('a store writes both pages; one faulting on the second page writes nothing (restartable)', () => {
    const { cpu, w64 } = setup([STR_X3_X1, STP_X3_X4_X1]);
    splitPages(cpu, w64);
    const mem = cpu.memory;
    const rd = (a: bigint): bigint => new DataView(mem.read(a, 8).buffer).getBigUint64(0, true);
    cpu.setX(3, 0x0102030405060708n);
    cpu.setX(4, 0x1112131415161718n);
    cpu.setX(1, 0x80002ffcn);
    cpu.run(1);
    expect(rd(RAM + 0x30ff8n) >> 32n).toBe(0x05060708n);
    expect(rd(RAM + 0x50000n) & 0xffffffffn).toBe(0x01020304n);
    expect(rd(RAM + 0x31000n)).toBe(0n);
    // STP with its second register crossing into the unmapped page at 0x80004000
    cpu.setX(1, 0x80003ff4n);
    cpu.run(1);
    expect(Number(cpu.getSysReg(key('esr_el1')) & 0x3fn)).toBe(0x07); // level-3 translation fault
    expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM + 4n);
    expect(rd(RAM + 0x50ff0n)).toBe(0x0506070800000000n); // the first register, inside the page, is stored
    expect(rd(RAM + 0x50ff8n)).toBe(0x01020304n); // none of the second (ffc..fff stay 0)
  });
});
