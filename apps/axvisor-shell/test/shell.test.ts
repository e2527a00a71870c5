import { describe, expect, it } from 'vitest';
import { ShellError } from '../src/errors.js';
import { formatVirtualDuration, parseDuration } from '../src/shell/duration.js';
import { CommandRegistry, parseOptions } from '../src/shell/registry.js';
import { runLine } from '../src/shell/shell.js';
import { closest, editDistance } from '../src/shell/suggest.js';
import { tokenize } from '../src/shell/tokenize.js';

const texts = (line: string) => tokenize(line).map((c) => c.map((w) => w.text));

describe('tokenize', () => {
  it('splits commands on unquoted semicolons and words on blanks', () => {
    expect(texts('vm list; trace stat --top 5;;  run 1s ;')).toEqual([
      ['vm', 'list'],
      ['trace', 'stat', '--top', '5'],
      ['run', '1s'],
    ]);
  });

  it('keeps quoted text whole, including ; and spaces, and handles escapes', () => {
    expect(
      texts(`trace filter vmm:hypercall 'nr == 3 && vm_id != 1; x' "a \\"b\\" c" d\\ e`),
    ).toEqual([['trace', 'filter', 'vmm:hypercall', 'nr == 3 && vm_id != 1; x', 'a "b" c', 'd e']]);
  });

  it('records 1-based columns and stops at a comment', () => {
    expect(tokenize('  ksym  lookup # ignored')[0]).toEqual([
      { text: 'ksym', column: 3 },
      { text: 'lookup', column: 9 },
    ]);
  });

  it('reports an unterminated quote with its column', () => {
    try {
      tokenize(`trace filter x "a == 1`);
      expect.unreachable();
    } catch (error) {
      expect(ShellError.isInstance(error) && [error.code, error.column]).toEqual([
        'UNTERMINATED_QUOTE',
        16,
      ]);
    }
  });
});

describe('durations', () => {
  it('parses units and fractions into nanoseconds and formats them back', () => {
    expect(['1s', '500ms', '250us', '100ns', '2.5s', '1m', '0.001ms'].map(parseDuration)).toEqual([
      1_000_000_000n,
      500_000_000n,
      250_000n,
      100n,
      2_500_000_000n,
      60_000_000_000n,
      1_000n,
    ]);
    for (const ns of [1_000_000_000n, 1_500_000n, 7n, 250_000n])
      expect(parseDuration(formatVirtualDuration(ns))).toBe(ns);
  });

  it('rejects durations without a unit', () => {
    expect(() => parseDuration('10')).toThrow(/500ms/);
  });
});

describe('suggestions', () => {
  it('measures edit distance and suggests only close words', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(closest('stat', ['start', 'stop', 'stat'])).toBe('stat');
    expect(closest('trce', ['trace', 'ksym', 'vm'])).toBe('trace');
    expect(closest('zzzzzz', ['trace', 'ksym'])).toBeUndefined();
    expect(closest('dis', ['disable', 'dump'])).toBe('disable');
  });
});

describe('CommandRegistry and runLine', () => {
  const log: string[] = [];
  const registry = new CommandRegistry<{ log: string[] }>()
    .register({
      path: 'trace stat',
      usage: 'trace stat [--top N]',
      summary: 'statistics',
      run: (args, ctx) => {
        const { values } = parseOptions({ usage: 'trace stat [--top N]' }, args, {
          top: { type: 'string' },
        });
        ctx.log.push(`stat top=${values.top ?? '-'}`);
      },
      complete: () => ['--top', '--hist'],
    })
    .register({
      path: 'trace list',
      usage: 'trace list',
      summary: 'list',
      run: (_a, ctx) => void ctx.log.push('list'),
    })
    .register({ path: 'help', usage: 'help [command]', summary: 'help', run: () => undefined });

  const run = async (line: string) => {
    const out: string[] = [];
    const err: string[] = [];
    const after: string[] = [];
    const result = await runLine(
      registry,
      line,
      { log },
      { out: (t) => out.push(t), err: (t) => err.push(t) },
      { after: (p, ok) => after.push(`${p}:${ok}`) },
    );
    return { result, out, err, after };
  };

  it('runs every command of a line and counts failures, continuing after one', async () => {
    log.length = 0;
    const r = await run('trace stat --top 3; trace lst; trace list');
    expect(log).toEqual(['stat top=3', 'list']);
    expect(r.result).toEqual({ commands: 3, failed: 1 });
    expect(r.err[0]).toBe('error: unknown subcommand of `trace` `lst`; did you mean `trace list`?');
    expect(r.err[1]).toContain('^');
    expect(r.after).toEqual(['trace stat:true', 'trace:false', 'trace list:true']);
  });

  it('runs the command after && only when the one before succeeded', async () => {
    log.length = 0;
    const r = await run(
      'trace list && trace stat; trace lst && trace stat && trace list; trace list',
    );
    expect(log).toEqual(['list', 'stat top=-', 'list']);
    expect(r.result).toEqual({ commands: 4, failed: 1 });
    expect(texts("a 'x && y' && b")).toEqual([['a', 'x && y'], ['b']]);
  });

  it('suggests the closest top-level command and lists help', async () => {
    const r = await run('trase list');
    expect(r.err[0]).toContain('did you mean `trace`');
    expect(registry.help(['trace']).split('\n')).toHaveLength(3); // a heading and two commands
    expect(() => registry.help(['nope'])).toThrow(ShellError);
  });

  it('reports bad options with the usage line', async () => {
    const r = await run('trace stat --bogus');
    expect(r.err[0]).toMatch(/unknown option `--bogus`.*usage: trace stat \[--top N\]/);
  });

  it('asks for a subcommand when only a group is given', async () => {
    const r = await run('trace');
    expect(r.err[0]).toBe('error: `trace` needs a subcommand: one of list, stat');
  });

  it('completes command words and command arguments', () => {
    expect(registry.complete('tr', { log })).toEqual([['trace'], 'tr']);
    expect(registry.complete('trace ', { log })).toEqual([['list', 'stat'], '']);
    expect(registry.complete('trace stat --h', { log })).toEqual([['--hist'], '--h']);
  });
});
