import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PhysicalMemory } from '@axebpf/aarch64-emu';
import {
  GuestProbeManager,
  HypervisorError,
  parseVmConfig,
  readGuestVirtual,
  stage1RegsOf,
  translateGuestVa,
  Vmm,
} from '../src/index.js';
import type { Stage1Regs } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const loadImage = (p: string) => new Uint8Array(readFileSync(`${root}configs/${p}`));

/** Hand-built tables in a sparse map of 64-bit words. */
function memory() {
  const words = new Map<bigint, bigint>();
  return {
    set: (addr: bigint, v: bigint) => words.set(addr, v),
    read: (gpa: bigint) => {
      if (gpa < 0x4000_0000n || gpa >= 0x8000_0000n)
        throw new HypervisorError({ code: 'NOT_GUEST_RAM', address: gpa, message: 'not RAM' });
      return words.get(gpa) ?? 0n;
    },
  };
}
const TABLE = 3n;
const PAGE = 3n | (1n << 10n);
const BLOCK = 1n | (1n << 10n);
// TCR: T0SZ=16 (48-bit, TG0=4K), T1SZ=25 (39-bit, TG1=4K)
const TCR = 16n | (25n << 16n) | (2n << 30n);
const regs = (o: Partial<Stage1Regs> = {}): Stage1Regs => ({
  sctlr: 1n,
  tcr: TCR,
  ttbr0: 0x4000_0000n,
  ttbr1: 0x4010_0000n,
  ...o,
});

function expectFault(f: () => unknown, level: number, descriptor: bigint | undefined) {
  try {
    f();
  } catch (e) {
    expect(HypervisorError.isInstance(e)).toBe(true);
    const err = e as HypervisorError;
    expect([err.code, err.level, err.descriptor]).toEqual(['TRANSLATION_FAULT', level, descriptor]);
    return;
  }
  throw new Error('expected a translation fault');
}

describe('guest stage-1 translation on hand-built tables', () => {
  it('is the identity with the MMU off, and faults above 48 bits', () => {
    const m = memory();
    expect(translateGuestVa(regs({ sctlr: 0n }), 0x4008_1234n, m.read)).toMatchObject({
      gpa: 0x4008_1234n,
      ttbr: undefined,
      level: -1,
    });
    expectFault(
      () => translateGuestVa(regs({ sctlr: 0n }), 0xffff_0000_0000_0000n, m.read),
      0,
      undefined,
    );
  });

  it('walks four levels of a 48-bit TTBR0 space to a 4 KiB page', () => {
    const m = memory();
    const va = 0x0000_1234_5678_9abcn;
    const idx = (l: number) => (va >> BigInt(12 + 9 * (3 - l))) & 511n;
    m.set(0x4000_0000n + idx(0) * 8n, 0x4000_1000n | TABLE);
    m.set(0x4000_1000n + idx(1) * 8n, 0x4000_2000n | TABLE);
    m.set(0x4000_2000n + idx(2) * 8n, 0x4000_3000n | TABLE);
    m.set(0x4000_3000n + idx(3) * 8n, 0x4123_4000n | PAGE | (1n << 54n));
    expect(translateGuestVa(regs(), va, m.read)).toMatchObject({
      gpa: 0x4123_4abcn,
      ttbr: 0,
      level: 3,
      size: 4096n,
    });
  });

  it('stops at 2 MiB and 1 GiB blocks and masks the output address to its bits', () => {
    const m = memory();
    const va = 0x0000_0000_4056_7890n;
    m.set(0x4000_0000n, 0x4000_1000n | TABLE); // L0[0]
    m.set(0x4000_1000n + 1n * 8n, 0x4000_2000n | TABLE); // L1[1]
    // a 2 MiB block with attribute bits above 47 (UXN, PXN, contiguous) that must not leak
    m.set(0x4000_2000n + ((va >> 21n) & 511n) * 8n, 0x4060_0000n | BLOCK | (7n << 52n));
    expect(translateGuestVa(regs(), va, m.read)).toMatchObject({
      gpa: 0x4076_7890n,
      level: 2,
      size: 0x20_0000n,
    });
    m.set(0x4000_1000n + 1n * 8n, 0x8000_0000n | BLOCK | (1n << 54n));
    expect(translateGuestVa(regs(), va, m.read)).toMatchObject({
      gpa: 0x8056_7890n,
      level: 1,
      size: 0x4000_0000n,
    });
  });

  it('takes upper-half addresses through TTBR1 with a 39-bit space (start at level 1)', () => {
    const m = memory();
    const va = 0xffff_ff80_4008_0050n;
    m.set(0x4010_0000n + 1n * 8n, 0x4000_0000n | BLOCK); // L1[1]: 1 GiB at 0x40000000
    expect(translateGuestVa(regs(), va, m.read)).toMatchObject({
      gpa: 0x4008_0050n,
      ttbr: 1,
      level: 1,
    });
  });

  it('gives typed faults: between the ranges, disabled range, invalid descriptor, table outside RAM', () => {
    const m = memory();
    expectFault(() => translateGuestVa(regs(), 0x0001_0000_0000_0000n, m.read), 0, undefined);
    expectFault(
      () => translateGuestVa(regs({ tcr: TCR | (1n << 23n) }), 0xffff_ff80_0000_0000n, m.read),
      0,
      undefined,
    );
    m.set(0x4000_0000n, 0x4000_1000n | TABLE);
    m.set(0x4000_1000n, 0x4000_2000n | TABLE);
    m.set(0x4000_2000n, 0x2n); // invalid (bit 0 clear) at level 2
    expectFault(() => translateGuestVa(regs(), 0x1000n, m.read), 2, 0x2n);
    m.set(0x4000_2000n, 0x9000_0000n | TABLE); // level 3 table outside guest RAM
    expectFault(() => translateGuestVa(regs(), 0x1000n, m.read), 3, undefined);
    expectFault(() => translateGuestVa(regs({ ttbr0: 0x1000n }), 0x1000n, m.read), 0, undefined);
  });
});

describe('guest stage-1 translation on the mmu guest', () => {
  it('follows the tables the guest built: upper half through TTBR1, identity through TTBR0, devices', () => {
    const vmm = new Vmm({ loadImage });
    const vm = vmm.createVm(
      parseVmConfig(readFileSync(`${root}configs/mmu.toml`, 'utf8'), 'mmu.toml'),
    );
    const probes = new GuestProbeManager(vmm);
    // before boot: MMU off, so the upper half does not translate
    expect(() => probes.translate(vm.id, 0xffff_ff80_4008_0050n)).toThrow(HypervisorError);
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(readFileSync(`${root}guests/mmu/qemu.console.txt`, 'utf8'));
    expect(probes.translate(vm.id, 0xffff_ff80_4008_0050n)).toMatchObject({
      gpa: 0x4008_0050n,
      ttbr: 1,
      level: 1,
    });
    expect(probes.translate(vm.id, 0x4008_0050n)).toMatchObject({
      gpa: 0x4008_0050n,
      ttbr: 0,
      level: 1,
    });
    const r = stage1RegsOf(vm.vcpus[0]!.cpu);
    const read = (gpa: bigint) => new DataView(vm.memory.read(gpa, 8).buffer).getBigUint64(0, true);
    expect(translateGuestVa(r, 0xffff_ff80_0900_0000n, read).gpa).toBe(0x0900_0000n);
    // the device address is not guest RAM: the manager's translate refuses it
    try {
      probes.translate(vm.id, 0xffff_ff80_0900_0000n);
      expect.unreachable();
    } catch (e) {
      expect((e as HypervisorError).code).toBe('NOT_GUEST_RAM');
    }
    // a hole between the ranges
    expect(() => probes.translate(vm.id, 0x0000_8000_0000_0000n)).toThrow(HypervisorError);
  });
});

describe('readGuestVirtual', () => {
  it('reads across two mapped pages, and gives undefined when a byte is unmapped or not guest RAM', () => {
    const mem = new PhysicalMemory();
    mem.addRam(0x4000_0000n, 0x20_0000);
    const ram = [{ gpa: 0x4000_0000n, size: 0x20_0000 }];
    const w64 = (a: bigint, v: bigint) =>
      mem.write(a, new Uint8Array(new BigUint64Array([v]).buffer));
    // TTBR0 48-bit: va 0x1000 -> 0x40005000, va 0x2000 -> 0x40009000, va 0x3000 unmapped; 0x4000 -> outside RAM
    w64(0x4000_0000n, 0x4000_1000n | TABLE);
    w64(0x4000_1000n, 0x4000_2000n | TABLE);
    w64(0x4000_2000n, 0x4000_3000n | TABLE);
    w64(0x4000_3000n + 8n, 0x4000_5000n | PAGE);
    w64(0x4000_3000n + 16n, 0x4000_9000n | PAGE);
    w64(0x4000_3000n + 32n, 0x9000_0000n | PAGE);
    mem.write(0x4000_5ffen, new Uint8Array([1, 2]));
    mem.write(0x4000_9000n, new Uint8Array([3, 4]));
    const r = regs({ ttbr0: 0x4000_0000n });
    expect([...readGuestVirtual(mem, ram, r, 0x1ffen, 4)!]).toEqual([1, 2, 3, 4]);
    expect(readGuestVirtual(mem, ram, r, 0x2ffen, 4)).toBeUndefined(); // runs into the unmapped page
    expect(readGuestVirtual(mem, ram, r, 0x4000n, 1)).toBeUndefined(); // maps outside guest RAM
    expect(readGuestVirtual(mem, ram, r, 0xffff_ff80_0000_0000n, 1)).toBeUndefined(); // TTBR1: no table
    expect(readGuestVirtual(mem, ram, r, 0x1000n, 0)).toEqual(new Uint8Array(0));
  });
});
