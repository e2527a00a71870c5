// SPDX-License-Identifier: MIT
// bpf_trace_printk formatting: the format checks of Linux kernel/bpf/helpers.c
// (bpf_bprintf_prepare) with C printf output (glibc) for each accepted conversion. Replaces
// kbpf-basic's printf-compat use (which dereferenced the arguments) and axebpf's non-formatting
// trace_printk.

/** Largest output Linux produces (`MAX_BPRINTF_BUF` - 1 characters). */
export const MAX_PRINTK_OUTPUT = 1023;
/** Largest number of arguments `bpf_trace_printk` takes. */
export const MAX_PRINTK_ARGS = 3;

/** Result of {@link formatPrintk}: the text, or the reason the format was refused. */
export type PrintkResult =
  | { ok: true; text: string }
  | { ok: false; reason: string; offset: number };

const pad = (s: string, width: number, left: boolean, zero: boolean, signLen = 0): string => {
  if (s.length >= width) return s;
  if (left) return s + ' '.repeat(width - s.length);
  if (zero) return s.slice(0, signLen) + '0'.repeat(width - s.length) + s.slice(signLen);
  return ' '.repeat(width - s.length) + s;
};

/**
 * Formats like `bpf_trace_printk`: conversions `%d %i %u %x %X %c %s %p %%` with flags
 * `-+ #0`, a width, a precision, and `l`/`ll` for 64-bit integers (without them the argument's
 * low 32 bits are used, as Linux does). At most 3 arguments. Output is cut at 1023 characters.
 * @param fmt - the format (without the terminating NUL).
 * @param args - the raw 64-bit argument values.
 * @param readString - reads a NUL-terminated string for `%s` at an address; returns `''` when
 * the memory cannot be read (Linux prints an empty string then).
 * @returns the text, or the reason and offset of the refusal (the helper returns -EINVAL).
 */
export function formatPrintk(
  fmt: string,
  args: readonly bigint[],
  readString: (address: bigint) => string,
): PrintkResult {
  let out = '';
  let argi = 0;
  const n = fmt.length;
  for (let i = 0; i < n; i++) {
    const ch = fmt.charCodeAt(i);
    if (ch > 0x7e || (ch < 0x20 && !(ch >= 9 && ch <= 13)))
      return {
        ok: false,
        reason: `format has a non-printable character 0x${ch.toString(16)}`,
        offset: i,
      };
    if (fmt[i] !== '%') {
      out += fmt[i];
      continue;
    }
    const start = i;
    i++;
    if (fmt[i] === '%') {
      out += '%';
      continue;
    }
    let left = false;
    let plus = false;
    let space = false;
    let alt = false;
    let zero = false;
    for (;;) {
      const f = fmt[i];
      if (f === '-') left = true;
      else if (f === '+') plus = true;
      else if (f === ' ') space = true;
      else if (f === '#') alt = true;
      else if (f === '0') zero = true;
      else break;
      i++;
    }
    let width = 0;
    while (i < n && fmt[i]! >= '0' && fmt[i]! <= '9')
      width = width * 10 + (fmt.charCodeAt(i++) - 48);
    let precision = -1;
    if (fmt[i] === '.') {
      i++;
      precision = 0;
      while (i < n && fmt[i]! >= '0' && fmt[i]! <= '9')
        precision = precision * 10 + (fmt.charCodeAt(i++) - 48);
    }
    let longs = 0;
    while (fmt[i] === 'l' && longs < 2) {
      longs++;
      i++;
    }
    const conv = fmt[i];
    if (conv === undefined)
      return { ok: false, reason: 'format ends inside a conversion', offset: start };
    if (!'diuxXcsp'.includes(conv) || (longs > 0 && 'csp'.includes(conv)))
      return {
        ok: false,
        reason: `unsupported conversion \`${fmt.slice(start, i + 1)}\``,
        offset: start,
      };
    if (argi >= MAX_PRINTK_ARGS)
      return { ok: false, reason: `more than ${MAX_PRINTK_ARGS} arguments`, offset: start };
    const raw = args[argi++] ?? 0n;
    const wide = longs > 0;
    if (conv === 'c') {
      out += pad(String.fromCharCode(Number(raw & 0xffn)), width, left, false);
    } else if (conv === 's') {
      let s = readString(raw);
      if (precision >= 0) s = s.slice(0, precision);
      out += pad(s, width, left, false);
    } else if (conv === 'p') {
      const v = BigInt.asUintN(64, raw);
      out += pad(v === 0n ? '(nil)' : `0x${v.toString(16)}`, width, left, false);
    } else {
      const signed = conv === 'd' || conv === 'i';
      let v = wide
        ? signed
          ? BigInt.asIntN(64, raw)
          : BigInt.asUintN(64, raw)
        : signed
          ? BigInt.asIntN(32, raw)
          : BigInt.asUintN(32, raw);
      const negative = v < 0n;
      if (negative) v = -v;
      let digits =
        conv === 'x'
          ? v.toString(16)
          : conv === 'X'
            ? v.toString(16).toUpperCase()
            : v.toString(10);
      if (precision >= 0) {
        if (precision === 0 && v === 0n) digits = '';
        else if (digits.length < precision) digits = '0'.repeat(precision - digits.length) + digits;
      }
      let prefix = '';
      if (signed) prefix = negative ? '-' : plus ? '+' : space ? ' ' : '';
      else if (alt && v !== 0n && (conv === 'x' || conv === 'X'))
        prefix = conv === 'x' ? '0x' : '0X';
      out += pad(prefix + digits, width, left, zero && precision < 0 && !left, prefix.length);
    }
  }
  if (out.length > MAX_PRINTK_OUTPUT) out = out.slice(0, MAX_PRINTK_OUTPUT);
  return { ok: true, text: out };
}
