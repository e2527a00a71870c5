// System registers Linux reads at boot (issue 20): the ID space, debug and cache ID registers,
// the generic timer's TVAL views and CNTVOFF_EL2.
import { describe, expect, it } from 'vitest';
import { SYS_REG_BY_NAME, sysRegKey } from '../src/index.js';
import { machine } from './machine.js';

const mrs = (rt: number, key: number) => (0xd5300000 | ((key & 0x7fff) << 5) | rt) >>> 0;
const msr = (key: number, rt: number) => (0xd5100000 | ((key & 0x7fff) << 5) | rt) >>> 0;
const key = (name: string) => SYS_REG_BY_NAME.get(name)!;

describe('system registers Linux probes', () => {
  it('reads the AArch64 ID registers as implemented and the unallocated ID space (AArch32 ID registers) as zero at EL1', () => {
    const regs = [
      key('id_aa64dfr0_el1'),
      sysRegKey(3, 0, 0, 1, 0),
      key('id_aa64mmfr0_el1'),
      key('clidr_el1'),
      key('id_aa64isar1_el1'),
      sysRegKey(3, 0, 0, 3, 7),
      key('oslsr_el1'),
    ];
    const cpu = machine(regs.map((k, i) => mrs(i + 1, k)));
    for (let i = 1; i <= regs.length; i++) cpu.setX(i, 0xdeadn);
    cpu.run(regs.length);
    expect(cpu.pc).toBe(0x40000000n + BigInt(4 * regs.length)); // no exception
    expect(cpu.getX(1)).toBe(0x10305006n); // debug v8, 6 BRPs, 4 WRPs, no PMU
    expect(cpu.getX(2)).toBe(0n); // ID_PFR0_EL1
    expect(cpu.getX(3)).toBe(0x0f000022n); // 40-bit PA, 16-bit ASID, 4K granule only, little-endian only
    expect([cpu.getX(4), cpu.getX(5), cpu.getX(6)]).toEqual([0n, 0n, 0n]);
    expect(cpu.getX(7)).toBe(8n); // OSLSR_EL1: OS lock implemented
  });

  it('keeps the debug registers Linux resets and refuses writes to read-only ID registers', () => {
    const cpu = machine([
      msr(key('dbgbcr5_el1'), 1),
      mrs(2, key('dbgbcr5_el1')),
      msr(key('id_aa64dfr0_el1'), 1),
    ]);
    cpu.setX(1, 0x1e5n);
    cpu.run(3);
    expect(cpu.getX(2)).toBe(0x1e5n);
    // the MSR to a read-only register is UNDEFINED: the CPU took an exception
    expect(cpu.pc).not.toBe(0x4000000cn);
  });

  it('derives CNTV_TVAL from CVAL and the virtual count (physical count - CNTVOFF_EL2), and a TVAL write sets CVAL', () => {
    const cpu = machine([
      msr(key('cntv_cval_el0'), 1),
      mrs(2, key('cntv_tval_el0')),
      msr(key('cntv_tval_el0'), 3),
      mrs(4, key('cntv_cval_el0')),
      mrs(5, key('cntvct_el0')),
      mrs(6, key('cntpct_el0')),
    ]);
    cpu.counter = () => 10_000n;
    const off = cpu.highestEl === 2 ? 400n : 0n;
    cpu.setSysReg(key('cntvoff_el2'), 400n);
    cpu.setX(1, 10_100n);
    cpu.setX(3, 0xffff_fff0n); // -16 as a 32-bit TVAL
    cpu.run(6);
    expect(cpu.getX(6)).toBe(10_000n);
    expect(cpu.getX(5)).toBe(10_000n - off);
    expect(cpu.getX(2)).toBe(BigInt.asUintN(32, 10_100n - (10_000n - off)));
    expect(cpu.getX(4)).toBe(10_000n - off - 16n);
  });
});
