// SPDX-License-Identifier: MIT
// Error family of the eBPF object loader.

const BRAND = Symbol.for('axebpf.error');
const OBJ_BRAND = Symbol.for('axebpf.error.ObjError');

/** Codes an {@link ObjError} can carry. */
export type ObjErrorCode =
  /** The ELF container is malformed (the {@link "@axebpf/obj/elf".ElfError} is the `cause`). */
  | 'INVALID_ELF'
  /** `e_machine` is not `EM_BPF` (247) or `e_type` is not `ET_REL`. */
  | 'WRONG_MACHINE'
  /** The `.BTF` section is malformed. */
  | 'INVALID_BTF'
  /** A map definition (BTF `.maps` or legacy `maps`) is malformed. */
  | 'INVALID_MAP'
  /** A program section or function is malformed (size not a multiple of 8, bad bounds). */
  | 'INVALID_PROGRAM'
  /** A relocation has a type the loader does not handle (aya-obj `UnknownRelocationType`). */
  | 'UNKNOWN_RELOCATION'
  /** A relocation is on the wrong instruction or outside its section. */
  | 'INVALID_RELOCATION'
  /** A relocation or call refers to a symbol that is undefined or not a map/data/function. */
  | 'UNKNOWN_SYMBOL'
  /** A BPF-to-BPF call targets an instruction that is not inside a function. */
  | 'UNKNOWN_FUNCTION'
  /** No program with the requested name. */
  | 'PROGRAM_NOT_FOUND';

/** Options of the {@link ObjError} constructor. */
export interface ObjErrorOptions {
  /** Machine-readable reason. */
  code: ObjErrorCode;
  /** Human-readable message (lower case, values in backticks). */
  message: string;
  /** Name of the section concerned, if any. */
  section?: string | undefined;
  /** Name of the symbol concerned, if any. */
  symbol?: string | undefined;
  /** Byte offset (in the file, or in the section when `section` is set). */
  offset?: number | undefined;
  /** Wrapped cause. */
  cause?: unknown;
}

/**
 * Error raised by the eBPF object loader for any malformed or unsupported object.
 *
 * @remarks Carries the `section` and `symbol` names and the byte `offset` when known.
 * ELF-level problems are wrapped (`code: 'INVALID_ELF'`, the {@link "@axebpf/obj/elf".ElfError} as
 * `cause`, its
 * offset copied). Use {@link ObjError.isInstance} rather than `instanceof`.
 */
export class ObjError extends Error {
  /** Machine-readable reason. */
  readonly code: ObjErrorCode;
  /** Section name, if known. */
  readonly section: string | undefined;
  /** Symbol name, if known. */
  readonly symbol: string | undefined;
  /** Byte offset (in the file, or in `section`), if known. */
  readonly offset: number | undefined;
  readonly [BRAND] = true;
  readonly [OBJ_BRAND] = true;

  /** @param options - code, message and context. */
  constructor(options: ObjErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ObjError';
    this.code = options.code;
    this.section = options.section;
    this.symbol = options.symbol;
    this.offset = options.offset;
  }

  /**
   * Tells whether a value is an ObjError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for an ObjError.
   */
  static isInstance(value: unknown): value is ObjError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[OBJ_BRAND] === true
    );
  }
}
