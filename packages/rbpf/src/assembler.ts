// SPDX-License-Identifier: MIT
// Assembler for the eBPF text syntax of uBPF and the bpf_conformance suite
// (`mov %r0, 1`, `ldxdw %r0, [%r1+8]`, `jne %r1, 0, label`, `call local f`, `lock fetch add ...`).

import { AsmError } from './errors.js';
import type { Insn } from './program.js';
import { encodeInsns } from './program.js';

/** An assembled instruction before it is placed: an {@link Insn} without its `pc`. */
export type RawInsn = Omit<Insn, 'pc'>;

/* prettier-ignore */
const ALU_CODES: Record<string, number> = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70,
  neg: 0x80, mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0, sdiv: 0x30, smod: 0x90,
};
/* prettier-ignore */
const JMP_CODES: Record<string, number> = {
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70,
  jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
};
const SIZES: Record<string, number> = { b: 0x10, h: 0x08, w: 0x00, dw: 0x18 };
/* prettier-ignore */
const ATOMIC_CODES: Record<string, number> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, xchg: 0xe1, cmpxchg: 0xf1 };

interface Token {
  text: string;
  column: number;
}

interface Line {
  line: number;
  mnemonic: Token;
  operands: Token[];
  /** Slot index of the instruction. */
  slot: number;
  /** Number of slots (2 for lddw). */
  slots: number;
}

function fail(code: AsmError['code'], message: string, line: number, column: number): never {
  throw new AsmError({ code, message, line, column });
}

/** Splits `a, [b+1], c` into tokens with their 1-based columns. */
function splitOperands(text: string, startColumn: number, line: number): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    const start = i;
    let depth = 0;
    while (i < text.length && (depth > 0 || text[i] !== ',')) {
      if (text[i] === '[') depth++;
      else if (text[i] === ']') depth--;
      i++;
    }
    const piece = text.slice(start, i).trimEnd();
    if (piece === '') fail('SYNTAX', 'empty operand', line, startColumn + start);
    out.push({ text: piece, column: startColumn + start });
    if (text[i] === ',') {
      i++;
      if (text.slice(i).trim() === '')
        fail('SYNTAX', 'operand expected after `,`', line, startColumn + i);
    }
  }
  return out;
}

function parseInteger(tok: Token, line: number): bigint {
  const m = /^([+-]?)(0x[0-9a-f]+|0b[01]+|0o[0-7]+|[0-9]+)$/i.exec(tok.text.replace(/_/g, ''));
  if (!m) fail('BAD_OPERAND', `\`${tok.text}\` is not a number`, line, tok.column);
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

/** An immediate that must fit 32 bits, signed or unsigned (0xffffffff is -1). */
function imm32(tok: Token, line: number): number {
  const v = parseInteger(tok, line);
  if (v < -(1n << 31n) || v > 0xffffffffn)
    fail('OUT_OF_RANGE', `\`${tok.text}\` does not fit in 32 bits`, line, tok.column);
  return Number(BigInt.asIntN(32, v));
}

function register(tok: Token, line: number): number {
  const m = /^%?r(\d+)$/.exec(tok.text);
  if (!m)
    fail(
      'BAD_OPERAND',
      `expected a register (\`%r0\`..\`%r10\`), got \`${tok.text}\``,
      line,
      tok.column,
    );
  const r = Number(m[1]);
  if (r > 10) fail('BAD_OPERAND', `no register \`r${r}\` (r0..r10)`, line, tok.column);
  return r;
}

function isRegister(tok: Token): boolean {
  return /^%?r\d+$/.test(tok.text);
}

function memory(tok: Token, line: number): { reg: number; off: number } {
  const m = /^\[\s*(%?r\d+)\s*(?:([+-])\s*(0x[0-9a-f]+|\d+)\s*)?\]$/i.exec(tok.text);
  if (!m)
    fail(
      'BAD_OPERAND',
      `expected a memory operand like \`[%r1+8]\`, got \`${tok.text}\``,
      line,
      tok.column,
    );
  const reg = register({ text: m[1]!, column: tok.column + 1 }, line);
  let off = m[3] === undefined ? 0 : Number(BigInt(m[3]));
  if (m[2] === '-') off = -off;
  if (off < -32768 || off > 32767)
    fail('OUT_OF_RANGE', `offset \`${off}\` does not fit in 16 bits`, line, tok.column);
  return { reg, off };
}

function expect(l: Line, n: number): void {
  if (l.operands.length !== n) {
    const where = l.operands[n] ?? l.mnemonic;
    fail(
      'BAD_OPERAND',
      `\`${l.mnemonic.text}\` takes ${n} operand${n === 1 ? '' : 's'}, got ${l.operands.length}`,
      l.line,
      where.column,
    );
  }
}

/**
 * Assembles eBPF text into bytecode.
 *
 * Syntax (uBPF / bpf_conformance): one instruction per line; `#` or `//` start a comment;
 * `name:` defines a label (alone or before an instruction); registers are `%r0`..`%r10` (the
 * `%` is optional); memory operands are `[%r1+8]`; jump targets are labels or signed offsets
 * (`+2`, `-1`). ALU mnemonics take a `32` suffix for 32-bit operation (`add32`) and an
 * optional `64`; `sdiv`/`smod`; `movsx832`, `movsx1664`, `movsx3264`...; `le16`..`be64`,
 * `bswap16`..`bswap64` (alias `swap16`...); `ldxb/h/w/dw`, `ldxsb/sh/sw`, `stb/h/w/dw`,
 * `stxb/h/w/dw`; `lddw %r0, 0x1122334455667788`,
 * `lddw %r1, map[3]` (map fd 3), `lddw %r1, map_value[3]+8`, `lddw %r2, func[f]` (callback); `ja`, `ja32`, `jeq`..`jsle` with a `32` suffix
 * for 32-bit compares; `call 5` (helper), `call local f` (BPF-to-BPF; without a label named `exit`, a jump to `exit` goes to the first `exit` instruction, as the reference assembler does), `call %r2` (callx);
 * `exit`; `lock [fetch] add|or|and|xor[32] [%r10-8], %r1`, `lock xchg[32]`, `lock cmpxchg[32]`.
 *
 * @param source - the program text.
 * @returns the bytecode.
 * @throws {AsmError} with 1-based `line` and `column`: `SYNTAX`, `UNKNOWN_MNEMONIC`,
 * `BAD_OPERAND`, `UNKNOWN_LABEL`, `DUPLICATE_LABEL`, `OUT_OF_RANGE`.
 * @example
 * ```ts
 * const bytes = assemble(`
 *   mov %r0, 0
 * loop:
 *   add %r0, 1
 *   jlt %r0, 10, loop
 *   exit`);
 * ```
 */
export function assemble(source: string): Uint8Array {
  return encodeInsns(assembleInsns(source));
}

/**
 * Like {@link assemble}, returning decoded instructions (`lddw` as one entry with `imm2`).
 * @param source - the program text.
 * @returns the instructions.
 * @throws {AsmError} as {@link assemble}.
 */
export function assembleInsns(source: string): RawInsn[] {
  const labels = new Map<string, number>();
  const lines: Line[] = [];
  let slot = 0;
  source.split(/\r?\n/).forEach((raw, index) => {
    const lineNo = index + 1;
    let text = raw;
    const hash = text.search(/#|\/\//);
    if (hash >= 0) text = text.slice(0, hash);
    let col = 1;
    // labels: `name:` possibly followed by an instruction
    for (;;) {
      const m = /^(\s*)([A-Za-z_.$][\w.$]*)\s*:/.exec(text);
      if (!m) break;
      const name = m[2]!;
      if (labels.has(name))
        fail('DUPLICATE_LABEL', `label \`${name}\` is defined twice`, lineNo, col + m[1]!.length);
      labels.set(name, slot);
      col += m[0].length;
      text = text.slice(m[0].length);
    }
    const m = /^(\s*)(\S+)(.*)$/.exec(text);
    if (!m) return;
    const mnemonic: Token = { text: m[2]!.toLowerCase(), column: col + m[1]!.length };
    let rest = m[3]!;
    let restColumn = mnemonic.column + m[2]!.length;
    // `lock [fetch] op` and `call local` are two-word mnemonics.
    if (mnemonic.text === 'lock') {
      const words = /^(\s+)(fetch\s+)?(\w+)/i.exec(rest);
      if (!words)
        fail(
          'SYNTAX',
          '`lock` needs an operation (`add`, `fetch add`, `xchg`, `cmpxchg`...)',
          lineNo,
          restColumn + 1,
        );
      mnemonic.text = `lock ${words[2] ? 'fetch ' : ''}${words[3]!.toLowerCase()}`;
      rest = rest.slice(words[0].length);
      restColumn += words[0].length;
    }
    const operands = splitOperands(rest, restColumn, lineNo);
    const slots = mnemonic.text === 'lddw' ? 2 : 1;
    lines.push({ line: lineNo, mnemonic, operands, slot, slots });
    slot += slots;
  });

  const target = (l: Line, tok: Token): number => {
    if (/^[+-]?(0x[0-9a-f]+|\d+)$/i.test(tok.text)) {
      const v = parseInteger(tok, l.line);
      return Number(v);
    }
    let at = labels.get(tok.text);
    if (at === undefined && tok.text === 'exit') {
      // bpf_conformance's reference assembler: without a label of that name, `exit` is the
      // first `exit` instruction of the program.
      at = lines.find((o) => o.mnemonic.text === 'exit')?.slot;
    }
    if (at === undefined)
      fail('UNKNOWN_LABEL', `unknown label \`${tok.text}\``, l.line, tok.column);
    return at - l.slot - 1;
  };
  const offset16 = (l: Line, tok: Token): number => {
    const off = target(l, tok);
    if (off < -32768 || off > 32767)
      fail(
        'OUT_OF_RANGE',
        `jump offset \`${off}\` does not fit in 16 bits (use \`ja32\`)`,
        l.line,
        tok.column,
      );
    return off;
  };

  return lines.map((l) => encodeLine(l, target, offset16));
}

function encodeLine(
  l: Line,
  target: (l: Line, t: Token) => number,
  offset16: (l: Line, t: Token) => number,
): RawInsn {
  const name = l.mnemonic.text;
  const ops = l.operands;
  const line = l.line;
  const insn = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm2 = 0): RawInsn => ({
    opcode,
    dst,
    src,
    off,
    imm,
    imm2,
  });

  if (name === 'exit') {
    expect(l, 0);
    return insn(0x95);
  }
  if (name === 'call') {
    const local = ops.length === 1 ? /^local\s+(\S+)$/.exec(ops[0]!.text) : null;
    if (local) {
      return insn(
        0x85,
        0,
        1,
        0,
        target(l, { text: local[1]!, column: ops[0]!.column + ops[0]!.text.indexOf(local[1]!) }),
      );
    }
    expect(l, 1);
    if (isRegister(ops[0]!)) return insn(0x8d, register(ops[0]!, line));
    return insn(0x85, 0, 0, 0, imm32(ops[0]!, line));
  }
  if (name === 'callx') {
    expect(l, 1);
    return insn(0x8d, register(ops[0]!, line));
  }
  if (name === 'lddw') {
    expect(l, 2);
    // Pseudo forms for loaders: `map[fd]` (BPF_PSEUDO_MAP_FD), `map_value[fd]+off`
    // (BPF_PSEUDO_MAP_VALUE), `func[+n]` (BPF_PSEUDO_FUNC, relative like `call local`).
    const pseudo =
      /^(map|map_value|func)\[\s*([+-]?(?:0x[0-9a-f]+|\d+)|[A-Za-z_.$][\w.$]*)\s*\](?:\s*\+\s*(0x[0-9a-f]+|\d+))?$/i.exec(
        ops[1]!.text,
      );
    if (pseudo) {
      const dst = register(ops[0]!, line);
      const kind = pseudo[1]!.toLowerCase();
      if (kind === 'func')
        return insn(0x18, dst, 4, 0, target(l, { text: pseudo[2]!, column: ops[1]!.column + 5 }));
      const fd = imm32({ text: pseudo[2]!, column: ops[1]!.column }, line);
      const off =
        pseudo[3] === undefined ? 0 : imm32({ text: pseudo[3], column: ops[1]!.column }, line);
      if (kind === 'map' && pseudo[3] !== undefined)
        fail(
          'BAD_OPERAND',
          '`map[fd]` takes no offset (use `map_value[fd]+off`)',
          line,
          ops[1]!.column,
        );
      return insn(0x18, dst, kind === 'map' ? 1 : 2, 0, fd, off);
    }
    const v = parseInteger(ops[1]!, line);
    if (v < -(1n << 63n) || v > (1n << 64n) - 1n)
      fail('OUT_OF_RANGE', `\`${ops[1]!.text}\` does not fit in 64 bits`, line, ops[1]!.column);
    const u = BigInt.asUintN(64, v);
    return insn(
      0x18,
      register(ops[0]!, line),
      0,
      0,
      Number(BigInt.asIntN(32, u)),
      Number(BigInt.asIntN(32, u >> 32n)),
    );
  }
  if (name === 'ja') {
    expect(l, 1);
    return insn(0x05, 0, 0, offset16(l, ops[0]!));
  }
  if (name === 'ja32' || name === 'gotol') {
    expect(l, 1);
    const t = target(l, ops[0]!);
    if (t < -(2 ** 31) || t >= 2 ** 31)
      fail('OUT_OF_RANGE', `jump offset \`${t}\` does not fit in 32 bits`, line, ops[0]!.column);
    return insn(0x06, 0, 0, 0, t);
  }
  let m = /^(j[a-z]+?)(32)?$/.exec(name);
  if (m && JMP_CODES[m[1]!] !== undefined) {
    expect(l, 3);
    const cls = m[2] ? 0x06 : 0x05;
    const dst = register(ops[0]!, line);
    const off = offset16(l, ops[2]!);
    if (isRegister(ops[1]!))
      return insn(cls | JMP_CODES[m[1]!]! | 0x08, dst, register(ops[1]!, line), off);
    return insn(cls | JMP_CODES[m[1]!]!, dst, 0, off, imm32(ops[1]!, line));
  }
  m = /^(le|be|bswap|swap)(16|32|64)$/.exec(name);
  if (m) {
    expect(l, 1);
    const op = m[1] === 'le' ? 0xd4 : m[1] === 'be' ? 0xdc : 0xd7;
    return insn(op, register(ops[0]!, line), 0, 0, Number(m[2]));
  }
  m = /^movsx(8|16|32)(32|64)$/.exec(name);
  if (m) {
    expect(l, 2);
    if (m[1] === '32' && m[2] === '32')
      fail('UNKNOWN_MNEMONIC', '`movsx3232` does not exist (use `mov32`)', line, l.mnemonic.column);
    return insn(
      m[2] === '64' ? 0xbf : 0xbc,
      register(ops[0]!, line),
      register(ops[1]!, line),
      Number(m[1]),
    );
  }
  m = /^ldx(s?)(b|h|w|dw)$/.exec(name);
  if (m) {
    expect(l, 2);
    if (m[1] && m[2] === 'dw')
      fail('UNKNOWN_MNEMONIC', '`ldxsdw` does not exist (use `ldxdw`)', line, l.mnemonic.column);
    const mem = memory(ops[1]!, line);
    return insn(
      (m[1] ? 0x80 : 0x60) | SIZES[m[2]!]! | 0x01,
      register(ops[0]!, line),
      mem.reg,
      mem.off,
    );
  }
  m = /^st(x?)(b|h|w|dw)$/.exec(name);
  if (m) {
    expect(l, 2);
    const mem = memory(ops[0]!, line);
    if (m[1]) return insn(0x60 | SIZES[m[2]!]! | 0x03, mem.reg, register(ops[1]!, line), mem.off);
    return insn(0x60 | SIZES[m[2]!]! | 0x02, mem.reg, 0, mem.off, imm32(ops[1]!, line));
  }
  m = /^lock (fetch )?([a-z]+?)(32|64)?$/.exec(name);
  if (m) {
    expect(l, 2);
    const base = ATOMIC_CODES[m[2]!];
    if (base === undefined)
      fail('UNKNOWN_MNEMONIC', `unknown atomic operation \`${m[2]}\``, line, l.mnemonic.column);
    if (m[1] && (base & 1) === 1)
      fail(
        'UNKNOWN_MNEMONIC',
        `\`${m[2]}\` always fetches: drop \`fetch\``,
        line,
        l.mnemonic.column,
      );
    const mem = memory(ops[0]!, line);
    const size = m[3] === '32' ? 0x00 : 0x18;
    return insn(
      0xc0 | size | 0x03,
      mem.reg,
      register(ops[1]!, line),
      mem.off,
      base | (m[1] ? 1 : 0),
    );
  }
  m = /^([a-z]+?)(32|64)?$/.exec(name);
  if (m && ALU_CODES[m[1]!] !== undefined) {
    const cls = m[2] === '32' ? 0x04 : 0x07;
    const code = ALU_CODES[m[1]!]!;
    const signed = m[1] === 'sdiv' || m[1] === 'smod' ? 1 : 0;
    if (m[1] === 'neg') {
      expect(l, 1);
      return insn(cls | code, register(ops[0]!, line));
    }
    expect(l, 2);
    const dst = register(ops[0]!, line);
    if (isRegister(ops[1]!)) return insn(cls | code | 0x08, dst, register(ops[1]!, line), signed);
    return insn(cls | code, dst, 0, signed, imm32(ops[1]!, line));
  }
  fail('UNKNOWN_MNEMONIC', `unknown instruction \`${l.mnemonic.text}\``, line, l.mnemonic.column);
}
