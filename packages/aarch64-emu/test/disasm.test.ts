// The disassembler against GNU objdump 2.40 (golden files recorded by scripts/record-disasm*.mjs):
// every instruction of the corpus exactly, and 5000 random words of the integer groups.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { disassemble } from '../src/disasm.js';
import { Cpu, DecodeError, PhysicalMemory, SYS_REG_BY_NAME, decodeInsn } from '../src/index.js';

type Row = [string, string, string];
const load = (f: string): Row[] =>
  JSON.parse(readFileSync(join(import.meta.dirname, 'programs', f), 'utf8')) as Row[];

describe('disassemble vs aarch64-linux-gnu-objdump -d', () => {
  it('prints every instruction of the corpus exactly as objdump does', () => {
    const rows = load('objdump.json');
    expect(rows.length).toBeGreaterThan(3000);
    const bad = rows.filter(([a, w, t]) => disassemble(parseInt(w, 16), BigInt('0x' + a)) !== t);
    expect(bad.slice(0, 10)).toEqual([]);
  });

  it('random integer-group words: same text where supported, undefined where objdump says so', () => {
    const rows = load('objdump-random.json');
    let supported = 0;
    const bad: string[] = [];
    for (const [a, w, t] of rows) {
      const got = disassemble(parseInt(w, 16), BigInt('0x' + a));
      const objUndefined = t.startsWith('.inst') || t.startsWith('udf');
      if (got.startsWith('.inst') || got.startsWith('udf')) {
        // unsupported extensions (MTE, PAC, LSE, LRCPC, CSSC...) print as .inst here
        continue;
      }
      if (objUndefined) {
        bad.push(`${w}: objdump undefined, got ${got}`);
        continue;
      }
      // system registers beyond the emulator's table print in the generic s<op0>_... form
      if (
        /^(mrs|msr)\t/.test(got) &&
        /s\d_\d_c\d+_c\d+_\d/.test(got) &&
        !/s\d_\d_c\d+_c\d+_\d/.test(t)
      )
        continue;
      supported++;
      if (got !== t) bad.push(`${w}: objdump ${JSON.stringify(t)}, got ${JSON.stringify(got)}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(supported).toBeGreaterThan(2000); // 2324 of 5000 random words are defined integer instructions;
  });

  it('formats a few hand-checked cases', () => {
    expect(disassemble(0xd2824680)).toBe('mov\tx0, #0x1234');
    expect(disassemble(0xf8408c23)).toBe('ldr\tx3, [x1, #8]!');
    expect(disassemble(0xd4000aa2)).toBe('hvc\t#0x55');
    expect(disassemble(0x14000000, 0x400050n)).toBe('b\t400050');
    expect(disassemble(0x9e670000)).toBe('.inst\t0x9e670000 ; undefined');
  });

  it('names the GICv3 CPU interface registers as objdump does (mrs x0, icc_*_el1)', () => {
    // words and names from aarch64-linux-gnu-objdump -d of `mrs x0, <reg>` for each register
    // prettier-ignore
    const icc: [number, string][] = [[0xd5384600, 'icc_pmr_el1'], [0xd538c800, 'icc_iar0_el1'], [0xd538c820, 'icc_eoir0_el1'], [0xd538c840, 'icc_hppir0_el1'], [0xd538c860, 'icc_bpr0_el1'], [0xd538c880, 'icc_ap0r0_el1'], [0xd538c8e0, 'icc_ap0r3_el1'], [0xd538c900, 'icc_ap1r0_el1'], [0xd538c920, 'icc_ap1r1_el1'], [0xd538c960, 'icc_ap1r3_el1'], [0xd538cb20, 'icc_dir_el1'], [0xd538cb60, 'icc_rpr_el1'], [0xd538cba0, 'icc_sgi1r_el1'], [0xd538cbc0, 'icc_asgi1r_el1'], [0xd538cbe0, 'icc_sgi0r_el1'], [0xd538cc00, 'icc_iar1_el1'], [0xd538cc20, 'icc_eoir1_el1'], [0xd538cc40, 'icc_hppir1_el1'], [0xd538cc60, 'icc_bpr1_el1'], [0xd538cc80, 'icc_ctlr_el1'], [0xd538cca0, 'icc_sre_el1'], [0xd538ccc0, 'icc_igrpen0_el1'], [0xd538cce0, 'icc_igrpen1_el1']];
    expect(icc.filter(([w, name]) => disassemble(w) !== `mrs\tx0, ${name}`)).toEqual([]);
  });
});

describe('decodeInsn', () => {
  it('returns the executor operation and the objdump text', () => {
    expect(decodeInsn(0xf8408c23)).toEqual({
      word: 0xf8408c23,
      op: 'LDRX',
      text: 'ldr\tx3, [x1, #8]!',
      endsBlock: false,
    });
    expect(decodeInsn(0x54000041, 0x1000n).endsBlock).toBe(true);
  });
  it('throws DecodeError: UNSUPPORTED for SIMD/FP, UNALLOCATED otherwise', () => {
    const err = (w: number): unknown => {
      try {
        decodeInsn(w);
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const simd = err(0xce608000 /* sha512h q0, q0, v0.2d (ARMv8.2) */) as DecodeError;
    expect(DecodeError.isInstance(simd)).toBe(true);
    expect(simd.code).toBe('UNSUPPORTED');
    expect(simd.insn).toBe(0xce608000);
    expect(decodeInsn(0x9e670000 /* fmov d0, x0 */).op).toBe('SIMD');
    expect((err(0) as DecodeError).code).toBe('UNALLOCATED');
    expect((err(0xf837b0de /* st64bv (FEAT_LS64, not implemented) */) as DecodeError).code).toBe(
      'UNALLOCATED',
    );
    expect(decodeInsn(0xf8200020 /* ldadd (FEAT_LSE, lse.ts) */).text).toBe('ldadd\tx0, x0, [x1]');
  });
  it('treats the LSE atomics as undefined on the Cortex-A57 model, as its executor does', () => {
    const words = [0xf8200020 /* ldadd */, 0xc8a07c41 /* cas */, 0x48207c82 /* casp */];
    for (const w of words) {
      expect(decodeInsn(w, 0n, { model: 'default' }).op).toMatch(/^LSE_/);
      expect(() => decodeInsn(w, 0n, { model: 'cortex-a57' })).toThrow(/no FEAT_LSE/);
    }
    // what the cortex-a57 CPU does with the same word: an Undefined Instruction exception
    const mem = new PhysicalMemory();
    mem.addRam(0x4000_0000n, 0x10000);
    mem.write(0x4000_0000n, new Uint8Array([0x20, 0x00, 0x20, 0xf8]));
    const cpu = new Cpu({ memory: mem, model: 'cortex-a57' });
    cpu.setPstate(0x3c5);
    cpu.setSysReg(SYS_REG_BY_NAME.get('vbar_el1')!, 0x4000_0800n);
    cpu.setX(1, 0x4000_1000n);
    cpu.pc = 0x4000_0000n;
    cpu.run(1);
    expect(cpu.getSysReg(SYS_REG_BY_NAME.get('esr_el1')!) >> 26n).toBe(0n); // EC 0: unknown reason
    expect(decodeInsn(0x8b020020 /* add */, 0n, { model: 'cortex-a57' }).op).toBe('ADD_R');
  });
});
