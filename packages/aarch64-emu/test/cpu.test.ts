// CPU behaviour on hand-encoded instructions (encodings checked with aarch64-linux-gnu-as):
// flags, exception entry/return with vectors and syndromes, routing to EL2, undefined
// encodings, self-modifying code and the block cache.
import { describe, expect, it } from 'vitest';
import { Cpu, sysRegKey, SYS_REG_BY_NAME } from '../src/index.js';
import { machine, RAM } from './machine.js';

const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;

const NOP = 0xd503201f;
const B_SELF = 0x14000000;

function nzcvRef(a: bigint, b: bigint, sub: boolean, bitsN: number): number {
  const m = (1n << BigInt(bitsN)) - 1n;
  const bb = sub ? ~b & m : b;
  const cin = sub ? 1n : 0n;
  const u = a + bb + cin;
  const r = u & m;
  const sa = BigInt.asIntN(bitsN, a),
    sb = BigInt.asIntN(bitsN, bb);
  const s = sa + sb + cin;
  const n = Number(r >> BigInt(bitsN - 1)),
    z = r === 0n ? 1 : 0,
    c = u > m ? 1 : 0;
  const v = s !== BigInt.asIntN(bitsN, r) ? 1 : 0;
  return (n << 3) | (z << 2) | (c << 1) | v;
}

describe('flags', () => {
  const cases = [
    0n,
    1n,
    0x7fffffffn,
    0x80000000n,
    0xffffffffn,
    0x7fffffffffffffffn,
    0x8000000000000000n,
    (1n << 64n) - 1n,
    0x1234n,
  ];
  it('ADDS/SUBS (X and W) set NZCV like the Arm pseudocode', () => {
    // adds x2,x0,x1 / subs x3,x0,x1 / adds w4,w0,w1 / subs w5,w0,w1
    const ops: [number, boolean, number][] = [
      [0xab010002, false, 64],
      [0xeb010003, true, 64],
      [0x2b010004, false, 32],
      [0x6b010005, true, 32],
    ];
    for (const a of cases)
      for (const b of cases)
        for (const [w, sub, n] of ops) {
          const cpu = machine([w, B_SELF]);
          cpu.setX(0, a);
          cpu.setX(1, b);
          cpu.run(1);
          const m = (1n << BigInt(n)) - 1n;
          expect(cpu.nzcv, `${w.toString(16)} ${a} ${b}`).toBe(nzcvRef(a & m, b & m, sub, n));
        }
  });
});

describe('MRS', () => {
  it('reads DAIF, NZCV, SP_EL0, TPIDR_EL1 and ELR_EL1 (all 64 bits), interpreted and compiled', () => {
    const words = [
      0xd53b4220, // mrs x0, daif
      0xd53b4201, // mrs x1, nzcv
      0xd5384102, // mrs x2, sp_el0
      0xd538d083, // mrs x3, tpidr_el1
      0xd5384024, // mrs x4, elr_el1
      0x17fffffb, // b back to the first
    ];
    for (const jit of [Infinity, 0]) {
      const cpu = machine(words, 1, jit);
      cpu.nzcv = 0b1001;
      cpu.setSysReg(key('sp_el0'), 0xffff_8000_1234_5670n);
      cpu.setSysReg(key('tpidr_el1'), 0x8000_0000_ffff_fffen);
      cpu.setSysReg(key('elr_el1'), 0x0000_0001_8000_0004n);
      cpu.run(12); // twice round: the block is compiled on the second with jit 0
      expect(cpu.getX(0)).toBe(0x3c0n);
      expect(cpu.getX(1)).toBe(0x9000_0000n);
      expect(cpu.getX(2)).toBe(0xffff_8000_1234_5670n);
      expect(cpu.getX(3)).toBe(0x8000_0000_ffff_fffen);
      expect(cpu.getX(4)).toBe(0x0000_0001_8000_0004n);
    }
  });
});

describe('exceptions', () => {
  it('SVC from EL0 enters VBAR_EL1+0x400 with ELR = next insn, ESR EC 0x15 and SPSR = EL0t', () => {
    const cpu = machine([0xd4000841 /* svc #0x42 */, B_SELF], 0);
    cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
    cpu.nzcv = 0b1010;
    cpu.run(1);
    expect(cpu.el).toBe(1);
    expect(cpu.pc).toBe(RAM + 0x800n + 0x400n);
    expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM + 4n);
    expect(cpu.getSysReg(key('esr_el1'))).toBe(0x56000042n);
    expect(cpu.getSysReg(key('spsr_el1'))).toBe(0xa00003c0n); // NZCV 1010, DAIF masked, EL0t;
    expect(cpu.daif).toBe(0xf);
  });

  it('BRK at EL1h enters VBAR_EL1+0x200 with ELR = the BRK; ERET returns to it', () => {
    const cpu = machine([0xd4200660 /* brk #0x33 */]);
    cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
    // handler at +0xa00: eret
    cpu.memory.write(RAM + 0xa00n, new Uint8Array([0xe0, 0x03, 0x9f, 0xd6]));
    cpu.run(1);
    expect(cpu.pc).toBe(RAM + 0xa00n);
    expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM);
    expect(cpu.getSysReg(key('esr_el1'))).toBe(0xf2000033n);
    expect(cpu.getSysReg(key('spsr_el1'))).toBe(0x3c5n);
    cpu.run(1); // eret
    expect(cpu.pc).toBe(RAM);
    expect(cpu.el).toBe(1);
  });

  it('unallocated and unsupported encodings raise Undefined Instruction (EC 0)', () => {
    for (const w of [
      0x00000000 /* udf */,
      0xce608000 /* sha512h q0, q0, v0.2d (ARMv8.2 SHA-512: not implemented) */, 0xffffffff,
    ]) {
      const cpu = machine([NOP, w]);
      cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
      cpu.run(2);
      expect(cpu.pc).toBe(RAM + 0xa00n);
      expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM + 4n);
      expect(cpu.getSysReg(key('esr_el1'))).toBe(0x02000000n);
    }
  });

  it('HVC from EL1 goes to EL2 (lower-EL vector) and stops run() with stopOnEl2', () => {
    const cpu = machine([0xd4000aa2 /* hvc #0x55 */, B_SELF]);
    cpu.setSysReg(key('vbar_el2'), RAM + 0x1000n);
    cpu.stopOnEl2 = true;
    expect(cpu.run(100)).toBe('exception-el2');
    expect(cpu.el).toBe(2);
    expect(cpu.pc).toBe(RAM + 0x1400n);
    expect(cpu.getSysReg(key('esr_el2'))).toBe(0x5a000055n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM + 4n);
    expect(cpu.getSysReg(key('spsr_el2'))).toBe(0x3c5n);
  });

  it('traps MSR/MRS of host-chosen system registers to EL2 with EC 0x18 (the GICv3 CPU interface)', () => {
    // msr icc_sgi1r_el1, x1; mrs x3, icc_iar1_el1; msr icc_pmr_el1, xzr (aarch64-linux-gnu-as)
    const cpu = machine([0xd518cba1, 0xd538cc03, 0xd518461f]);
    cpu.setSysReg(key('vbar_el2'), RAM + 0x1000n);
    cpu.stopOnEl2 = true;
    cpu.trappedSysRegs = new Set([key('icc_sgi1r_el1'), key('icc_iar1_el1'), key('icc_pmr_el1')]);
    expect(cpu.run(100)).toBe('exception-el2');
    expect(cpu.pc).toBe(RAM + 0x1400n); // lower EL, synchronous
    // EC 0x18, IL 1, ISS: Op0 3, Op2 5, Op1 0, CRn 12, Rt 1, CRm 11, write (AxVisor's SysRegAddr 0x3a3016)
    expect(cpu.getSysReg(key('esr_el2'))).toBe(0x6200_0000n | 0x3a3016n | (1n << 5n));
    expect(cpu.getSysReg(key('esr_el2')) & ((0xfffn << 10n) | (0xfn << 1n))).toBe(0x3a3016n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM); // the trapping instruction
    const resume = (pc: bigint) => {
      cpu.setPstate(Number(cpu.getSysReg(key('spsr_el2'))));
      cpu.pc = pc;
      return cpu.run(100);
    };
    expect(resume(RAM + 4n)).toBe('exception-el2');
    // read of ICC_IAR1_EL1 (Op0 3, Op2 0, CRn 12, CRm 12) into x3
    expect(cpu.getSysReg(key('esr_el2'))).toBe(
      0x6200_0000n | (3n << 20n) | (12n << 10n) | (3n << 5n) | (12n << 1n) | 1n,
    );
    expect(resume(RAM + 8n)).toBe('exception-el2');
    expect(cpu.getSysReg(key('esr_el2')) & 0x3e0n).toBe(31n << 5n); // Rt = xzr
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM + 8n);
  });

  it('leaves untrapped GICv3 CPU interface registers UNDEFINED (no GIC in the emulator), and never traps EL2 itself', () => {
    const cpu = machine([0xd518cba1]);
    cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
    cpu.run(1);
    expect(cpu.pc).toBe(RAM + 0xa00n);
    expect(cpu.getSysReg(key('esr_el1'))).toBe(0x02000000n); // EC 0: unknown
    const el2 = machine([0xd518cba1], 2);
    el2.setSysReg(key('vbar_el2'), RAM + 0x1000n);
    el2.trappedSysRegs = new Set([key('icc_sgi1r_el1')]);
    el2.run(1);
    expect(el2.pc).toBe(RAM + 0x1200n); // undefined at EL2, current EL vector
    expect(el2.getSysReg(key('esr_el2'))).toBe(0x02000000n);
  });

  it('BRK at EL1 is routed to EL2 when MDCR_EL2.TDE is set', () => {
    const cpu = machine([0xd4200660]);
    cpu.setSysReg(key('vbar_el2'), RAM + 0x1000n);
    cpu.setSysReg(key('mdcr_el2'), 1n << 8n);
    cpu.run(1);
    expect(cpu.el).toBe(2);
    expect(cpu.getSysReg(key('esr_el2'))).toBe(0xf2000033n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM);
  });

  it('a load from unmapped memory at EL2 is a data abort with ISV, SAS, SRT and FAR', () => {
    const cpu = machine([0xb9400023 /* ldr w3, [x1] */], 2);
    cpu.setSysReg(key('vbar_el2'), RAM + 0x800n);
    cpu.setX(1, 0x0b000000n);
    cpu.run(1);
    expect(cpu.getSysReg(key('esr_el2'))).toBe(
      BigInt(((0x25 << 26) | (1 << 25) | (1 << 24) | (2 << 22) | (3 << 16) | 0x10) >>> 0),
    );
    expect(cpu.getSysReg(key('far_el2'))).toBe(0x0b000000n);
    expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM);
  });

  it('taken to EL1 the same abort has ISV=0 (as QEMU reports it for ARMv8.0)', () => {
    const cpu = machine([0xb9400023]);
    cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
    cpu.setX(1, 0x0b000000n);
    cpu.run(1);
    expect(cpu.getSysReg(key('esr_el1'))).toBe(0x96000010n);
    expect(cpu.getSysReg(key('far_el1'))).toBe(0x0b000000n);
  });

  it('pre-index loads report ISV=0 even to EL2 and do not write back on a fault', () => {
    const cpu = machine([0xf8408c23 /* ldr x3, [x1, #8]! */], 2);
    cpu.setSysReg(key('vbar_el2'), RAM + 0x800n);
    cpu.setX(1, 0x0b000000n);
    cpu.run(1);
    expect(cpu.getSysReg(key('esr_el2'))).toBe(0x96000010n); // EC 0x25 (same EL), IL, no ISV, DFSC 0x10
    expect(cpu.getX(1)).toBe(0x0b000000n);
    expect(cpu.getSysReg(key('far_el2'))).toBe(0x0b000008n);
  });

  it('MSR to an EL2 register from EL1 is undefined', () => {
    const cpu = machine([0xd51c1120 /* msr mdcr_el2, x0 */]);
    cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
    cpu.run(1);
    expect(cpu.getSysReg(key('esr_el1'))).toBe(0x02000000n);
    expect(cpu.getSysReg(key('mdcr_el2'))).toBe(0n);
    expect(sysRegKey(3, 4, 1, 1, 1)).toBe(key('mdcr_el2'));
  });
});

describe('block cache', () => {
  it('a store into decoded code drops the block and the new instruction runs', () => {
    // x0 = 1; store `add x0,x0,#1` (0x91000400) over the nop at +16, then run it.
    const cpu = machine([NOP /* replaced below */, NOP, NOP, NOP, NOP, B_SELF]);
    cpu.memory.write(RAM, new Uint8Array([0x22, 0x00, 0x00, 0xb9])); // str w2, [x1]
    cpu.setX(1, RAM + 16n);
    cpu.setX(2, 0x91000400n);
    cpu.run(3); // decode the whole block once, execute the store and two nops
    cpu.pc = RAM + 4n;
    cpu.setX(0, 1n);
    cpu.run(4);
    expect(cpu.getX(0)).toBe(2n);
  });

  it('host writes through PhysicalMemory.write drop decoded blocks too', () => {
    const cpu = machine([NOP, NOP, B_SELF]);
    cpu.run(3);
    cpu.memory.write(RAM + 4n, new Uint8Array([0x00, 0x04, 0x00, 0x91])); // add x0,x0,#1
    cpu.pc = RAM;
    cpu.setX(0, 41n);
    cpu.run(3);
    expect(cpu.getX(0)).toBe(42n);
    expect(cpu.insnCount).toBe(6);
  });

  it('a write drops the decoded blocks of every CPU sharing the memory (the vCPUs of a VM)', () => {
    const first = machine([NOP, NOP, B_SELF]);
    const second = new Cpu({ memory: first.memory });
    second.setPstate((1 << 2) | 1 | (0xf << 6));
    for (const cpu of [first, second]) {
      cpu.pc = RAM;
      cpu.run(3); // both decode the block
    }
    first.memory.write(RAM + 4n, new Uint8Array([0x00, 0x04, 0x00, 0x91])); // add x0,x0,#1
    for (const cpu of [first, second]) {
      cpu.pc = RAM;
      cpu.setX(0, 41n);
      cpu.run(3);
      expect(cpu.getX(0)).toBe(42n);
    }
  });
});

describe('identity registers under a hypervisor', () => {
  // mrs x0, mpidr_el1; mrs x1, midr_el1; b .
  const words = [0xd53800a0, 0xd5380001, B_SELF];
  for (const jit of [Infinity, 0]) {
    it(`EL1 reads VMPIDR_EL2/VPIDR_EL2 through MPIDR_EL1/MIDR_EL1, EL2 the real ones (jitThreshold ${jit})`, () => {
      for (const el of [1, 2]) {
        const cpu = machine(words, el);
        cpu.jitThreshold = jit;
        cpu.setSysReg(key('vmpidr_el2'), 0x80000003n);
        cpu.setSysReg(key('vpidr_el2'), 0x410fd083n);
        cpu.run(3);
        expect(cpu.getX(0)).toBe(el === 1 ? 0x80000003n : cpu.getSysReg(key('mpidr_el1')));
        expect(cpu.getX(1)).toBe(el === 1 ? 0x410fd083n : cpu.getSysReg(key('midr_el1')));
        expect(cpu.getSysReg(key('mpidr_el1'))).toBe(0x80000000n);
      }
    });
  }
});
