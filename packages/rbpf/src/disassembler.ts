// SPDX-License-Identifier: MIT
// Disassembler: the assembler's syntax (re-assembles to the same bytes) or llvm-objdump's.

import type { Insn } from './program.js';
import { Program } from './program.js';

/** Output syntax of {@link disassemble}. */
export type DisasmStyle = 'asm' | 'llvm';

/** Options of {@link disassemble}. */
export interface DisasmOptions {
  /** `asm` (default): the assembler's syntax; `llvm`: `llvm-objdump -d` (LLVM 14) syntax. */
  style?: DisasmStyle;
  /** Helper names by id, printed as comments in the `asm` style. */
  helperNames?: ReadonlyMap<number, string>;
}

/* prettier-ignore */
const ALU_NAMES = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'xor', 'mov', 'arsh', 'end'];
/* prettier-ignore */
const ALU_LLVM = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>='];
/* prettier-ignore */
const JMP_NAMES: Record<number, string> = {
  0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset', 0x50: 'jne', 0x60: 'jsgt', 0x70: 'jsge',
  0xa0: 'jlt', 0xb0: 'jle', 0xc0: 'jslt', 0xd0: 'jsle',
};
/* prettier-ignore */
const JMP_LLVM: Record<number, string> = {
  0x10: '==', 0x20: '>', 0x30: '>=', 0x40: '&', 0x50: '!=', 0x60: 's>', 0x70: 's>=',
  0xa0: '<', 0xb0: '<=', 0xc0: 's<', 0xd0: 's<=',
};
const SIZE_SUFFIX: Record<number, string> = { 0x00: 'w', 0x08: 'h', 0x10: 'b', 0x18: 'dw' };
const SIZE_BITS: Record<number, number> = { 0x00: 32, 0x08: 16, 0x10: 8, 0x18: 64 };
const ATOMIC_NAMES: Record<number, string> = {
  0x00: 'add',
  0x40: 'or',
  0x50: 'and',
  0xa0: 'xor',
  0xe0: 'xchg',
  0xf0: 'cmpxchg',
};
const ATOMIC_LLVM: Record<number, string> = { 0x00: '+=', 0x40: '|=', 0x50: '&=', 0xa0: '^=' };

const signed = (n: number): string => (n < 0 ? `-${-n}` : `+${n}`);
const mem = (reg: number, off: number): string =>
  `[%r${reg}${off === 0 ? '' : off < 0 ? `-${-off}` : `+${off}`}]`;
const memLlvm = (reg: number, off: number): string =>
  `r${reg} ${off < 0 ? '-' : '+'} ${Math.abs(off)}`;

function lddwValue(i: Insn): bigint {
  return (BigInt(i.imm2 >>> 0) << 32n) | BigInt(i.imm >>> 0);
}

/**
 * One instruction as text.
 * @param i - the instruction (`lddw` with `imm2`).
 * @param options - style and helper names.
 * @returns the text, without address or bytes.
 */
export function formatInsn(i: Insn, options: DisasmOptions = {}): string {
  return options.style === 'llvm' ? formatLlvm(i) : formatAsm(i, options.helperNames);
}

function formatAsm(i: Insn, helperNames: ReadonlyMap<number, string> | undefined): string {
  const op = i.opcode;
  const cls = op & 7;
  const code = op & 0xf0;
  const x = (op & 0x08) !== 0;
  switch (cls) {
    case 4:
    case 7: {
      const sfx = cls === 4 ? '32' : '';
      if (code === 0xd0) {
        if (op === 0xd7) return `bswap${i.imm} %r${i.dst}`;
        return `${x ? 'be' : 'le'}${i.imm} %r${i.dst}`;
      }
      if (code === 0x80) return `neg${sfx} %r${i.dst}`;
      if (code === 0xb0 && x && i.off !== 0)
        return `movsx${i.off}${cls === 4 ? '32' : '64'} %r${i.dst}, %r${i.src}`;
      let name = ALU_NAMES[code >> 4]!;
      if ((code === 0x30 || code === 0x90) && i.off === 1) name = `s${name}`;
      return `${name}${sfx} %r${i.dst}, ${x ? `%r${i.src}` : i.imm}`;
    }
    case 5:
    case 6: {
      if (op === 0x05) return `ja ${signed(i.off)}`;
      if (op === 0x06) return `ja32 ${signed(i.imm)}`;
      if (op === 0x85) {
        if (i.src === 1) return `call local ${signed(i.imm)}`;
        const n = helperNames?.get(i.imm);
        return n ? `call ${i.imm} # ${n}` : `call ${i.imm}`;
      }
      if (op === 0x8d) return `call %r${i.dst}`;
      if (op === 0x95) return 'exit';
      const name = (JMP_NAMES[code] ?? `j?${code.toString(16)}`) + (cls === 6 ? '32' : '');
      return `${name} %r${i.dst}, ${x ? `%r${i.src}` : i.imm}, ${signed(i.off)}`;
    }
    case 0: {
      if (op === 0x18) {
        if (i.src === 1) return `lddw %r${i.dst}, map[${i.imm}]`;
        if (i.src === 2) return `lddw %r${i.dst}, map_value[${i.imm}]+${i.imm2 >>> 0}`;
        if (i.src === 4) return `lddw %r${i.dst}, func[${signed(i.imm)}]`;
        return `lddw %r${i.dst}, 0x${lddwValue(i).toString(16)}`;
      }
      return `.insn 0x${op.toString(16)}`;
    }
    case 1: {
      const sx = (op & 0xe0) === 0x80 ? 's' : '';
      return `ldx${sx}${SIZE_SUFFIX[op & 0x18]} %r${i.dst}, ${mem(i.src, i.off)}`;
    }
    case 2:
      return `st${SIZE_SUFFIX[op & 0x18]} ${mem(i.dst, i.off)}, ${i.imm}`;
    default: {
      if ((op & 0xe0) === 0xc0) {
        const sfx = (op & 0x18) === 0x18 ? '' : '32';
        const base = i.imm & 0xf0;
        const fetch = (i.imm & 1) !== 0 && base !== 0xe0 && base !== 0xf0 ? 'fetch ' : '';
        return `lock ${fetch}${ATOMIC_NAMES[base] ?? '?'}${sfx} ${mem(i.dst, i.off)}, %r${i.src}`;
      }
      return `stx${SIZE_SUFFIX[op & 0x18]} ${mem(i.dst, i.off)}, %r${i.src}`;
    }
  }
}

function formatLlvm(i: Insn): string {
  const op = i.opcode;
  const cls = op & 7;
  const code = op & 0xf0;
  const x = (op & 0x08) !== 0;
  const r = cls === 4 || cls === 6 ? 'w' : 'r';
  switch (cls) {
    case 4:
    case 7: {
      const d = `${r}${i.dst}`;
      if (code === 0xd0) {
        // LLVM prints byte swaps on the 64-bit register name in both classes.
        const r64 = `r${i.dst}`;
        if (op === 0xd7) return `${r64} = bswap${i.imm} ${r64}`;
        return `${r64} = ${x ? 'be' : 'le'}${i.imm} ${r64}`;
      }
      if (code === 0x80) return `${d} = -${d}`;
      const s = x ? `${r}${i.src}` : String(i.imm);
      if (code === 0xb0 && x && i.off !== 0) return `${d} = (s${i.off})${r}${i.src}`;
      let opText = ALU_LLVM[code >> 4]!;
      if ((code === 0x30 || code === 0x90) && i.off === 1) opText = `s${opText}`;
      return `${d} ${opText} ${s}`;
    }
    case 5:
    case 6: {
      if (op === 0x05) return `goto ${signed(i.off)}`;
      if (op === 0x06) return `gotol ${signed(i.imm)}`;
      if (op === 0x85) return `call ${i.imm}`;
      if (op === 0x8d) return `callx r${i.dst}`;
      if (op === 0x95) return 'exit';
      const s = x ? `${r}${i.src}` : String(i.imm);
      return `if ${r}${i.dst} ${JMP_LLVM[code] ?? '?'} ${s} goto ${signed(i.off)}`;
    }
    case 0:
      if (op === 0x18) return `r${i.dst} = ${BigInt.asIntN(64, lddwValue(i)).toString()} ll`;
      return `.insn 0x${op.toString(16)}`;
    case 1: {
      const sx = (op & 0xe0) === 0x80 ? 's' : 'u';
      return `r${i.dst} = *(${sx}${SIZE_BITS[op & 0x18]} *)(${memLlvm(i.src, i.off)})`;
    }
    case 2:
      return `*(u${SIZE_BITS[op & 0x18]} *)(${memLlvm(i.dst, i.off)}) = ${i.imm}`;
    default: {
      const bits = SIZE_BITS[op & 0x18]!;
      if ((op & 0xe0) === 0xc0) {
        const w = bits === 64 ? 'r' : 'w';
        const base = i.imm & 0xf0;
        if (base === 0xe0)
          return `${w}${i.src} = xchg${bits === 64 ? '' : '32'}_${bits}(${memLlvm(i.dst, i.off)}, ${w}${i.src})`;
        if (base === 0xf0)
          return `${w}0 = cmpxchg${bits === 64 ? '' : '32'}_${bits}(${memLlvm(i.dst, i.off)}, ${w}0, ${w}${i.src})`;
        if (i.imm & 1)
          return `${w}${i.src} = atomic_fetch_${ATOMIC_NAMES[base]}((u${bits} *)(${memLlvm(i.dst, i.off)}), ${w}${i.src})`;
        return `lock *(u${bits} *)(${memLlvm(i.dst, i.off)}) ${ATOMIC_LLVM[base]} ${w}${i.src}`;
      }
      return `*(u${bits} *)(${memLlvm(i.dst, i.off)}) = r${i.src}`;
    }
  }
}

/**
 * Disassembles a program, one line per instruction (`lddw` once).
 * @param program - a decoded program or bytecode (bytecode is validated first).
 * @param options - style and helper names.
 * @returns the lines.
 * @throws {ProgramError} when bytecode is given and invalid.
 * @example
 * ```ts
 * disassemble(assemble('mov %r0, 1\nexit')); // ['mov %r0, 1', 'exit']
 * ```
 */
export function disassemble(program: Program | Uint8Array, options: DisasmOptions = {}): string[] {
  const p = program instanceof Program ? program : Program.fromBytes(program);
  return p.insns().map((i) => formatInsn(i, options));
}
