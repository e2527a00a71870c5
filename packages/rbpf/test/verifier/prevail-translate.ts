// Translates PREVAIL's YAML test cases (kernel-log-like assembly and `pre` entry constraints)
// into our verifier's input. Only the formats are carried over; unsupported features make the
// case `skip` with a reason.
import type { Insn } from '../../src/program.js';
import type { VerifyOptions } from '../../src/verifier/index.js';
import * as S from '../../src/verifier/scalar.js';
import type { RegState, State } from '../../src/verifier/state.js';
import { FRAME_BYTES, STACK_MISC } from '../../src/verifier/state.js';

type RawInsn = Omit<Insn, 'pc'>;

/** A translated case, or the reason it cannot be. */
export type Translated =
  | { kind: 'ok'; insns: RawInsn[]; options: VerifyOptions }
  | { kind: 'skip'; reason: string };

class Skip extends Error {}
const skip = (reason: string): never => {
  throw new Skip(reason);
};

const SIZE: Record<string, number> = {
  u8: 0x10,
  u16: 0x08,
  u32: 0x00,
  u64: 0x18,
  s8: 0x10,
  s16: 0x08,
  s32: 0x00,
};
/* prettier-ignore */
const ALU: Record<string, [number, number]> = {
  '+': [0x00, 0], '-': [0x10, 0], '*': [0x20, 0], '/': [0x30, 0], '%': [0x90, 0], '|': [0x40, 0], '&': [0x50, 0],
  '^': [0xa0, 0], '<<': [0x60, 0], '>>': [0x70, 0], 's>>': [0xc0, 0], 's/': [0x30, 1], 's%': [0x90, 1],
};
/* prettier-ignore */
const JMP: Record<string, number> = {
  '==': 0x10, '!=': 0x50, '>': 0x20, '>=': 0x30, '<': 0xa0, '<=': 0xb0, 's>': 0x60, 's>=': 0x70, 's<': 0xc0, 's<=': 0xd0, '&==': 0x40,
};
/* prettier-ignore */
const NEGATED: Record<string, string> = {
  '==': '!=', '!=': '==', '>': '<=', '>=': '<', '<': '>=', '<=': '>', 's>': 's<=', 's>=': 's<', 's<': 's>=', 's<=': 's>',
};
/* prettier-ignore */
const ATOMIC: Record<string, number> = { '+': 0x00, '|': 0x40, '&': 0x50, '^': 0xa0, 'x': 0xe1, 'cx': 0xf1 };

function reg(t: string): { n: number; wide: boolean } {
  const m = /^([rw])(\d+)$/.exec(t);
  if (!m) return skip(`bad register \`${t}\``);
  return { n: Number(m[2]), wide: m[1] === 'r' };
}

function num(t: string): bigint {
  const m = /^(-?(?:0x[0-9a-fA-F]+|\d+))(ll)?$/.exec(t);
  if (!m) return skip(`bad number \`${t}\``);
  return BigInt(m[1]!.startsWith('-') ? -BigInt(m[1]!.slice(1)) : BigInt(m[1]!));
}

function imm32(v: bigint): number {
  if (v < -(1n << 31n) || v > 0xffffffffn) skip(`immediate \`${v}\` does not fit 32 bits`);
  return Number(BigInt.asIntN(32, v));
}

/** Translates one case. */
export function translate(doc: Record<string, unknown>): Translated {
  try {
    return { kind: 'ok', ...translateOrThrow(doc) };
  } catch (e) {
    if (e instanceof Skip) return { kind: 'skip', reason: e.message };
    throw e;
  }
}

function translateOrThrow(doc: Record<string, unknown>): {
  insns: RawInsn[];
  options: VerifyOptions;
} {
  if ('expected-exception' in doc) skip('expects a PREVAIL exception');
  const opts = (doc['options'] as string[] | undefined) ?? [];
  if (opts.includes('big_endian')) skip('big-endian mode');
  const code = doc['code'] as Record<string, string>;
  // flatten blocks, remembering label positions (in instruction entries)
  const lines: Array<{ text: string; label?: string }> = [];
  for (const [label, block] of Object.entries(code)) {
    const texts = String(block)
      .split('\n')
      .map((l) => l.replace(/;.*$/, '').trim())
      .filter((l) => l.length > 0);
    if (texts.length === 0) skip('empty block');
    texts.forEach((t, i) => lines.push(i === 0 ? { text: t, label } : { text: t }));
  }
  const slotOf = new Map<string, number>();
  const slots: number[] = [];
  let slot = 0;
  for (const l of lines) {
    if (l.label !== undefined) slotOf.set(l.label, slot);
    slots.push(slot);
    slot += /^[rw]\d+ = -?(?:0x[0-9a-fA-F]+|\d+)ll$/.test(l.text) || needsLddw(l.text) ? 2 : 1;
  }
  // PREVAIL's snippets may just stop and `assume` cuts paths: both go to a final `r0 = 0; exit`
  slotOf.set('<assume-fail>', slot);
  const insns: RawInsn[] = lines.map((l, i) => parseLine(l.text, slots[i]!, slotOf));
  insns.push(
    { opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 },
    { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0, imm2: 0 },
  );
  return { insns, options: preOptions(doc, opts) };
}

function needsLddw(text: string): boolean {
  const m = /^r\d+ = (-?(?:0x[0-9a-fA-F]+|\d+))$/.exec(text);
  if (!m) return false;
  const v = BigInt(m[1]!);
  return v < -(1n << 31n) || v > (1n << 31n) - 1n;
}

function parseLine(text: string, at: number, labels: Map<string, number>): RawInsn {
  const I = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm2 = 0): RawInsn => ({
    opcode,
    dst,
    src,
    off,
    imm,
    imm2,
  });
  const target = (l: string) => {
    const t = labels.get(l);
    if (t === undefined) return skip(`unknown label ${l}`);
    return t - at - 1;
  };
  let m: RegExpExecArray | null;
  if (text === 'exit') return I(0x95);
  if ((m = /^goto (<\w+>)$/.exec(text))) return I(0x05, 0, 0, target(m[1]!));
  if ((m = /^call (<\w+>)$/.exec(text))) return I(0x85, 0, 1, 0, target(m[1]!));
  if ((m = /^call (\d+)$/.exec(text))) return I(0x85, 0, 0, 0, Number(m[1]));
  if ((m = /^callx ([rw]\d+)$/.exec(text))) return I(0x8d, reg(m[1]!).n);
  if ((m = /^assume (\S+) (\S+) (\S+)$/.exec(text))) {
    const negated = NEGATED[m[2]!];
    if (negated === undefined) return skip(`assume condition \`${m[2]}\``);
    return parseLine(`if ${m[1]} ${negated} ${m[3]} goto <assume-fail>`, at, labels);
  }
  if ((m = /^if (\S+) (\S+) (\S+) goto (<[\w-]+>)$/.exec(text))) {
    const a = reg(m[1]!);
    const code = JMP[m[2]!];
    if (code === undefined) return skip(`jump condition \`${m[2]}\``);
    const cls = a.wide ? 0x05 : 0x06;
    if (/^[rw]\d+$/.test(m[3]!)) return I(cls | code | 0x08, a.n, reg(m[3]!).n, target(m[4]!));
    return I(cls | code, a.n, 0, target(m[4]!), imm32(num(m[3]!)));
  }
  if ((m = /^lock \*\((u\d+) \*\)\((r\d+) ([+-]) (\d+)\) (\S+)= (r\d+)( fetch)?$/.exec(text))) {
    const op = ATOMIC[m[5]!];
    if (op === undefined || (m[1] !== 'u32' && m[1] !== 'u64')) return skip(`atomic \`${text}\``);
    const off = (m[3] === '-' ? -1 : 1) * Number(m[4]);
    return I(0xc3 | SIZE[m[1]!]!, reg(m[2]!).n, reg(m[6]!).n, off, op | (m[7] ? 1 : 0));
  }
  if ((m = /^\*\((u\d+) \*\)\((r\d+) ([+-]) (\d+)\) = (\S+)$/.exec(text))) {
    const off = (m[3] === '-' ? -1 : 1) * Number(m[4]);
    const size = SIZE[m[1]!];
    if (size === undefined) return skip(`store width ${m[1]}`);
    if (/^[rw]\d+$/.test(m[5]!)) return I(0x63 | size, reg(m[2]!).n, reg(m[5]!).n, off);
    return I(0x62 | size, reg(m[2]!).n, 0, off, imm32(num(m[5]!)));
  }
  if ((m = /^([rw]\d+) = \*\(([us]\d+) \*\)\((r\d+) ([+-]) (\d+)\)$/.exec(text))) {
    const off = (m[4] === '-' ? -1 : 1) * Number(m[5]);
    const size = SIZE[m[2]!];
    if (size === undefined) return skip(`load width ${m[2]}`);
    return I((m[2]!.startsWith('s') ? 0x81 : 0x61) | size, reg(m[1]!).n, reg(m[3]!).n, off);
  }
  if ((m = /^([rw]\d+) = (be|le|swap)(16|32|64) ([rw]\d+)$/.exec(text))) {
    const d = reg(m[1]!);
    if (reg(m[4]!).n !== d.n) return skip('byte swap into another register');
    const op = m[2] === 'le' ? 0xd4 : m[2] === 'be' ? 0xdc : 0xd7;
    return I(op, d.n, 0, 0, Number(m[3]));
  }
  if ((m = /^([rw]\d+) = -([rw]\d+)$/.exec(text))) {
    const d = reg(m[1]!);
    if (reg(m[2]!).n !== d.n) return skip('negation into another register');
    return I(d.wide ? 0x87 : 0x84, d.n);
  }
  if ((m = /^([rw]\d+) (s8|s16|s32)= ([rw]\d+)$/.exec(text))) {
    const d = reg(m[1]!);
    return I(d.wide ? 0xbf : 0xbc, d.n, reg(m[3]!).n, Number(m[2]!.slice(1)));
  }
  if ((m = /^([rw]\d+) (\S*?)=? (\S+)$/.exec(text)) && (/ = /.test(text) || / \S+= /.test(text))) {
    const d = reg(m[1]!);
    const opText = / = /.test(text) ? '' : /^\S+ (\S+)= /.exec(text)![1]!;
    const rhs = text.slice(text.lastIndexOf(' ') + 1);
    const cls = d.wide ? 0x07 : 0x04;
    if (opText === '') {
      if (/^[rw]\d+$/.test(rhs)) return I(cls | 0xb0 | 0x08, d.n, reg(rhs).n);
      const v = num(rhs);
      if (rhs.endsWith('ll') || needsLddw(text)) {
        if (!d.wide) skip('lddw into a 32-bit register');
        const u = BigInt.asUintN(64, v);
        return I(
          0x18,
          d.n,
          0,
          0,
          Number(BigInt.asIntN(32, u & 0xffffffffn)),
          Number(BigInt.asIntN(32, u >> 32n)),
        );
      }
      return I(cls | 0xb0, d.n, 0, 0, imm32(v));
    }
    const alu = ALU[opText];
    if (alu === undefined) return skip(`operator \`${opText}=\``);
    if (/^[rw]\d+$/.test(rhs)) return I(cls | alu[0] | 0x08, d.n, reg(rhs).n, alu[1]);
    return I(cls | alu[0], d.n, 0, alu[1], imm32(num(rhs)));
  }
  return skip(`instruction \`${text}\``);
}

const PREVAIL_MAP = { keySize: 4, valueSize: 4 };

function range(v: string): [bigint, bigint] | undefined {
  const m = /^\[(-?\d+), (-?\d+)\]$/.exec(v);
  if (m) return [BigInt(m[1]!), BigInt(m[2]!)];
  if (/^-?\d+$/.test(v)) return [BigInt(v), BigInt(v)];
  return undefined;
}

function preOptions(doc: Record<string, unknown>, opts: string[]): VerifyOptions {
  const pre = (doc['pre'] as string[] | undefined) ?? [];
  type Reg = {
    type?: string;
    s?: [bigint, bigint];
    u?: [bigint, bigint];
    off?: number;
    size?: number;
    fd?: number;
  };
  const regs = new Map<number, Reg>();
  const stackInit: Array<[number, number]> = [];
  const sharedSizes = new Map<number, number>();
  for (const c of pre) {
    let m: RegExpExecArray | null;
    if ((m = /^r(\d+)\.(\w+)=(.*)$/.exec(c))) {
      const r = regs.get(Number(m[1])) ?? {};
      regs.set(Number(m[1]), r);
      const [, , field, value] = m as unknown as [string, string, string, string];
      switch (field) {
        case 'type':
          r.type = value;
          break;
        case 'svalue':
          {
            const v = range(value);
            if (v) r.s = v;
          }
          break;
        case 'uvalue':
          {
            const v = range(value);
            if (v) r.u = v;
          }
          break;
        case 'ctx_offset':
        case 'stack_offset':
        case 'shared_offset':
          r.off = Number(value);
          break;
        case 'shared_region_size':
          r.size = Number(value);
          break;
        case 'map_fd':
          r.fd = Number(value);
          break;
        default:
          skip(`pre constraint \`${c}\``);
      }
    } else if ((m = /^s\[(\d+)\.\.\.(\d+)\]\.(\w+)=(.*)$/.exec(c))) {
      if (m[3] === 'type' && m[4] !== 'number') skip(`stack cell type \`${m[4]}\``);
      if (m[3] === 'type') stackInit.push([Number(m[1]), Number(m[2])]);
    } else {
      skip(`pre constraint \`${c}\``);
    }
  }
  const maps = new Map<number, { keySize: number; valueSize: number }>();
  const values = new Map<number, RegState>();
  let nextFd = 1000;
  for (const [n, r] of regs) {
    switch (r.type) {
      case 'number': {
        let s: S.Scalar = S.UNKNOWN;
        if (r.s) s = S.normalize({ ...s, smin: r.s[0], smax: r.s[1] });
        if (r.u)
          s = S.normalize({
            ...s,
            umin: BigInt.asUintN(64, r.u[0]),
            umax: BigInt.asUintN(64, r.u[1]),
          });
        values.set(n, { kind: 'scalar', s });
        break;
      }
      case 'ctx':
        values.set(n, { kind: 'ctx', lo: r.off ?? 0, hi: r.off ?? 0 });
        break;
      case 'stack':
        values.set(n, {
          kind: 'stack',
          frame: 0,
          lo: (r.off ?? FRAME_BYTES) - FRAME_BYTES,
          hi: (r.off ?? FRAME_BYTES) - FRAME_BYTES,
        });
        break;
      case 'shared': {
        if (r.size === undefined) skip('shared region without a size');
        const fd = nextFd++;
        maps.set(fd, { keySize: 4, valueSize: r.size! });
        sharedSizes.set(fd, r.size!);
        values.set(n, { kind: 'map_value', map: fd, lo: r.off ?? 0, hi: r.off ?? 0, nullId: 0 });
        break;
      }
      case 'map_fd':
        maps.set(r.fd ?? 1, PREVAIL_MAP);
        values.set(n, { kind: 'map', map: r.fd ?? 1 });
        break;
      case undefined:
        skip('register constraint without a type');
        break;
      default:
        skip(`register type \`${r.type}\``);
    }
  }
  for (let fd = 0; fd < 8; fd++) if (!maps.has(fd)) maps.set(fd, PREVAIL_MAP);
  return {
    programType: 'tracepoint',
    context: { size: 64 },
    maps,
    unreachable: 'allow',
    maxInstructions: 200_000,
    ...(opts.includes('!allow_division_by_zero') ? { divisionByZero: 'reject' as const } : {}),
    entryState: (state: State) => {
      const f = state.frames[0]!;
      for (let r = 0; r < 10; r++) f.regs[r] = values.get(r) ?? { kind: 'uninit' };
      for (const [lo, hi] of stackInit) f.stack.fill(STACK_MISC, lo, hi + 1);
    },
  };
}

/** @returns whether PREVAIL expects the case to be rejected (an error other than a note). */
export function prevailRejects(doc: Record<string, unknown>): boolean {
  const messages = (doc['messages'] as string[] | undefined) ?? [];
  return messages.some((m) => !/Code becomes unreachable|observation/.test(m));
}
