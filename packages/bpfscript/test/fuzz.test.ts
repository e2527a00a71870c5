// SPDX-License-Identifier: MIT
// Fuzzing the compiler (fast-check): random text and random token streams only ever give a
// ScriptError with a position inside the source; random valid programs compile, pass the
// verifier, and run with the same output on both engines. `pnpm --filter @axebpf/bpfscript fuzz`
// runs this file alone; FUZZ_RUNS scales the run counts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRuntime, MockPlatform } from 'axebpf';
import { ebpfRuntime } from 'axebpf/runtime';
import { symbols } from 'axebpf/symbols';
import { tracepoints } from 'axebpf/tracepoints';
import { defineEvent } from '@axebpf/tracepoint';
import { compile, ScriptError, ScriptRunner } from '../src/index.js';

const SCALE = Number(process.env['FUZZ_RUNS'] ?? '1');
const EV = defineEvent({
  system: 'vmm',
  name: 'vcpu_run_exit',
  fields: [
    ['vm_id', 'u32'],
    ['vcpu_id', 'u32'],
    ['exit_reason', 'u32'],
    ['pc', 'u64'],
    ['guest_ns', 'u64'],
    ['delta', 's32'],
    ['dev', 'char[16]'],
  ],
} as const);
const EVENTS = [EV];

/** Compiles; returns the error when it is a well-formed ScriptError, rethrows anything else. */
function compileOrError(source: string): ScriptError | undefined {
  try {
    compile(source, { tracepoints: EVENTS });
    return undefined;
  } catch (e) {
    if (!ScriptError.isInstance(e)) throw e;
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(source.length);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.column).toBeGreaterThanOrEqual(1);
    expect(typeof e.format()).toBe('string');
    return e;
  }
}

const TOKENS = [
  'tracepoint:vmm:vcpu_run_exit',
  'tracepoint:vmm:*',
  'hprobe:handle_hvc',
  'hretprobe:f',
  'kprobe:vm1:f',
  'kretprobe:vm2:g',
  'interval:ms:5',
  'BEGIN',
  'END',
  '{',
  '}',
  '(',
  ')',
  '[',
  ']',
  '/',
  ';',
  ',',
  '=',
  '==',
  '!=',
  '<',
  '>',
  '<=',
  '>=',
  '+',
  '-',
  '*',
  '%',
  '&',
  '|',
  '^',
  '!',
  '~',
  '&&',
  '||',
  '<<',
  '>>',
  '?',
  ':',
  '+=',
  '++',
  '.',
  'if',
  'else',
  'args',
  'args.vm_id',
  'args.guest_ns',
  'args.dev',
  'args.nope',
  '$x',
  '$y',
  '@',
  '@m',
  '@h',
  'count()',
  'sum',
  'hist',
  'lhist',
  'printf',
  'print',
  'clear',
  'delete',
  'exit',
  'comm',
  'probe',
  'nsecs',
  'vm',
  'retval',
  'arg0',
  'arg9',
  'pc',
  '0',
  '1',
  '42',
  '0xff',
  '18446744073709551616',
  '"s"',
  '"%d\\n"',
  '"%s"',
  '"',
  '#',
  '\n',
  '/*',
  '*/',
  '//',
];

describe('fuzz: the compiler never crashes', () => {
  it('gives only positioned ScriptErrors for random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (s) => void compileOrError(s)),
      { numRuns: 300 * SCALE },
    );
  });

  it('gives only positioned ScriptErrors for random token streams', () => {
    const stream = fc
      .array(fc.constantFrom(...TOKENS), { minLength: 1, maxLength: 40 })
      .map((t) => t.join(' '));
    fc.assert(
      fc.property(stream, (s) => void compileOrError(s)),
      { numRuns: 600 * SCALE },
    );
  });

  it('gives only positioned ScriptErrors for token streams inside a probe body', () => {
    const body = fc
      .array(fc.constantFrom(...TOKENS.slice(9)), { maxLength: 30 })
      .map((t) => `tracepoint:vmm:vcpu_run_exit { ${t.join(' ')} }`);
    fc.assert(
      fc.property(body, (s) => void compileOrError(s)),
      { numRuns: 600 * SCALE },
    );
  });

  it('survives deep nesting with a positioned error', () => {
    const deep = `BEGIN { @x = ${'('.repeat(500)}1${')'.repeat(500)}; }`;
    expect(compileOrError(deep)?.code).toBe('UNEXPECTED_TOKEN');
  });
});

// ---- random valid programs

const INT_ATOMS = [
  'args.vm_id',
  'args.vcpu_id',
  'args.exit_reason',
  'args.guest_ns',
  'args.delta',
  'args.pc',
  'vm',
  'vcpu',
  'pcpu',
  '0',
  '1',
  '3',
  '7',
  '1000',
  '-5',
  '0x7fffffff',
  '0x123456789',
];
const BIN = [
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '<<',
  '>>',
  '==',
  '!=',
  '<',
  '<=',
  '>',
  '>=',
  '&&',
  '||',
];

function intExpr(vars: readonly string[]): fc.Arbitrary<string> {
  const atom = fc.constantFrom(...INT_ATOMS, ...vars);
  return fc.letrec<{ e: string }>((tie) => ({
    e: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      atom,
      fc
        .tuple(tie('e'), fc.constantFrom(...BIN), tie('e'))
        .map(([a, op, b]) => `(${a} ${op} ${b})`),
      fc.tuple(fc.constantFrom('-', '!', '~'), tie('e')).map(([op, a]) => `${op}(${a})`),
      fc.tuple(tie('e'), tie('e'), tie('e')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    ),
  })).e;
}

const strExpr = fc.constantFrom('comm', 'probe', 'args.dev', '"lit"', '"a longer literal string"');

const AGGS = [
  'count()',
  'sum(E)',
  'min(E)',
  'max(E)',
  'avg(E)',
  'stats(E)',
  'hist(E)',
  'lhist(E, 0, 100, 10)',
];

const statement: fc.Arbitrary<string> = fc.letrec<{ s: string }>((tie) => ({
  s: fc.oneof(
    { depthSize: 'small' },
    fc
      .tuple(
        fc.integer({ min: 0, max: AGGS.length - 1 }),
        fc.array(intExpr([]), { maxLength: 2 }),
        intExpr([]),
      )
      .map(
        ([k, keys, e]) =>
          `@a${k}_${keys.length}${keys.length ? `[${keys.join(', ')}]` : ''} = ${AGGS[k]!.replace('E', e)};`,
      ),
    fc.tuple(strExpr, intExpr([])).map(([s, e]) => `@s[${s}, ${e}] = count();`),
    fc.tuple(intExpr([]), intExpr([])).map(([k, e]) => `@v[${k}] = ${e}; @v[${k}] += 1;`),
    fc.tuple(intExpr([]), intExpr([])).map(([a, b]) => `$x = ${a}; $x = $x + ${b}; @x = $x;`),
    fc.tuple(strExpr, strExpr).map(([a, b]) => `$s = ${a}; if ($s == ${b}) { @eq = count(); }`),
    fc.tuple(intExpr([]), strExpr).map(([a, s]) => `printf("%d %x %s|", ${a}, ${a}, ${s});`),
    fc
      .tuple(intExpr([]), tie('s'), tie('s'))
      .map(([c, a, b]) => `if (${c}) { ${a} } else { ${b} }`),
  ),
})).s;

const validProgram = fc
  .tuple(
    fc.option(intExpr([]), { nil: undefined }),
    fc.array(statement, { minLength: 1, maxLength: 4 }),
  )
  .map(
    ([filter, body]) =>
      `tracepoint:vmm:vcpu_run_exit ${filter === undefined ? '' : `/${filter}/ `}{ ${body.join(' ')} }`,
  );

function runOn(engine: 'interpreter' | 'wasm', source: string): string {
  const platform = new MockPlatform();
  const rt = createRuntime({
    features: [symbols(), tracepoints(), ebpfRuntime({ engine })] as const,
    platform,
  });
  const tp = rt.tracepoints.register(EV);
  const runner = new ScriptRunner(rt, compile(source, { tracepoints: EVENTS }), { engine });
  runner.start();
  const values: [number, number, number, bigint, bigint, number, string][] = [
    [1, 0, 1, 0xffff0000n, 12n, -3, 'pl011'],
    [2, 1, 3, 0x40001000n, 1500n, 7, 'gic'],
    [1, 1, 8, 0n, 0n, 0, ''],
    [3, 0, 3, 0x1234n, 1n << 40n, -2147483648, 'virtio-blk-dev01'],
  ];
  for (const v of values) {
    platform.setContext({ vmId: v[0], vcpuId: v[1], exitReason: v[2] });
    tp.emit(...v);
  }
  return runner.output + runner.stop();
}

describe('fuzz: random valid programs', () => {
  it('compile and pass the verifier (or hit the stack limit with a position)', () => {
    let compiled = 0;
    const numRuns = 150 * SCALE;
    fc.assert(
      fc.property(validProgram, (source) => {
        const e = compileOrError(source);
        if (e !== undefined)
          expect(e.code, `${e.code}: ${e.message}\n${source}`).toBe('STACK_LIMIT');
        else compiled++;
      }),
      { numRuns },
    );
    // the generator must mostly produce programs that compile, or this test proves little
    expect(compiled).toBeGreaterThan(numRuns * 0.7);
  });

  it('print the same on both engines', () => {
    fc.assert(
      fc.property(validProgram, (source) => {
        if (compileOrError(source) !== undefined) return;
        expect(runOn('wasm', source)).toBe(runOn('interpreter', source));
      }),
      { numRuns: 25 * SCALE },
    );
  }, 120_000);
});
