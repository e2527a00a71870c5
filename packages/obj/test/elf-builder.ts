// SPDX-License-Identifier: MIT
// A tiny ELF64 little-endian writer for tests (aya's fake_section style): it lays out a header,
// program headers, section contents, a section-name table and the section header table.

export interface FakeSection {
  name: string;
  type: number;
  data?: Uint8Array;
  /** Size for SHT_NOBITS sections (no file content). */
  size?: number;
  flags?: bigint;
  addr?: bigint;
  /** Index, or the name of a section in the same list. */
  link?: number | string;
  info?: number | string;
  entsize?: number;
  addralign?: bigint;
}

export interface FakeSegment {
  type: number;
  flags: number;
  vaddr: bigint;
  paddr?: bigint;
  /** File image: the content of this section. */
  section?: string;
  memsz?: number;
  align?: bigint;
}

export interface FakeElf {
  type?: number;
  machine?: number;
  entry?: bigint;
  flags?: number;
  sections: FakeSection[];
  segments?: FakeSegment[];
  /** Overrides of e_ident bytes (e.g. `{ 4: 1 }` for ELFCLASS32). */
  ident?: Record<number, number>;
}

export interface FakeSymbol {
  name: string;
  value?: bigint;
  size?: bigint;
  type?: number;
  bind?: number;
  visibility?: number;
  shndx?: number;
}

/** Builds the string table bytes and the offset of each string. */
export function stringTable(strings: readonly string[]): {
  data: Uint8Array;
  offsets: Map<string, number>;
} {
  const encoder = new TextEncoder();
  const parts: number[] = [0];
  const offsets = new Map<string, number>([['', 0]]);
  for (const s of strings) {
    if (offsets.has(s)) continue;
    offsets.set(s, parts.length);
    parts.push(...encoder.encode(s), 0);
  }
  return { data: Uint8Array.from(parts), offsets };
}

/** Encodes a symbol table (with the null symbol first) and its string table. */
export function symbolTable(symbols: readonly FakeSymbol[]): {
  symtab: Uint8Array;
  strtab: Uint8Array;
} {
  const strings = stringTable(symbols.map((s) => s.name));
  const out = new Uint8Array((symbols.length + 1) * 24);
  const view = new DataView(out.buffer);
  symbols.forEach((s, i) => {
    const at = (i + 1) * 24;
    view.setUint32(at, strings.offsets.get(s.name)!, true);
    out[at + 4] = ((s.bind ?? 1) << 4) | (s.type ?? 2);
    out[at + 5] = s.visibility ?? 0;
    view.setUint16(at + 6, s.shndx ?? 1, true);
    view.setBigUint64(at + 8, s.value ?? 0n, true);
    view.setBigUint64(at + 16, s.size ?? 0n, true);
  });
  return { symtab: out, strtab: strings.data };
}

/** Encodes RELA (or REL when `rel`) entries. */
export function relocations(
  entries: readonly { offset: bigint; type: number; symbol: number; addend?: bigint }[],
  rel = false,
): Uint8Array {
  const size = rel ? 16 : 24;
  const out = new Uint8Array(entries.length * size);
  const view = new DataView(out.buffer);
  entries.forEach((e, i) => {
    view.setBigUint64(i * size, e.offset, true);
    view.setUint32(i * size + 8, e.type, true);
    view.setUint32(i * size + 12, e.symbol, true);
    if (!rel) view.setBigInt64(i * size + 16, e.addend ?? 0n, true);
  });
  return out;
}

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Lays out a whole ELF64 file. Section 0 (null) and `.shstrtab` (last) are added. */
export function buildElf(spec: FakeElf): Uint8Array {
  const all: FakeSection[] = [{ name: '', type: 0 }, ...spec.sections];
  const names = stringTable([...spec.sections.map((s) => s.name), '.shstrtab']);
  all.push({ name: '.shstrtab', type: 3, data: names.data });
  const indexOf = (ref: number | string | undefined): number => {
    if (ref === undefined) return 0;
    if (typeof ref === 'number') return ref;
    const i = all.findIndex((s) => s.name === ref);
    if (i < 0) throw new Error(`no section ${ref}`);
    return i;
  };
  const segments = spec.segments ?? [];
  let pos = 64 + segments.length * 56;
  const offsets: number[] = [];
  for (const s of all) {
    pos = align(pos, 8);
    offsets.push(pos);
    if (s.type !== 8 && s.data) pos += s.data.length;
  }
  const shoff = align(pos, 8);
  const total = shoff + all.length * 64;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0);
  for (const [k, v] of Object.entries(spec.ident ?? {})) out[Number(k)] = v;
  view.setUint16(16, spec.type ?? 1, true);
  view.setUint16(18, spec.machine ?? 183, true);
  view.setUint32(20, 1, true);
  view.setBigUint64(24, spec.entry ?? 0n, true);
  view.setBigUint64(32, segments.length > 0 ? 64n : 0n, true);
  view.setBigUint64(40, BigInt(shoff), true);
  view.setUint32(48, spec.flags ?? 0, true);
  view.setUint16(52, 64, true);
  view.setUint16(54, 56, true);
  view.setUint16(56, segments.length, true);
  view.setUint16(58, 64, true);
  view.setUint16(60, all.length, true);
  view.setUint16(62, all.length - 1, true);
  segments.forEach((seg, i) => {
    const at = 64 + i * 56;
    const si = seg.section === undefined ? -1 : indexOf(seg.section);
    const section = si >= 0 ? all[si]! : undefined;
    const filesz = section?.type === 8 ? 0 : (section?.data?.length ?? 0);
    view.setUint32(at, seg.type, true);
    view.setUint32(at + 4, seg.flags, true);
    view.setBigUint64(at + 8, BigInt(si >= 0 ? offsets[si]! : 0), true);
    view.setBigUint64(at + 16, seg.vaddr, true);
    view.setBigUint64(at + 24, seg.paddr ?? seg.vaddr, true);
    view.setBigUint64(at + 32, BigInt(filesz), true);
    view.setBigUint64(at + 40, BigInt(seg.memsz ?? filesz), true);
    view.setBigUint64(at + 48, seg.align ?? 0x1000n, true);
  });
  all.forEach((s, i) => {
    if (s.type !== 8 && s.data) out.set(s.data, offsets[i]!);
    const at = shoff + i * 64;
    if (i === 0) return;
    view.setUint32(at, names.offsets.get(s.name)!, true);
    view.setUint32(at + 4, s.type, true);
    view.setBigUint64(at + 8, s.flags ?? 0n, true);
    view.setBigUint64(at + 16, s.addr ?? 0n, true);
    view.setBigUint64(at + 24, BigInt(offsets[i]!), true);
    view.setBigUint64(at + 32, BigInt(s.type === 8 ? (s.size ?? 0) : (s.data?.length ?? 0)), true);
    view.setUint32(at + 40, indexOf(s.link), true);
    view.setUint32(at + 44, indexOf(s.info), true);
    view.setBigUint64(at + 48, s.addralign ?? 1n, true);
    view.setBigUint64(at + 56, BigInt(s.entsize ?? 0), true);
  });
  return out;
}
