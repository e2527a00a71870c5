// SPDX-License-Identifier: MIT
// Lexer and recursive-descent parser of bpfscript, the bpftrace language subset described in
// the README (grammar facts from bpftrace's reference guide: probes, filters, maps, variables,
// C operators and precedence). Probe specifications are read as raw text at the start of a block.

import type { BinaryOp, Expr, MapRef, ProbeBlock, ProbeRef, ProgramAst, Stmt } from './ast.js';
import { ScriptError, spanAt } from './errors.js';
import { parseProbe } from './probes.js';
import type { ScriptErrorCode } from './errors.js';

type AssignOp = '=' | '+=' | '-=' | '*=' | '/=' | '%=' | '&=' | '|=' | '^=' | '<<=' | '>>=';

/** Token kinds. */
type TokKind = 'int' | 'str' | 'ident' | 'var' | 'map' | 'punct' | 'eof';

interface Token {
  kind: TokKind;
  text: string;
  at: number;
  len: number;
  /** Integer value of `int`; decoded text of `str`. */
  value?: bigint | string;
}

const PUNCT = [
  '<<=',
  '>>=',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '<<',
  '>>',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '++',
  '--',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  ';',
  ',',
  '/',
  '?',
  ':',
  '=',
  '<',
  '>',
  '+',
  '-',
  '*',
  '%',
  '&',
  '|',
  '^',
  '!',
  '~',
  '.',
];

const MAX_U64 = (1n << 64n) - 1n;
/** Nesting limit of expressions and blocks (keeps the parser's recursion bounded). */
const MAX_DEPTH = 64;

const isIdentStart = (c: string): boolean => /[A-Za-z_]/.test(c);
const isIdent = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

class Parser {
  readonly #src: string;
  readonly #file: string;
  #pos = 0;
  #tok: Token;
  #depth = 0;

  constructor(src: string, file: string) {
    this.#src = src;
    this.#file = file;
    this.#tok = { kind: 'eof', text: '', at: 0, len: 0 };
  }

  fail(code: ScriptErrorCode, message: string, at: number, len: number): never {
    throw new ScriptError({
      code,
      message,
      span: spanAt(this.#src, at, len),
      source: this.#src,
      file: this.#file,
    });
  }

  #skipSpace(): void {
    const s = this.#src;
    for (;;) {
      const c = s[this.#pos];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r') this.#pos++;
      else if (c === '/' && s[this.#pos + 1] === '/') {
        while (this.#pos < s.length && s[this.#pos] !== '\n') this.#pos++;
      } else if (c === '/' && s[this.#pos + 1] === '*') {
        const end = s.indexOf('*/', this.#pos + 2);
        if (end < 0) this.fail('UNTERMINATED_STRING', 'unterminated comment', this.#pos, 2);
        this.#pos = end + 2;
      } else return;
    }
  }

  /** Reads the next token into `#tok`. */
  advance(): void {
    this.#skipSpace();
    const s = this.#src;
    const at = this.#pos;
    if (at >= s.length) {
      this.#tok = { kind: 'eof', text: '', at, len: 0 };
      return;
    }
    const c = s[at]!;
    if (/[0-9]/.test(c)) {
      let end = at;
      while (end < s.length && /[0-9A-Za-z_]/.test(s[end]!)) end++;
      const text = s.slice(at, end);
      const digits = text.replace(/_/g, '');
      if (!/^(0x[0-9a-f]+|0b[01]+|0o?[0-7]*|[1-9][0-9]*)$/i.test(digits))
        this.fail('BAD_NUMBER', `malformed number \`${text}\``, at, end - at);
      const value = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
      if (value > MAX_U64)
        this.fail('BAD_NUMBER', `\`${text}\` does not fit in 64 bits`, at, end - at);
      this.#pos = end;
      this.#tok = { kind: 'int', text, at, len: end - at, value };
      return;
    }
    if (c === '"') {
      let i = at + 1;
      let out = '';
      for (;;) {
        if (i >= s.length || s[i] === '\n')
          this.fail('UNTERMINATED_STRING', 'unterminated string', at, 1);
        const d = s[i]!;
        if (d === '"') break;
        if (d === '\\') {
          const e = s[i + 1];
          const map: Record<string, string> = {
            n: '\n',
            t: '\t',
            r: '\r',
            '\\': '\\',
            '"': '"',
            '0': '\0',
          };
          if (e === undefined || map[e] === undefined)
            this.fail('UNEXPECTED_CHAR', `unknown escape \`\\${e ?? ''}\``, i, 2);
          out += map[e];
          i += 2;
        } else {
          out += d;
          i++;
        }
      }
      this.#pos = i + 1;
      this.#tok = { kind: 'str', text: s.slice(at, i + 1), at, len: i + 1 - at, value: out };
      return;
    }
    if (c === '$' || c === '@') {
      let end = at + 1;
      while (end < s.length && isIdent(s[end]!)) end++;
      if (c === '$' && (end === at + 1 || !isIdentStart(s[at + 1]!)))
        this.fail('UNEXPECTED_CHAR', 'expected a variable name after `$`', at, 1);
      this.#pos = end;
      this.#tok = { kind: c === '$' ? 'var' : 'map', text: s.slice(at, end), at, len: end - at };
      return;
    }
    if (isIdentStart(c)) {
      let end = at;
      while (end < s.length && isIdent(s[end]!)) end++;
      this.#pos = end;
      this.#tok = { kind: 'ident', text: s.slice(at, end), at, len: end - at };
      return;
    }
    for (const p of PUNCT) {
      if (s.startsWith(p, at)) {
        this.#pos = at + p.length;
        this.#tok = { kind: 'punct', text: p, at, len: p.length };
        return;
      }
    }
    this.fail('UNEXPECTED_CHAR', `unexpected character \`${c}\``, at, 1);
  }

  get tok(): Token {
    return this.#tok;
  }

  #is(text: string): boolean {
    return this.#tok.kind === 'punct' && this.#tok.text === text;
  }

  #accept(text: string): boolean {
    if (this.#is(text)) {
      this.advance();
      return true;
    }
    return false;
  }

  #expect(text: string, what = `\`${text}\``): Token {
    const t = this.#tok;
    if (!this.#is(text)) this.#unexpected(`expected ${what}`);
    this.advance();
    return t;
  }

  #unexpected(expected: string): never {
    const t = this.#tok;
    const got = t.kind === 'eof' ? 'end of input' : `\`${t.text}\``;
    this.fail(
      'UNEXPECTED_TOKEN',
      `syntax error: ${expected}, found ${got}`,
      t.at,
      Math.max(1, t.len),
    );
  }

  #enter(at: number): void {
    if (++this.#depth > MAX_DEPTH)
      this.fail('UNEXPECTED_TOKEN', `nesting deeper than ${MAX_DEPTH} levels`, at, 1);
  }

  /** Reads a probe specification as raw text (`tracepoint:vmm:*`, `interval:ms:100`, `BEGIN`). */
  #probe(): ProbeRef {
    this.#skipSpace();
    const s = this.#src;
    const at = this.#pos;
    let end = at;
    while (end < s.length && /[A-Za-z0-9_:*.+\-]/.test(s[end]!)) end++;
    if (end === at) {
      if (at >= s.length)
        this.fail('UNEXPECTED_TOKEN', 'syntax error: expected a probe, found end of input', at, 1);
      this.fail('UNEXPECTED_TOKEN', `syntax error: expected a probe, found \`${s[at]}\``, at, 1);
    }
    this.#pos = end;
    const text = s.slice(at, end);
    const spec = parseProbe(text);
    if (typeof spec === 'string') this.fail('UNKNOWN_PROBE', spec, at, end - at);
    return { text, at, len: end - at };
  }

  program(): ProgramAst {
    const blocks: ProbeBlock[] = [];
    this.#skipSpace();
    while (this.#pos < this.#src.length) {
      blocks.push(this.#block());
      this.#skipSpace();
    }
    if (blocks.length === 0)
      this.fail('UNEXPECTED_TOKEN', 'syntax error: the program has no probe', 0, 1);
    return { blocks };
  }

  #block(): ProbeBlock {
    const at = this.#pos;
    const probes = [this.#probe()];
    this.advance();
    while (this.#accept(',')) {
      this.#pos = this.#tok.at;
      probes.push(this.#probe());
      this.advance();
    }
    let filter: Expr | undefined;
    if (this.#is('/')) {
      this.advance();
      filter = this.#expr(true);
      this.#expect('/', '`/` to end the filter');
    }
    const body = this.#stmtBlock();
    // the next block starts at raw text: step back from the token read after `}`
    this.#pos = this.#tok.at;
    return { probes, filter, body, at, len: this.#pos - at };
  }

  #stmtBlock(): Stmt[] {
    this.#expect('{', '`{` to start the probe body');
    const out: Stmt[] = [];
    while (!this.#is('}')) {
      if (this.#tok.kind === 'eof') this.#unexpected('expected `}`');
      if (this.#accept(';')) continue;
      const s = this.#stmt();
      out.push(s);
      if (s.kind !== 'if' && !this.#is('}')) this.#expect(';', '`;` or `}` after a statement');
    }
    this.advance();
    return out;
  }

  #stmt(): Stmt {
    const t = this.#tok;
    this.#enter(t.at);
    try {
      if (t.kind === 'ident' && t.text === 'if') {
        this.advance();
        this.#expect('(');
        const cond = this.#expr();
        this.#expect(')');
        const then = this.#stmtBlock();
        let otherwise: Stmt[] | undefined;
        if (this.#tok.kind === 'ident' && this.#tok.text === 'else') {
          this.advance();
          if ((this.#tok as Token).kind === 'ident' && (this.#tok as Token).text === 'if')
            otherwise = [this.#stmt()];
          else otherwise = this.#stmtBlock();
        }
        return { kind: 'if', cond, then, else: otherwise, at: t.at, len: this.#tok.at - t.at };
      }
      if (t.kind === 'map' || t.kind === 'var') {
        const target = this.#postfix();
        const op = this.#tok;
        if (op.kind === 'punct' && (op.text === '++' || op.text === '--')) {
          this.advance();
          const one: Expr = { kind: 'int', value: 1n, at: op.at, len: 2 };
          return this.#assign(target, op.text === '++' ? '+=' : '-=', one, t.at);
        }
        if (op.kind === 'punct' && /^(=|\+=|-=|\*=|\/=|%=|&=|\|=|\^=|<<=|>>=)$/.test(op.text)) {
          this.advance();
          const value = this.#expr();
          return this.#assign(target, op.text as AssignOp, value, t.at);
        }
        const expr = this.#continueExpr(target);
        return { kind: 'expr', expr, at: t.at, len: expr.at + expr.len - t.at };
      }
      const expr = this.#expr();
      return { kind: 'expr', expr, at: expr.at, len: expr.len };
    } finally {
      this.#depth--;
    }
  }

  #assign(target: Expr, op: AssignOp, value: Expr, at: number): Stmt {
    const len = value.at + value.len - at;
    if (target.kind === 'map')
      return { kind: 'assign-map', target: target as MapRef, op, value, at, len };
    if (target.kind === 'var') return { kind: 'assign-var', name: target.name, op, value, at, len };
    this.fail(
      'UNEXPECTED_TOKEN',
      'syntax error: only maps and variables can be assigned',
      target.at,
      target.len,
    );
  }

  /** Continues parsing an expression whose first primary (with postfix) is already read. */
  #continueExpr(first: Expr): Expr {
    return this.#ternaryFrom(this.#binaryFrom(first, 0));
  }

  #expr(inFilter = false): Expr {
    this.#enter(this.#tok.at);
    try {
      const saved = this.#inFilter;
      this.#inFilter = inFilter;
      const e = this.#ternaryFrom(this.#binaryFrom(this.#unary(), 0));
      this.#inFilter = saved;
      return e;
    } finally {
      this.#depth--;
    }
  }

  /** In a filter, `/` ends the filter instead of dividing (as bpftrace: use parentheses to divide). */
  #inFilter = false;

  #ternaryFrom(cond: Expr): Expr {
    if (!this.#is('?')) return cond;
    this.advance();
    const then = this.#expr(this.#inFilter);
    this.#expect(':');
    const otherwise = this.#expr(this.#inFilter);
    return {
      kind: 'ternary',
      cond,
      then,
      else: otherwise,
      at: cond.at,
      len: otherwise.at + otherwise.len - cond.at,
    };
  }

  static readonly PREC: Record<string, number> = {
    '||': 1,
    '&&': 2,
    '|': 3,
    '^': 4,
    '&': 5,
    '==': 6,
    '!=': 6,
    '<': 7,
    '<=': 7,
    '>': 7,
    '>=': 7,
    '<<': 8,
    '>>': 8,
    '+': 9,
    '-': 9,
    '*': 10,
    '/': 10,
    '%': 10,
  };

  #binaryFrom(left: Expr, minPrec: number): Expr {
    for (;;) {
      const t = this.#tok;
      if (t.kind !== 'punct') return left;
      const prec = Parser.PREC[t.text];
      if (prec === undefined || prec <= minPrec) return left;
      if (t.text === '/' && this.#inFilter) return left;
      this.advance();
      this.#enter(t.at);
      try {
        let right = this.#unary();
        for (;;) {
          const n = this.#tok;
          const np = n.kind === 'punct' ? Parser.PREC[n.text] : undefined;
          if (np === undefined || np <= prec || (n.text === '/' && this.#inFilter)) break;
          right = this.#binaryFrom(right, prec);
        }
        left = {
          kind: 'binary',
          op: t.text as BinaryOp,
          left,
          right,
          at: left.at,
          len: right.at + right.len - left.at,
        };
      } finally {
        this.#depth--;
      }
    }
  }

  #unary(): Expr {
    const t = this.#tok;
    if (t.kind === 'punct' && (t.text === '!' || t.text === '~' || t.text === '-')) {
      this.advance();
      this.#enter(t.at);
      try {
        const operand = this.#unary();
        return {
          kind: 'unary',
          op: t.text,
          operand,
          at: t.at,
          len: operand.at + operand.len - t.at,
        };
      } finally {
        this.#depth--;
      }
    }
    return this.#postfix();
  }

  #postfix(): Expr {
    const t = this.#tok;
    switch (t.kind) {
      case 'int':
        this.advance();
        return { kind: 'int', value: t.value as bigint, at: t.at, len: t.len };
      case 'str':
        this.advance();
        return { kind: 'str', value: t.value as string, at: t.at, len: t.len };
      case 'var':
        this.advance();
        return { kind: 'var', name: t.text, at: t.at, len: t.len };
      case 'map': {
        this.advance();
        const keys: Expr[] = [];
        let end = t.at + t.len;
        if (this.#is('[')) {
          this.advance();
          keys.push(this.#expr());
          while (this.#accept(',')) keys.push(this.#expr());
          end = this.#expect(']').at + 1;
        }
        return { kind: 'map', name: t.text, keys, at: t.at, len: end - t.at };
      }
      case 'ident': {
        this.advance();
        if (t.text === 'args' && this.#is('.')) {
          this.advance();
          const f = this.#tok;
          if (f.kind !== 'ident') this.#unexpected('expected a field name after `args.`');
          this.advance();
          return { kind: 'field', name: f.text, at: t.at, len: f.at + f.len - t.at };
        }
        if (this.#is('(')) {
          this.advance();
          const args: Expr[] = [];
          if (!this.#is(')')) {
            args.push(this.#expr());
            while (this.#accept(',')) args.push(this.#expr());
          }
          const end = this.#expect(')').at + 1;
          return { kind: 'call', name: t.text, args, at: t.at, len: end - t.at };
        }
        return { kind: 'ident', name: t.text, at: t.at, len: t.len };
      }
      case 'punct':
        if (t.text === '(') {
          this.advance();
          const saved = this.#inFilter;
          this.#inFilter = false;
          const e = this.#expr();
          this.#inFilter = saved;
          this.#expect(')');
          return e;
        }
        return this.#unexpected('expected an expression');
      default:
        return this.#unexpected('expected an expression');
    }
  }
}

/**
 * Parses a bpfscript program.
 * @param source - the program text.
 * @param file - name shown in error locations (default `stdin`).
 * @returns the syntax tree.
 * @throws {ScriptError} `UNEXPECTED_CHAR`, `UNTERMINATED_STRING`, `BAD_NUMBER`, `UNEXPECTED_TOKEN`.
 */
export function parse(source: string, file = 'stdin'): ProgramAst {
  const p = new Parser(source, file);
  return p.program();
}
