// SPDX-License-Identifier: MIT
// A printf subset for TP_printk-style print formats: %d %i %u %x %X %o %c %s %p %%, flags
// `-+ #0`, width, precision, and the length modifiers hh h l ll z j t (l is 64-bit, as on
// arm64). Written here.

import { TracepointError } from './errors.js';

/** A value a print format argument may take. */
export type PrintValue = number | bigint | string | boolean;

interface Spec {
  readonly literal: string;
  readonly conv: string;
  readonly flags: string;
  readonly width: number;
  readonly precision: number;
  readonly bits: number;
}

/** A parsed print format: literals and conversions. */
export interface PrintFormat {
  /** The format string. */
  readonly fmt: string;
  /** Number of arguments the conversions consume. */
  readonly argCount: number;
  /**
   * Renders the format with arguments.
   * @param args - one value per conversion.
   * @returns the text.
   */
  render(args: readonly PrintValue[]): string;
}

const SPEC = /%([-+ #0]*)(\d+)?(?:\.(\d+))?(hh|h|ll|l|z|j|t)?([diouxXcsp%])/y;

/**
 * Parses a printf-style format.
 *
 * @param fmt - the format, e.g. `vm=%u pc=%#llx name=%s`.
 * @returns the parsed format.
 * @throws {TracepointError} `INVALID_DEFINITION` for an unsupported conversion.
 */
export function parsePrintFormat(fmt: string): PrintFormat {
  const specs: Spec[] = [];
  let literal = '';
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i]!;
    if (c !== '%') {
      literal += c;
      i++;
      continue;
    }
    SPEC.lastIndex = i;
    const m = SPEC.exec(fmt);
    if (m === null) {
      throw new TracepointError({
        code: 'INVALID_DEFINITION',
        message: `unsupported conversion at offset ${i} of print format \`${fmt}\``,
      });
    }
    i = SPEC.lastIndex;
    if (m[5] === '%') {
      literal += '%';
      continue;
    }
    const len = m[4];
    const bits = len === 'hh' ? 8 : len === 'h' ? 16 : len === undefined ? 32 : 64;
    specs.push({
      literal,
      conv: m[5]!,
      flags: m[1] ?? '',
      width: m[2] === undefined ? 0 : Number(m[2]),
      precision: m[3] === undefined ? -1 : Number(m[3]),
      bits,
    });
    literal = '';
  }
  const rest = literal;
  return {
    fmt,
    argCount: specs.length,
    render(args) {
      let out = '';
      for (let i = 0; i < specs.length; i++) out += specs[i]!.literal + convert(specs[i]!, args[i]);
      return out + rest;
    },
  };
}

function toBig(v: PrintValue | undefined): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return 0n;
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  if (s.length >= spec.width) return s;
  if (spec.flags.includes('-')) return s.padEnd(spec.width);
  if (numeric && spec.flags.includes('0') && spec.precision < 0) {
    const sign = /^[-+ ]|^0[xX]/.exec(s)?.[0] ?? '';
    return sign + s.slice(sign.length).padStart(spec.width - sign.length, '0');
  }
  return s.padStart(spec.width);
}

function convert(spec: Spec, v: PrintValue | undefined): string {
  switch (spec.conv) {
    case 's': {
      let s = typeof v === 'string' ? v : String(v ?? '');
      if (spec.precision >= 0) s = s.slice(0, spec.precision);
      return pad(s, spec, false);
    }
    case 'c':
      return pad(
        typeof v === 'string'
          ? v.slice(0, 1)
          : String.fromCharCode(Number(BigInt.asUintN(8, toBig(v)))),
        spec,
        false,
      );
    case 'd':
    case 'i': {
      const n = BigInt.asIntN(spec.bits, toBig(v));
      let s = (n < 0n ? -n : n).toString();
      if (spec.precision >= 0) s = s.padStart(spec.precision, '0');
      const sign =
        n < 0n ? '-' : spec.flags.includes('+') ? '+' : spec.flags.includes(' ') ? ' ' : '';
      return pad(sign + s, spec, true);
    }
    case 'p': {
      const n = BigInt.asUintN(64, toBig(v));
      return pad('0x' + n.toString(16), spec, true);
    }
    default: {
      const n = BigInt.asUintN(spec.bits, toBig(v));
      const radix = spec.conv === 'o' ? 8 : spec.conv === 'u' ? 10 : 16;
      let s = n.toString(radix);
      if (spec.conv === 'X') s = s.toUpperCase();
      if (spec.precision >= 0) s = s.padStart(spec.precision, '0');
      if (spec.flags.includes('#') && n !== 0n) {
        if (spec.conv === 'x') s = '0x' + s;
        else if (spec.conv === 'X') s = '0X' + s;
        else if (spec.conv === 'o') s = '0' + s;
      }
      return pad(s, spec, true);
    }
  }
}
