// SPDX-License-Identifier: MIT
// Splits a shell line into commands (`;`) and words, with POSIX-like quoting:
// '...' is literal, "..." allows \" and \\, a backslash outside quotes escapes the next char.

import { ShellError } from '../errors.js';

/** A word and the 1-based column where it starts. */
export interface Word {
  /** The word, quotes removed. */
  text: string;
  /** 1-based column of its first character in the line. */
  column: number;
}

/** A command of a line and how it joins the one before it. */
export interface CommandWords {
  /** The words. */
  words: Word[];
  /** `;`: runs whatever happened before; `&&`: runs only if the command before succeeded. */
  after: ';' | '&&';
}

/**
 * Splits a line into commands separated by unquoted `;` or `&&` (run the next only if this one
 * succeeded, as in a POSIX shell), each with its words.
 * @param line - the input line.
 * @returns the commands with their separators.
 * @throws {ShellError} `UNTERMINATED_QUOTE` with the column of the opening quote.
 */
export function tokenizeCommands(line: string): CommandWords[] {
  const out: CommandWords[] = [];
  let next: ';' | '&&' = ';';
  tokenizeWith(line, (words, sep) => {
    if (words.length > 0) out.push({ words, after: next });
    next = sep;
  });
  return out;
}

/**
 * Splits a line into commands separated by unquoted `;` (or `&&`), each a list of words.
 * Empty commands (`a;;b`, trailing `;`) are dropped. A `#` at the start of a word starts a comment.
 * @param line - the input line.
 * @returns the commands.
 * @throws {ShellError} `UNTERMINATED_QUOTE` with the column of the opening quote.
 */
export function tokenize(line: string): Word[][] {
  return tokenizeCommands(line).map((c) => c.words);
}

function tokenizeWith(line: string, emit: (words: Word[], separator: ';' | '&&') => void): void {
  let words: Word[] = [];
  let current: string | undefined;
  let start = 0;
  const flush = () => {
    if (current !== undefined) words.push({ text: current, column: start + 1 });
    current = undefined;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      flush();
    } else if (c === ';' || (c === '&' && line[i + 1] === '&')) {
      flush();
      emit(words, c === ';' ? ';' : '&&');
      if (c === '&') i++;
      words = [];
    } else if (c === '#' && current === undefined) {
      break;
    } else if (c === "'" || c === '"') {
      if (current === undefined) {
        current = '';
        start = i;
      }
      const open = i;
      i++;
      while (i < line.length && line[i] !== c) {
        if (c === '"' && line[i] === '\\' && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
        current += line[i];
        i++;
      }
      if (i >= line.length) {
        throw new ShellError({
          code: 'UNTERMINATED_QUOTE',
          column: open + 1,
          message: `unterminated ${c === '"' ? 'double' : 'single'} quote at column ${open + 1}`,
        });
      }
    } else {
      if (current === undefined) {
        current = '';
        start = i;
      }
      if (c === '\\' && i + 1 < line.length) {
        i++;
        current += line[i];
      } else {
        current += c;
      }
    }
  }
  flush();
  emit(words, ';');
}
