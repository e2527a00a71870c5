import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualTraceHost, TracepointManager } from '../src/index.js';

describe('record round trip', () => {
  it('decodes what was emitted, wrapped to each field type', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    const tp = mgr.define({
      system: 't',
      name: 'all',
      fields: [
        ['a', 'u8'],
        ['b', 's8'],
        ['c', 'u16'],
        ['d', 's16'],
        ['e', 'u32'],
        ['f', 's32'],
        ['g', 'u64'],
        ['h', 's64'],
        ['i', 'bool'],
        ['j', 'char[6]'],
        ['k', 'string'],
      ],
    } as const);
    let decoded: Record<string, unknown> = {};
    mgr.attach('t:all', (r) => (decoded = r.event.decode(r.toBytes())));
    mgr.enable('t:all');
    const int = fc.integer({ min: -(2 ** 40), max: 2 ** 40 });
    fc.assert(
      fc.property(
        int,
        int,
        int,
        int,
        int,
        int,
        fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }),
        fc.maxSafeInteger(),
        fc.boolean(),
        fc.string({ maxLength: 10, unit: 'grapheme' }),
        fc.string({ maxLength: 300, unit: 'grapheme' }),
        (a, b, c, d, e, f, g, h, i, j, k) => {
          tp.emit(a, b, c, d, e, f, g, h, i, j, k);
          const enc = new TextEncoder();
          const cut = (s: string, max: number): string => {
            // The writer keeps whole UTF-8 characters that fit.
            let out = '';
            for (const ch of s) {
              if (enc.encode(out + ch).length > max) break;
              out += ch;
            }
            return out;
          };
          expect(decoded).toEqual({
            a: Number(BigInt.asUintN(8, BigInt(a))),
            b: Number(BigInt.asIntN(8, BigInt(b))),
            c: Number(BigInt.asUintN(16, BigInt(c))),
            d: Number(BigInt.asIntN(16, BigInt(d))),
            e: Number(BigInt.asUintN(32, BigInt(e))),
            f: Number(BigInt.asIntN(32, BigInt(f))),
            g: BigInt.asUintN(64, g),
            h: BigInt.asIntN(64, BigInt(h)),
            i,
            j: cut(j.replace(/\0.*$/s, ''), 5),
            k: cut(k.replace(/\0.*$/s, ''), 255),
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});
