import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LexError, parseFilter } from '../src/index.js';
import type { FilterNode } from '../src/index.js';
import { FIELDS } from './helpers.js';

function shape(n: FilterNode): string {
  switch (n.kind) {
    case 'or':
      return `(${shape(n.left)} || ${shape(n.right)})`;
    case 'and':
      return `(${shape(n.left)} && ${shape(n.right)})`;
    case 'not':
      return `!${shape(n.operand)}`;
    case 'integer':
      return n.mask === undefined
        ? `${n.field.name}${n.op}${n.value}`
        : `${n.field.name}&${n.mask}${n.op}${n.value}`;
    case 'string':
      return `${n.field.name}${n.op}'${n.value}'`;
  }
}

function parsed(input: string): string {
  return shape(parseFilter(input, FIELDS)!.root);
}

function parseError(input: string): LexError {
  try {
    parseFilter(input, FIELDS);
  } catch (e) {
    if (LexError.isInstance(e)) return e;
    throw e;
  }
  throw new Error(`expected a LexError for ${input}`);
}

describe('parseFilter: grammar', () => {
  it('binds && tighter than || and associates to the left', () => {
    expect(parsed('sig == 1 || sig == 2 && sig == 3')).toBe('(sig==1 || (sig==2 && sig==3))');
    expect(parsed('sig == 1 && sig == 2 || sig == 3')).toBe('((sig==1 && sig==2) || sig==3)');
    expect(parsed('sig == 1 || sig == 2 || sig == 3')).toBe('((sig==1 || sig==2) || sig==3)');
  });

  it('honours parentheses and `!`', () => {
    expect(parsed('((sig >= 10 && sig < 15) || sig == 17) && comm != bash')).toBe(
      "(((sig>=10 && sig<15) || sig==17) && comm!='bash')",
    );
    expect(parsed('!(sig == 1 || sig == 2) && !flags & 4')).toBe(
      '(!(sig==1 || sig==2) && !flags&4)',
    );
  });

  it('parses the bit test and the masked compare', () => {
    expect(parsed('flags & 0x10')).toBe('flags&16');
    expect(parsed('flags & 0x30 == 0x10')).toBe('flags&48==16');
    const ast = parseFilter('small & -1', FIELDS)!;
    expect(ast.root).toMatchObject({ kind: 'integer', op: '&', value: 255n });
  });

  it('keeps negative numbers numeric (the Rust tp-lexer made them strings)', () => {
    expect(parsed('sig == -1')).toBe('sig==-1');
    expect(parsed('neg < -0x8000000000000000 || neg >= -9223372036854775808')).toBe(
      '(neg<-9223372036854775808 || neg>=-9223372036854775808)',
    );
  });

  it('takes bare words, identifiers, numbers and quoted strings as string values', () => {
    expect(parsed('comm ~ bash*')).toBe("comm~'bash*'");
    expect(parsed('comm == 123')).toBe("comm=='123'");
    expect(parsed('path == "/usr/bin/a b"')).toBe("path=='/usr/bin/a b'");
    expect(parsed("comm ~ 'C *'")).toBe("comm~'C *'");
  });

  it('returns undefined for an empty or blank filter', () => {
    expect(parseFilter('', FIELDS)).toBeUndefined();
    expect(parseFilter('  \t\n', FIELDS)).toBeUndefined();
  });

  it('records the span of each predicate', () => {
    const ast = parseFilter('  sig == 1 && comm == x', FIELDS)!;
    expect(ast.root).toMatchObject({ start: 2, end: 23 });
    if (ast.root.kind !== 'and') throw new Error('expected and');
    expect(ast.root.left).toMatchObject({ start: 2, end: 10 });
  });
});

describe('parseFilter: errors', () => {
  it('reports an unknown field with its column and a caret line', () => {
    const e = parseError('sig == 1 && bogus > 3');
    expect(e).toMatchObject({
      code: 'UNKNOWN_FIELD',
      field: 'bogus',
      offset: 12,
      column: 13,
      length: 5,
    });
    expect(e.caret).toBe('sig == 1 && bogus > 3\n            ^^^^^');
  });

  it('rejects string operators and values on numeric fields', () => {
    expect(parseError('sig ~ 1*')).toMatchObject({ code: 'NOT_STRING', offset: 4 });
    expect(parseError('sig == "1"')).toMatchObject({ code: 'NOT_STRING', offset: 7 });
    expect(parseError('sig == bash')).toMatchObject({ code: 'NOT_STRING', offset: 7 });
  });

  it('rejects numeric operators on string fields', () => {
    expect(parseError('comm < 3')).toMatchObject({ code: 'NOT_NUMERIC', offset: 5, field: 'comm' });
    expect(parseError('path & 1')).toMatchObject({ code: 'NOT_NUMERIC', offset: 5 });
  });

  it('rejects numbers too wide for the field', () => {
    expect(parseError('small == 128')).toMatchObject({
      code: 'NUMBER_TOO_WIDE',
      offset: 9,
      length: 3,
    });
    expect(parseError('small == -129')).toMatchObject({ code: 'NUMBER_TOO_WIDE' });
    expect(parseError('port == 65536')).toMatchObject({ code: 'NUMBER_TOO_WIDE' });
    expect(parseError('flags == -1')).toMatchObject({ code: 'NUMBER_TOO_WIDE' });
    expect(parseError('big == 0x10000000000000000')).toMatchObject({ code: 'NUMBER_TOO_WIDE' });
    expect(parseError('ok == 2')).toMatchObject({ code: 'NUMBER_TOO_WIDE' });
    expect(parseFilter('port == 65535 && small == -128 && ok == 1', FIELDS)).toBeDefined();
  });

  it('rejects malformed numbers', () => {
    expect(parseError('sig == 12ab')).toMatchObject({ code: 'BAD_NUMBER', offset: 7, length: 4 });
    expect(parseError('sig == 09')).toMatchObject({ code: 'BAD_NUMBER' });
  });

  it('reports unbalanced parentheses, missing operands and leftovers', () => {
    expect(parseError('(sig == 1')).toMatchObject({ code: 'UNEXPECTED_END', offset: 9 });
    expect(parseError('sig == 1)')).toMatchObject({ code: 'UNEXPECTED_TOKEN', offset: 8 });
    expect(parseError('sig ==')).toMatchObject({ code: 'UNEXPECTED_END', offset: 6 });
    expect(parseError('sig')).toMatchObject({ code: 'UNEXPECTED_END' });
    expect(parseError('sig == 1 sig == 2')).toMatchObject({ code: 'UNEXPECTED_TOKEN', offset: 9 });
    expect(parseError('&& sig == 1')).toMatchObject({ code: 'UNEXPECTED_TOKEN', offset: 0 });
    expect(parseError('sig == 1 &&')).toMatchObject({ code: 'UNEXPECTED_END' });
    expect(parseError('sig 1')).toMatchObject({ code: 'UNEXPECTED_TOKEN', offset: 4 });
  });

  it('fails with a typed error, not a stack overflow, on deep nesting', () => {
    expect(parseError('('.repeat(1500) + 'sig == 1' + ')'.repeat(1500))).toMatchObject({
      code: 'UNEXPECTED_TOKEN',
    });
    expect(parseError('!'.repeat(3000) + 'sig == 1').code).toBe('UNEXPECTED_TOKEN');
    expect(parseError('!'.repeat(5000) + 'sig == 1').code).toBe('FILTER_TOO_LONG');
  });
});

describe('parseFilter: robustness', () => {
  it('rejects malformed field descriptions before generating code', () => {
    const bad = [
      { name: 'x); evil(', kind: 'integer', offset: 0, size: 4, signed: false },
      {
        name: 'x',
        kind: 'integer',
        offset: '0); evil(' as unknown as number,
        size: 4,
        signed: false,
      },
      { name: 'x', kind: 'integer', offset: 0, size: 3, signed: false },
      { name: 'x', kind: 'dynamic-string', offset: 0, size: 8, signed: false },
      { name: 'x', kind: 'float' as 'integer', offset: 0, size: 4, signed: false },
    ] as const;
    for (const f of bad) {
      let err: unknown;
      try {
        parseFilter('x == 1', [f]);
      } catch (e) {
        err = e;
      }
      expect(LexError.isInstance(err) && err.code).toBe('INVALID_FIELD');
    }
  });

  it('either parses or throws a LexError on arbitrary input (never crashes or hangs)', () => {
    const alphabet = fc.constantFrom(...'sigcomm pathbig()!&|=<>~"\'\\x0123-[]*? \t'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }).map((a) => a.join('')),
        (input) => {
          try {
            parseFilter(input, FIELDS);
          } catch (e) {
            expect(LexError.isInstance(e)).toBe(true);
            const err = e as LexError;
            expect(err.offset).toBeGreaterThanOrEqual(0);
            expect(err.offset).toBeLessThanOrEqual(input.length);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
