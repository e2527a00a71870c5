// The FP/SIMD unit on hand-encoded instructions (encodings from aarch64-linux-gnu-as): the
// access traps (CPACR_EL1.FPEN to EL1, CPTR_EL2.TFP to EL2, EC 0x07), FPCR/FPSR access and
// their implemented bits, the V register API, libgcc's popcount sequence, and IEEE corner
// cases of the arithmetic (rounding modes, flags, NaNs) checked against values from the Arm ARM.
import { describe, expect, it } from 'vitest';
import { SYS_REG_BY_NAME } from '../src/index.js';
import { simdImplemented } from '../src/fpsimd/execute.js';
import { machine, RAM } from './machine.js';

const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;
const FMOV_D0_X0 = 0x9e670000,
  CNT_8B = 0x0e205800,
  ADDV_B = 0x0e31b800,
  FMOV_W1_S0 = 0x1e260001;
const MRS_X2_FPCR = 0xd53b4402,
  MSR_FPCR_X3 = 0xd51b4403,
  MRS_X4_FPSR = 0xd53b4424,
  MSR_FPSR_X5 = 0xd51b4425;
const FADD_D1_D2_D3 = 0x1e632841,
  B_SELF = 0x14000000;
const FP_TRAP_ESR = (0x07 << 26) | (1 << 25) | 0x1e00000;

/** A machine at `el` whose FP/SIMD is enabled at EL0 and EL1 (CPACR_EL1.FPEN = 0b11). */
function fpMachine(words: number[], el = 1, jitThreshold?: number): ReturnType<typeof machine> {
  const cpu = machine(words, el, jitThreshold);
  cpu.setSysReg(key('cpacr_el1'), 3n << 20n);
  return cpu;
}

const f64 = (x: number): bigint => new BigUint64Array(new Float64Array([x]).buffer)[0]!;

describe('FP/SIMD access traps', () => {
  for (const jit of [undefined, 0]) {
    it(`CPACR_EL1.FPEN = 0 traps an FP instruction at EL1 to EL1 with EC 0x07${jit === 0 ? ' (compiled block)' : ''}`, () => {
      const cpu = machine([0xd503201f, FADD_D1_D2_D3, B_SELF], 1, jit);
      cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
      cpu.run(2); // the NOP and the trapping FADD
      expect(cpu.pc).toBe(RAM + 0xa00n);
      expect(cpu.getSysReg(key('esr_el1'))).toBe(BigInt(FP_TRAP_ESR));
      expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM + 4n);
    });
  }

  it('FPEN = 0b01 traps EL0 but not EL1; FPEN = 0b11 traps neither', () => {
    const el0 = machine([FMOV_D0_X0, B_SELF], 0);
    el0.setSysReg(key('cpacr_el1'), 1n << 20n);
    el0.setSysReg(key('vbar_el1'), RAM + 0x800n);
    el0.run(1);
    expect(el0.el).toBe(1);
    expect(el0.pc).toBe(RAM + 0xc00n); // lower EL, AArch64, synchronous
    expect(el0.getSysReg(key('esr_el1'))).toBe(BigInt(FP_TRAP_ESR));
    const el1 = machine([FMOV_D0_X0, B_SELF], 1);
    el1.setSysReg(key('cpacr_el1'), 1n << 20n);
    el1.setX(0, 0x1234n);
    el1.run(2);
    expect(el1.getV(0)).toBe(0x1234n);
    const el0ok = fpMachine([FMOV_D0_X0, B_SELF], 0);
    el0ok.setX(0, 7n);
    el0ok.run(2);
    expect(el0ok.getV(0)).toBe(7n);
  });

  it('CPTR_EL2.TFP traps EL1 to EL2 (EC 0x07), also for MRS of FPCR', () => {
    for (const w of [FADD_D1_D2_D3, MRS_X2_FPCR]) {
      const cpu = fpMachine([w, B_SELF], 1);
      cpu.setSysReg(key('cptr_el2'), 0x33ffn | 0x400n);
      cpu.setSysReg(key('vbar_el2'), RAM + 0x1000n);
      cpu.run(1);
      expect(cpu.el).toBe(2);
      expect(cpu.pc).toBe(RAM + 0x1400n);
      expect(cpu.getSysReg(key('esr_el2'))).toBe(BigInt(FP_TRAP_ESR));
      expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM);
    }
  });

  it('an unimplemented SIMD encoding is UNDEFINED (EC 0) even while FP is disabled', () => {
    const cpu = machine([0xce608000 /* sha512h (ARMv8.2) */, B_SELF], 1);
    cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
    cpu.run(1);
    expect(cpu.getSysReg(key('esr_el1'))).toBe(0x02000000n);
  });
});

describe('FPCR and FPSR', () => {
  it('MSR keeps the implemented bits only (FPCR AHP/DN/FZ/RMode/Stride/Len; FPSR QC and the flags)', () => {
    const cpu = fpMachine([MSR_FPCR_X3, MSR_FPSR_X5, MRS_X2_FPCR, MRS_X4_FPSR, B_SELF]);
    cpu.setX(3, 0xffffffffffffffffn);
    cpu.setX(5, 0xffffffffffffffffn);
    cpu.run(5);
    expect(cpu.getX(2)).toBe(0x07ff0000n);
    expect(cpu.getX(4)).toBe(0x0800009fn);
  });

  it('collects cumulative flags: inexact and overflow from FADD, kept until cleared', () => {
    const cpu = fpMachine([FADD_D1_D2_D3, FADD_D1_D2_D3, MRS_X4_FPSR, B_SELF]);
    cpu.setV(2, f64(Number.MAX_VALUE));
    cpu.setV(3, f64(Number.MAX_VALUE));
    cpu.run(4);
    expect(cpu.getV(1)).toBe(f64(Infinity));
    expect(cpu.getX(4)).toBe(0x14n); // OFC | IXC
  });

  it('rounds in the FPCR mode: 1 + 2^-60 is 1 in RN and RZ, the next double in RP', () => {
    for (const [mode, want] of [
      [0, 1],
      [1, 1 + 2 ** -52],
      [3, 1],
    ] as const) {
      const cpu = fpMachine([FADD_D1_D2_D3, B_SELF]);
      cpu.fpcr = mode << 22;
      cpu.setV(2, f64(1));
      cpu.setV(3, f64(2 ** -60));
      cpu.run(1);
      expect(cpu.getV(1)).toBe(f64(want));
      expect(cpu.fpsr).toBe(0x10); // IXC
    }
  });

  it('propagates a signalling NaN quietened (IOC), and gives the default NaN with FPCR.DN', () => {
    const snan = 0x7ff0000000000123n;
    const cpu = fpMachine([FADD_D1_D2_D3, B_SELF]);
    cpu.setV(2, f64(1));
    cpu.setV(3, snan);
    cpu.run(1);
    expect(cpu.getV(1)).toBe(0x7ff8000000000123n);
    expect(cpu.fpsr).toBe(1);
    const dn = fpMachine([FADD_D1_D2_D3, B_SELF]);
    dn.fpcr = 1 << 25;
    dn.setV(2, snan);
    dn.run(1);
    expect(dn.getV(1)).toBe(0x7ff8000000000000n);
  });
});

describe('V registers', () => {
  it('getV/setV round-trip 128-bit values; V0 is four little-endian words in Cpu.V', () => {
    const cpu = fpMachine([B_SELF]);
    cpu.setV(0, 0x0123456789abcdef_fedcba9876543210n);
    expect(cpu.getV(0)).toBe(0x0123456789abcdef_fedcba9876543210n);
    expect(cpu.V[0]! >>> 0).toBe(0x76543210);
    expect(cpu.V[3]! >>> 0).toBe(0x01234567);
  });

  it("runs libgcc's __popcountdi2 sequence (fmov, cnt, addv, fmov) interpreted and compiled", () => {
    for (const jit of [undefined, 0]) {
      const cpu = fpMachine([FMOV_D0_X0, CNT_8B, ADDV_B, FMOV_W1_S0, B_SELF], 1, jit);
      cpu.setX(0, 0xf0f0_0000_0000_ffffn);
      cpu.run(5);
      expect(cpu.getX(1)).toBe(24n);
      expect(cpu.getV(0)).toBe(24n); // scalar writes clear the rest of the register
    }
  });

  it('LDR Q / STP Q move 128 bits through memory', () => {
    const cpu = fpMachine([
      0x3dc00020 /* ldr q0, [x1] */,
      0xadbf07e0 /* stp q0, q1, [sp, #-32]! */,
      B_SELF,
    ]);
    cpu.memory.write(RAM + 0x8000n, new Uint8Array([...Array(16).keys()]));
    cpu.setX(1, RAM + 0x8000n);
    cpu.sp = RAM + 0x9000n;
    cpu.setV(1, 0xaan);
    cpu.run(2);
    expect(cpu.getV(0)).toBe(0x0f0e0d0c0b0a09080706050403020100n);
    expect(cpu.sp).toBe(RAM + 0x9000n - 32n);
    expect([...cpu.memory.read(RAM + 0x9000n - 32n, 17)]).toEqual([...Array(16).keys(), 0xaa]);
  });
});

describe('robustness', () => {
  it('executes or rejects 200000 random words of the FP/SIMD encoding space without a JS exception', () => {
    let s = 12345,
      implemented = 0;
    for (let i = 0; i < 200000; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      let w = s;
      const k = i % 3;
      if (k === 0)
        w = (w & ~(0xf << 25)) | (0x7 << 25); // data processing, vector
      else if (k === 1)
        w = (w & ~(0xf << 25)) | (0xf << 25); // data processing, scalar
      else w = (w & ~(0x5 << 25)) | (0x6 << 25); // loads and stores with V = 1
      if (simdImplemented(w >>> 0)) implemented++;
    }
    expect(implemented).toBeGreaterThan(20000);
  });
});
