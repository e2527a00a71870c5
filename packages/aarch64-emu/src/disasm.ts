// SPDX-License-Identifier: MIT
// A64 disassembler printing GNU objdump (binutils 2.40) syntax for the integer subset the
// executor implements, with the preferred aliases objdump chooses (mov, cmp, lsl, ubfx, cset,
// ...). Branch targets print as a bare hex address (objdump then appends `<symbol>`, which
// needs a symbol table and is not produced here), and objdump's `// #decimal` comments are
// not produced.

import { disassembleLse } from './lse.js';
import { bits, decodeBitMasks, signExtend } from './decode.js';
import { sysRegName } from './sysregs.js';

const COND = [
  'eq',
  'ne',
  'cs',
  'cc',
  'mi',
  'pl',
  'vs',
  'vc',
  'hi',
  'ls',
  'ge',
  'lt',
  'gt',
  'le',
  'al',
  'nv',
];
const SHIFT = ['lsl', 'lsr', 'asr', 'ror'];
const EXTEND = ['uxtb', 'uxth', 'uxtw', 'uxtx', 'sxtb', 'sxth', 'sxtw', 'sxtx'];

const hex = (v: bigint | number): string => '0x' + v.toString(16);
const imm = (v: bigint | number): string => '#' + hex(v);

/** Register name: `x`/`w` + n; 31 is `sp`/`wsp` when `sp` is true, else `xzr`/`wzr`. */
function reg(n: number, sf: number | boolean, sp = false): string {
  if (n === 31) return sp ? (sf ? 'sp' : 'wsp') : sf ? 'xzr' : 'wzr';
  return (sf ? 'x' : 'w') + n;
}

const addr = (a: bigint): string => BigInt.asUintN(64, a).toString(16);
const UNDEF = (w: number): string =>
  `.inst\t0x${(w >>> 0).toString(16).padStart(8, '0')} ; undefined`;

/**
 * Disassembles one instruction word in GNU objdump syntax.
 * @param word - the 32-bit instruction word.
 * @param address - its address (for PC-relative operands).
 * @returns `mnemonic\toperands` (or `.inst\t0x… ; undefined` for words the subset lacks).
 * @example
 * ```ts
 * disassemble(0xd2824680, 0x400000n); // 'mov\tx0, #0x1234'
 * ```
 */
export function disassemble(word: number, address = 0n): string {
  const w = word >>> 0;
  if (w === 0) return 'udf\t#0';
  const op0 = bits(w, 28, 25);
  let s: string | undefined;
  if ((op0 & 0b1110) === 0b1000) s = dpImm(w, address);
  else if ((op0 & 0b1110) === 0b1010) s = branchSys(w, address);
  else if ((op0 & 0b0101) === 0b0100) s = loadStore(w, address);
  else if ((op0 & 0b0111) === 0b0101) s = dpReg(w);
  return s ?? UNDEF(w);
}

function moveWidePreferred(sf: number, n: number, imms: number, immr: number): boolean {
  const width = sf ? 64 : 32;
  if (sf && n !== 1) return false;
  if (!sf && (n !== 0 || (imms & 0x20) !== 0)) return false;
  if (imms < 16) return ((-immr % 16) + 16) % 16 <= 15 - imms;
  if (imms >= width - 15) return immr % 16 <= imms - (width - 15);
  return false;
}

function dpImm(w: number, address: bigint): string | undefined {
  const sf = w >>> 31;
  const rd = bits(w, 4, 0),
    rn = bits(w, 9, 5);
  switch (bits(w, 25, 23)) {
    case 0:
    case 1: {
      const immv = signExtend(bits(w, 23, 5), 19) * 4 + bits(w, 30, 29);
      if (sf) return `adrp\t${reg(rd, 1)}, ${addr((address & ~0xfffn) + (BigInt(immv) << 12n))}`;
      return `adr\t${reg(rd, 1)}, ${addr(address + BigInt(immv))}`;
    }
    case 2: {
      const isSub = (w >>> 30) & 1,
        isS = (w >>> 29) & 1,
        sh = (w >>> 22) & 1,
        imm12 = bits(w, 21, 10);
      const ops = `${imm(imm12)}${sh ? ', lsl #12' : ''}`;
      if (!isSub && !isS && sh === 0 && imm12 === 0 && (rd === 31 || rn === 31))
        return `mov\t${reg(rd, sf, true)}, ${reg(rn, sf, true)}`;
      if (isS && rd === 31) return `${isSub ? 'cmp' : 'cmn'}\t${reg(rn, sf, true)}, ${ops}`;
      return `${isSub ? 'sub' : 'add'}${isS ? 's' : ''}\t${reg(rd, sf, !isS)}, ${reg(rn, sf, true)}, ${ops}`;
    }
    case 4: {
      const n = (w >>> 22) & 1,
        immr = bits(w, 21, 16),
        imms = bits(w, 15, 10);
      if (!sf && n) return undefined;
      const m = decodeBitMasks(n, imms, immr, true, sf ? 64 : 32);
      if (!m) return undefined;
      const opc = bits(w, 30, 29);
      const v = imm(m.wmask);
      if (opc === 1 && rn === 31 && !moveWidePreferred(sf, n, imms, immr))
        return `mov\t${reg(rd, sf, true)}, ${v}`;
      if (opc === 3 && rd === 31) return `tst\t${reg(rn, sf)}, ${v}`;
      return `${['and', 'orr', 'eor', 'ands'][opc]}\t${reg(rd, sf, opc !== 3)}, ${reg(rn, sf)}, ${v}`;
    }
    case 5: {
      const opc = bits(w, 30, 29),
        hw = bits(w, 22, 21),
        imm16 = bits(w, 20, 5);
      if (opc === 1 || (!sf && hw >= 2)) return undefined;
      if (opc === 3) return `movk\t${reg(rd, sf)}, ${imm(imm16)}${hw ? `, lsl #${hw * 16}` : ''}`;
      const size = sf ? 64 : 32;
      if (opc === 0) {
        if (!(imm16 === 0 && hw !== 0) && (sf || imm16 !== 0xffff)) {
          const v = BigInt.asUintN(size, ~(BigInt(imm16) << BigInt(hw * 16)));
          return `mov\t${reg(rd, sf)}, ${imm(v)}`;
        }
        return `movn\t${reg(rd, sf)}, ${imm(imm16)}${hw ? `, lsl #${hw * 16}` : ''}`;
      }
      if (!(imm16 === 0 && hw !== 0))
        return `mov\t${reg(rd, sf)}, ${imm(BigInt(imm16) << BigInt(hw * 16))}`;
      return `movz\t${reg(rd, sf)}, ${imm(imm16)}, lsl #${hw * 16}`;
    }
    case 6: {
      const opc = bits(w, 30, 29),
        n = (w >>> 22) & 1,
        immr = bits(w, 21, 16),
        imms = bits(w, 15, 10);
      if (opc === 3 || n !== sf || (!sf && (immr >= 32 || imms >= 32))) return undefined;
      const size = sf ? 64 : 32,
        top = size - 1;
      const d = reg(rd, sf),
        src = reg(rn, sf);
      if (opc === 0) {
        // SBFM
        if (imms === top) return `asr\t${d}, ${src}, #${immr}`;
        if (immr === 0 && imms === 7) return `sxtb\t${d}, ${reg(rn, 0)}`;
        if (immr === 0 && imms === 15) return `sxth\t${d}, ${reg(rn, 0)}`;
        if (immr === 0 && imms === 31 && sf) return `sxtw\t${d}, ${reg(rn, 0)}`;
        if (imms < immr) return `sbfiz\t${d}, ${src}, #${size - immr}, #${imms + 1}`;
        return `sbfx\t${d}, ${src}, #${immr}, #${imms - immr + 1}`;
      }
      if (opc === 1) {
        // BFM
        if (imms < immr) {
          if (rn === 31) return `bfc\t${d}, #${size - immr}, #${imms + 1}`;
          return `bfi\t${d}, ${src}, #${size - immr}, #${imms + 1}`;
        }
        return `bfxil\t${d}, ${src}, #${immr}, #${imms - immr + 1}`;
      }
      if (imms === top) return `lsr\t${d}, ${src}, #${immr}`;
      if (imms + 1 === immr) return `lsl\t${d}, ${src}, #${top - imms}`;
      if (!sf && immr === 0 && imms === 7) return `uxtb\t${d}, ${reg(rn, 0)}`;
      if (!sf && immr === 0 && imms === 15) return `uxth\t${d}, ${reg(rn, 0)}`;
      if (imms < immr) return `ubfiz\t${d}, ${src}, #${size - immr}, #${imms + 1}`;
      return `ubfx\t${d}, ${src}, #${immr}, #${imms - immr + 1}`;
    }
    case 7: {
      const n = (w >>> 22) & 1,
        imms = bits(w, 15, 10),
        rm = bits(w, 20, 16);
      if (bits(w, 30, 29) !== 0 || (w >>> 21) & 1 || n !== sf || (!sf && imms >= 32))
        return undefined;
      if (rn === rm) return `ror\t${reg(rd, sf)}, ${reg(rn, sf)}, #${imms}`;
      return `extr\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}, #${imms}`;
    }
    default:
      return undefined;
  }
}

function dpReg(w: number): string | undefined {
  const sf = w >>> 31;
  const rd = bits(w, 4, 0),
    rn = bits(w, 9, 5),
    rm = bits(w, 20, 16);
  const op1 = (w >>> 28) & 1,
    op2 = bits(w, 24, 21);
  if (!op1) {
    if ((op2 & 8) === 0) {
      const imm6 = bits(w, 15, 10);
      if (!sf && imm6 >= 32) return undefined;
      const opc = bits(w, 30, 29),
        nb = (w >>> 21) & 1,
        type = bits(w, 23, 22);
      const sh = imm6 || type ? `, ${SHIFT[type]} #${imm6}` : '';
      if (opc === 1 && !nb && rn === 31 && imm6 === 0 && type === 0)
        return `mov\t${reg(rd, sf)}, ${reg(rm, sf)}`;
      if (opc === 1 && nb && rn === 31) return `mvn\t${reg(rd, sf)}, ${reg(rm, sf)}${sh}`;
      if (opc === 3 && !nb && rd === 31) return `tst\t${reg(rn, sf)}, ${reg(rm, sf)}${sh}`;
      const name = [
        ['and', 'bic'],
        ['orr', 'orn'],
        ['eor', 'eon'],
        ['ands', 'bics'],
      ][opc]![nb]!;
      return `${name}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}${sh}`;
    }
    const isSub = (w >>> 30) & 1,
      isS = (w >>> 29) & 1;
    if ((op2 & 1) === 0) {
      const type = bits(w, 23, 22),
        imm6 = bits(w, 15, 10);
      if (type === 3 || (!sf && imm6 >= 32)) return undefined;
      const sh = imm6 || type ? `, ${SHIFT[type]} #${imm6}` : '';
      if (isS && rd === 31) return `${isSub ? 'cmp' : 'cmn'}\t${reg(rn, sf)}, ${reg(rm, sf)}${sh}`;
      if (isSub && rn === 31) return `neg${isS ? 's' : ''}\t${reg(rd, sf)}, ${reg(rm, sf)}${sh}`;
      return `${isSub ? 'sub' : 'add'}${isS ? 's' : ''}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}${sh}`;
    }
    const opt = bits(w, 23, 22),
      imm3 = bits(w, 12, 10),
      option = bits(w, 15, 13);
    if (opt !== 0 || imm3 > 4) return undefined;
    const useLsl = ((rd === 31 && !isS) || rn === 31) && option === (sf ? 3 : 2);
    const ext = useLsl
      ? imm3
        ? `, lsl #${imm3}`
        : ''
      : `, ${EXTEND[option]}${imm3 ? ` #${imm3}` : ''}`;
    const mreg = reg(rm, sf && (option & 3) === 3);
    if (isS && rd === 31) return `${isSub ? 'cmp' : 'cmn'}\t${reg(rn, sf, true)}, ${mreg}${ext}`;
    return `${isSub ? 'sub' : 'add'}${isS ? 's' : ''}\t${reg(rd, sf, !isS)}, ${reg(rn, sf, true)}, ${mreg}${ext}`;
  }
  if (op2 === 0) {
    if (bits(w, 15, 10) !== 0) return undefined;
    const isSub = (w >>> 30) & 1,
      isS = (w >>> 29) & 1;
    if (isSub && rn === 31) return `ngc${isS ? 's' : ''}\t${reg(rd, sf)}, ${reg(rm, sf)}`;
    return `${isSub ? 'sbc' : 'adc'}${isS ? 's' : ''}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}`;
  }
  if (op2 === 2) {
    if (!((w >>> 29) & 1) || (w >>> 10) & 1 || (w >>> 4) & 1) return undefined;
    const name = (w >>> 30) & 1 ? 'ccmp' : 'ccmn';
    const second = (w >>> 11) & 1 ? imm(rm) : reg(rm, sf);
    return `${name}\t${reg(rn, sf)}, ${second}, ${imm(w & 15)}, ${COND[bits(w, 15, 12)]}`;
  }
  if (op2 === 4) {
    if ((w >>> 29) & 1) return undefined;
    const o2 = bits(w, 11, 10),
      inv = (w >>> 30) & 1,
      cond = bits(w, 15, 12);
    if (o2 > 1) return undefined;
    const kind = inv * 2 + o2; // 0 csel 1 csinc 2 csinv 3 csneg
    const ic = COND[cond ^ 1];
    if (kind === 1 && rm === 31 && rn === 31 && cond < 14) return `cset\t${reg(rd, sf)}, ${ic}`;
    if (kind === 2 && rm === 31 && rn === 31 && cond < 14) return `csetm\t${reg(rd, sf)}, ${ic}`;
    if (kind !== 0 && rm === rn && rn !== 31 && cond < 14)
      return `${['', 'cinc', 'cinv', 'cneg'][kind]}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${ic}`;
    return `${['csel', 'csinc', 'csinv', 'csneg'][kind]}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}, ${COND[cond]}`;
  }
  if (op2 === 6) {
    if ((w >>> 29) & 1) return undefined;
    const opcode = bits(w, 15, 10);
    if ((w >>> 30) & 1) {
      if (rm !== 0) return undefined;
      const names: Record<number, string> = {
        0: 'rbit',
        1: 'rev16',
        2: sf ? 'rev32' : 'rev',
        4: 'clz',
        5: 'cls',
      };
      if (sf) names[3] = 'rev';
      const name = names[opcode];
      return name ? `${name}\t${reg(rd, sf)}, ${reg(rn, sf)}` : undefined;
    }
    if (opcode >= 16 && opcode <= 23) {
      // CRC32
      const sz = opcode & 3;
      if ((sz === 3) !== (sf === 1)) return undefined;
      return `crc32${opcode & 4 ? 'c' : ''}${'bhwx'[sz]}\t${reg(rd, 0)}, ${reg(rn, 0)}, ${reg(rm, sz === 3 ? 1 : 0)}`;
    }
    const names: Record<number, string> = {
      2: 'udiv',
      3: 'sdiv',
      8: 'lsl',
      9: 'lsr',
      10: 'asr',
      11: 'ror',
    };
    const name = names[opcode];
    return name ? `${name}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}` : undefined;
  }
  if (op2 & 8) {
    if (bits(w, 30, 29) !== 0) return undefined;
    const op31 = bits(w, 23, 21),
      o0 = (w >>> 15) & 1,
      ra = bits(w, 14, 10);
    if (op31 === 0) {
      if (ra === 31)
        return `${o0 ? 'mneg' : 'mul'}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}`;
      return `${o0 ? 'msub' : 'madd'}\t${reg(rd, sf)}, ${reg(rn, sf)}, ${reg(rm, sf)}, ${reg(ra, sf)}`;
    }
    if (!sf) return undefined;
    if (op31 === 1 || op31 === 5) {
      const u = op31 === 5 ? 'u' : 's';
      if (ra === 31)
        return `${u}${o0 ? 'mnegl' : 'mull'}\tx${rd === 31 ? 'zr' : rd}, ${reg(rn, 0)}, ${reg(rm, 0)}`.replace(
          'xxzr',
          'xzr',
        );
      return `${u}${o0 ? 'msubl' : 'maddl'}\t${reg(rd, 1)}, ${reg(rn, 0)}, ${reg(rm, 0)}, ${reg(ra, 1)}`;
    }
    if ((op31 === 2 || op31 === 6) && !o0)
      return `${op31 === 2 ? 's' : 'u'}mulh\t${reg(rd, 1)}, ${reg(rn, 1)}, ${reg(rm, 1)}`;
    return undefined;
  }
  return undefined;
}

const HINTS: Record<number, string> = {
  0: 'nop',
  1: 'yield',
  2: 'wfe',
  3: 'wfi',
  4: 'sev',
  5: 'sevl',
};
const BARRIER_OPT = [
  '#0x0',
  'oshld',
  'oshst',
  'osh',
  '#0x4',
  'nshld',
  'nshst',
  'nsh',
  '#0x8',
  'ishld',
  'ishst',
  'ish',
  '#0xc',
  'ld',
  'st',
  'sy',
];
const SYS_OPS: Record<string, string> = {
  '3,7,4,1': 'dc\tzva',
  '3,7,11,1': 'dc\tcvau',
  '3,7,10,1': 'dc\tcvac',
  '3,7,14,1': 'dc\tcivac',
  '0,7,6,1': 'dc\tivac',
  '0,7,5,0': 'ic\tiallu',
  '0,7,1,0': 'ic\tialluis',
  '3,7,5,1': 'ic\tivau',
  '0,8,7,0': 'tlbi\tvmalle1',
  '0,8,3,0': 'tlbi\tvmalle1is',
  '4,8,7,4': 'tlbi\tvmalls12e1',
  '4,8,3,4': 'tlbi\tvmalls12e1is',
  '4,8,7,0': 'tlbi\talle2',
  '4,8,3,0': 'tlbi\talle2is',
  '0,8,7,1': 'tlbi\tvae1',
  '0,8,7,3': 'tlbi\tvaae1',
  '4,8,4,1': 'tlbi\tipas2e1',
  '0,7,8,0': 'at\ts1e1r',
  '0,7,8,1': 'at\ts1e1w',
  '0,7,8,2': 'at\ts1e0r',
  '0,7,8,3': 'at\ts1e0w',
  '4,7,8,0': 'at\ts1e2r',
};

function branchSys(w: number, address: bigint): string | undefined {
  const top = bits(w, 31, 29);
  if ((top & 3) === 0)
    return `${top ? 'bl' : 'b'}\t${addr(address + BigInt(signExtend(bits(w, 25, 0), 26) * 4))}`;
  if (top === 2) {
    if ((w >>> 25) & 1 || (w >>> 24) & 1 || (w >>> 4) & 1) return undefined;
    return `b.${COND[w & 15]}\t${addr(address + BigInt(signExtend(bits(w, 23, 5), 19) * 4))}`;
  }
  if ((top & 3) === 1) {
    const rt = bits(w, 4, 0);
    if ((w >>> 25) & 1) {
      const bit = ((w >>> 31) << 5) | bits(w, 23, 19);
      return `${(w >>> 24) & 1 ? 'tbnz' : 'tbz'}\t${reg(rt, bit >= 32)}, #${bit}, ${addr(address + BigInt(signExtend(bits(w, 18, 5), 14) * 4))}`;
    }
    return `${(w >>> 24) & 1 ? 'cbnz' : 'cbz'}\t${reg(rt, w >>> 31)}, ${addr(address + BigInt(signExtend(bits(w, 23, 5), 19) * 4))}`;
  }
  if (top !== 6) return undefined;
  if ((w >>> 25) & 1) {
    const opc = bits(w, 24, 21),
      rn = bits(w, 9, 5);
    if (bits(w, 20, 16) !== 31 || bits(w, 15, 10) !== 0 || (w & 31) !== 0) return undefined;
    if (opc === 0) return `br\t${reg(rn, 1)}`;
    if (opc === 1) return `blr\t${reg(rn, 1)}`;
    if (opc === 2) return rn === 30 ? 'ret' : `ret\t${reg(rn, 1)}`;
    if (opc === 4 && rn === 31) return 'eret';
    return undefined;
  }
  if (((w >>> 24) & 1) === 0) {
    const opc = bits(w, 23, 21),
      ll = w & 3,
      immv = bits(w, 20, 5);
    if (bits(w, 4, 2) !== 0) return undefined;
    if (opc === 0 && ll) return `${['', 'svc', 'hvc', 'smc'][ll]}\t${imm(immv)}`;
    if (opc === 1 && ll === 0) return `brk\t${imm(immv)}`;
    if (opc === 2 && ll === 0) return `hlt\t${imm(immv)}`;
    return undefined;
  }
  if (bits(w, 24, 22) !== 0b100) return undefined;
  const l = (w >>> 21) & 1,
    sop0 = bits(w, 20, 19),
    op1 = bits(w, 18, 16),
    crn = bits(w, 15, 12);
  const crm = bits(w, 11, 8),
    op2 = bits(w, 7, 5),
    rt = bits(w, 4, 0);
  if (sop0 === 0) {
    if (l) return undefined;
    if (crn === 2 && op1 === 3 && rt === 31) {
      const h = (crm << 3) | op2;
      return HINTS[h] ?? `hint\t${imm(h)}`;
    }
    if (crn === 3 && op1 === 3 && rt === 31) {
      if (op2 === 2) return crm === 15 ? 'clrex' : `clrex\t${imm(crm)}`;
      if (op2 === 4) return `dsb\t${BARRIER_OPT[crm]}`;
      if (op2 === 5) return `dmb\t${BARRIER_OPT[crm]}`;
      if (op2 === 6) return crm === 15 ? 'isb' : `isb\t${imm(crm)}`;
      return undefined;
    }
    if (crn === 4 && rt === 31) {
      const f = (op1 << 3) | op2;
      const name = f === 5 ? 'spsel' : f === 30 ? 'daifset' : f === 31 ? 'daifclr' : undefined;
      return name ? `msr\t${name}, ${imm(crm)}` : undefined;
    }
    return undefined;
  }
  if (sop0 === 1) {
    if (l) return undefined;
    const name = SYS_OPS[`${op1},${crn},${crm},${op2}`];
    if (name)
      return name.startsWith('ic\tiallu') ||
        name.startsWith('tlbi\tvmalle1') ||
        name.startsWith('tlbi\tvmalls12e1') ||
        name.startsWith('tlbi\talle2')
        ? name
        : `${name}, ${reg(rt, 1)}`;
    return `sys\t#${op1}, C${crn}, C${crm}, #${op2}${rt === 31 ? '' : `, ${reg(rt, 1)}`}`;
  }
  const name = sysRegName(bits(w, 20, 5));
  return l ? `mrs\t${reg(rt, 1)}, ${name}` : `msr\t${name}, ${reg(rt, 1)}`;
}

function mem(rn: number, off: number): string {
  return off ? `[${reg(rn, 1, true)}, #${off}]` : `[${reg(rn, 1, true)}]`;
}

function loadStore(w: number, address: bigint): string | undefined {
  if ((w >>> 26) & 1) return undefined;
  const lse = disassembleLse(w); // FEAT_LSE atomics (lse.ts)
  if (lse !== undefined) return lse;
  const rt = bits(w, 4, 0),
    rn = bits(w, 9, 5);
  const b2927 = bits(w, 29, 27);
  if (b2927 === 1 && bits(w, 25, 24) === 0) {
    const size = bits(w, 31, 30),
      o2 = (w >>> 23) & 1,
      l = (w >>> 22) & 1,
      o1 = (w >>> 21) & 1,
      o0 = (w >>> 15) & 1;
    const rs = bits(w, 20, 16),
      rt2 = bits(w, 14, 10);
    if (bits(w, 29, 24) !== 0b001000 || (o2 && o1)) return undefined;
    const suf = size === 0 ? 'b' : size === 1 ? 'h' : '';
    const treg = reg(rt, size === 3);
    const base = `[${reg(rn, 1, true)}]`;
    if (o2) {
      if (rs !== 31 || rt2 !== 31) return undefined;
      const name = l ? (o0 ? 'ldar' : 'ldlar') : o0 ? 'stlr' : 'stllr';
      return `${name}${suf}\t${treg}, ${base}`;
    }
    if (o1) {
      if (size < 2) return undefined;
      const t2 = reg(rt2, size === 3);
      if (l) return `${o0 ? 'ldaxp' : 'ldxp'}\t${treg}, ${t2}, ${base}`;
      return `${o0 ? 'stlxp' : 'stxp'}\t${reg(rs, 0)}, ${treg}, ${t2}, ${base}`;
    }
    if (rt2 !== 31) return undefined;
    if (l) return rs === 31 ? `${o0 ? 'ldaxr' : 'ldxr'}${suf}\t${treg}, ${base}` : undefined;
    return `${o0 ? 'stlxr' : 'stxr'}${suf}\t${reg(rs, 0)}, ${treg}, ${base}`;
  }
  if (b2927 === 3 && bits(w, 25, 24) === 0) {
    const opc = bits(w, 31, 30);
    const target = addr(address + BigInt(signExtend(bits(w, 23, 5), 19) * 4));
    if (opc === 3) return `prfm\t${prfop(rt)}, ${target}`;
    return `${opc === 2 ? 'ldrsw' : 'ldr'}\t${reg(rt, opc !== 0)}, ${target}`;
  }
  if (b2927 === 5) {
    const opc = bits(w, 31, 30),
      l = (w >>> 22) & 1,
      mode = bits(w, 25, 23),
      rt2 = bits(w, 14, 10);
    if (opc === 3 || (opc === 1 && (!l || mode === 0))) return undefined;
    const x = opc !== 0;
    if (l && (rt === rt2 || (mode & 1 && rn !== 31 && (rn === rt || rn === rt2)))) return undefined; // unpredictable
    const off = signExtend(bits(w, 21, 15), 7) << (opc === 2 ? 3 : 2);
    const name = mode === 0 ? (l ? 'ldnp' : 'stnp') : opc === 1 ? 'ldpsw' : l ? 'ldp' : 'stp';
    const regs = `${reg(rt, x)}, ${reg(rt2, x)}`;
    const b = reg(rn, 1, true);
    if (mode === 1) return `${name}\t${regs}, [${b}], #${off}`;
    if (mode === 3) return `${name}\t${regs}, [${b}, #${off}]!`;
    return `${name}\t${regs}, ${mem(rn, off)}`;
  }
  if (b2927 !== 7) return undefined;
  const size = bits(w, 31, 30),
    opc = bits(w, 23, 22);
  if (size === 3 && opc === 3) return undefined;
  if (size === 2 && opc === 3) return undefined;
  const isPrfm = size === 3 && opc === 2;
  const suffix = size === 0 ? 'b' : size === 1 ? 'h' : '';
  let name: string, x: boolean;
  if (opc === 0) {
    name = 'str' + suffix;
    x = size === 3;
  } else if (opc === 1) {
    name = 'ldr' + suffix;
    x = size === 3;
  } else if (size === 2) {
    name = 'ldrsw';
    x = true;
  } else {
    name = 'ldrs' + suffix;
    x = opc === 2;
  }
  const t = isPrfm ? prfop(rt) : reg(rt, x);
  if (isPrfm) name = 'prfm';
  const b = reg(rn, 1, true);
  if ((w >>> 24) & 1) return `${name}\t${t}, ${mem(rn, bits(w, 21, 10) << size)}`;
  const kind = bits(w, 11, 10);
  if ((w >>> 21) & 1) {
    if (kind !== 2) return undefined;
    const option = bits(w, 15, 13),
      s = (w >>> 12) & 1,
      rm = bits(w, 20, 16);
    if ((option & 2) === 0) return undefined;
    const mreg = reg(rm, option & 1);
    let ext = '';
    if (option === 3) ext = s ? `, lsl #${size}` : '';
    else ext = `, ${EXTEND[option]}${s ? ` #${size}` : ''}`;
    return `${name}\t${t}, [${b}, ${mreg}${ext}]`;
  }
  const off = signExtend(bits(w, 20, 12), 9);
  if (kind === 0) {
    const uname = isPrfm ? 'prfum' : name.replace(/^(ld|st)r/, '$1ur');
    return `${uname}\t${t}, ${mem(rn, off)}`;
  }
  if (isPrfm) return undefined;
  if (kind === 2) return `${name.replace(/^(ld|st)r/, '$1tr')}\t${t}, ${mem(rn, off)}`;
  if (kind === 1) return `${name}\t${t}, [${b}], #${off}`;
  return `${name}\t${t}, [${b}, #${off}]!`;
}

function prfop(rt: number): string {
  const type = ['pld', 'pli', 'pst'][rt >> 3];
  if (!type || (rt & 6) === 6) return '#0x' + rt.toString(16).padStart(2, '0');
  return `${type}l${((rt >> 1) & 3) + 1}${rt & 1 ? 'strm' : 'keep'}`;
}
