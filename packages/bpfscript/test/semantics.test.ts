// SPDX-License-Identifier: MIT
// Language semantics on a bare runtime (mock platform, one test tracepoint): C arithmetic on
// 64-bit integers, comparisons, strings, variables, maps, printf, aggregation output.

import { describe, expect, it } from 'vitest';
import { createRuntime, MockPlatform } from 'axebpf';
import { ebpfRuntime } from 'axebpf/runtime';
import { symbols } from 'axebpf/symbols';
import { tracepoints } from 'axebpf/tracepoints';
import { defineEvent } from '@axebpf/tracepoint';
import { compile, ScriptRunner } from '../src/index.js';

const EV = defineEvent({
  system: 'test',
  name: 'ev',
  fields: [
    ['a', 'u32'],
    ['b', 's32'],
    ['c', 'u64'],
    ['name', 'char[8]'],
  ],
} as const);

function setup(engine: 'interpreter' | 'wasm' = 'interpreter') {
  const platform = new MockPlatform();
  const rt = createRuntime({
    features: [symbols(), tracepoints(), ebpfRuntime({ engine })] as const,
    platform,
  });
  const tp = rt.tracepoints.register(EV);
  const start = (source: string) => {
    const r = new ScriptRunner(rt, compile(source, { tracepoints: [EV] }), { engine });
    r.start();
    return r;
  };
  return { rt, tp, platform, start };
}

const C64 = {
  sdiv: (a: bigint, b: bigint) => BigInt.asIntN(64, a / b),
  smod: (a: bigint, b: bigint) => BigInt.asIntN(64, a % b),
};

describe.each(['interpreter', 'wasm'] as const)('semantics on the %s engine', (engine) => {
  it('computes 64-bit C arithmetic in BEGIN', () => {
    const { start } = setup(engine);
    const r = start(`BEGIN {
      @a = -7 / 2; @b = -7 % 2; @c = 7 / 2; @d = 1 << 40; @e = -1 >> 1;
      @f = 0xffffffffffffffff + 2; @g = 3 * -4; @h = ~0; @i = !5; @j = -(-9);
      @k = 10 - 20; @l = 6 & 3 | 8 ^ 1; @m = 1 + 2 * 3 - 4 / 2; @n = (1 + 2) * 3;
      @o = 5 > 3 && 2 > 1 || 0; @p = 0 || 0; @q = 5 ? 11 : 12; @r = -1 < 0;
    }`);
    const out = r.stop();
    const want: Record<string, bigint> = {
      a: C64.sdiv(-7n, 2n),
      b: C64.smod(-7n, 2n),
      c: 3n,
      d: 1n << 40n,
      e: -1n,
      f: 1n,
      g: -12n,
      h: -1n,
      i: 0n,
      j: 9n,
      k: -10n,
      l: (6n & 3n) | (8n ^ 1n),
      m: 5n,
      n: 9n,
      o: 1n,
      p: 0n,
      q: 11n,
      r: 1n,
    };
    for (const [k, v] of Object.entries(want)) expect(out).toContain(`@${k}: ${v}\n`);
  });

  it('reads typed fields: unsigned, sign-extended, 64-bit and char arrays', () => {
    const { tp, start } = setup(engine);
    const r = start(
      'tracepoint:test:ev { @[args.name, args.b] = sum(args.c); @u = sum(args.a); @s = sum(args.b); $x = args.b; if ($x < 0) { @neg = count(); } }',
    );
    tp.emit(4000000000, -5, 10n, 'alpha');
    tp.emit(1, 7, 1n << 40n, 'beta');
    tp.emit(2, -5, 5n, 'alpha');
    const out = r.stop();
    expect(out).toContain('@[alpha, -5]: 15\n');
    expect(out).toContain(`@[beta, 7]: ${1n << 40n}\n`);
    expect(out).toContain('@u: 4000000003\n');
    expect(out).toContain('@s: -3\n');
    expect(out).toContain('@neg: 2\n');
  });

  it('compares signed and unsigned as C does', () => {
    const { tp, start } = setup(engine);
    // args.a is u32 (unsigned): a < -1 compares against 2^64-1 and holds; args.b is s32
    const r = start(
      'tracepoint:test:ev { if (args.a < -1) { @ua = count(); } if (args.b < -1) { @sb = count(); } if (args.b / 2 == -2) { @div = count(); } }',
    );
    tp.emit(3, -5, 0n, '');
    const out = r.stop();
    expect(out).toContain('@ua: 1\n');
    expect(out).toContain('@sb: 1\n');
    expect(out).toContain('@div: 1\n');
  });

  it('filters and compares strings', () => {
    const { tp, start } = setup(engine);
    const r = start(
      'tracepoint:test:ev /args.name == "beta"/ { @hit = count(); } tracepoint:test:ev /args.name != "beta"/ { @miss = count(); $s = args.name; @[$s] = count(); }',
    );
    tp.emit(0, 0, 0n, 'beta');
    tp.emit(0, 0, 0n, 'betamax');
    tp.emit(0, 0, 0n, 'bet');
    const out = r.stop();
    expect(out).toContain('@hit: 1\n');
    expect(out).toContain('@miss: 2\n');
    expect(out).toContain('@[bet]: 1\n@[betamax]: 1\n');
  });

  it('keeps map values across probes, with compound assignments and delete', () => {
    const { tp, start } = setup(engine);
    const r = start(
      'tracepoint:test:ev { @x[args.a] += args.c; @n++; @m[1] = 5; @m[1] *= 3; @m[2] = 1; delete(@m[2]); } END { @e = @x[1] + @x[9]; }',
    );
    tp.emit(1, 0, 10n, '');
    tp.emit(1, 0, 32n, '');
    const out = r.stop();
    expect(out).toContain('@x[1]: 42\n');
    expect(out).toContain('@n: 2\n');
    expect(out).toContain('@m[1]: 15\n');
    expect(out).not.toContain('@m[2]');
    expect(out).toContain('@e: 42\n');
  });

  it('prints min, max, avg, stats and histograms as bpftrace', () => {
    const { tp, start } = setup(engine);
    const r = start(
      'tracepoint:test:ev { @mn = min(args.b); @mx = max(args.b); @av = avg(args.c); @st[args.a] = stats(args.c); @h = hist(args.c); @l = lhist(args.b, 0, 30, 10); }',
    );
    for (const [b, c] of [
      [3, 0n],
      [-4, 1n],
      [12, 1500n],
      [25, 3n],
      [40, 1024n],
    ] as const)
      tp.emit(1, b, c, '');
    const out = r.stop();
    expect(out).toContain('@mn: -4\n');
    expect(out).toContain('@mx: 40\n');
    expect(out).toContain('@av: 505\n');
    expect(out).toContain('@st[1]: count 5, average 505, total 2528\n');
    const bar = (n: number) => `|${'@'.repeat(n).padEnd(52)}|`;
    expect(out).toContain(
      [
        '@h:',
        `${'[0]'.padEnd(16)}${'1'.padStart(8)} ${bar(26)}`,
        `${'[1]'.padEnd(16)}${'1'.padStart(8)} ${bar(26)}`,
        `${'[2, 4)'.padEnd(16)}${'1'.padStart(8)} ${bar(26)}`,
        `${'[4, 8)'.padEnd(16)}${'0'.padStart(8)} ${bar(0)}`,
      ].join('\n'),
    );
    expect(out).toContain(`${'[1K, 2K)'.padEnd(16)}${'2'.padStart(8)} ${bar(52)}\n`);
    expect(out).toContain(
      [
        '@l:',
        `${'(..., 0)'.padEnd(16)}${'1'.padStart(8)} ${bar(52)}`,
        `${'[0, 10)'.padEnd(16)}${'1'.padStart(8)} ${bar(52)}`,
        `${'[10, 20)'.padEnd(16)}${'1'.padStart(8)} ${bar(52)}`,
        `${'[20, 30)'.padEnd(16)}${'1'.padStart(8)} ${bar(52)}`,
        `${'[30, ...)'.padEnd(16)}${'1'.padStart(8)} ${bar(52)}`,
      ].join('\n'),
    );
  });

  it('formats printf with flags, widths and strings; exit() stops runFor', () => {
    const { tp, start, platform } = setup(engine);
    const r = start(
      'tracepoint:test:ev { printf("%-6s|%5d|%05u|%x|%#X|%c|%%|%s\\n", args.name, args.b, args.a, 255, 255, 65, probe); exit(); }',
    );
    tp.emit(42, -3, 0n, 'ab');
    expect(r.output).toBe('ab    |   -3|00042|ff|0XFF|A|%|tracepoint:test:ev\n');
    expect(r.exited).toBe(true);
    let steps = 0;
    r.runFor((ns) => {
      steps++;
      platform.advanceTime(ns);
    }, 1_000_000n);
    expect(steps).toBe(0);
  });

  it('reads the builtins nsecs, pcpu, vm and vcpu from the platform', () => {
    const { tp, start, platform } = setup(engine);
    const r = start('tracepoint:test:ev { @t = nsecs; @c = pcpu; @v[vm, vcpu] = count(); }');
    platform.setContext({ vmId: 3, vcpuId: 1 });
    platform.advanceTime(500n);
    tp.emit(0, 0, 0n, '');
    const out = r.stop();
    expect(out).toContain(`@t: ${platform.timeNs()}\n`);
    expect(out).toContain('@c: 0\n');
    expect(out).toContain('@v[3, 1]: 1\n');
  });

  it('runs interval probes at their deadlines on the platform clock', () => {
    const { start, platform } = setup(engine);
    const r = start('interval:us:250 { @t = count(); } interval:ms:1 { printf("ms %d\\n", @t); }');
    r.runFor((ns) => platform.advanceTime(ns), 2_000_000n);
    expect(r.output).toBe('ms 4\nms 8\n');
    expect(r.stop()).toBe('@t: 8\n\n');
  });
});
