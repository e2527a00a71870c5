import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseHexBytes } from '@axebpf/test-utils/conformance-data';
import { describe, expect, it } from 'vitest';
import { AsmError, assemble, disassemble } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const hexDir = path.join(here, 'conformance/bpf_conformance-hex');

function asmError(source: string): AsmError {
  try {
    assemble(source);
  } catch (e) {
    if (AsmError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected an AsmError');
}

describe('assemble errors', () => {
  it('names the line and column of an unknown mnemonic', () => {
    const e = asmError('mov %r0, 1\n   frob %r1, 2\nexit');
    expect([e.code, e.line, e.column]).toEqual(['UNKNOWN_MNEMONIC', 2, 4]);
  });

  it('points at the bad operand', () => {
    const e = asmError('add %r0, %r11');
    expect([e.code, e.line, e.column]).toEqual(['BAD_OPERAND', 1, 10]);
    expect(asmError('ldxw %r0, %r1').code).toBe('BAD_OPERAND');
    expect(asmError('mov %r0, zz').column).toBe(10);
  });

  it('rejects immediates and offsets that do not fit', () => {
    expect(asmError('mov %r0, 0x100000000').code).toBe('OUT_OF_RANGE');
    expect(asmError('ldxw %r0, [%r1+40000]').code).toBe('OUT_OF_RANGE');
    expect(asmError('lddw %r0, 0x10000000000000000').code).toBe('OUT_OF_RANGE');
  });

  it('reports unknown and duplicate labels', () => {
    const e = asmError('ja nowhere\nexit');
    expect([e.code, e.line, e.column]).toEqual(['UNKNOWN_LABEL', 1, 4]);
    expect(asmError('a:\na:\nexit').code).toBe('DUPLICATE_LABEL');
  });

  it('checks operand counts', () => {
    expect(asmError('exit %r0').code).toBe('BAD_OPERAND');
    expect(asmError('jeq %r0, 1').code).toBe('BAD_OPERAND');
    expect(asmError('mov %r0,').code).toBe('SYNTAX');
  });

  it('assembles pseudo lddw forms for maps and callbacks, and prints them back', () => {
    const text = 'lddw %r1, map[3]\nlddw %r2, map_value[4]+8\nlddw %r3, func[+1]\nexit\nexit';
    const bytes = assemble(text);
    expect([
      bytes[1]! >> 4,
      bytes[4],
      bytes[17]! >> 4,
      bytes[20],
      bytes[28],
      bytes[33]! >> 4,
      bytes[36],
    ]).toEqual([1, 3, 2, 4, 8, 4, 1]);
    expect(disassemble(bytes).join('\n')).toBe(text);
    expect(assemble('lddw %r3, func[f]\nexit\nf: exit')[4]).toBe(2);
    expect(asmError('lddw %r1, map[3]+8').code).toBe('BAD_OPERAND');
  });

  it('accepts labels before instructions, // comments and registers without %', () => {
    expect([...assemble('start: mov r0, 1 // one\nja start')]).toEqual([
      ...assemble('mov %r0, 1\nja -2'),
    ]);
  });
});

describe('disassemble', () => {
  const files = fs.readdirSync(hexDir).filter((f) => f.endsWith('.hex'));

  it('re-assembles every conformance program to the same bytes', () => {
    for (const f of files) {
      const bytes = parseHexBytes(fs.readFileSync(path.join(hexDir, f), 'utf8'));
      const text = disassemble(bytes).join('\n');
      expect([f, Buffer.from(assemble(text)).toString('hex')]).toEqual([
        f,
        Buffer.from(bytes).toString('hex'),
      ]);
    }
    expect(files.length).toBe(313);
  });

  it('prints llvm-objdump syntax', () => {
    const lines = disassemble(
      assemble(`mov %r0, 1
add32 %r1, %r2
ldxdw %r1, [%r10-8]
stxw [%r10-4], %r1
stb [%r1+2], 7
jsgt %r1, 5, +1
jeq32 %r1, %r2, -2
lddw %r1, -1
lock add [%r0], %r8
lock fetch add32 [%r10-8], %r1
lock cmpxchg [%r10-8], %r1
movsx832 %r1, %r3
sdiv %r3, %r1
be16 %r0
bswap64 %r4
call 14
call %r2
exit`),
      { style: 'llvm' },
    );
    expect(lines).toEqual([
      'r0 = 1',
      'w1 += w2',
      'r1 = *(u64 *)(r10 - 8)',
      '*(u32 *)(r10 - 4) = r1',
      '*(u8 *)(r1 + 2) = 7',
      'if r1 s> 5 goto +1',
      'if w1 == w2 goto -2',
      'r1 = -1 ll',
      'lock *(u64 *)(r0 + 0) += r8',
      'w1 = atomic_fetch_add((u32 *)(r10 - 8), w1)',
      'r0 = cmpxchg_64(r10 - 8, r0, r1)',
      'w1 = (s8)w3',
      'r3 s/= r1',
      'r0 = be16 r0',
      'r4 = bswap64 r4',
      'call 14',
      'callx r2',
      'exit',
    ]);
  });

  it('adds helper names as comments when given', () => {
    expect(
      disassemble(assemble('call 1\nexit'), { helperNames: new Map([[1, 'map_lookup_elem']]) })[0],
    ).toBe('call 1 # map_lookup_elem');
  });
});
