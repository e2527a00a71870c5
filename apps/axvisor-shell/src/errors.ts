// SPDX-License-Identifier: MIT
// Errors of the axvisor shell: bad command lines, unknown commands, bad arguments.

const SHELL_BRAND = Symbol.for('axebpf.error.ShellError');

/** Codes a {@link ShellError} can carry. */
export type ShellErrorCode =
  | 'UNTERMINATED_QUOTE'
  | 'UNKNOWN_COMMAND'
  | 'BAD_ARGUMENT'
  | 'MISSING_ARGUMENT'
  | 'BAD_DURATION'
  | 'COMMAND_FAILED';

/**
 * A shell error: what was wrong with a command line and, where known, the column (1-based)
 * and a suggestion (`did you mean ...`).
 */
export class ShellError extends Error {
  /** Machine-readable reason. */
  readonly code: ShellErrorCode;
  /** 1-based column in the command line, when known. */
  readonly column: number | undefined;
  /** A suggested correction, when one is close enough. */
  readonly suggestion: string | undefined;
  readonly [SHELL_BRAND] = true;

  /** @param options - code, message, optional column, suggestion and cause. */
  constructor(options: {
    code: ShellErrorCode;
    message: string;
    column?: number;
    suggestion?: string;
    cause?: unknown;
  }) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ShellError';
    this.code = options.code;
    this.column = options.column;
    this.suggestion = options.suggestion;
  }

  /**
   * @param value - anything caught.
   * @returns true for a ShellError from any copy of this package.
   */
  static isInstance(value: unknown): value is ShellError {
    return typeof value === 'object' && value !== null && SHELL_BRAND in value;
  }
}
