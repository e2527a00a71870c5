import { describe, expect, it } from 'vitest';
import { LexError, parseNumber, tokenize } from '../src/index.js';

function lexError(input: string): LexError {
  try {
    tokenize(input);
  } catch (e) {
    if (LexError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a LexError');
}

describe('tokenize', () => {
  it('splits operators, words and strings with their positions', () => {
    const t = tokenize('(sig>=10&&comm!="a b")||!x&1');
    expect(t.map((x) => x.kind)).toEqual([
      '(',
      'word',
      '>=',
      'word',
      '&&',
      'word',
      '!=',
      'string',
      ')',
      '||',
      '!',
      'word',
      '&',
      'word',
      'eof',
    ]);
    expect(t[1]).toMatchObject({ value: 'sig', start: 1, end: 4 });
    expect(t[7]).toMatchObject({ value: 'a b', start: 16, end: 21 });
  });

  it('keeps glob characters and classes with `!` inside one word', () => {
    const t = tokenize('comm ~ b[!a]sh* && x == -5');
    expect(t[2]).toMatchObject({ kind: 'word', value: 'b[!a]sh*' });
    expect(t[6]).toMatchObject({ kind: 'word', value: '-5' });
  });

  it('decodes escapes in single and double quoted strings', () => {
    const t = tokenize(String.raw`'it\'s' "a\"b\\c\n\t\x41"`);
    expect(t[0]!.value).toBe("it's");
    expect(t[1]!.value).toBe('a"b\\c\n\tA');
  });

  it('keeps an unknown escape as written, backslash included, as Linux does', () => {
    expect(tokenize(String.raw`'a\q'`)[0]!.value).toBe('a\\q');
    expect(tokenize(String.raw`"\*x"`)[0]!.value).toBe('\\*x');
  });

  it('rejects a lone `=` and a lone `|` with their column', () => {
    const e1 = lexError('a = 1');
    expect(e1.code).toBe('UNEXPECTED_CHAR');
    expect(e1.column).toBe(3);
    expect(e1.caret).toBe('a = 1\n  ^');
    const e2 = lexError('a == 1 | b == 2');
    expect(e2).toMatchObject({ code: 'UNEXPECTED_CHAR', offset: 7 });
  });

  it('rejects unterminated strings and bad hex escapes', () => {
    expect(lexError('comm == "abc')).toMatchObject({
      code: 'UNTERMINATED_STRING',
      offset: 8,
      length: 4,
    });
    expect(lexError('comm == "\\xZ1"')).toMatchObject({ code: 'BAD_ESCAPE', offset: 9 });
  });
});

describe('parseNumber', () => {
  it('reads decimal, hex, octal and negative numbers like kstrtoll base 0', () => {
    expect(parseNumber('42')).toBe(42n);
    expect(parseNumber('0x1F')).toBe(31n);
    expect(parseNumber('010')).toBe(8n);
    expect(parseNumber('0')).toBe(0n);
    expect(parseNumber('-17')).toBe(-17n);
    expect(parseNumber('-0x10')).toBe(-16n);
    expect(parseNumber('0xffffffffffffffff')).toBe(0xffffffffffffffffn);
  });

  it('returns undefined for malformed numbers', () => {
    for (const s of ['09', '0x', '1a', '--1', '', 'abc', '1.5'])
      expect(parseNumber(s)).toBeUndefined();
  });
});
