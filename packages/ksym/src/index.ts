// SPDX-License-Identifier: MIT
// @axebpf/ksym: kallsyms-style compressed symbol tables (the Starry-OS/ksym role).

export { buildBlob } from './blob-builder.js';
export type { BuildBlobOptions, BuiltBlob } from './blob-builder.js';
export { KsymTable } from './table.js';
export { compressBlob, decompressBlob, isCompressedBlob, COMPRESSED_MAGIC } from './compressed.js';
export type { KsymTableOptions, KsymSearchOptions } from './table.js';
export { parseNmText, formatNmText, isKallsymsSymbol } from './nm-text.js';
export { symbolsFromElf, nmTypeLetter } from './elf-symbols.js';
export type { SymbolsFromElfOptions } from './elf-symbols.js';
export {
  readLinuxKallsyms,
  readLinuxKallsymsFromMemory,
  kaslrOffsetFromSymbol,
  relocateLinuxKallsyms,
  isLinuxArm64Image,
  ARM64_KIMAGE_VADDR,
} from './linux-kallsyms.js';
export type {
  LinuxKallsyms,
  LinuxKallsymsOptions,
  LinuxKallsymsMemoryOptions,
  LinuxKallsymsLayout,
  LinuxKallsymsLayoutKind,
  LinuxMemoryReader,
} from './linux-kallsyms.js';
export { demangle, isMangled } from './demangle.js';
export { KsymError, KSYM_NAME_LEN } from './errors.js';
export type { KsymErrorCode, KsymErrorOptions } from './errors.js';
export { TOKEN_MARKER, MAX_TOKENS, MAX_TOKENS_UPSTREAM } from './blob-format.js';
export type { KsymInput, KsymEntry, KsymLookup } from './types.js';
