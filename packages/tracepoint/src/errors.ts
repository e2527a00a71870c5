// SPDX-License-Identifier: MIT
// Error family of @axebpf/tracepoint.

const BRAND = Symbol.for('axebpf.error');
const TP_BRAND = Symbol.for('axebpf.error.TracepointError');

/**
 * Codes a {@link TracepointError} can carry.
 *
 * - `INVALID_DEFINITION`: a bad event definition (name, field type, print format).
 * - `INVALID_NAME`: an event name without `system:` (the Rust `InvalidName`).
 * - `NOT_FOUND`: no such event or subsystem.
 * - `DUPLICATE_EVENT`, `DUPLICATE_ID`: registering an event twice, or two events one id.
 * - `BAD_FILTER`: a filter that does not parse or type-check; `cause` is the `LexError` and
 *   `column` its column.
 * - `INVALID_ARGUMENT`: a bad option or argument (ring size, enable file value, ...).
 */
export type TracepointErrorCode =
  | 'INVALID_DEFINITION'
  | 'INVALID_NAME'
  | 'NOT_FOUND'
  | 'DUPLICATE_EVENT'
  | 'DUPLICATE_ID'
  | 'BAD_FILTER'
  | 'INVALID_ARGUMENT';

/** Options of the {@link TracepointError} constructor. */
export interface TracepointErrorOptions {
  /** Machine-readable reason. */
  code: TracepointErrorCode;
  /** Lower-case message, values in backticks. */
  message: string;
  /** The event (`system:name`) concerned, if any. */
  event?: string;
  /** For `BAD_FILTER`: 1-based column of the error in the filter. */
  column?: number;
  /** Wrapped cause (the `LexError` for `BAD_FILTER`). */
  cause?: unknown;
}

/**
 * Error raised by event definitions and the tracepoint manager.
 *
 * @remarks Use {@link TracepointError.isInstance} rather than `instanceof`.
 */
export class TracepointError extends Error {
  /** Machine-readable reason. */
  readonly code: TracepointErrorCode;
  /** The event concerned, if any. */
  readonly event: string | undefined;
  /** Column of a filter error (1-based), if any. */
  readonly column: number | undefined;
  readonly [BRAND] = true;
  readonly [TP_BRAND] = true;

  /** @param options - code, message and structured fields. */
  constructor(options: TracepointErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TracepointError';
    this.code = options.code;
    this.event = options.event;
    this.column = options.column;
  }

  /**
   * Tells whether a value is a TracepointError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for a TracepointError.
   */
  static isInstance(value: unknown): value is TracepointError {
    return typeof value === 'object' && value !== null && TP_BRAND in value;
  }
}
