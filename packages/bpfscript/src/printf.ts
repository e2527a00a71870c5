// SPDX-License-Identifier: MIT
// printf formats of bpfscript: checked at compile time against the argument types, formatted on
// the host from the record the program wrote to the event ring (C printf conversions %d %i %u
// %x %X %o %c %s %p %%, with flags, width, precision and ignored length modifiers).

import type { ValueType } from './types.js';

const CONVERSION = /%([-+ 0#]*)(\d+)?(?:\.(\d+))?(hh|h|ll|l|z|j|t)?([diuxXocsp%])?/g;

interface Conversion {
  flags: string;
  width: number | undefined;
  precision: number | undefined;
  conv: string;
  start: number;
  end: number;
}

function conversions(format: string): (Conversion | { error: string })[] {
  const out: (Conversion | { error: string })[] = [];
  CONVERSION.lastIndex = 0;
  for (let m = CONVERSION.exec(format); m !== null; m = CONVERSION.exec(format)) {
    if (m[5] === undefined) {
      out.push({
        error: `unknown conversion in \`${m[0]}\`: use %d %i %u %x %X %o %c %s %p or %%`,
      });
      continue;
    }
    if (m[5] === '%') continue;
    out.push({
      flags: m[1] ?? '',
      width: m[2] === undefined ? undefined : Number(m[2]),
      precision: m[3] === undefined ? undefined : Number(m[3]),
      conv: m[5],
      start: m.index,
      end: m.index + m[0].length,
    });
  }
  return out;
}

/**
 * Checks a printf format against its argument types.
 * @param format - the format text.
 * @param args - the argument types.
 * @returns undefined when they match; otherwise a message and the index of the argument at fault
 * (undefined: the format itself).
 */
export function checkFormat(
  format: string,
  args: readonly ValueType[],
): { message: string; arg: number | undefined } | undefined {
  const convs = conversions(format);
  for (const c of convs) if ('error' in c) return { message: c.error, arg: undefined };
  if (convs.length !== args.length)
    return {
      message: `the format has ${convs.length} conversion${convs.length === 1 ? '' : 's'} but ${args.length} argument${args.length === 1 ? ' is' : 's are'} given`,
      arg: undefined,
    };
  for (let i = 0; i < args.length; i++) {
    const c = convs[i] as Conversion;
    const wantsString = c.conv === 's';
    if (wantsString !== (args[i]!.t === 'str'))
      return {
        message: `\`%${c.conv}\` needs ${wantsString ? 'a string' : 'an integer'}, argument ${i + 1} is ${args[i]!.t === 'str' ? 'a string' : 'an integer'}`,
        arg: i,
      };
  }
  return undefined;
}

function pad(text: string, c: Conversion, numeric: boolean): string {
  const width = c.width ?? 0;
  if (text.length >= width) return text;
  if (c.flags.includes('-')) return text.padEnd(width);
  if (numeric && c.flags.includes('0') && c.precision === undefined) {
    const sign = /^[-+ ]/.test(text) ? text[0]! : '';
    const prefix = /^[-+ ]?0[xX]/.test(text) ? text.slice(sign.length, sign.length + 2) : '';
    const digits = text.slice(sign.length + prefix.length);
    return sign + prefix + digits.padStart(width - sign.length - prefix.length, '0');
  }
  return text.padStart(width);
}

/**
 * Formats a printf record on the host.
 * @param format - the format text (checked by {@link checkFormat}).
 * @param values - argument values: bigint (raw u64) for integers, string for strings.
 * @param args - argument types (signedness decides `%d` of a u64 as in C: the bits as int64).
 * @returns the text.
 */
export function formatPrintf(
  format: string,
  values: readonly (bigint | string)[],
  args: readonly ValueType[],
): string {
  let out = '';
  let last = 0;
  let i = 0;
  CONVERSION.lastIndex = 0;
  for (let m = CONVERSION.exec(format); m !== null; m = CONVERSION.exec(format)) {
    out += format.slice(last, m.index);
    last = m.index + m[0].length;
    const conv = m[5];
    if (conv === '%' || conv === undefined) {
      out += conv === '%' ? '%' : m[0];
      continue;
    }
    const c: Conversion = {
      flags: m[1] ?? '',
      width: m[2] === undefined ? undefined : Number(m[2]),
      precision: m[3] === undefined ? undefined : Number(m[3]),
      conv,
      start: m.index,
      end: last,
    };
    const v = values[i];
    void args[i];
    i++;
    if (conv === 's') {
      const s = typeof v === 'string' ? v : String(v ?? '');
      out += pad(c.precision === undefined ? s : s.slice(0, c.precision), c, false);
      continue;
    }
    const raw = typeof v === 'bigint' ? BigInt.asUintN(64, v) : 0n;
    let text: string;
    switch (conv) {
      case 'd':
      case 'i': {
        const n = BigInt.asIntN(64, raw);
        text =
          (n < 0n ? '-' : c.flags.includes('+') ? '+' : c.flags.includes(' ') ? ' ' : '') +
          (n < 0n ? -n : n).toString().padStart(c.precision ?? 0, '0');
        break;
      }
      case 'u':
        text = raw.toString().padStart(c.precision ?? 0, '0');
        break;
      case 'x':
      case 'X':
      case 'p': {
        const digits = raw.toString(16).padStart(c.precision ?? 0, '0');
        text =
          (conv === 'p'
            ? '0x'
            : c.flags.includes('#') && raw !== 0n
              ? conv === 'X'
                ? '0X'
                : '0x'
              : '') + (conv === 'X' ? digits.toUpperCase() : digits);
        break;
      }
      case 'o':
        text = (c.flags.includes('#') ? '0' : '') + raw.toString(8).padStart(c.precision ?? 0, '0');
        break;
      default: // c
        text = String.fromCharCode(Number(raw & 0xffn));
    }
    out += pad(text, c, conv !== 'c');
  }
  return out + format.slice(last);
}
