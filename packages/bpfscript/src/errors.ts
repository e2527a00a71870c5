// SPDX-License-Identifier: MIT
// Error family of @axebpf/bpfscript: every error points into the source (line, column, byte
// offset, length) and renders the way bpftrace prints its diagnostics: the location, the
// message, the source line and a caret under the culprit.

const BRAND = Symbol.for('axebpf.error');
const SCRIPT_BRAND = Symbol.for('axebpf.error.ScriptError');

/**
 * Codes a {@link ScriptError} can carry.
 *
 * - `UNEXPECTED_CHAR`: the lexer met a character no token starts with.
 * - `UNTERMINATED_STRING`: a string literal or comment runs to the end of the source.
 * - `BAD_NUMBER`: an integer literal that is malformed or does not fit in 64 bits.
 * - `UNEXPECTED_TOKEN`: a syntax error.
 * - `UNKNOWN_PROBE`: a probe the language or the host does not know (`tracepoint:vmm:nope`).
 * - `UNKNOWN_FIELD`: `args.NAME` that the tracepoint's format lacks.
 * - `UNKNOWN_IDENTIFIER`: a builtin, function or variable that does not exist where it is used.
 * - `TYPE_MISMATCH`: an operand, argument or map use of the wrong type.
 * - `BAD_ARGUMENTS`: a call with the wrong number or kind of arguments.
 * - `BAD_FORMAT`: a printf format whose conversions do not match its arguments.
 * - `STACK_LIMIT`: the program needs more than the 512 bytes of eBPF stack.
 * - `VERIFIER_REJECTED`: the generated program was rejected (`cause` is the verifier's error).
 * - `ATTACH_FAILED`: the host could not attach a probe (`cause` is the host's error).
 */
export type ScriptErrorCode =
  | 'UNEXPECTED_CHAR'
  | 'UNTERMINATED_STRING'
  | 'BAD_NUMBER'
  | 'UNEXPECTED_TOKEN'
  | 'UNKNOWN_PROBE'
  | 'UNKNOWN_FIELD'
  | 'UNKNOWN_IDENTIFIER'
  | 'TYPE_MISMATCH'
  | 'BAD_ARGUMENTS'
  | 'BAD_FORMAT'
  | 'STACK_LIMIT'
  | 'VERIFIER_REJECTED'
  | 'ATTACH_FAILED';

/** A place in the source: 0-based byte offset and length, 1-based line and column. */
export interface SourceSpan {
  /** Offset of the first character (UTF-16 units, as JavaScript strings index). */
  readonly offset: number;
  /** Characters covered (at least 1 for rendering). */
  readonly length: number;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** Options of the {@link ScriptError} constructor. */
export interface ScriptErrorOptions {
  /** Machine-readable reason. */
  code: ScriptErrorCode;
  /** Lower-case message, values in backticks. */
  message: string;
  /** Where in the source. */
  span: SourceSpan;
  /** The whole source text, for {@link ScriptError.format}. */
  source: string;
  /** Source name shown in the location (`stdin`, a file name). Default `stdin`. */
  file?: string;
  /** Wrapped cause. */
  cause?: unknown;
}

/**
 * Error raised by the lexer, parser, type checker, code generator and loader of bpfscript.
 *
 * @remarks Use {@link ScriptError.isInstance} rather than `instanceof`. `format()` renders
 * bpftrace's layout: `stdin:1:10-14: ERROR: message`, the source line, then `^~~~` under it.
 */
export class ScriptError extends Error {
  /** Machine-readable reason. */
  readonly code: ScriptErrorCode;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
  /** 0-based character offset in the source. */
  readonly offset: number;
  /** Characters covered. */
  readonly length: number;
  /** The source text. */
  readonly source: string;
  /** Source name. */
  readonly file: string;
  readonly [BRAND] = true;
  readonly [SCRIPT_BRAND] = true;

  /** @param options - code, message, span and source. */
  constructor(options: ScriptErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ScriptError';
    this.code = options.code;
    this.line = options.span.line;
    this.column = options.span.column;
    this.offset = options.span.offset;
    this.length = Math.max(1, options.span.length);
    this.source = options.source;
    this.file = options.file ?? 'stdin';
  }

  /**
   * Renders the error as bpftrace does: location, message, source line, caret.
   * @returns three lines of text.
   * @example
   * ```text
   * stdin:1:33-36: ERROR: unknown identifier `foo`
   * tracepoint:vmm:vcpu_run_exit { @ = foo; }
   *                                    ^~~
   * ```
   */
  format(): string {
    const lines = this.source.split('\n');
    const text = lines[this.line - 1] ?? '';
    const width = Math.max(1, Math.min(this.length, text.length - this.column + 1));
    const end = this.column + width;
    const where = `${this.file}:${this.line}:${this.column}${width > 1 ? `-${end}` : ''}`;
    const pad = text.slice(0, this.column - 1).replace(/[^\t]/g, ' ');
    return `${where}: ERROR: ${this.message}\n${text}\n${pad}^${'~'.repeat(width - 1)}`;
  }

  /**
   * Tells whether a value is a ScriptError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for a ScriptError.
   */
  static isInstance(value: unknown): value is ScriptError {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[SCRIPT_BRAND] === true
    );
  }
}

/**
 * Computes the span of `[offset, offset + length)` in a source.
 * @param source - the source text.
 * @param offset - 0-based start.
 * @param length - characters covered.
 * @returns the span with line and column.
 */
export function spanAt(source: string, offset: number, length: number): SourceSpan {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { offset, length, line, column: offset - lineStart + 1 };
}
