// SPDX-License-Identifier: MIT
// Symbols of an ELF file as `nm -n` lists them (type letters after GNU nm / BFD's decode_symclass).

import {
  ElfError,
  parseElf,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_WRITE,
  SHN_ABS,
  SHN_COMMON,
  SHN_LORESERVE,
  SHN_UNDEF,
  SHT_NOBITS,
  STB_GNU_UNIQUE,
  STB_LOCAL,
  STB_WEAK,
  STT_FILE,
  STT_GNU_IFUNC,
  STT_OBJECT,
  STT_SECTION,
} from '@axebpf/obj/elf';
import type { ElfFile, ElfSymbol } from '@axebpf/obj/elf';
import { KsymError } from './errors.js';
import type { KsymInput } from './types.js';

/** Options of {@link symbolsFromElf}. */
export interface SymbolsFromElfOptions {
  /** Use `.dynsym` when there is no `.symtab` (default true). */
  useDynamic?: boolean;
}

/**
 * Lists the defined symbols of an ELF64 file the way `nm -n` does: without the null, section
 * and file symbols and without undefined ones, with nm's type letters, sorted by address and
 * then by name (byte order, as `LC_ALL=C nm -n`).
 *
 * @param input - the ELF file bytes, or an already parsed file.
 * @param options - see {@link SymbolsFromElfOptions}.
 * @returns the symbols in address order.
 * @throws {KsymError} `NO_SYMBOLS` when the file has no symbol table (stripped), or wrapping an
 *   `ElfError` (as `cause`) with code `BAD_INPUT` when the file is not a readable ELF64 file.
 */
export function symbolsFromElf(
  input: Uint8Array | ElfFile,
  options: SymbolsFromElfOptions = {},
): KsymInput[] {
  let elf: ElfFile;
  let table;
  try {
    elf = input instanceof Uint8Array ? parseElf(input) : input;
    table =
      elf.symbolTable() ?? (options.useDynamic === false ? undefined : elf.dynamicSymbolTable());
  } catch (err) {
    if (ElfError.isInstance(err)) {
      throw new KsymError({
        code: 'BAD_INPUT',
        message: `not a readable ELF64 file: ${err.message}`,
        offset: err.offset,
        cause: err,
      });
    }
    throw err;
  }
  if (table === undefined) {
    throw new KsymError({
      code: 'NO_SYMBOLS',
      message: 'the ELF file has no symbol table (stripped?)',
    });
  }
  const out: KsymInput[] = [];
  for (const symbol of table.symbols) {
    if (
      symbol.index === 0 ||
      symbol.name === '' ||
      symbol.type === STT_SECTION ||
      symbol.type === STT_FILE
    )
      continue;
    if (symbol.shndx === SHN_UNDEF) continue;
    out.push({ address: symbol.value, type: nmTypeLetter(elf, symbol), name: symbol.name });
  }
  out.sort(compareByAddressThenName);
  return out;
}

function compareByAddressThenName(a: KsymInput, b: KsymInput): number {
  if (a.address !== b.address) return a.address < b.address ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The `nm` type letter of a defined symbol.
 * @param elf - the file the symbol belongs to.
 * @param symbol - the symbol.
 * @returns one letter; upper case for global symbols.
 */
export function nmTypeLetter(elf: ElfFile, symbol: ElfSymbol): string {
  if (symbol.shndx === SHN_COMMON) return 'C';
  if (symbol.type === STT_GNU_IFUNC) return 'i';
  if (symbol.bind === STB_WEAK) return symbol.type === STT_OBJECT ? 'V' : 'W';
  if (symbol.bind === STB_GNU_UNIQUE) return 'u';
  let letter: string;
  if (symbol.shndx === SHN_ABS) letter = 'a';
  else if (symbol.shndx >= SHN_LORESERVE) letter = '?';
  else {
    const section = elf.sections[symbol.shndx];
    if (section === undefined) letter = '?';
    else {
      const flags = Number(section.flags & 0xffffn);
      if ((flags & SHF_EXECINSTR) !== 0) letter = 't';
      else if (section.type === SHT_NOBITS) letter = (flags & SHF_ALLOC) !== 0 ? 'b' : 'n';
      else if ((flags & SHF_ALLOC) === 0) letter = section.name.startsWith('.debug') ? 'N' : 'n';
      else letter = (flags & SHF_WRITE) !== 0 ? 'd' : 'r';
    }
  }
  return symbol.bind === STB_LOCAL ? letter : letter.toUpperCase();
}
