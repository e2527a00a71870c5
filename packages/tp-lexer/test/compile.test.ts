import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  LexError,
  compileFilter,
  compileFilterText,
  compileGlob,
  evaluateFilter,
  parseFilter,
} from '../src/index.js';
import type { CompileMode } from '../src/index.js';
import { FIELDS, makeRecord } from './helpers.js';
import type { RecordValues } from './helpers.js';

const enc = new TextEncoder();
const glob = (p: string, s: string): boolean => {
  const b = enc.encode(s);
  return compileGlob(enc.encode(p))(b, 0, b.length);
};

describe('compileGlob', () => {
  it('matches `*`, `?` and classes like Linux glob_match', () => {
    expect(glob('bash*', 'bash')).toBe(true);
    expect(glob('bash*', 'bashful')).toBe(true);
    expect(glob('bash*', 'bas')).toBe(false);
    expect(glob('*sh', 'bash')).toBe(true);
    expect(glob('*as*', 'bash')).toBe(true);
    expect(glob('*xs*', 'bash')).toBe(false);
    expect(glob('b?sh', 'bush')).toBe(true);
    expect(glob('b?sh', 'bsh')).toBe(false);
    expect(glob('b[ae]sh', 'besh')).toBe(true);
    expect(glob('b[ae]sh', 'bish')).toBe(false);
    expect(glob('b[!ae]sh', 'bish')).toBe(true);
    expect(glob('b[^ae]sh', 'bash')).toBe(false);
    expect(glob('v[0-9]', 'v7')).toBe(true);
    expect(glob('v[0-9]', 'vx')).toBe(false);
    expect(glob('[]]x', ']x')).toBe(true);
    expect(glob('a*b*c', 'aXXbYYc')).toBe(true);
    expect(glob('a*b*c', 'aXXbYY')).toBe(false);
    expect(glob('**', '')).toBe(true);
    expect(glob('', '')).toBe(true);
    expect(glob('a[b', 'a[b')).toBe(true);
  });

  it('does not blow up on pathological patterns', () => {
    const s = 'a'.repeat(2000);
    expect(glob('*a*a*a*a*a*a*a*a*a*b', s)).toBe(false);
  });
});

const modes: CompileMode[] = ['codegen', 'closures'];

describe.each(modes)('compileFilter (%s)', (mode) => {
  const run = (filter: string, r: RecordValues): boolean =>
    compileFilterText(filter, FIELDS, { mode })!.test(makeRecord(r));

  it('reports the mode it compiled with', () => {
    expect(compileFilterText('sig == 1', FIELDS, { mode })!.mode).toBe(mode);
  });

  it('evaluates the upstream basic example', () => {
    const f = '((sig >= 10 && sig < 15) || sig == 17) && comm != bash';
    expect(run(f, { sig: 12, comm: 'zsh' })).toBe(true);
    expect(run(f, { sig: 17, comm: 'zsh' })).toBe(true);
    expect(run(f, { sig: 15, comm: 'zsh' })).toBe(false);
    expect(run(f, { sig: 12, comm: 'bash' })).toBe(false);
  });

  it('compares signed and unsigned 32-bit fields correctly', () => {
    expect(run('sig < 0', { sig: -5 })).toBe(true);
    expect(run('sig == -5', { sig: -5 })).toBe(true);
    expect(run('flags > 0x7fffffff', { flags: 0x80000000 })).toBe(true);
    expect(run('flags == 4294967295', { flags: 0xffffffff })).toBe(true);
    expect(run('small == -1 && port == 65535', { small: -1, port: 65535 })).toBe(true);
  });

  it('compares 64-bit fields without losing precision', () => {
    const big = 0x1234_5678_9abc_def1n;
    expect(run('big == 0x123456789abcdef1', { big })).toBe(true);
    expect(run('big == 0x123456789abcdef0', { big })).toBe(false);
    expect(run('big > 0x123456789abcdef0', { big })).toBe(true);
    expect(run('big < 0x123456789abcdef0', { big })).toBe(false);
    expect(run('big >= 0xffffffffffffffff', { big: 0xffffffffffffffffn })).toBe(true);
    expect(run('neg < -1', { neg: -2n })).toBe(true);
    expect(run('neg > -1', { neg: -2n })).toBe(false);
    expect(run('neg < 0x100000000', { neg: 0xffffffffn })).toBe(true);
  });

  it('applies the bit test and the masked compare', () => {
    expect(run('flags & 0x10', { flags: 0x11 })).toBe(true);
    expect(run('flags & 0x10', { flags: 0x01 })).toBe(false);
    expect(run('flags & 0x30 == 0x10', { flags: 0x11 })).toBe(true);
    expect(run('flags & 0x30 != 0x10', { flags: 0x31 })).toBe(true);
    expect(run('big & 0x100000000', { big: 0x100000000n })).toBe(true);
    expect(run('big & 0xff00000000 == 0x100000000', { big: 0x1_0000_0001n })).toBe(true);
    expect(run('neg & 0x8000000000000000', { neg: -1n })).toBe(true);
  });

  it('matches strings literally with == and as globs with ~', () => {
    expect(run('comm == "bash*"', { comm: 'bash' })).toBe(false);
    expect(run('comm == "bash*"', { comm: 'bash*' })).toBe(true);
    expect(run('comm ~ "bash*"', { comm: 'bashful' })).toBe(true);
    expect(run('comm == "C Program"', { comm: 'C Program' })).toBe(true);
    expect(run('comm != ""', { comm: '' })).toBe(false);
    expect(run('path ~ "/usr/*/ls"', { path: '/usr/bin/ls' })).toBe(true);
    expect(run('path == "/usr/bin/ls"', { path: '/usr/bin/ls' })).toBe(true);
    expect(run('path == "/usr/bin/l"', { path: '/usr/bin/ls' })).toBe(false);
  });

  it('reads a full 16-byte char array without a NUL', () => {
    const rec = makeRecord({});
    rec.set(enc.encode('0123456789abcdef'), 32);
    expect(compileFilterText('comm == 0123456789abcdef', FIELDS, { mode })!.test(rec)).toBe(true);
  });

  it('negates with !', () => {
    expect(run('!(sig == 1 || sig == 2)', { sig: 3 })).toBe(true);
    expect(run('!comm ~ "b*"', { comm: 'bash' })).toBe(false);
  });

  it('negates a glob that starts with `!`, as Linux does (`comm ~ "!bash"`)', () => {
    expect(run('comm ~ "!bash"', { comm: 'bash' })).toBe(false);
    expect(run('comm ~ "!bash"', { comm: 'zsh' })).toBe(true);
    expect(run('comm ~ "!b*" && sig == 1', { comm: 'dash', sig: 1 })).toBe(true);
    expect(run('comm ~ "!b*"', { comm: 'bash' })).toBe(false);
    // Only a leading `!` negates; inside a class it is the class's negation.
    expect(run('comm ~ "[!b]ash"', { comm: 'dash' })).toBe(true);
  });

  it('compiles the longest chains a page holds, && and || mixed, and agrees with the reference', () => {
    const preds: string[] = [];
    let text = '';
    for (let i = 0; ; i++) {
      const p = `sig == ${i % 50}`;
      const next = text === '' ? p : `${text}${i % 7 === 0 ? ' || ' : ' && '}${p}`;
      if (enc.encode(next).length >= 4096) break;
      text = next;
      preds.push(p);
    }
    expect(preds.length).toBeGreaterThan(300);
    const onlyAnd = preds
      .map((_, i) => `sig != ${i + 1000}`)
      .join('&&')
      .slice(0, 4000)
      .replace(/&*s?i?g?[^&]*$/, '');
    for (const t of [text, onlyAnd, onlyAnd.replaceAll('&&', '||')]) {
      const ast = parseFilter(t, FIELDS)!;
      const f = compileFilter(ast, { mode });
      for (const sig of [0, 1, 7, 49, 1001, -3]) {
        const rec = makeRecord({ sig });
        expect(f.test(rec)).toBe(evaluateFilter(ast, rec));
      }
    }
  });

  it('fails with RECORD_TOO_SHORT instead of matching a missing field', () => {
    const f = compileFilterText('big == 1', FIELDS, { mode })!;
    expect(f.minRecordSize).toBe(24);
    expect(() => f.test(new Uint8Array(20))).toThrow(
      expect.objectContaining({ code: 'RECORD_TOO_SHORT' }),
    );
    const rec = makeRecord({ path: 'abc' });
    new DataView(rec.buffer).setUint32(52, (200 << 16) | 56, true);
    const g = compileFilterText('path == abc', FIELDS, { mode })!;
    let err: unknown;
    try {
      g.test(rec);
    } catch (e) {
      err = e;
    }
    expect(LexError.isInstance(err) && err.code).toBe('RECORD_TOO_SHORT');
  });

  it('works on a record that is a subarray of a larger buffer', () => {
    const rec = makeRecord({ sig: 42, comm: 'qemu' });
    const big = new Uint8Array(rec.length + 10);
    big.set(rec, 10);
    expect(
      compileFilterText('sig == 42 && comm == qemu', FIELDS, { mode })!.test(big.subarray(10)),
    ).toBe(true);
  });

  it('agrees with the reference evaluator on random filters and records', () => {
    const intField = fc.constantFrom(
      'sig',
      'flags',
      'big',
      'neg',
      'small',
      'port',
      'ok',
      'common_pid',
    );
    const strField = fc.constantFrom('comm', 'path');
    const val = (name: string): fc.Arbitrary<string> => {
      switch (name) {
        case 'sig':
        case 'common_pid':
          return fc.integer({ min: -5, max: 5 }).map(String);
        case 'flags':
          return fc.constantFrom('0', '1', '0x80000000', '4294967295', '7');
        case 'big':
          return fc.constantFrom(
            '0',
            '1',
            '0x100000000',
            '0xffffffffffffffff',
            '0x8000000000000000',
          );
        case 'neg':
          return fc.constantFrom('0', '-1', '1', '-0x100000000', '0x7fffffffffffffff');
        case 'small':
          return fc.integer({ min: -128, max: 127 }).map(String);
        case 'port':
          return fc.integer({ min: 0, max: 65535 }).map(String);
        default:
          return fc.constantFrom('0', '1');
      }
    };
    const intPred = intField.chain((name) =>
      fc.oneof(
        fc
          .tuple(fc.constantFrom('==', '!=', '<', '<=', '>', '>='), val(name))
          .map(([op, v]) => `${name} ${op} ${v}`),
        fc.constantFrom('1', '0x80', '0x3').map((m) => `${name} & ${m}`),
      ),
    );
    const strPred = fc
      .tuple(
        strField,
        fc.constantFrom('==', '!=', '~'),
        fc.constantFrom('ab', 'a*', '*b', '?b', '[ab]*', '', 'abc'),
      )
      .map(([f, op, v]) => `${f} ${op} "${v}"`);
    const pred = fc.oneof(intPred, strPred);
    const expr: fc.Arbitrary<string> = fc.letrec((tie) => ({
      e: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        pred,
        fc
          .tuple(tie('e'), fc.constantFrom('&&', '||'), tie('e'))
          .map(([a, op, b]) => `(${a as string}) ${op} (${b as string})`),
        tie('e').map((a) => `!(${a as string})`),
      ),
    })).e;
    const rec = fc.record({
      sig: fc.integer({ min: -5, max: 5 }),
      flags: fc.constantFrom(0, 1, 0x80000000, 0xffffffff, 7),
      big: fc.constantFrom(0n, 1n, 0x100000000n, 0xffffffffffffffffn, 0x8000000000000000n),
      neg: fc.constantFrom(0n, -1n, 1n, -0x100000000n, 0x7fffffffffffffffn),
      small: fc.integer({ min: -128, max: 127 }),
      port: fc.integer({ min: 0, max: 65535 }),
      ok: fc.boolean(),
      comm: fc.constantFrom('ab', 'abc', 'b', ''),
      path: fc.constantFrom('ab', 'xb', 'abc', ''),
      pid: fc.integer({ min: -5, max: 5 }),
    });
    fc.assert(
      fc.property(expr, rec, (e, r) => {
        const ast = parseFilter(e, FIELDS)!;
        const bytes = makeRecord(r);
        expect(compileFilter(ast, { mode }).test(bytes)).toBe(evaluateFilter(ast, bytes));
      }),
      { numRuns: 400 },
    );
  });
});

describe('compileFilterText', () => {
  it('rejects a filter of a page (4096 bytes) or more with FILTER_TOO_LONG, not a RangeError', () => {
    // The campaign's filter: 1,853 predicates, 25,938 characters.
    const long = Array.from({ length: 1853 }, (_, i) => `sig == ${100 + (i % 900)}`).join(' && ');
    expect(long.length).toBe(25_938);
    let thrown: unknown;
    try {
      compileFilterText(long, FIELDS);
    } catch (e) {
      thrown = e;
    }
    expect(LexError.isInstance(thrown)).toBe(true);
    expect(thrown).toMatchObject({ code: 'FILTER_TOO_LONG', offset: 4095 });
    const page = 'sig == 1' + ' '.repeat(4096 - 8);
    expect(() => compileFilterText(page, FIELDS)).toThrowError(
      expect.objectContaining({ code: 'FILTER_TOO_LONG' }),
    );
    expect(compileFilterText('sig == 1' + ' '.repeat(4095 - 8), FIELDS)).toBeDefined(); // 4095 bytes
    // Bytes, not characters: 1362 three-byte characters and 10 more make 4096 bytes.
    expect(() => compileFilterText(`comm == "${'\u20ac'.repeat(1362)}"`, FIELDS)).toThrowError(
      expect.objectContaining({ code: 'FILTER_TOO_LONG' }),
    );
  });

  it('returns undefined for an empty filter (clearing it; the Rust original panicked)', () => {
    expect(compileFilterText('', FIELDS)).toBeUndefined();
    expect(compileFilterText('   ', FIELDS)).toBeUndefined();
  });
});
