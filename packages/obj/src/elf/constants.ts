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

/** Object file types (`e_type`): `ET_NONE`. */
export const ET_NONE = 0;
/** Object file types (`e_type`): `ET_REL`. */
export const ET_REL = 1;
/** Object file types (`e_type`): `ET_EXEC`. */
export const ET_EXEC = 2;
/** Object file types (`e_type`): `ET_DYN`. */
export const ET_DYN = 3;
/** Object file types (`e_type`): `ET_CORE`. */
export const ET_CORE = 4;

/** Machines (`e_machine`) this project meets: `EM_NONE`. */
export const EM_NONE = 0;
/** Machines (`e_machine`) this project meets: `EM_X86_64`. */
export const EM_X86_64 = 62;
/** Machines (`e_machine`) this project meets: `EM_AARCH64`. */
export const EM_AARCH64 = 183;
/** Machines (`e_machine`) this project meets: `EM_RISCV`. */
export const EM_RISCV = 243;
/** Machines (`e_machine`) this project meets: `EM_BPF`. */
export const EM_BPF = 247;
/** Machines (`e_machine`) this project meets: `EM_LOONGARCH`. */
export const EM_LOONGARCH = 258;

/** Special section indices: `SHN_UNDEF`. */
export const SHN_UNDEF = 0;
/** Special section indices: `SHN_LORESERVE`. */
export const SHN_LORESERVE = 0xff00;
/** Special section indices: `SHN_ABS`. */
export const SHN_ABS = 0xfff1;
/** Special section indices: `SHN_COMMON`. */
export const SHN_COMMON = 0xfff2;
/** Special section indices: `SHN_XINDEX`. */
export const SHN_XINDEX = 0xffff;

/** Section types (`sh_type`): `SHT_NULL`. */
export const SHT_NULL = 0;
/** Section types (`sh_type`): `SHT_PROGBITS`. */
export const SHT_PROGBITS = 1;
/** Section types (`sh_type`): `SHT_SYMTAB`. */
export const SHT_SYMTAB = 2;
/** Section types (`sh_type`): `SHT_STRTAB`. */
export const SHT_STRTAB = 3;
/** Section types (`sh_type`): `SHT_RELA`. */
export const SHT_RELA = 4;
/** Section types (`sh_type`): `SHT_HASH`. */
export const SHT_HASH = 5;
/** Section types (`sh_type`): `SHT_DYNAMIC`. */
export const SHT_DYNAMIC = 6;
/** Section types (`sh_type`): `SHT_NOTE`. */
export const SHT_NOTE = 7;
/** Section types (`sh_type`): `SHT_NOBITS`. */
export const SHT_NOBITS = 8;
/** Section types (`sh_type`): `SHT_REL`. */
export const SHT_REL = 9;
/** Section types (`sh_type`): `SHT_SHLIB`. */
export const SHT_SHLIB = 10;
/** Section types (`sh_type`): `SHT_DYNSYM`. */
export const SHT_DYNSYM = 11;
/** Section types (`sh_type`): `SHT_INIT_ARRAY`. */
export const SHT_INIT_ARRAY = 14;
/** Section types (`sh_type`): `SHT_FINI_ARRAY`. */
export const SHT_FINI_ARRAY = 15;
/** Section types (`sh_type`): `SHT_PREINIT_ARRAY`. */
export const SHT_PREINIT_ARRAY = 16;
/** Section types (`sh_type`): `SHT_GROUP`. */
export const SHT_GROUP = 17;
/** Section types (`sh_type`): `SHT_SYMTAB_SHNDX`. */
export const SHT_SYMTAB_SHNDX = 18;
/** Section types (`sh_type`): `SHT_RELR`. */
export const SHT_RELR = 19;
/** Section types (`sh_type`): `SHT_GNU_HASH`. */
export const SHT_GNU_HASH = 0x6ffffff6;
/** Section types (`sh_type`): `SHT_LLVM_ADDRSIG`. */
export const SHT_LLVM_ADDRSIG = 0x6fff4c03;

/** Section flags (`sh_flags`, low bits): `SHF_WRITE`. */
export const SHF_WRITE = 0x1;
/** Section flags (`sh_flags`, low bits): `SHF_ALLOC`. */
export const SHF_ALLOC = 0x2;
/** Section flags (`sh_flags`, low bits): `SHF_EXECINSTR`. */
export const SHF_EXECINSTR = 0x4;
/** Section flags (`sh_flags`, low bits): `SHF_MERGE`. */
export const SHF_MERGE = 0x10;
/** Section flags (`sh_flags`, low bits): `SHF_STRINGS`. */
export const SHF_STRINGS = 0x20;
/** Section flags (`sh_flags`, low bits): `SHF_INFO_LINK`. */
export const SHF_INFO_LINK = 0x40;
/** Section flags (`sh_flags`, low bits): `SHF_GROUP`. */
export const SHF_GROUP = 0x200;
/** Section flags (`sh_flags`, low bits): `SHF_TLS`. */
export const SHF_TLS = 0x400;

/** Program header types (`p_type`): `PT_NULL`. */
export const PT_NULL = 0;
/** Program header types (`p_type`): `PT_LOAD`. */
export const PT_LOAD = 1;
/** Program header types (`p_type`): `PT_DYNAMIC`. */
export const PT_DYNAMIC = 2;
/** Program header types (`p_type`): `PT_INTERP`. */
export const PT_INTERP = 3;
/** Program header types (`p_type`): `PT_NOTE`. */
export const PT_NOTE = 4;
/** Program header types (`p_type`): `PT_SHLIB`. */
export const PT_SHLIB = 5;
/** Program header types (`p_type`): `PT_PHDR`. */
export const PT_PHDR = 6;
/** Program header types (`p_type`): `PT_TLS`. */
export const PT_TLS = 7;
/** Program header types (`p_type`): `PT_GNU_EH_FRAME`. */
export const PT_GNU_EH_FRAME = 0x6474e550;
/** Program header types (`p_type`): `PT_GNU_STACK`. */
export const PT_GNU_STACK = 0x6474e551;
/** Program header types (`p_type`): `PT_GNU_RELRO`. */
export const PT_GNU_RELRO = 0x6474e552;
/** Program header types (`p_type`): `PT_GNU_PROPERTY`. */
export const PT_GNU_PROPERTY = 0x6474e553;

/** Program header flags (`p_flags`): `PF_X`. */
export const PF_X = 0x1;
/** Program header flags (`p_flags`): `PF_W`. */
export const PF_W = 0x2;
/** Program header flags (`p_flags`): `PF_R`. */
export const PF_R = 0x4;

/** Symbol types (low nibble of `st_info`): `STT_NOTYPE`. */
export const STT_NOTYPE = 0;
/** Symbol types (low nibble of `st_info`): `STT_OBJECT`. */
export const STT_OBJECT = 1;
/** Symbol types (low nibble of `st_info`): `STT_FUNC`. */
export const STT_FUNC = 2;
/** Symbol types (low nibble of `st_info`): `STT_SECTION`. */
export const STT_SECTION = 3;
/** Symbol types (low nibble of `st_info`): `STT_FILE`. */
export const STT_FILE = 4;
/** Symbol types (low nibble of `st_info`): `STT_COMMON`. */
export const STT_COMMON = 5;
/** Symbol types (low nibble of `st_info`): `STT_TLS`. */
export const STT_TLS = 6;
/** Symbol types (low nibble of `st_info`): `STT_GNU_IFUNC`. */
export const STT_GNU_IFUNC = 10;

/** Symbol bindings (high nibble of `st_info`): `STB_LOCAL`. */
export const STB_LOCAL = 0;
/** Symbol bindings (high nibble of `st_info`): `STB_GLOBAL`. */
export const STB_GLOBAL = 1;
/** Symbol bindings (high nibble of `st_info`): `STB_WEAK`. */
export const STB_WEAK = 2;
/** Symbol bindings (high nibble of `st_info`): `STB_GNU_UNIQUE`. */
export const STB_GNU_UNIQUE = 10;

/** Symbol visibility (low 2 bits of `st_other`): `STV_DEFAULT`. */
export const STV_DEFAULT = 0;
/** Symbol visibility (low 2 bits of `st_other`): `STV_INTERNAL`. */
export const STV_INTERNAL = 1;
/** Symbol visibility (low 2 bits of `st_other`): `STV_HIDDEN`. */
export const STV_HIDDEN = 2;
/** Symbol visibility (low 2 bits of `st_other`): `STV_PROTECTED`. */
export const STV_PROTECTED = 3;
