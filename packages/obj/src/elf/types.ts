// SPDX-License-Identifier: MIT
// Plain data shapes returned by the ELF64 reader.

/** The ELF64 file header (`Elf64_Ehdr`), decoded. */
export interface ElfHeader {
  /** `EI_OSABI`. */
  readonly osAbi: number;
  /** `EI_ABIVERSION`. */
  readonly abiVersion: number;
  /** `e_type` (`ET_REL`, `ET_EXEC`, `ET_DYN`…). */
  readonly type: number;
  /** `e_machine` (`EM_AARCH64`, `EM_BPF`…). */
  readonly machine: number;
  /** `e_version`. */
  readonly version: number;
  /** `e_entry`: the entry point virtual address. */
  readonly entry: bigint;
  /** `e_phoff`: file offset of the program header table (0 when none). */
  readonly phoff: number;
  /** `e_shoff`: file offset of the section header table (0 when none). */
  readonly shoff: number;
  /** `e_flags`. */
  readonly flags: number;
  /** `e_ehsize`. */
  readonly ehsize: number;
  /** `e_phentsize`. */
  readonly phentsize: number;
  /** Number of program headers (after `PN_XNUM` extension). */
  readonly phnum: number;
  /** `e_shentsize`. */
  readonly shentsize: number;
  /** Number of section headers (after the extended-numbering rule). */
  readonly shnum: number;
  /** Index of the section-name string table (after `SHN_XINDEX` extension). */
  readonly shstrndx: number;
}

/** One section header (`Elf64_Shdr`) with its name and a view of its content. */
export interface ElfSection {
  /** Index in the section header table. */
  readonly index: number;
  /** Name from the section-name string table (`""` for index 0 or when there is no table). */
  readonly name: string;
  /** `sh_name`: offset of the name in the section-name string table. */
  readonly nameOffset: number;
  /** `sh_type` (`SHT_PROGBITS`, `SHT_SYMTAB`…). */
  readonly type: number;
  /** `sh_flags`. */
  readonly flags: bigint;
  /** `sh_addr`. */
  readonly addr: bigint;
  /** `sh_offset`: file offset of the content. */
  readonly offset: number;
  /** `sh_size`: size in bytes (in memory for `SHT_NOBITS`). */
  readonly size: number;
  /** `sh_link`. */
  readonly link: number;
  /** `sh_info`. */
  readonly info: number;
  /** `sh_addralign`. */
  readonly addralign: bigint;
  /** `sh_entsize`. */
  readonly entsize: number;
  /** File offset of this section's header. */
  readonly headerOffset: number;
  /** The content as a view into the input (empty for `SHT_NOBITS` and `SHT_NULL`). */
  readonly data: Uint8Array;
}

/** One program header (`Elf64_Phdr`) with a view of its file image. */
export interface ElfProgramHeader {
  /** Index in the program header table. */
  readonly index: number;
  /** `p_type` (`PT_LOAD`…). */
  readonly type: number;
  /** `p_flags` (`PF_R | PF_W | PF_X`). */
  readonly flags: number;
  /** `p_offset`: file offset of the segment's file image. */
  readonly offset: number;
  /** `p_vaddr`. */
  readonly vaddr: bigint;
  /** `p_paddr`. */
  readonly paddr: bigint;
  /** `p_filesz`: bytes of the segment present in the file. */
  readonly filesz: number;
  /** `p_memsz`: bytes of the segment in memory (≥ `filesz` for `PT_LOAD`; the rest is zero). */
  readonly memsz: number;
  /** `p_align`. */
  readonly align: bigint;
  /** File offset of this program header. */
  readonly headerOffset: number;
  /** The segment's file image as a view into the input (`filesz` bytes). */
  readonly data: Uint8Array;
}

/** One symbol (`Elf64_Sym`), decoded. */
export interface ElfSymbol {
  /** Index in its symbol table. */
  readonly index: number;
  /** Name from the linked string table (`""` when `st_name` is 0). */
  readonly name: string;
  /** `st_name`. */
  readonly nameOffset: number;
  /** `st_value`. */
  readonly value: bigint;
  /** `st_size`. */
  readonly size: bigint;
  /** Type, the low nibble of `st_info` (`STT_FUNC`…). */
  readonly type: number;
  /** Binding, the high nibble of `st_info` (`STB_GLOBAL`…). */
  readonly bind: number;
  /** Visibility, the low 2 bits of `st_other` (`STV_HIDDEN`…). */
  readonly visibility: number;
  /** `st_other` as stored. */
  readonly other: number;
  /**
   * Section index: `st_shndx`, or the `SHT_SYMTAB_SHNDX` entry when `st_shndx` is `SHN_XINDEX`.
   * Special values (`SHN_UNDEF`, `SHN_ABS`, `SHN_COMMON`) are kept as they are.
   */
  readonly shndx: number;
}

/** A symbol table section with its decoded symbols. */
export interface ElfSymbolTable {
  /** The `SHT_SYMTAB` or `SHT_DYNSYM` section. */
  readonly section: ElfSection;
  /** Its symbols, index 0 (the null symbol) included. */
  readonly symbols: readonly ElfSymbol[];
}

/** One relocation (`Elf64_Rel` or `Elf64_Rela`), decoded. */
export interface ElfRelocation {
  /** Index in its relocation section. */
  readonly index: number;
  /** `r_offset`. */
  readonly offset: bigint;
  /** Relocation type, the low 32 bits of `r_info`. */
  readonly type: number;
  /** Symbol index, the high 32 bits of `r_info`. */
  readonly symbolIndex: number;
  /** `r_addend`; 0n for REL entries. */
  readonly addend: bigint;
}

/** A REL or RELA section with its decoded entries. */
export interface ElfRelocationSection {
  /** The relocation section itself. */
  readonly section: ElfSection;
  /** `'rela'` for `SHT_RELA` (explicit addends), `'rel'` for `SHT_REL`. */
  readonly kind: 'rel' | 'rela';
  /** Index of the section the relocations apply to (`sh_info`; 0 when none, as in dynamic relocations). */
  readonly targetSection: number;
  /** Index of the symbol table the entries refer to (`sh_link`). */
  readonly symbolTableSection: number;
  /** The entries. */
  readonly entries: readonly ElfRelocation[];
}
