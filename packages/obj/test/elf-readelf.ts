// SPDX-License-Identifier: MIT
// Parses `readelf -h -S -s -r -l --wide` output (GNU binutils, LC_ALL=C) into plain records,
// used as the oracle of the ELF reader tests.

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  addr: bigint;
  offset: number;
  size: number;
  entsize: number;
  flags: string;
  link: number;
  info: number;
  align: bigint;
}
export interface ReadelfSymbol {
  table: string;
  index: number;
  value: bigint;
  size: bigint;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}
export interface ReadelfRelocation {
  section: string;
  offset: bigint;
  info: bigint;
  addend: bigint | undefined;
}
export interface ReadelfSegment {
  type: string;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: number;
  flags: string;
  align: bigint;
}
export interface Readelf {
  entry: bigint;
  sections: ReadelfSection[];
  symbols: ReadelfSymbol[];
  relocations: ReadelfRelocation[];
  segments: ReadelfSegment[];
}

const big = (s: string): bigint => BigInt(s.startsWith('0x') ? s : `0x${s}`);

export function parseReadelf(text: string): Readelf {
  const out: Readelf = { entry: 0n, sections: [], symbols: [], relocations: [], segments: [] };
  let mode: 'none' | 'sections' | 'segments' | 'relocs' | 'symbols' = 'none';
  let current = '';
  for (const line of text.split('\n')) {
    const entry = /Entry point address:\s+(0x[0-9a-f]+)/.exec(line);
    if (entry) out.entry = big(entry[1]!);
    if (line.startsWith('Section Headers:')) {
      mode = 'sections';
      continue;
    }
    if (line.startsWith('Program Headers:')) {
      mode = 'segments';
      continue;
    }
    if (line.startsWith('Key to Flags') || line.startsWith(' Section to Segment')) {
      mode = 'none';
      continue;
    }
    const rel = /^Relocation section '([^']+)'/.exec(line);
    if (rel) {
      mode = 'relocs';
      current = rel[1]!;
      continue;
    }
    const sym = /^Symbol table '([^']+)'/.exec(line);
    if (sym) {
      mode = 'symbols';
      current = sym[1]!;
      continue;
    }
    const tokens = line.trim().split(/\s+/);
    if (mode === 'sections') {
      const m = /^\s*\[\s*(\d+)\]\s?(.*)$/.exec(line);
      if (!m) continue;
      const rest = m[2]!.trim().split(/\s+/);
      const a = rest.findIndex((t, i) => i > 0 && /^[0-9a-f]{16}$/.test(t));
      const name = rest.slice(0, a - 1).join(' ');
      const after = rest.slice(a + 4);
      const flags = after.length === 4 ? after[0]! : '';
      const [lk, inf, al] = after.slice(-3);
      out.sections.push({
        index: Number(m[1]),
        name,
        type: rest[a - 1]!,
        addr: big(rest[a]!),
        offset: parseInt(rest[a + 1]!, 16),
        size: parseInt(rest[a + 2]!, 16),
        entsize: parseInt(rest[a + 3]!, 16),
        flags,
        link: Number(lk),
        info: Number(inf),
        align: BigInt(al!),
      });
    } else if (mode === 'segments') {
      if (tokens.length < 8 || !tokens[1]!.startsWith('0x')) continue;
      out.segments.push({
        type: tokens[0]!,
        offset: parseInt(tokens[1]!, 16),
        vaddr: big(tokens[2]!),
        paddr: big(tokens[3]!),
        filesz: parseInt(tokens[4]!, 16),
        memsz: parseInt(tokens[5]!, 16),
        flags: tokens.slice(6, -1).join(''),
        align: big(tokens.at(-1)!),
      });
    } else if (mode === 'relocs') {
      if (!/^[0-9a-f]{16}$/.test(tokens[0] ?? '')) continue;
      let addend: bigint | undefined;
      const sign = tokens.at(-2);
      if (sign === '+' || sign === '-') addend = (sign === '-' ? -1n : 1n) * big(tokens.at(-1)!);
      out.relocations.push({
        section: current,
        offset: big(tokens[0]!),
        info: big(tokens[1]!),
        addend,
      });
    } else if (mode === 'symbols') {
      const m = /^\s*(\d+):\s+([0-9a-f]{16})\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/.exec(
        line,
      );
      if (!m) continue;
      out.symbols.push({
        table: current,
        index: Number(m[1]),
        value: big(m[2]!),
        size: BigInt(m[3]!),
        type: m[4]!,
        bind: m[5]!,
        vis: m[6]!,
        ndx: m[7]!,
        name: m[8]!,
      });
    }
  }
  return out;
}
