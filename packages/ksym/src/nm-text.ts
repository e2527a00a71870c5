// SPDX-License-Identifier: MIT
// `nm -n` / System.map text: `<hex address> <type letter> <name…>` per line.
// Port of the input format of Starry-OS/ksym src/bin/gen_ksym.rs (format only, no code).

import { KSYM_NAME_LEN, KsymError } from './errors.js';
import type { KsymInput } from './types.js';

const encoder = new TextEncoder();

/**
 * Parses `nm -n` or System.map text into symbols, in input order.
 *
 * Lines without an address (undefined symbols: `                 U name`) and blank lines are
 * skipped. A name made of several words is re-joined with single spaces, as upstream does.
 *
 * @param text - the whole text.
 * @returns the symbols.
 * @throws {KsymError} `BAD_INPUT` (with `line`) for a line that is not `<hex> <type> <name>`,
 *   `BAD_NAME` for a name longer than {@link KSYM_NAME_LEN} bytes.
 * @example
 * ```ts
 * parseNmText('ffff800080000000 T _stext\nffff800080000100 t helper\n');
 * ```
 */
export function parseNmText(text: string): KsymInput[] {
  const out: KsymInput[] = [];
  let line = 0;
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    const raw = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    const trimmed = raw.trim();
    if (trimmed === '') continue;
    const fields = trimmed.split(/\s+/);
    if (fields.length === 2 && /^[Uuvw]$/.test(fields[0]!)) continue;
    const [addr, type, ...words] = fields;
    if (
      addr === undefined ||
      !/^[0-9a-fA-F]{1,16}$/.test(addr) ||
      type === undefined ||
      type.length !== 1 ||
      words.length === 0
    ) {
      throw new KsymError({
        code: 'BAD_INPUT',
        message: `line ${line} is not \`<hex address> <type> <name>\`: \`${trimmed.slice(0, 80)}\``,
        line,
      });
    }
    const name = words.join(' ');
    if (encoder.encode(name).length > KSYM_NAME_LEN) {
      throw new KsymError({
        code: 'BAD_NAME',
        message: `line ${line}: name longer than ${KSYM_NAME_LEN} bytes`,
        line,
      });
    }
    out.push({ address: BigInt(`0x${addr}`), type, name });
  }
  return out;
}

/**
 * Formats symbols as `nm -n` text: 16-digit lower-case hex address, type, name, one per line
 * (the layout of upstream `dump_all_symbols`).
 * @param symbols - the symbols, written in the given order.
 * @returns the text, each line ending in `\n`.
 */
export function formatNmText(symbols: Iterable<KsymInput>): string {
  let out = '';
  for (const s of symbols)
    out += `${s.address.toString(16).padStart(16, '0')} ${s.type} ${s.name}\n`;
  return out;
}

/**
 * The default filter of kallsyms-style tables: drops ARM/AArch64 mapping symbols (`$x`, `$d`,
 * `$x.12`…) and assembler-local labels (`.L…`), like Linux `scripts/kallsyms.c` and the
 * pipeline suggested in the upstream README.
 * @param symbol - a symbol.
 * @returns true to keep it.
 */
export function isKallsymsSymbol(symbol: KsymInput): boolean {
  const name = symbol.name;
  return !(name.startsWith('$') || name.startsWith('.L'));
}
