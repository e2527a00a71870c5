// SPDX-License-Identifier: MIT
// Error family of @axebpf/ksym.

const BRAND = Symbol.for('axebpf.error');
const KSYM_BRAND = Symbol.for('axebpf.error.KsymError');

/** Codes a {@link KsymError} can carry. */
export type KsymErrorCode =
  /** The blob ends before an array or length that its header announces. */
  | 'TRUNCATED'
  /** A name offset or record runs outside the names array. */
  | 'BAD_OFFSET'
  /** The addresses are not in ascending order. */
  | 'BAD_ORDER'
  /** A token id or the token index is invalid. */
  | 'BAD_TOKEN'
  /** A name record's token marker is malformed. */
  | 'BAD_RECORD'
  /** The name-order index (`seqs`) is not a permutation sorted by name. */
  | 'BAD_INDEX'
  /** A count or length does not fit the blob or a safe integer. */
  | 'TOO_LARGE'
  /** A line of `nm -n` text cannot be parsed. */
  | 'BAD_INPUT'
  /** A name is empty, contains a NUL or 0xFF byte, or is longer than {@link KSYM_NAME_LEN}. */
  | 'BAD_NAME'
  /** The ELF file has no symbol table (stripped) or no usable symbol. */
  | 'NO_SYMBOLS'
  /** A compressed container does not inflate to its announced size. */
  | 'BAD_COMPRESSION'
  /** A value passed to the API is out of range. */
  | 'INVALID_ARGUMENT'
  /** No Linux kallsyms tables were found in a kernel image or memory range. */
  | 'NO_KALLSYMS'
  /** Linux kallsyms tables were found in a layout this decoder does not read. */
  | 'UNSUPPORTED_LAYOUT'
  /** `kallsyms_relative_base` is not in the image and no relocation gives it. */
  | 'NO_BASE'
  /** Kallsyms tables lie in guest memory the reader could not read. */
  | 'UNREADABLE';

/** Options of the {@link KsymError} constructor. */
export interface KsymErrorOptions {
  /** Machine-readable reason. */
  code: KsymErrorCode;
  /** Human-readable message (lower case, values in backticks, offsets in hex). */
  message: string;
  /** Byte offset in the blob where the problem was found, if any. */
  offset?: number;
  /** 1-based line of `nm` text, if any. */
  line?: number;
  /** Index of the symbol concerned (address order), if any. */
  symbol?: number;
  /** Wrapped cause (for example an `ElfError`). */
  cause?: unknown;
}

/**
 * Error raised by @axebpf/ksym for malformed blobs, malformed `nm` text, bad names and ELF
 * files without symbols.
 *
 * @remarks Use {@link KsymError.isInstance} rather than `instanceof`.
 */
export class KsymError extends Error {
  /** Machine-readable reason. */
  readonly code: KsymErrorCode;
  /** Byte offset in the blob, if any. */
  readonly offset: number | undefined;
  /** 1-based line of `nm` text, if any. */
  readonly line: number | undefined;
  /** Index of the symbol concerned, if any. */
  readonly symbol: number | undefined;
  readonly [BRAND] = true;
  readonly [KSYM_BRAND] = true;

  /** @param options - code, message and structured fields. */
  constructor(options: KsymErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KsymError';
    this.code = options.code;
    this.offset = options.offset;
    this.line = options.line;
    this.symbol = options.symbol;
  }

  /**
   * Tells whether a value is a KsymError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for a KsymError.
   */
  static isInstance(value: unknown): value is KsymError {
    return typeof value === 'object' && value !== null && KSYM_BRAND in value;
  }
}

/** Longest symbol name accepted, in bytes (upstream `KSYM_NAME_LEN`, 4096 since 2026-03-14). */
export const KSYM_NAME_LEN = 4096;
