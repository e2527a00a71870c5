// Software step (MDSCR_EL1.SS + PSTATE.SS) routed to EL2 by MDCR_EL2.TDE, the way the VMM's
// guest kprobe steps one instruction, and interrupts (physical IRQ to EL2 with HCR_EL2.IMO,
// virtual IRQ to EL1 with HCR_EL2.VI).
import { describe, expect, it } from 'vitest';
import { Cpu, PhysicalMemory, SYS_REG_BY_NAME } from '../src/index.js';

const RAM = 0x40000000n;
const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;
const ADD_X0_1 = 0x91000400,
  ERET = 0xd69f03e0,
  HVC_0 = 0xd4000002,
  NOP = 0xd503201f,
  B_SELF = 0x14000000;

function machine(el1: number[]): Cpu {
  const mem = new PhysicalMemory();
  mem.addRam(RAM, 1 << 20);
  const put = (a: bigint, ws: number[]): void => {
    const b = new Uint8Array(ws.length * 4);
    ws.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w >>> 0, true));
    mem.write(a, b);
  };
  put(RAM, el1);
  put(RAM + 0x10400n, [ERET]); // EL2 lower-EL sync vector: return at once
  put(RAM + 0x10480n, [ERET]); // EL2 lower-EL IRQ vector
  put(RAM + 0x20280n, [ERET]); // EL1 current-EL SPx IRQ vector
  const cpu = new Cpu({ memory: mem });
  cpu.setSysReg(key('vbar_el2'), RAM + 0x10000n);
  cpu.setSysReg(key('vbar_el1'), RAM + 0x20000n);
  cpu.setSysReg(key('hcr_el2'), 1n << 31n);
  cpu.setPstate(0x3c5 | (1 << 21)); // EL1h with PSTATE.SS = 1 (as after an ERET with SPSR.SS = 1)
  cpu.pc = RAM;
  return cpu;
}

describe('software step', () => {
  it('executes exactly one instruction, then takes the step exception to EL2 (ESR 0xca000022)', () => {
    const cpu = machine([ADD_X0_1, ADD_X0_1, ADD_X0_1, B_SELF]);
    cpu.setSysReg(key('mdcr_el2'), 1n << 8n); // TDE
    cpu.setSysReg(key('mdscr_el1'), 1n); // SS
    cpu.stopOnEl2 = true;
    expect(cpu.run(100)).toBe('exception-el2');
    expect(cpu.getX(0)).toBe(1n);
    expect(cpu.getSysReg(key('esr_el2'))).toBe(0xca000022n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM + 4n);
    expect(Number(cpu.getSysReg(key('spsr_el2'))) & (1 << 21)).toBe(0);
    // the debugger re-arms SPSR.SS and returns: one more instruction, one more step exception
    cpu.setSysReg(key('spsr_el2'), cpu.getSysReg(key('spsr_el2')) | (1n << 21n));
    expect(cpu.run(100)).toBe('exception-el2');
    expect(cpu.getX(0)).toBe(2n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM + 8n);
  });

  it('without SPSR.SS re-armed, the step exception is taken before any instruction runs', () => {
    const cpu = machine([ADD_X0_1, ADD_X0_1, B_SELF]);
    cpu.setSysReg(key('mdcr_el2'), 1n << 8n);
    cpu.setSysReg(key('mdscr_el1'), 1n);
    cpu.stopOnEl2 = true;
    cpu.run(100);
    expect(cpu.run(100)).toBe('exception-el2'); // handler erets with SS = 0: active-pending
    expect(cpu.getX(0)).toBe(1n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM + 4n);
  });

  it('a stepped HVC completes the step: SPSR_EL2.SS = 0 and the step fires after its return', () => {
    const cpu = machine([HVC_0, ADD_X0_1, B_SELF]);
    cpu.setSysReg(key('mdcr_el2'), 1n << 8n);
    cpu.setSysReg(key('mdscr_el1'), 1n);
    cpu.stopOnEl2 = true;
    cpu.run(100);
    expect(cpu.getSysReg(key('esr_el2'))).toBe(0x5a000000n);
    expect(Number(cpu.getSysReg(key('spsr_el2'))) & (1 << 21)).toBe(0);
    cpu.run(100);
    expect(cpu.getSysReg(key('esr_el2'))).toBe(0xca000022n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM + 4n);
    expect(cpu.getX(0)).toBe(0n);
  });

  it('MDSCR_EL1.SS clear: no stepping, the code runs freely', () => {
    const cpu = machine([ADD_X0_1, ADD_X0_1, ADD_X0_1, B_SELF]);
    cpu.run(3);
    expect(cpu.getX(0)).toBe(3n);
    expect(cpu.el).toBe(1);
  });
});

describe('interrupts', () => {
  it('a physical IRQ with HCR_EL2.IMO is taken to EL2 (lower-EL IRQ vector) even with PSTATE.I set', () => {
    const cpu = machine([NOP, NOP, B_SELF]);
    cpu.setSysReg(key('hcr_el2'), (1n << 31n) | (1n << 4n));
    cpu.setPstate(0x3c5);
    cpu.stopOnEl2 = true;
    cpu.setIrqLine(true);
    expect(cpu.run(100)).toBe('exception-el2');
    expect(cpu.pc).toBe(RAM + 0x10480n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM);
  });

  it('a virtual IRQ is taken at EL1 when PSTATE.I is clear, not while it is set', () => {
    const cpu = machine([NOP, NOP, NOP, B_SELF]);
    const log: string[] = [];
    cpu.intLog = (l) => log.push(l);
    cpu.setSysReg(key('hcr_el2'), (1n << 31n) | (1n << 4n));
    cpu.setPstate(0x3c5); // I masked
    cpu.setVirtualIrq(true);
    cpu.run(2);
    expect(cpu.pc).toBe(RAM + 8n);
    expect(log.filter((l) => l.includes('Virtual IRQ'))).toEqual([]);
    cpu.setPstate(0x345); // EL1h, D A F masked, I clear
    cpu.run(1); // IRQ taken (no instruction), then the handler's eret runs
    expect(log[0]).toBe('Taking exception 14 [Virtual IRQ] on CPU 0');
    expect(log).toContain('...to EL1 PC 0x40020280 PSTATE 0x3c5');
    expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM + 8n);
    expect(cpu.pc).toBe(RAM + 8n);
    cpu.setVirtualIrq(false);
    cpu.run(1);
    expect(cpu.pc).toBe(RAM + 12n);
    expect(log.filter((l) => l.includes('Virtual IRQ')).length).toBe(1);
  });
});
