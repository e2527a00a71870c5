// The disassembler against GNU objdump 2.40 (golden files recorded by scripts/record-disasm*.mjs):
// every instruction of the corpus exactly, and 5000 random words of the integer groups.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { disassemble } from '../src/disasm.js';
import { DecodeError, decodeInsn } from '../src/index.js';

type Row = [string, string, string];
const load = (f: string): Row[] => JSON.parse(readFileSync(join(import.meta.dirname, 'programs', f), 'utf8')) as Row[];

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
      if (objUndefined) { bad.push(`${w}: objdump undefined, got ${got}`); continue; }
      // system registers beyond the emulator's table print in the generic s<op0>_... form
      if (/^(mrs|msr)\t/.test(got) && /s\d_\d_c\d+_c\d+_\d/.test(got) && !/s\d_\d_c\d+_c\d+_\d/.test(t)) continue;
      supported++;
      if (got !== t) bad.push(`${w}: objdump ${JSON.stringify(t)}, got ${JSON.stringify(got)}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(supported).toBeGreaterThan(2000) // 2324 of 5000 random words are defined integer instructions;
  });

  it('formats a few hand-checked cases', () => {
    expect(disassemble(0xd2824680)).toBe('mov\tx0, #0x1234');
    expect(disassemble(0xf8408c23)).toBe('ldr\tx3, [x1, #8]!');
    expect(disassemble(0xd4000aa2)).toBe('hvc\t#0x55');
    expect(disassemble(0x14000000, 0x400050n)).toBe('b\t400050');
    expect(disassemble(0x9e670000)).toBe('.inst\t0x9e670000 ; undefined');
  });
});

describe('decodeInsn', () => {
  it('returns the executor operation and the objdump text', () => {
    expect(decodeInsn(0xf8408c23)).toEqual({ word: 0xf8408c23, op: 'LDRX', text: 'ldr\tx3, [x1, #8]!', endsBlock: false });
    expect(decodeInsn(0x54000041, 0x1000n).endsBlock).toBe(true);
  });
  it('throws DecodeError: UNSUPPORTED for SIMD/FP, UNALLOCATED otherwise', () => {
    const err = (w: number): unknown => { try { decodeInsn(w); } catch (e) { return e; } return undefined; };
    const simd = err(0x9e670000) as DecodeError;
    expect(DecodeError.isInstance(simd)).toBe(true);
    expect(simd.code).toBe('UNSUPPORTED');
    expect(simd.insn).toBe(0x9e670000);
    expect((err(0) as DecodeError).code).toBe('UNALLOCATED');
    expect((err(0xf8200020 /* ldadd (LSE) */) as DecodeError).code).toBe('UNALLOCATED');
  });
});
