// SPDX-License-Identifier: MIT
// @axebpf/rbpf: the eBPF instruction set, assembler, disassembler, interpreter, Wasm engine and verifier.
export { Program, encodeInsns, VALID_OPCODES } from './program.js';
export type { Insn } from './program.js';
export { ProgramError, VmError, AsmError } from './errors.js';
export type { ProgramErrorCode, VmErrorCode, AsmErrorCode, AccessInfo } from './errors.js';
export { AddressSpace, MAX_SEGMENTS, SEGMENT_TABLE_OFFSET, SCRATCH_OFFSET } from './memory.js';
export type { Region, AddressSpaceOptions } from './memory.js';
export type { WasmMemory } from './wasm-api.js';
export { HelperCall, HelperTable } from './helpers.js';
export type { HelperFn, HelperEntry } from './helpers.js';
export { EbpfVm, DEFAULT_MAX_INSTRUCTIONS, AUTO_COMPILE_AFTER } from './vm.js';
export type { VmOptions, RunResult, LddwResolver, EngineKind } from './vm.js';
export { assemble, assembleInsns } from './assembler.js';
export type { RawInsn } from './assembler.js';
export { ProgramBuilder, reg } from './builder.js';
export type { AluOp, JumpOp, Width, AtomicOp, Reg, Target } from './builder.js';
export { disassemble, formatInsn } from './disassembler.js';
export type { DisasmOptions, DisasmStyle } from './disassembler.js';
export { mulHigh32, divMod64, divMod32, toU64, toS64, storeU64, bswap32 } from './u64.js';
export {
  verify,
  VerifierError,
  CONFORMANCE_HELPERS,
  LINUX_TRACING_HELPERS,
} from './verifier/index.js';
export type {
  VerifyOptions,
  VerifyResult,
  VerifierErrorCode,
  ContextField,
  ContextLayout,
  HelperArgType,
  HelperReturnType,
  HelperSignature,
  MapInfo,
  ProgramType,
} from './verifier/index.js';
export { parseHexBytes } from './cli/protocol.js';
export type { PluginOutcome } from './cli/protocol.js';
export * as opcodes from './opcodes.js';
