// SPDX-License-Identifier: MIT
// Error family of @axebpf/tp-lexer: every bad filter gives a LexError with a position.

const BRAND = Symbol.for('axebpf.error');
const LEX_BRAND = Symbol.for('axebpf.error.LexError');

/**
 * Codes a {@link LexError} can carry.
 *
 * - `UNEXPECTED_CHAR`: a character that starts no token (`=` alone, `|` alone, ...).
 * - `UNTERMINATED_STRING`: a quoted string without its closing quote.
 * - `BAD_ESCAPE`: a malformed escape in a quoted string (`\x` without two hex digits).
 * - `BAD_NUMBER`: a malformed number (`0x`, `09`, `12ab`).
 * - `UNEXPECTED_TOKEN`: a token where the grammar wants something else.
 * - `UNEXPECTED_END`: the filter ends in the middle of an expression.
 * - `UNKNOWN_FIELD`: a field the event does not have.
 * - `NOT_NUMERIC`: a numeric operator (`<`, `&`, ...) or a number on a string field.
 * - `NOT_STRING`: a string operator (`~`) or a string value on a numeric field.
 * - `NUMBER_TOO_WIDE`: a number that does not fit the field's type.
 * - `INVALID_FIELD`: a field description that is malformed (bad name, offset or size); checked
 *   before any code is generated from it.
 * - `FILTER_TOO_LONG`: a filter of a page (4096 bytes) or more, which Linux refuses
 *   (`event_filter_write`: `cnt >= PAGE_SIZE` is `-EINVAL`).
 * - `RECORD_TOO_SHORT`: a compiled filter ran on a record shorter than the event's fields
 *   (or a dynamic string pointing outside the record).
 */
export type LexErrorCode =
  | 'UNEXPECTED_CHAR'
  | 'UNTERMINATED_STRING'
  | 'BAD_ESCAPE'
  | 'BAD_NUMBER'
  | 'UNEXPECTED_TOKEN'
  | 'UNEXPECTED_END'
  | 'UNKNOWN_FIELD'
  | 'NOT_NUMERIC'
  | 'NOT_STRING'
  | 'NUMBER_TOO_WIDE'
  | 'INVALID_FIELD'
  | 'RECORD_TOO_SHORT'
  | 'FILTER_TOO_LONG';

/** Options of the {@link LexError} constructor. */
export interface LexErrorOptions {
  /** Machine-readable reason. */
  code: LexErrorCode;
  /** Human-readable message, lower case, without the position. */
  message: string;
  /** The filter text (empty for run-time errors). */
  input?: string;
  /** 0-based offset of the first offending character in `input`. */
  offset?: number;
  /** Number of offending characters (at least 1 for the caret line). */
  length?: number;
  /** Field concerned, if any. */
  field?: string;
  /** Wrapped cause. */
  cause?: unknown;
}

/**
 * Error raised for a bad filter expression, with its position.
 *
 * `column` is 1-based; `caret` is two lines, the filter and a `^^^` marker under the
 * offending text, the way Linux shows filter errors in the event's `filter` file:
 *
 * ```text
 * vm_id == 1 && bogus > 3
 *               ^^^^^
 * ```
 *
 * @remarks Use {@link LexError.isInstance} rather than `instanceof`.
 */
export class LexError extends Error {
  /** Machine-readable reason. */
  readonly code: LexErrorCode;
  /** The filter text. */
  readonly input: string;
  /** 0-based offset into `input`. */
  readonly offset: number;
  /** 1-based column (offset + 1). */
  readonly column: number;
  /** Length of the offending text. */
  readonly length: number;
  /** Field concerned, if any. */
  readonly field: string | undefined;
  /** The input line and a caret line under the offending text. */
  readonly caret: string;
  readonly [BRAND] = true;
  readonly [LEX_BRAND] = true;

  /** @param options - code, message and position. */
  constructor(options: LexErrorOptions) {
    const input = options.input ?? '';
    const offset = options.offset ?? 0;
    const length = Math.max(1, options.length ?? 1);
    const caret = input === '' ? '' : `${input}\n${' '.repeat(offset)}${'^'.repeat(length)}`;
    const where = input === '' ? '' : ` at column ${offset + 1}\n${caret}`;
    super(
      options.message + where,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'LexError';
    this.code = options.code;
    this.input = input;
    this.offset = offset;
    this.column = offset + 1;
    this.length = length;
    this.field = options.field;
    this.caret = caret;
  }

  /**
   * Tells whether a value is a LexError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for a LexError.
   */
  static isInstance(value: unknown): value is LexError {
    return typeof value === 'object' && value !== null && LEX_BRAND in value;
  }
}
