// SPDX-License-Identifier: MIT
// Fuzz harness of @axebpf/tp-lexer (issue 25, item 3): mutated filter expressions, long
// &&/|| chains and deep nesting. Every input must either compile in both modes, agreeing with
// the reference evaluator on random records, or fail with a LexError; anything else (a
// RangeError from recursion, a TypeError) is a finding.
import {
  compileFilter,
  evaluateFilter,
  LexError,
  parseFilter,
} from '../../../packages/tp-lexer/dist/index.js';
import { below, pick, rng } from './rng.mjs';

const FIELDS = [
  { name: 'common_pid', kind: 'integer', offset: 4, size: 4, signed: true },
  { name: 'vm_id', kind: 'integer', offset: 8, size: 4, signed: false },
  { name: 'small', kind: 'integer', offset: 12, size: 1, signed: true },
  { name: 'port', kind: 'integer', offset: 14, size: 2, signed: false },
  { name: 'pc', kind: 'integer', offset: 16, size: 8, signed: false },
  { name: 'neg', kind: 'integer', offset: 24, size: 8, signed: true },
  { name: 'comm', kind: 'char-array', offset: 32, size: 16, signed: false },
  { name: 'device', kind: 'dynamic-string', offset: 48, size: 4, signed: false },
];

const SEEDS = [
  'vm_id == 1',
  'vm_id == 1 && (pc >= 0x40000000 || comm ~ "vcpu*") && !(port & 0x4)',
  'common_pid != -1 || small < -3',
  'comm == bash && device ~ "pl011*"',
  'neg <= -9223372036854775808 || pc > 0xffffffffffffffff',
  'comm ~ "!b[ae]sh" && device != \'a\\qb\'',
  'port & 0xff == 3 && !!(vm_id > 2)',
  'comm ~ "[!a-z]?*" || comm == "\\x41\\n"',
];
const PIECES = [
  '&&',
  '||',
  '!',
  '(',
  ')',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '&',
  '~',
  '"',
  "'",
  '\\',
  '*',
  '?',
  '[',
  ']',
  '-',
  '0x',
  '0',
  '9',
  ' ',
  'vm_id',
  'comm',
  'pc',
  'device',
  'nosuch',
  '\\x4',
  '\u20ac',
];

function mutate(r, text) {
  switch (below(r, 9)) {
    case 0: {
      const at = below(r, text.length + 1);
      return text.slice(0, at) + pick(r, PIECES) + text.slice(at);
    }
    case 1: {
      const at = below(r, text.length);
      return text.slice(0, at) + text.slice(at + 1 + below(r, 4));
    }
    case 2:
      return `${text} ${pick(r, ['&&', '||'])} ${pick(r, SEEDS)}`;
    case 3:
      return `${pick(r, ['!', '!(', '('])}${text}${pick(r, ['', ')'])}`;
    case 4: {
      // a long chain: up to past the one-page limit
      const n = 1 + below(r, 2500);
      const op = pick(r, [' && ', ' || ', '&&', '||']);
      const parts = [
        (i) => `vm_id == ${i}`,
        () => 'comm ~ "a*"',
        (i) => `(pc > ${i} || small < 0)`,
        () => '!(port & 4)',
      ];
      return Array.from({ length: n }, (_, i) => pick(r, parts)(i)).join(op);
    }
    case 5:
      return '('.repeat(below(r, 600)) + text + ')'.repeat(below(r, 600));
    case 6:
      return '!'.repeat(below(r, 600)) + text;
    case 7: {
      const at = below(r, text.length);
      const len = below(r, 40);
      return (
        text.slice(0, at) + text.slice(at, at + len).repeat(1 + below(r, 50)) + text.slice(at + len)
      );
    }
    default:
      return pick(r, SEEDS);
  }
}

function record(r) {
  const extra = below(r, 24);
  const bytes = new Uint8Array(r() < 0.05 ? below(r, 56) : 56 + extra);
  for (let i = 0; i < bytes.length; i++)
    bytes[i] = r() < 0.3 ? below(r, 256) : pick(r, [0, 0x41, 0x61, 0x2a]);
  if (bytes.length >= 52)
    new DataView(bytes.buffer).setUint32(
      48,
      ((r() < 0.8 ? extra : below(r, 65536)) << 16) | (r() < 0.8 ? 56 : below(r, 65536)),
      true,
    );
  return bytes;
}

const outcome = (f) => {
  try {
    return String(f());
  } catch (e) {
    if (LexError.isInstance(e)) return `LexError ${e.code}`;
    throw e;
  }
};

/**
 * @param {{ count: number, deadline: number, seed: number }} options
 * @returns {{ runs: number, finding?: string, summary: string }}
 */
export function fuzz({ count, deadline, seed }) {
  const r = rng(seed);
  let runs = 0;
  let compiled = 0;
  let rejected = 0;
  let text = pick(r, SEEDS);
  for (; runs < count && performance.now() < deadline; runs++) {
    text = r() < 0.3 ? mutate(r, pick(r, SEEDS)) : mutate(r, text);
    if (text.length > 40_000) text = pick(r, SEEDS);
    try {
      let ast;
      try {
        ast = parseFilter(text, FIELDS);
      } catch (e) {
        if (LexError.isInstance(e)) {
          rejected++;
          continue;
        }
        throw e;
      }
      if (ast === undefined) continue;
      const gen = compileFilter(ast, { mode: 'codegen' });
      const clo = compileFilter(ast, { mode: 'closures' });
      compiled++;
      for (let k = 0; k < 4; k++) {
        const rec = record(r);
        const want = outcome(() => evaluateFilter(ast, rec));
        const a = outcome(() => gen.test(rec));
        const b = outcome(() => clo.test(rec));
        if (a !== want || b !== want)
          throw new Error(
            `codegen ${a}, closures ${b}, reference ${want} on record [${rec.join(',')}]`,
          );
      }
    } catch (e) {
      return {
        runs: runs + 1,
        finding: `input (${text.length} chars): ${JSON.stringify(text.length > 2000 ? `${text.slice(0, 2000)}…` : text)}\n${e instanceof Error ? e.stack : String(e)}`,
        summary: '',
      };
    }
  }
  return { runs, summary: `${compiled} compiled, ${rejected} rejected with LexError` };
}
