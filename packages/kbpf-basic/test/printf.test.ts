import { readFileSync } from 'node:fs';
import { ProgramBuilder } from '@axebpf/rbpf';
import { describe, expect, it } from 'vitest';
import { BPF_FUNC, BpfSystem, createMockPlatform, formatPrintk } from '../src/index.js';
import { printfCases } from './fixtures/printf-cases.js';
import { generatePrintfGolden } from './fixtures/gen-printf-golden.js';
import { engines } from './util.js';
import { hasTool } from '@axebpf/test-utils/tools';

const golden = JSON.parse(
  readFileSync(new URL('./fixtures/printf-golden.json', import.meta.url), 'utf8'),
) as { expected: string[] };
const hasGcc = hasTool('gcc');
if (!hasGcc)
  console.warn('printf.test: gcc not found, the golden file is used without being regenerated');

/** Formats a case: string arguments become fake addresses resolved by the reader. */
function format(fmt: string, args: (bigint | string)[]) {
  const strings = new Map<bigint, string>();
  const raw = args.map((a, i) => {
    if (typeof a === 'bigint') return a;
    const addr = 0x1000n * BigInt(i + 1);
    strings.set(addr, a);
    return addr;
  });
  return formatPrintk(fmt, raw, (addr) => strings.get(addr) ?? '');
}

describe('formatPrintk against C printf', () => {
  it('has one golden line per case', () => {
    expect(golden.expected.length).toBe(printfCases.length);
  });
  it.each(printfCases.map((c, i) => [c.fmt, c, i] as const))('%s', (_f, c, i) => {
    const r = format(c.fmt, c.args);
    expect(r).toEqual({ ok: true, text: golden.expected[i] });
  });
  it.skipIf(!hasGcc)('the committed golden file matches the host C library', () => {
    expect(generatePrintfGolden('gcc')).toEqual(golden.expected);
  });
});

describe('formatPrintk refusals (the helper returns -EINVAL)', () => {
  it.each([
    ['%d %d %d %d', 'more than 3 arguments'],
    ['%q', 'unsupported conversion'],
    ['%ls', 'unsupported conversion'],
    ['%hd', 'unsupported conversion'],
    ['%f', 'unsupported conversion'],
    ['%*d', 'unsupported conversion'],
    ['abc %', 'ends inside'],
    ['bell \x07', 'non-printable'],
  ])('%j', (fmt, reason) => {
    const r = format(fmt, [1n, 2n, 3n]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toContain(reason);
      expect(r.offset).toBeGreaterThanOrEqual(0);
      expect(r.offset).toBeLessThan(fmt.length);
    }
  });
  it('cuts output at 1023 characters', () => {
    const r = format('%1100d', [1n]);
    expect(r.ok && r.text.length).toBe(1023);
  });
});

describe.each(engines)('trace_printk golden cases on the $name', (engine) => {
  // Every case with integer arguments only, run through the helper from a program.
  const cases = printfCases
    .map((c, i) => [c, golden.expected[i]!] as const)
    .filter(([c]) => c.args.every((a) => typeof a === 'bigint'));
  it.each(cases.map(([c, e]) => [c.fmt, c, e] as const))('%s', (_f, c, expected) => {
    const platform = createMockPlatform();
    const bpf = new BpfSystem({ platform });
    const bytes = new TextEncoder().encode(`${c.fmt}\0`);
    const b = new ProgramBuilder();
    bytes.forEach((v, i) => b.store('b', 10, -128 + i, v));
    b.alu64('mov', 1, { reg: 10 }).alu64('add', 1, -128).alu64('mov', 2, bytes.length);
    c.args.forEach((a, i) => b.lddw(3 + i, a as bigint));
    const p = engine.load(bpf, b.call(BPF_FUNC.trace_printk).exit().build());
    expect(p.run()).toBe(BigInt(expected.length));
    expect(platform.lines).toEqual([expected]);
  });
});
