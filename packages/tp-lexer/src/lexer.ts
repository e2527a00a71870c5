// SPDX-License-Identifier: MIT
// Lexer of the ftrace filter language. Token set from Linux kernel/trace/trace_events_filter.c
// and Documentation/trace/events.rst (section "Event filtering"); written here.

import { LexError } from './errors.js';

/** Kinds of {@link Token}. */
export type TokenKind =
  | 'word'
  | 'string'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '&'
  | '~'
  | '&&'
  | '||'
  | '!'
  | '('
  | ')'
  | 'eof';

/**
 * One token with its position.
 *
 * A `word` is any unquoted run of characters (a field name, a number, a bare string value
 * or glob such as `bash*` or `b[!a]sh`); the parser decides what it means from the field it
 * is compared with. A `string` is a quoted string; `value` holds it with escapes decoded.
 */
export interface Token {
  /** Token kind. */
  readonly kind: TokenKind;
  /** The source text of the token (with quotes for strings). */
  readonly text: string;
  /** Decoded value: the text for words, the unescaped contents for strings. */
  readonly value: string;
  /** 0-based offset of the first character. */
  readonly start: number;
  /** 0-based offset just past the last character. */
  readonly end: number;
}

const isSpace = (c: string): boolean =>
  c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v';
/** Characters that end a bare word (outside a `[...]` class). */
const isWordBreak = (c: string): boolean =>
  c === '(' ||
  c === ')' ||
  c === '&' ||
  c === '|' ||
  c === '=' ||
  c === '<' ||
  c === '>' ||
  c === '~' ||
  c === '!';

/**
 * Splits a filter into tokens, ending with one `eof` token.
 *
 * @param input - the filter text.
 * @returns the tokens in order.
 * @throws {LexError} `UNEXPECTED_CHAR` for a lone `=` or `|`, `UNTERMINATED_STRING`,
 *   `BAD_ESCAPE`.
 * @example
 * ```ts
 * tokenize('pid >= 10').map((t) => t.kind); // ['word', '>=', 'word', 'eof']
 * ```
 */
export function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = input.length;
  const push = (kind: TokenKind, start: number, end: number, value?: string): void => {
    const text = input.slice(start, end);
    tokens.push({ kind, text, value: value ?? text, start, end });
  };
  while (i < n) {
    const c = input[i]!;
    if (isSpace(c)) {
      i++;
      continue;
    }
    const next = i + 1 < n ? input[i + 1]! : '';
    switch (c) {
      case '(':
      case ')':
      case '~':
        push(c, i, i + 1);
        i++;
        continue;
      case '&':
        if (next === '&') {
          push('&&', i, i + 2);
          i += 2;
        } else {
          push('&', i, i + 1);
          i++;
        }
        continue;
      case '|':
        if (next !== '|') {
          throw new LexError({
            code: 'UNEXPECTED_CHAR',
            message: 'single `|`: did you mean `||`?',
            input,
            offset: i,
          });
        }
        push('||', i, i + 2);
        i += 2;
        continue;
      case '=':
        if (next !== '=') {
          throw new LexError({
            code: 'UNEXPECTED_CHAR',
            message: 'single `=`: did you mean `==`?',
            input,
            offset: i,
          });
        }
        push('==', i, i + 2);
        i += 2;
        continue;
      case '!':
        if (next === '=') {
          push('!=', i, i + 2);
          i += 2;
        } else {
          push('!', i, i + 1);
          i++;
        }
        continue;
      case '<':
      case '>':
        if (next === '=') {
          push(c === '<' ? '<=' : '>=', i, i + 2);
          i += 2;
        } else {
          push(c, i, i + 1);
          i++;
        }
        continue;
      case '"':
      case "'":
        i = readString(input, i, push);
        continue;
      default:
        i = readWord(input, i, push);
    }
  }
  tokens.push({ kind: 'eof', text: '', value: '', start: n, end: n });
  return tokens;
}

type Push = (kind: TokenKind, start: number, end: number, value?: string) => void;

function readString(input: string, start: number, push: Push): number {
  const quote = input[start]!;
  let out = '';
  let i = start + 1;
  while (i < input.length) {
    const c = input[i]!;
    if (c === quote) {
      push('string', start, i + 1, out);
      return i + 1;
    }
    if (c === '\\') {
      if (i + 1 >= input.length) break;
      const e = input[i + 1]!;
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 't':
          out += '\t';
          break;
        case 'r':
          out += '\r';
          break;
        case '0':
          out += '\0';
          break;
        case 'x': {
          const hex = input.slice(i + 2, i + 4);
          if (!/^[0-9a-fA-F]{2}$/.test(hex)) {
            throw new LexError({
              code: 'BAD_ESCAPE',
              message: '`\\x` needs two hex digits',
              input,
              offset: i,
              length: 2 + hex.length,
            });
          }
          out += String.fromCharCode(parseInt(hex, 16));
          i += 4;
          continue;
        }
        case '\\':
        case '"':
        case "'":
          out += e;
          break;
        default:
          // An unknown escape is kept as written, backslash included: Linux does no escape
          // processing in filter strings, so `'a\q'` means the three characters a, \, q.
          out += '\\' + e;
      }
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  throw new LexError({
    code: 'UNTERMINATED_STRING',
    message: `unterminated string: missing closing ${quote}`,
    input,
    offset: start,
    length: input.length - start,
  });
}

function readWord(input: string, start: number, push: Push): number {
  let i = start;
  while (i < input.length) {
    const c = input[i]!;
    if (isSpace(c) || isWordBreak(c) || c === '"' || c === "'") break;
    if (c === '[') {
      // A glob class `[...]` may hold `!` (negation) and a leading `]`; it ends at the first
      // `]` after its first member, and never spans whitespace.
      let j = i + 1;
      if (input[j] === '!' || input[j] === '^') j++;
      if (input[j] === ']') j++;
      while (j < input.length && input[j] !== ']' && !isSpace(input[j]!)) j++;
      if (input[j] === ']') {
        i = j + 1;
        continue;
      }
    }
    i++;
  }
  push('word', start, i);
  return i;
}
