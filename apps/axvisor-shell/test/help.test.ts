// Help for every command and subcommand: `help X`, `X --help`, `X -h`, a group word alone
// (`trace`) and `<group> help`, in the shell; `--help` and `help <command>` of the CLI.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildCommands } from '../src/commands.js';
import { runLine } from '../src/shell/shell.js';

const commands = buildCommands();

async function run(line: string): Promise<{ out: string; err: string; failed: number }> {
  const out: string[] = [];
  const err: string[] = [];
  // help never touches the session: a printer is enough
  const ctx = { print: (t: string) => out.push(t) };
  const r = await runLine(commands, line, ctx as never, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
  });
  return { out: out.join('\n'), err: err.join('\n'), failed: r.failed };
}

describe('shell help', () => {
  const specs = commands.list().filter((s) => s.path !== 'help');
  it.each(specs.map((s) => [s.path, s.usage]))(
    '`%s`: help X, X --help and X -h print its usage',
    async (path, usage) => {
      for (const line of [`help ${path}`, `${path} --help`, `${path} -h`]) {
        const r = await run(line);
        expect([line, r.failed, r.out.split('\n')[0]]).toEqual([line, 0, `usage: ${usage}`]);
      }
    },
  );

  const groups = [
    ...new Set(
      specs.flatMap((s) => {
        const w = s.path.split(' ');
        return w.slice(0, -1).map((_, i) => w.slice(0, i + 1).join(' '));
      }),
    ),
  ];
  it.each(groups)(
    'group `%s`: alone, with help, --help and -h lists its commands',
    async (group) => {
      const under = specs.filter((s) => s.path.startsWith(`${group} `));
      for (const line of [
        group,
        `${group} help`,
        `${group} --help`,
        `${group} -h`,
        `help ${group}`,
      ]) {
        const r = await run(line);
        expect([line, r.failed]).toEqual([line, 0]);
        expect(r.out).toContain(`\`${group}\` commands:`);
        for (const s of under) expect(r.out).toContain(s.usage);
      }
    },
  );

  it('help alone lists every command; an unknown one is an error with a suggestion', async () => {
    const all = await run('help');
    for (const s of specs) expect(all.out).toContain(s.usage);
    const bad = await run('help trace stst');
    expect(bad.failed).toBe(1);
    expect(bad.err).toContain('trace stat');
  });

  it('the groups are the ones users type: trace, trace load, vm, ksym, export', () => {
    expect(groups).toEqual(expect.arrayContaining(['trace', 'trace load', 'vm', 'ksym', 'export']));
  });
});

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

describe.skipIf(!built)('axvisor --help', () => {
  it.each(['--help', 'run --help', 'demo --help', 'help run', 'help demo'])(
    '`axvisor %s` prints usage and exits 0',
    (line) => {
      const r = spawnSync(process.execPath, [bin, ...line.split(' ')], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(r.stderr).not.toContain('BigInt');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^Usage: axvisor/);
    },
  );

  it('shows the bigint defaults as durations', () => {
    const r = spawnSync(process.execPath, [bin, 'demo', '--help'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.stdout).toContain('(default: 1s)');
  });
});
