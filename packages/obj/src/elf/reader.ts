// SPDX-License-Identifier: MIT
// ELF64 little-endian reader. Layout facts from the System V gABI (ELF-64 Object File Format)
// and Linux `include/uapi/linux/elf.h`; no upstream code.

import { ByteCursor } from './cursor.js';
import {
  EI_NIDENT,
  ELF64_EHDR_SIZE,
  ELF64_PHDR_SIZE,
  ELF64_REL_SIZE,
  ELF64_RELA_SIZE,
  ELF64_SHDR_SIZE,
  ELF64_SYM_SIZE,
  ELFCLASS64,
  ELFDATA2LSB,
  EV_CURRENT,
  PT_LOAD,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHN_XINDEX,
  SHT_DYNSYM,
  SHT_NOBITS,
  SHT_NULL,
  SHT_REL,
  SHT_RELA,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
} from './constants.js';
import { ElfError, hex } from './errors.js';
import type {
  ElfHeader,
  ElfProgramHeader,
  ElfRelocation,
  ElfRelocationSection,
  ElfSection,
  ElfSymbol,
  ElfSymbolTable,
} from './types.js';

const PN_XNUM = 0xffff;
const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder('utf-8');

/**
 * Parses an ELF64 little-endian file.
 *
 * @param bytes - the whole file, at any alignment; it is not copied, and the returned views
 *   (`section.data`, `programHeader.data`) alias it.
 * @returns the parsed file. Headers, section names and ranges are checked here; symbol tables
 *   and relocations are decoded (and checked) on first use.
 * @throws {ElfError} `BAD_MAGIC`, `UNSUPPORTED_CLASS`, `UNSUPPORTED_ENDIANNESS`,
 *   `UNSUPPORTED_VERSION`, `BAD_HEADER`, `BAD_SECTION`, `BAD_PROGRAM_HEADER`, `BAD_STRING`,
 *   `TRUNCATED`, `VALUE_TOO_LARGE`
 * @example
 * ```ts
 * import { parseElf, PT_LOAD } from '@axebpf/obj/elf';
 * const elf = parseElf(readFileSync('vmlinux'));
 * const entry = elf.header.entry;
 * const text = elf.sectionByName('.text')?.data;
 * const start = elf.symbolByName('_start')?.value;
 * ```
 */
export function parseElf(bytes: Uint8Array): ElfFile {
  return new ElfFile(bytes);
}

/**
 * A parsed ELF64 file: header, sections, program headers, and on-demand symbol tables,
 * string lookups and relocation sections. Create it with {@link parseElf}.
 */
export class ElfFile {
  /** The input the file was parsed from (not copied). */
  readonly bytes: Uint8Array;
  /** The decoded file header. */
  readonly header: ElfHeader;
  /** All section headers in table order, index 0 included. */
  readonly sections: readonly ElfSection[];
  /** All program headers in table order. */
  readonly programHeaders: readonly ElfProgramHeader[];

  readonly #view: DataView;
  readonly #byName = new Map<string, ElfSection>();
  readonly #symbolTables = new Map<number, ElfSymbolTable>();
  readonly #relocations = new Map<number, ElfRelocationSection>();
  #symbolByName: Map<string, ElfSymbol> | undefined;

  /**
   * @param bytes - the whole file.
   * @throws {ElfError} see {@link parseElf}.
   */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const cursor = new ByteCursor(bytes, 0, bytes.length, this.#view);
    const ident = readIdent(cursor);
    const type = cursor.readU16('e_type');
    const machine = cursor.readU16('e_machine');
    const versionOffset = cursor.pos;
    const version = cursor.readU32('e_version');
    if (version !== EV_CURRENT) {
      throw new ElfError({
        code: 'UNSUPPORTED_VERSION',
        message: `unsupported e_version \`${version}\``,
        offset: versionOffset,
      });
    }
    const entry = cursor.readU64('e_entry');
    const phoff = cursor.readSize('e_phoff');
    const shoff = cursor.readSize('e_shoff');
    const flags = cursor.readU32('e_flags');
    const ehsize = cursor.readU16('e_ehsize');
    const phentsize = cursor.readU16('e_phentsize');
    let phnum = cursor.readU16('e_phnum');
    const shentsize = cursor.readU16('e_shentsize');
    let shnum = cursor.readU16('e_shnum');
    let shstrndx = cursor.readU16('e_shstrndx');
    if (ehsize < ELF64_EHDR_SIZE) {
      throw new ElfError({
        code: 'BAD_HEADER',
        message: `e_ehsize \`${ehsize}\` is smaller than 64`,
        offset: 52,
      });
    }
    if (shoff !== 0 && shentsize !== ELF64_SHDR_SIZE) {
      throw new ElfError({
        code: 'BAD_HEADER',
        message: `e_shentsize \`${shentsize}\` is not 64`,
        offset: 58,
      });
    }
    if (phoff !== 0 && phnum !== 0 && phentsize !== ELF64_PHDR_SIZE) {
      throw new ElfError({
        code: 'BAD_HEADER',
        message: `e_phentsize \`${phentsize}\` is not 56`,
        offset: 54,
      });
    }

    // Extended numbering (gABI): counts that do not fit 16 bits live in section header 0.
    let first: RawSectionHeader | undefined;
    if (shoff !== 0) {
      first = readSectionHeader(cursor, shoff, 0);
      if (shnum === 0) shnum = first.size;
      if (shstrndx === SHN_XINDEX) shstrndx = first.link;
      if (phnum === PN_XNUM) phnum = first.info;
    } else {
      shnum = 0;
      if (shstrndx !== SHN_UNDEF) {
        throw new ElfError({
          code: 'BAD_HEADER',
          message: `e_shstrndx \`${shstrndx}\` without a section header table`,
          offset: 62,
        });
      }
    }
    if (shoff !== 0) {
      const tableEnd = shoff + shnum * ELF64_SHDR_SIZE;
      if (tableEnd > bytes.length) {
        throw new ElfError({
          code: 'TRUNCATED',
          message: `section header table ${hex(shoff)}..${hex(tableEnd)} runs past the end of the input (${hex(bytes.length)})`,
          offset: Math.min(bytes.length, Math.max(shoff, 0)),
        });
      }
    }
    if (shnum > 0 && shstrndx >= shnum) {
      throw new ElfError({
        code: 'BAD_HEADER',
        message: `e_shstrndx \`${shstrndx}\` is not below the section count ${shnum}`,
        offset: 62,
      });
    }
    this.header = {
      osAbi: ident.osAbi,
      abiVersion: ident.abiVersion,
      type,
      machine,
      version,
      entry,
      phoff,
      shoff,
      flags,
      ehsize,
      phentsize,
      phnum: phoff === 0 ? 0 : phnum,
      shentsize,
      shnum,
      shstrndx,
    };

    const raw: RawSectionHeader[] = [];
    for (let i = 0; i < shnum; i++) {
      const header =
        i === 0 && first !== undefined
          ? first
          : readSectionHeader(cursor, shoff + i * ELF64_SHDR_SIZE, i);
      checkSectionHeader(header, i, shnum, bytes.length);
      raw.push(header);
    }
    const names = shnum > 0 && shstrndx !== SHN_UNDEF ? raw[shstrndx] : undefined;
    if (names !== undefined && names.type === SHT_NOBITS) {
      throw new ElfError({
        code: 'BAD_SECTION',
        message: 'the section-name string table has no file content',
        offset: names.headerOffset + 4,
        section: shstrndx,
      });
    }
    const nameBytes =
      names === undefined ? EMPTY : bytes.subarray(names.offset, names.offset + names.size);
    const sections: ElfSection[] = [];
    for (let i = 0; i < raw.length; i++) {
      const header = raw[i]!;
      const name =
        names === undefined || (i === 0 && header.name === 0)
          ? ''
          : readString(nameBytes, header.name, names.offset, shstrndx);
      const hasData = header.type !== SHT_NOBITS && header.type !== SHT_NULL;
      const section: ElfSection = {
        index: i,
        name,
        nameOffset: header.name,
        type: header.type,
        flags: header.flags,
        addr: header.addr,
        offset: header.offset,
        size: header.size,
        link: header.link,
        info: header.info,
        addralign: header.addralign,
        entsize: header.entsize,
        headerOffset: header.headerOffset,
        data: hasData ? bytes.subarray(header.offset, header.offset + header.size) : EMPTY,
      };
      sections.push(section);
      if (name !== '' && !this.#byName.has(name)) this.#byName.set(name, section);
    }
    this.sections = sections;
    this.programHeaders = readProgramHeaders(cursor, phoff, this.header.phnum, bytes);
  }

  /**
   * Returns the section at an index.
   * @param index - section header index.
   * @returns the section.
   * @throws {ElfError} `SECTION_NOT_FOUND`
   */
  section(index: number): ElfSection {
    const section = this.sections[index];
    if (section === undefined) {
      throw new ElfError({
        code: 'SECTION_NOT_FOUND',
        message: `no section with index \`${index}\``,
        offset: this.header.shoff,
        section: index,
      });
    }
    return section;
  }

  /**
   * Finds the first section with a name.
   * @param name - e.g. `.text`.
   * @returns the section, or undefined.
   */
  sectionByName(name: string): ElfSection | undefined {
    return this.#byName.get(name);
  }

  /**
   * Lists the sections of one type.
   * @param type - an `SHT_*` value.
   * @returns the sections in table order.
   */
  sectionsByType(type: number): ElfSection[] {
    return this.sections.filter((section) => section.type === type);
  }

  /**
   * Lists the `PT_LOAD` program headers (what a loader maps), in table order.
   * @returns the loadable segments.
   */
  loadSegments(): ElfProgramHeader[] {
    return this.programHeaders.filter((header) => header.type === PT_LOAD);
  }

  /**
   * Reads a NUL-terminated string from a string-table section.
   * @param sectionIndex - index of the string table.
   * @param offset - offset of the string inside the table.
   * @returns the string, decoded as UTF-8.
   * @throws {ElfError} `SECTION_NOT_FOUND`, `BAD_STRING`
   */
  stringAt(sectionIndex: number, offset: number): string {
    const section = this.section(sectionIndex);
    return readString(section.data, offset, section.offset, sectionIndex);
  }

  /**
   * Returns the static symbol table (`SHT_SYMTAB`, normally `.symtab`), decoded.
   * @returns the table, or undefined when the file has none (stripped).
   * @throws {ElfError} `BAD_SECTION`, `BAD_STRING`, `BAD_SYMBOL`
   */
  symbolTable(): ElfSymbolTable | undefined {
    const section = this.sections.find((s) => s.type === SHT_SYMTAB);
    return section === undefined ? undefined : this.symbolTableAt(section.index);
  }

  /**
   * Returns the dynamic symbol table (`SHT_DYNSYM`, normally `.dynsym`), decoded.
   * @returns the table, or undefined when the file has none.
   * @throws {ElfError} `BAD_SECTION`, `BAD_STRING`, `BAD_SYMBOL`
   */
  dynamicSymbolTable(): ElfSymbolTable | undefined {
    const section = this.sections.find((s) => s.type === SHT_DYNSYM);
    return section === undefined ? undefined : this.symbolTableAt(section.index);
  }

  /**
   * The symbols of the static symbol table, or of the dynamic one when there is no static table.
   * @returns the symbols, index 0 (the null symbol) included; empty when there is neither table.
   * @throws {ElfError} see {@link ElfFile.symbolTableAt}.
   */
  symbols(): readonly ElfSymbol[] {
    return (this.symbolTable() ?? this.dynamicSymbolTable())?.symbols ?? [];
  }

  /**
   * Decodes the symbol table in a given section (cached).
   * @param sectionIndex - index of an `SHT_SYMTAB` or `SHT_DYNSYM` section.
   * @returns the table.
   * @throws {ElfError} `SECTION_NOT_FOUND`, `BAD_SECTION`, `BAD_STRING`, `BAD_SYMBOL`
   */
  symbolTableAt(sectionIndex: number): ElfSymbolTable {
    const cached = this.#symbolTables.get(sectionIndex);
    if (cached !== undefined) return cached;
    const section = this.section(sectionIndex);
    if (section.type !== SHT_SYMTAB && section.type !== SHT_DYNSYM) {
      throw new ElfError({
        code: 'BAD_SECTION',
        message: `section \`${section.name}\` is not a symbol table`,
        offset: section.headerOffset + 4,
        section: sectionIndex,
      });
    }
    checkEntries(section, ELF64_SYM_SIZE);
    const strings = this.#linkedSection(section);
    const shndxSection = this.sections.find(
      (s) => s.type === SHT_SYMTAB_SHNDX && s.link === sectionIndex,
    );
    const count = section.size / ELF64_SYM_SIZE;
    if (shndxSection !== undefined && shndxSection.data.length < count * 4) {
      throw new ElfError({
        code: 'BAD_SECTION',
        message: `SHT_SYMTAB_SHNDX section \`${shndxSection.name}\` is shorter than its symbol table`,
        offset: shndxSection.headerOffset + 32,
        section: shndxSection.index,
      });
    }
    const shnum = this.sections.length;
    // The whole table was range-checked (section bounds, size a multiple of 24): read fields
    // straight from the view, one bounds check for the table instead of one per field.
    new ByteCursor(this.bytes, section.offset, section.offset + section.size, this.#view).need(
      section.size,
      'symbol table',
    );
    const view = this.#view;
    const bytes = this.bytes;
    const symbols: ElfSymbol[] = new Array<ElfSymbol>(count);
    for (let i = 0; i < count; i++) {
      const at = section.offset + i * ELF64_SYM_SIZE;
      const nameOffset = view.getUint32(at, true);
      const info = bytes[at + 4]!;
      const other = bytes[at + 5]!;
      let shndx = view.getUint16(at + 6, true);
      const value = view.getBigUint64(at + 8, true);
      const size = view.getBigUint64(at + 16, true);
      if (shndx === SHN_XINDEX && shndxSection !== undefined) {
        shndx = this.#view.getUint32(shndxSection.offset + i * 4, true);
        if (shndx >= shnum) {
          throw new ElfError({
            code: 'BAD_SYMBOL',
            message: `symbol #${i} has extended section index \`${shndx}\` past the section count ${shnum}`,
            offset: shndxSection.offset + i * 4,
            section: sectionIndex,
          });
        }
      } else if (shndx !== SHN_UNDEF && shndx < SHN_LORESERVE && shndx >= shnum) {
        throw new ElfError({
          code: 'BAD_SYMBOL',
          message: `symbol #${i} has section index \`${shndx}\` past the section count ${shnum}`,
          offset: at + 6,
          section: sectionIndex,
        });
      }
      const name =
        nameOffset === 0 ? '' : readString(strings.data, nameOffset, strings.offset, strings.index);
      symbols[i] = {
        index: i,
        name,
        nameOffset,
        value,
        size,
        type: info & 0xf,
        bind: info >>> 4,
        visibility: other & 3,
        other,
        shndx,
      };
    }
    const table: ElfSymbolTable = { section, symbols };
    this.#symbolTables.set(sectionIndex, table);
    return table;
  }

  /**
   * Finds a symbol by name: the first match in the static table, then in the dynamic table.
   * @param name - the exact symbol name.
   * @returns the symbol, or undefined.
   * @throws {ElfError} see {@link ElfFile.symbolTableAt}.
   */
  symbolByName(name: string): ElfSymbol | undefined {
    if (this.#symbolByName === undefined) {
      const map = new Map<string, ElfSymbol>();
      for (const table of [this.symbolTable(), this.dynamicSymbolTable()]) {
        if (table === undefined) continue;
        for (const symbol of table.symbols) {
          if (symbol.name !== '' && !map.has(symbol.name)) map.set(symbol.name, symbol);
        }
      }
      this.#symbolByName = map;
    }
    return this.#symbolByName.get(name);
  }

  /**
   * Decodes every `SHT_REL` and `SHT_RELA` section.
   * @returns the relocation sections in table order.
   * @throws {ElfError} see {@link ElfFile.relocationSectionAt}.
   */
  relocationSections(): ElfRelocationSection[] {
    const out: ElfRelocationSection[] = [];
    for (const section of this.sections) {
      if (section.type === SHT_REL || section.type === SHT_RELA)
        out.push(this.relocationSectionAt(section.index));
    }
    return out;
  }

  /**
   * Decodes one REL or RELA section (cached).
   * @param sectionIndex - index of an `SHT_REL` or `SHT_RELA` section.
   * @returns the relocation section.
   * @throws {ElfError} `SECTION_NOT_FOUND`, `BAD_SECTION`, `BAD_RELOCATION`
   */
  relocationSectionAt(sectionIndex: number): ElfRelocationSection {
    const cached = this.#relocations.get(sectionIndex);
    if (cached !== undefined) return cached;
    const section = this.section(sectionIndex);
    const isRela = section.type === SHT_RELA;
    if (!isRela && section.type !== SHT_REL) {
      throw new ElfError({
        code: 'BAD_SECTION',
        message: `section \`${section.name}\` is not a relocation section`,
        offset: section.headerOffset + 4,
        section: sectionIndex,
      });
    }
    const entrySize = isRela ? ELF64_RELA_SIZE : ELF64_REL_SIZE;
    checkEntries(section, entrySize);
    if (section.info >= this.sections.length) {
      throw new ElfError({
        code: 'BAD_SECTION',
        message: `relocation section \`${section.name}\` applies to section \`${section.info}\`, which does not exist`,
        offset: section.headerOffset + 44,
        section: sectionIndex,
      });
    }
    let symbolCount = Infinity;
    if (section.link !== SHN_UNDEF) {
      const symtab = this.#linkedSection(section);
      if (symtab.type !== SHT_SYMTAB && symtab.type !== SHT_DYNSYM) {
        throw new ElfError({
          code: 'BAD_SECTION',
          message: `relocation section \`${section.name}\` links to \`${symtab.name}\`, which is not a symbol table`,
          offset: section.headerOffset + 40,
          section: sectionIndex,
        });
      }
      symbolCount = Math.floor(symtab.size / ELF64_SYM_SIZE);
    }
    const cursor = new ByteCursor(
      this.bytes,
      section.offset,
      section.offset + section.size,
      this.#view,
    );
    const count = section.size / entrySize;
    const entries: ElfRelocation[] = new Array<ElfRelocation>(count);
    for (let i = 0; i < count; i++) {
      const at = cursor.pos;
      const offset = cursor.readU64('r_offset');
      const type = cursor.readU32('r_info type');
      const symbolIndex = cursor.readU32('r_info symbol');
      const addend = isRela ? cursor.readI64('r_addend') : 0n;
      if (symbolIndex >= symbolCount) {
        throw new ElfError({
          code: 'BAD_RELOCATION',
          message: `relocation #${i} refers to symbol \`${symbolIndex}\`, past the ${symbolCount} symbols of its table`,
          offset: at + 12,
          section: sectionIndex,
        });
      }
      entries[i] = { index: i, offset, type, symbolIndex, addend };
    }
    const result: ElfRelocationSection = {
      section,
      kind: isRela ? 'rela' : 'rel',
      targetSection: section.info,
      symbolTableSection: section.link,
      entries,
    };
    this.#relocations.set(sectionIndex, result);
    return result;
  }

  #linkedSection(section: ElfSection): ElfSection {
    const linked = this.sections[section.link];
    if (linked === undefined || section.link === SHN_UNDEF) {
      throw new ElfError({
        code: 'BAD_SECTION',
        message: `section \`${section.name}\` links to section \`${section.link}\`, which does not exist`,
        offset: section.headerOffset + 40,
        section: section.index,
      });
    }
    if (linked.type === SHT_NOBITS) {
      throw new ElfError({
        code: 'BAD_SECTION',
        message: `section \`${section.name}\` links to \`${linked.name}\`, which has no file content`,
        offset: section.headerOffset + 40,
        section: section.index,
      });
    }
    return linked;
  }
}

interface RawSectionHeader {
  name: number;
  type: number;
  flags: bigint;
  addr: bigint;
  offset: number;
  size: number;
  link: number;
  info: number;
  addralign: bigint;
  entsize: number;
  headerOffset: number;
}

function readIdent(cursor: ByteCursor): { osAbi: number; abiVersion: number } {
  cursor.need(4, 'ELF magic');
  const b = cursor.bytes;
  if (b[0] !== 0x7f || b[1] !== 0x45 || b[2] !== 0x4c || b[3] !== 0x46) {
    throw new ElfError({ code: 'BAD_MAGIC', message: 'not an ELF file (bad magic)', offset: 0 });
  }
  cursor.pos = 4;
  const elfClass = cursor.readU8('EI_CLASS');
  if (elfClass !== ELFCLASS64) {
    throw new ElfError({
      code: 'UNSUPPORTED_CLASS',
      message: `unsupported EI_CLASS \`${elfClass}\` (only ELFCLASS64 is read)`,
      offset: 4,
    });
  }
  const data = cursor.readU8('EI_DATA');
  if (data !== ELFDATA2LSB) {
    throw new ElfError({
      code: 'UNSUPPORTED_ENDIANNESS',
      message: `unsupported EI_DATA \`${data}\` (only little-endian is read)`,
      offset: 5,
    });
  }
  const version = cursor.readU8('EI_VERSION');
  if (version !== EV_CURRENT) {
    throw new ElfError({
      code: 'UNSUPPORTED_VERSION',
      message: `unsupported EI_VERSION \`${version}\``,
      offset: 6,
    });
  }
  const osAbi = cursor.readU8('EI_OSABI');
  const abiVersion = cursor.readU8('EI_ABIVERSION');
  cursor.need(EI_NIDENT - 9, 'e_ident padding');
  cursor.pos = EI_NIDENT;
  return { osAbi, abiVersion };
}

function readSectionHeader(cursor: ByteCursor, at: number, index: number): RawSectionHeader {
  if (at > cursor.end) {
    throw new ElfError({
      code: 'TRUNCATED',
      message: `section header #${index} at ${hex(at)} is past the end of the input`,
      offset: cursor.end,
      section: index,
    });
  }
  cursor.pos = at;
  return {
    name: cursor.readU32('sh_name'),
    type: cursor.readU32('sh_type'),
    flags: cursor.readU64('sh_flags'),
    addr: cursor.readU64('sh_addr'),
    offset: cursor.readSize('sh_offset'),
    size: cursor.readSize('sh_size'),
    link: cursor.readU32('sh_link'),
    info: cursor.readU32('sh_info'),
    addralign: cursor.readU64('sh_addralign'),
    entsize: cursor.readSize('sh_entsize'),
    headerOffset: at,
  };
}

function checkSectionHeader(
  header: RawSectionHeader,
  index: number,
  shnum: number,
  length: number,
): void {
  if (index === 0 || header.type === SHT_NULL || header.type === SHT_NOBITS) return;
  if (header.offset + header.size > length) {
    throw new ElfError({
      code: 'TRUNCATED',
      message: `section #${index} content ${hex(header.offset)}..${hex(header.offset + header.size)} runs past the end of the input (${hex(length)})`,
      offset: Math.min(length, header.offset),
      section: index,
    });
  }
  if (
    header.link >= shnum &&
    header.link !== 0 &&
    (header.type === SHT_SYMTAB ||
      header.type === SHT_DYNSYM ||
      header.type === SHT_REL ||
      header.type === SHT_RELA)
  ) {
    throw new ElfError({
      code: 'BAD_SECTION',
      message: `section #${index} links to section \`${header.link}\`, past the section count ${shnum}`,
      offset: header.headerOffset + 40,
      section: index,
    });
  }
}

function checkEntries(section: ElfSection, entrySize: number): void {
  if (section.entsize !== 0 && section.entsize !== entrySize) {
    throw new ElfError({
      code: 'BAD_SECTION',
      message: `section \`${section.name}\` has sh_entsize \`${section.entsize}\`, expected ${entrySize}`,
      offset: section.headerOffset + 56,
      section: section.index,
    });
  }
  if (section.size % entrySize !== 0) {
    throw new ElfError({
      code: 'BAD_SECTION',
      message: `section \`${section.name}\` size ${section.size} is not a multiple of ${entrySize}`,
      offset: section.headerOffset + 32,
      section: section.index,
    });
  }
}

function readProgramHeaders(
  cursor: ByteCursor,
  phoff: number,
  phnum: number,
  bytes: Uint8Array,
): ElfProgramHeader[] {
  const out: ElfProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * ELF64_PHDR_SIZE;
    if (at > bytes.length) {
      throw new ElfError({
        code: 'TRUNCATED',
        message: `program header #${i} at ${hex(at)} is past the end of the input`,
        offset: bytes.length,
      });
    }
    cursor.pos = at;
    const type = cursor.readU32('p_type');
    const flags = cursor.readU32('p_flags');
    const offset = cursor.readSize('p_offset');
    const vaddr = cursor.readU64('p_vaddr');
    const paddr = cursor.readU64('p_paddr');
    const filesz = cursor.readSize('p_filesz');
    const memsz = cursor.readSize('p_memsz');
    const align = cursor.readU64('p_align');
    // A segment with no file image (bss only) may name any offset: linkers often put it at the
    // end of the file or beyond.
    if (filesz > 0 && offset + filesz > bytes.length) {
      throw new ElfError({
        code: 'TRUNCATED',
        message: `segment #${i} file image ${hex(offset)}..${hex(offset + filesz)} runs past the end of the input (${hex(bytes.length)})`,
        offset: Math.min(bytes.length, offset),
      });
    }
    if (type === PT_LOAD && filesz > memsz) {
      throw new ElfError({
        code: 'BAD_PROGRAM_HEADER',
        message: `segment #${i} has p_filesz ${hex(filesz)} above p_memsz ${hex(memsz)}`,
        offset: at + 32,
      });
    }
    out.push({
      index: i,
      type,
      flags,
      offset,
      vaddr,
      paddr,
      filesz,
      memsz,
      align,
      headerOffset: at,
      data: filesz === 0 ? bytes.subarray(0, 0) : bytes.subarray(offset, offset + filesz),
    });
  }
  return out;
}

/**
 * Reads a NUL-terminated string at `offset` of a string table.
 * @internal
 */
function readString(
  table: Uint8Array,
  offset: number,
  tableFileOffset: number,
  section: number,
): string {
  if (offset >= table.length) {
    throw new ElfError({
      code: 'BAD_STRING',
      message: `string offset ${hex(offset)} is outside its ${table.length}-byte table`,
      offset: tableFileOffset + Math.min(offset, table.length),
      section,
    });
  }
  let end = offset;
  // Names are short: a plain scan beats indexOf's call overhead and allows an ASCII fast path.
  let ascii = true;
  for (; end < table.length; end++) {
    const c = table[end]!;
    if (c === 0) break;
    if (c >= 0x80) ascii = false;
  }
  if (end === table.length) {
    throw new ElfError({
      code: 'BAD_STRING',
      message: `string at ${hex(offset)} has no terminating NUL`,
      offset: tableFileOffset + table.length,
      section,
    });
  }
  if (ascii) {
    const length = end - offset;
    if (length < 16) {
      let s = '';
      for (let i = offset; i < end; i++) s += String.fromCharCode(table[i]!);
      return s;
    }
    if (length <= 4096)
      return String.fromCharCode.apply(null, table.subarray(offset, end) as unknown as number[]);
  }
  return decoder.decode(table.subarray(offset, end));
}
