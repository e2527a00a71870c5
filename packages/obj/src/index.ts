// SPDX-License-Identifier: MIT
// @axebpf/obj: load clang-built eBPF ELF objects (the aya-obj role).

/**
 * `import { loadObject } from '@axebpf/obj'`: load clang-built eBPF ELF objects.
 * @module @axebpf/obj
 */

export {
  EbpfObject,
  loadObject,
  R_BPF_64_64,
  R_BPF_64_32,
  R_BPF_64_ABS64,
  R_BPF_64_ABS32,
  R_BPF_64_NODYLD32,
  BPF_MAP_TYPE_ARRAY,
  BPF_F_RDONLY_PROG,
  BPF_F_MMAPABLE,
} from './object.js';
export type {
  MapDefinition,
  MapFactory,
  ObjFunction,
  ObjProgram,
  LinkedProgram,
  LoadedObject,
} from './object.js';
export { Btf, BTF_KIND, BTF_MAGIC } from './btf.js';
export type { BtfType, BtfMember } from './btf.js';
export { parseLineInfo } from './btf-ext.js';
export type { SourceLine } from './btf-ext.js';
export { sectionKind } from './section-kind.js';
export type { ProgramKind, SectionKind } from './section-kind.js';
export { ObjError } from './errors.js';
export type { ObjErrorCode, ObjErrorOptions } from './errors.js';
