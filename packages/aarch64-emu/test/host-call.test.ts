// The host-call hook: HLT #imm at the highest EL calls Cpu.onHostCall; 'stop' ends run().
import { describe, expect, it } from 'vitest';
import { SYS_REG_BY_NAME } from '../src/index.js';
import { machine, RAM } from './machine.js';

const hlt = (imm: number): number => (0xd4400000 | (imm << 5)) >>> 0;
const MOVZ_X0_7 = 0xd28000e0; // mov x0, #7
const NOP = 0xd503201f;

describe('host calls (HLT at the highest EL)', () => {
  it('passes the immediate and registers, continues after the HLT, and may set results', () => {
    const cpu = machine([MOVZ_X0_7, hlt(0xa003), NOP, NOP], 2);
    const seen: [number, bigint, bigint][] = [];
    cpu.onHostCall = (imm, c) => {
      seen.push([imm, c.getX(0), c.pc]);
      c.setX(0, 99n);
      return 'continue';
    };
    expect(cpu.run(4)).toBe('budget');
    expect(seen).toEqual([[0xa003, 7n, RAM + 8n]]);
    expect(cpu.getX(0)).toBe(99n);
    expect(cpu.pc).toBe(RAM + 16n);
  });

  it("'stop' ends run() with reason host-call; the next run resumes after the HLT", () => {
    const cpu = machine([hlt(1), MOVZ_X0_7, NOP], 2);
    cpu.onHostCall = () => 'stop';
    expect(cpu.run(100)).toBe('host-call');
    expect(cpu.pc).toBe(RAM + 4n);
    expect(cpu.insnCount).toBe(1);
    cpu.onHostCall = undefined;
    expect(cpu.run(2)).toBe('budget');
    expect(cpu.getX(0)).toBe(7n);
  });

  it('HLT below the highest EL stays UNDEFINED (EC 0) and never reaches the hook', () => {
    const cpu = machine([hlt(5)], 1);
    let called = false;
    cpu.onHostCall = () => {
      called = true;
      return 'continue';
    };
    cpu.setSysReg(SYS_REG_BY_NAME.get('vbar_el1')!, RAM + 0x1000n);
    cpu.run(1);
    expect(called).toBe(false);
    expect(cpu.pc).toBe(RAM + 0x1200n);
    expect(cpu.getSysReg(SYS_REG_BY_NAME.get('esr_el1')!) >> 26n).toBe(0n);
  });

  it('without a hook HLT at EL2 is UNDEFINED as before', () => {
    const cpu = machine([hlt(5)], 2);
    cpu.setSysReg(SYS_REG_BY_NAME.get('vbar_el2')!, RAM + 0x1000n);
    cpu.run(1);
    expect(cpu.pc).toBe(RAM + 0x1200n);
  });
});
