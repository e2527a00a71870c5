// SPDX-License-Identifier: MIT
// Error family of the ELF64 reader (`@axebpf/obj/elf`).

const BRAND = Symbol.for('axebpf.error');
const ELF_BRAND = Symbol.for('axebpf.error.ElfError');

/** Codes an {@link ElfError} can carry. */
export type ElfErrorCode =
  /** The input ends before a structure that the headers say is there. */
  | 'TRUNCATED'
  /** The first four bytes are not `\x7fELF`. */
  | 'BAD_MAGIC'
  /** `EI_CLASS` is not ELFCLASS64 (32-bit or invalid). */
  | 'UNSUPPORTED_CLASS'
  /** `EI_DATA` is not ELFDATA2LSB (big-endian or invalid). */
  | 'UNSUPPORTED_ENDIANNESS'
  /** `EI_VERSION` or `e_version` is not EV_CURRENT. */
  | 'UNSUPPORTED_VERSION'
  /** A header field has an impossible value (entry size, index, count). */
  | 'BAD_HEADER'
  /** A section header is inconsistent (range, link, entry size). */
  | 'BAD_SECTION'
  /** A program header is inconsistent (range, `p_filesz > p_memsz`). */
  | 'BAD_PROGRAM_HEADER'
  /** A string-table offset is outside its table or the string has no terminating NUL. */
  | 'BAD_STRING'
  /** A symbol refers to something that does not exist. */
  | 'BAD_SYMBOL'
  /** A relocation entry refers to something that does not exist. */
  | 'BAD_RELOCATION'
  /** A value does not fit a JavaScript number (above 2^53 − 1). */
  | 'VALUE_TOO_LARGE'
  /** A section asked for by name or index does not exist. */
  | 'SECTION_NOT_FOUND'
  /** New section content does not fit in the space the section has in the file. */
  | 'CONTENT_TOO_LARGE';

/** Options of the {@link ElfError} constructor. */
export interface ElfErrorOptions {
  /** Machine-readable reason. */
  code: ElfErrorCode;
  /** Human-readable message (lower case, values in backticks, offsets in hex). */
  message: string;
  /** Byte offset in the input where the problem was found. */
  offset: number;
  /** Index of the section concerned, if any. */
  section?: number;
  /** Wrapped cause. */
  cause?: unknown;
}

/**
 * Error raised by the ELF64 reader and writer for any malformed, truncated or unsupported input.
 *
 * @remarks Every error carries the byte `offset` in the input where the problem was found.
 * Use {@link ElfError.isInstance} rather than `instanceof`: it also recognises errors thrown by
 * a second copy of the package.
 */
export class ElfError extends Error {
  /** Machine-readable reason. */
  readonly code: ElfErrorCode;
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;
  /** Index of the section concerned, if any. */
  readonly section: number | undefined;
  readonly [BRAND] = true;
  readonly [ELF_BRAND] = true;

  /** @param options - code, message, offset and structured fields. */
  constructor(options: ElfErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ElfError';
    this.code = options.code;
    this.offset = options.offset;
    this.section = options.section;
  }

  /**
   * Tells whether a value is an ElfError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for an ElfError.
   */
  static isInstance(value: unknown): value is ElfError {
    return typeof value === 'object' && value !== null && ELF_BRAND in value;
  }
}

/** @internal Formats a byte offset as `0x…` for messages. */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}
