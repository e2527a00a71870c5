// SPDX-License-Identifier: MIT
// ELF64 constants, spelled as in the System V gABI and Linux `include/uapi/linux/elf.h`.

/** `e_ident` size. */
export const EI_NIDENT = 16;
/** `e_ident[EI_CLASS]` value for 32-bit objects. */
export const ELFCLASS32 = 1;
/** `e_ident[EI_CLASS]` value for 64-bit objects. */
export const ELFCLASS64 = 2;
/** `e_ident[EI_DATA]` value for little-endian objects. */
export const ELFDATA2LSB = 1;
/** `e_ident[EI_DATA]` value for big-endian objects. */
export const ELFDATA2MSB = 2;
/** Current ELF version. */
export const EV_CURRENT = 1;

/** Size of the ELF64 file header. */
export const ELF64_EHDR_SIZE = 64;
/** Size of an ELF64 section header. */
export const ELF64_SHDR_SIZE = 64;
/** Size of an ELF64 program header. */
export const ELF64_PHDR_SIZE = 56;
/** Size of an ELF64 symbol. */
export const ELF64_SYM_SIZE = 24;
/** Size of an ELF64 REL entry. */
export const ELF64_REL_SIZE = 16;
/** Size of an ELF64 RELA entry. */
export const ELF64_RELA_SIZE = 24;

// prettier-ignore
/** Object file types (`e_type`). */
export const ET_NONE = 0, ET_REL = 1, ET_EXEC = 2, ET_DYN = 3, ET_CORE = 4;

// prettier-ignore
/** Machines (`e_machine`) this project meets. */
export const EM_NONE = 0, EM_X86_64 = 62, EM_AARCH64 = 183, EM_RISCV = 243, EM_BPF = 247, EM_LOONGARCH = 258;

// prettier-ignore
/** Special section indices. */
export const SHN_UNDEF = 0, SHN_LORESERVE = 0xff00, SHN_ABS = 0xfff1, SHN_COMMON = 0xfff2, SHN_XINDEX = 0xffff;

// prettier-ignore
/** Section types (`sh_type`). */
export const
  SHT_NULL = 0, SHT_PROGBITS = 1, SHT_SYMTAB = 2, SHT_STRTAB = 3, SHT_RELA = 4, SHT_HASH = 5,
  SHT_DYNAMIC = 6, SHT_NOTE = 7, SHT_NOBITS = 8, SHT_REL = 9, SHT_SHLIB = 10, SHT_DYNSYM = 11,
  SHT_INIT_ARRAY = 14, SHT_FINI_ARRAY = 15, SHT_PREINIT_ARRAY = 16, SHT_GROUP = 17,
  SHT_SYMTAB_SHNDX = 18, SHT_RELR = 19, SHT_GNU_HASH = 0x6ffffff6, SHT_LLVM_ADDRSIG = 0x6fff4c03;

// prettier-ignore
/** Section flags (`sh_flags`, low bits). */
export const
  SHF_WRITE = 0x1, SHF_ALLOC = 0x2, SHF_EXECINSTR = 0x4, SHF_MERGE = 0x10, SHF_STRINGS = 0x20,
  SHF_INFO_LINK = 0x40, SHF_GROUP = 0x200, SHF_TLS = 0x400;

// prettier-ignore
/** Program header types (`p_type`). */
export const
  PT_NULL = 0, PT_LOAD = 1, PT_DYNAMIC = 2, PT_INTERP = 3, PT_NOTE = 4, PT_SHLIB = 5, PT_PHDR = 6,
  PT_TLS = 7, PT_GNU_EH_FRAME = 0x6474e550, PT_GNU_STACK = 0x6474e551, PT_GNU_RELRO = 0x6474e552,
  PT_GNU_PROPERTY = 0x6474e553;

// prettier-ignore
/** Program header flags (`p_flags`). */
export const PF_X = 0x1, PF_W = 0x2, PF_R = 0x4;

// prettier-ignore
/** Symbol types (low nibble of `st_info`). */
export const
  STT_NOTYPE = 0, STT_OBJECT = 1, STT_FUNC = 2, STT_SECTION = 3, STT_FILE = 4, STT_COMMON = 5,
  STT_TLS = 6, STT_GNU_IFUNC = 10;

// prettier-ignore
/** Symbol bindings (high nibble of `st_info`). */
export const STB_LOCAL = 0, STB_GLOBAL = 1, STB_WEAK = 2, STB_GNU_UNIQUE = 10;

// prettier-ignore
/** Symbol visibility (low 2 bits of `st_other`). */
export const STV_DEFAULT = 0, STV_INTERNAL = 1, STV_HIDDEN = 2, STV_PROTECTED = 3;
