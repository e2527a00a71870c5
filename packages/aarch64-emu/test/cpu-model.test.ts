// CPU models (src/cpu-model.ts): the identity and feature registers each presents, LSE
// atomics UNDEFINED on the Cortex-A57 model (interpreted and compiled), AT_HWCAP in user mode;
// and the crypto encodings QEMU's Cortex-A57 refuses (reserved sizes and opcodes) UNDEFINED.
// The crypto instructions themselves are compared with qemu-aarch64 in fpsimd-trace.test.ts
// (class simd-crypto) and simd-corpus.test.ts (crypto.c).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  A64Fault,
  Cpu,
  CPU_MODELS,
  DecodeError,
  EmuInputError,
  PhysicalMemory,
  SYS_REG_BY_NAME,
  decodeInsn,
  disassemble,
  loadLinuxProgram,
  runLinuxProgram,
} from '../src/index.js';
import type { CpuModel } from '../src/index.js';
import { machine, RAM } from './machine.js';

const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;
const MRS_X0_ISAR0 = 0xd5380600; // mrs x0, id_aa64isar0_el1
const MRS_X1_MIDR = 0xd5380001; // mrs x1, midr_el1
const ADD_X3 = 0x91000463; // add x3, x3, #1
const LDADD_X1_X2_X0 = 0xf8210002; // ldadd x1, x2, [x0]
const CAS_W = 0x88a17c02; // cas w1, w2, [x0]
const CASP_X = 0x48207c82; // casp x0, x1, x2, x3, [x4]
const SWPAL = 0xf8e18002; // swpal x1, x2, [x0]
const HVC0 = 0xd4000002; // hvc #0

describe('CPU models', () => {
  it('encodes the MRS words the tests use', () => {
    expect(disassemble(MRS_X0_ISAR0)).toBe('mrs\tx0, id_aa64isar0_el1');
    expect(disassemble(MRS_X1_MIDR)).toBe('mrs\tx1, midr_el1');
    expect(disassemble(SWPAL)).toBe('swpal\tx1, x2, [x0]');
  });

  const cases: [CpuModel, bigint, bigint][] = [
    // AES=2 (PMULL), SHA1=1, SHA2=1, CRC32=1, Atomic=2
    ['default', 0x0021_1120n, 0x410f_d034n],
    // QEMU's cortex-a57: isar0 0x11120 (no LSE), midr 0x411fd070 (r1p0)
    ['cortex-a57', 0x0001_1120n, 0x411f_d070n],
  ];
  for (const [model, isar0, midr] of cases) {
    it(`${model}: ID_AA64ISAR0_EL1 = 0x${isar0.toString(16)} and MIDR_EL1 = 0x${midr.toString(16)} as EL1 reads them (MIDR through VPIDR_EL2)`, () => {
      const cpu = machine([MRS_X0_ISAR0, MRS_X1_MIDR], 1, undefined, model);
      expect(cpu.model).toBe(model);
      cpu.run(2);
      expect(cpu.getX(0)).toBe(isar0);
      expect(cpu.getX(1)).toBe(midr);
      expect(cpu.getSysReg(key('vpidr_el2'))).toBe(midr);
      expect(CPU_MODELS[model].isar0).toBe(isar0);
      // the same with only EL1 implemented (MIDR_EL1 itself)
      const mem = new PhysicalMemory();
      mem.addRam(RAM, 4096);
      mem.write(RAM, new Uint8Array(new Uint32Array([MRS_X0_ISAR0, MRS_X1_MIDR]).buffer));
      const el1 = new Cpu({ memory: mem, highestEl: 1, model });
      el1.pc = RAM;
      el1.run(2);
      expect([el1.getX(0), el1.getX(1)]).toEqual([isar0, midr]);
    });
  }

  it('the default model is what a Cpu without a model presents', () => {
    const mem = new PhysicalMemory();
    const cpu = new Cpu({ memory: mem });
    expect(cpu.model).toBe('default');
    expect(cpu.getSysReg(key('id_aa64isar0_el1'))).toBe(CPU_MODELS.default.isar0);
    expect(cpu.getSysReg(key('midr_el1'))).toBe(CPU_MODELS.default.midr);
  });

  it('an unknown model is a typed error (EmuInputError BAD_ARGUMENT), not a TypeError', () => {
    let err: unknown;
    try {
      new Cpu({ memory: new PhysicalMemory(), model: 'cortex-a72' as CpuModel });
    } catch (e) {
      err = e;
    }
    expect(EmuInputError.isInstance(err)).toBe(true);
    expect((err as EmuInputError).code).toBe('BAD_ARGUMENT');
    expect((err as EmuInputError).argument).toBe('model');
    expect(() => new Cpu({ memory: new PhysicalMemory(), model: 'toString' as CpuModel })).toThrow(
      EmuInputError,
    );
  });

  for (const [name, word] of [
    ['LDADD', LDADD_X1_X2_X0],
    ['CAS', CAS_W],
    ['CASP', CASP_X],
    ['SWPAL', SWPAL],
  ] as const) {
    it(`cortex-a57: ${name} is UNDEFINED (EC 0, ELR on it, memory unchanged); the default model executes it`, () => {
      for (const jit of [Infinity, 0]) {
        const data = RAM + 0x1000n;
        const a57 = machine([ADD_X3, word, ADD_X3, HVC0], 1, jit, 'cortex-a57');
        a57.setSysReg(key('vbar_el1'), RAM + 0x800n);
        a57.memory.write(data, new Uint8Array(16).fill(5));
        for (const r of [0, 4]) a57.setX(r, data);
        a57.setX(1, 0x0505_0505n);
        a57.run(2);
        expect(Number(a57.getSysReg(key('esr_el1')) >> 26n)).toBe(0); // unknown reason
        expect(a57.getSysReg(key('elr_el1'))).toBe(RAM + 4n);
        expect(a57.pc).toBe(RAM + 0x800n + 0x200n);
        expect(a57.getX(3)).toBe(1n); // the ADD before it ran once
        expect([...a57.memory.read(data, 16)]).toEqual(new Array(16).fill(5));

        const dflt = machine([ADD_X3, word, ADD_X3, HVC0], 1, jit);
        dflt.setSysReg(key('vbar_el1'), RAM + 0x800n);
        dflt.memory.write(data, new Uint8Array(16).fill(5));
        for (const r of [0, 4]) dflt.setX(r, data);
        dflt.setX(1, 0x0505_0505n);
        dflt.run(3);
        expect(dflt.pc).toBe(RAM + 12n); // no exception
        expect(dflt.getX(3)).toBe(2n);
      }
    });
  }

  it('cortex-a57 in user mode: the LSE test program stops on an undefined instruction (SIGILL); AT_HWCAP drops atomics', () => {
    const elf = readFileSync(join(import.meta.dirname, 'programs-lse', 'bin', 'atomics-O2.elf'));
    let err: unknown;
    try {
      runLinuxProgram(elf, { model: 'cortex-a57' });
    } catch (e) {
      err = e;
    }
    expect(A64Fault.isInstance(err)).toBe(true);
    expect((err as A64Fault).code).toBe('UNDEFINED_INSTRUCTION');
    const at = Number((err as A64Fault).pc);
    // the faulting word is an LSE instruction (the program's first)
    const { memory } = loadLinuxProgram(elf);
    const w = new DataView(memory.read(BigInt(at), 4).buffer).getUint32(0, true);
    expect(disassemble(w)).toMatch(/^(ld|st)(add|clr|eor|set|smax|smin|umax|umin)|^swp|^casp?/);
    expect(() => runLinuxProgram(elf)).not.toThrow();
    const hwcapOf = (model: CpuModel): bigint => {
      const { cpu, memory } = loadLinuxProgram(elf, 'prog', undefined, [], model);
      const sp = cpu.sp;
      const dv = new DataView(memory.read(sp, 512).buffer);
      const argc = Number(dv.getBigUint64(0, true));
      let i = 1 + argc + 1 + 1; // argv, NULL, envp NULL
      for (;;) {
        const type = dv.getBigUint64(i * 8, true),
          value = dv.getBigUint64(i * 8 + 8, true);
        if (type === 16n) return value;
        if (type === 0n) throw new Error('no AT_HWCAP');
        i += 2;
      }
    };
    // fp, asimd, aes, pmull, sha1, sha2, crc32 (+ atomics with LSE)
    expect(hwcapOf('cortex-a57')).toBe(0xfbn);
    expect(hwcapOf('default')).toBe(0x1fbn);
  });
});

describe('crypto encodings QEMU refuses', () => {
  // words QEMU's cortex-a57 raised SIGILL on while the streams were made: AES and the SHA
  // groups with a size other than 00, opcodes beyond the defined ones, PMULL of 32-bit elements
  for (const w of [
    0x4ea849c9, // AES group, size 10
    0x4e684b5c, // AES group, size 01
    0x5e51426c, // three-register SHA, size 01
    0x5ee8293e, // two-register SHA, size 11
    0x4e283800, // AES group, opcode 00011
    0x5e287800, // two-register SHA, opcode 00111
    0x5e007000, // three-register SHA, opcode 111
    0x0ea0e000, // PMULL with size 10
  ]) {
    it(`0x${w.toString(16)} is UNDEFINED (decodeInsn: UNSUPPORTED; execution: EC 0)`, () => {
      expect(() => decodeInsn(w)).toThrow(DecodeError);
      const cpu = machine([w]);
      cpu.setSysReg(key('cpacr_el1'), 3n << 20n); // FP/SIMD enabled at EL1
      cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
      cpu.run(1);
      expect(Number(cpu.getSysReg(key('esr_el1')) >> 26n)).toBe(0);
      expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM);
    });
  }
  it('the defined encodings decode (AESE, SHA1C, SHA1H, SHA256SU1, PMULL2 1Q)', () => {
    for (const w of [0x4e284800, 0x5e000000, 0x5e280800, 0x5e006000, 0x4ee0e000])
      expect(decodeInsn(w).op).toBe('SIMD');
  });
});
