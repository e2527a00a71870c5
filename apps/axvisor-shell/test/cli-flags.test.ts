// The `axvisor` command's own flags and exit statuses, spawned as a user runs it: --version and
// --help print to stdout and exit 0; usage errors exit 2 (as ksym-gen and aarch64-emu); a
// command that ran and failed exits 1. Progress durations are printed in units.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProgressDuration } from '../src/shell/duration.js';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const axvisor = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });
const versionOf = (url: string) =>
  (
    JSON.parse(readFileSync(fileURLToPath(new URL(url, import.meta.url)), 'utf8')) as {
      version: string;
    }
  ).version;

describe('formatProgressDuration', () => {
  it('prints elapsed time in the unit of the total, never raw nanoseconds', () => {
    expect(formatProgressDuration(1_000_036_563n, 30_000_000_000n)).toBe('1.000s');
    expect(formatProgressDuration(250_000_000n, 500_000_000n)).toBe('250.000ms');
    expect(formatProgressDuration(1_500n)).toBe('1.500us');
    expect(formatProgressDuration(7n)).toBe('7ns');
  });
});

describe.skipIf(!built)('axvisor flags and exit statuses', () => {
  it('--version and -V print the versions of the command and of axebpf', () => {
    for (const flag of ['--version', '-V']) {
      const r = axvisor([flag]);
      expect([r.status, r.stdout, r.stderr]).toEqual([
        0,
        `axvisor ${versionOf('../package.json')} (axebpf ${versionOf('../../../packages/axebpf/package.json')})\n`,
        '',
      ]);
    }
  });

  it('--help prints the usage on stdout and exits 0, for the command and its subcommands', () => {
    for (const args of [['--help'], ['-h'], ['run', '--help'], ['demo', '--help']]) {
      const r = axvisor(args);
      expect({ args, status: r.status }).toEqual({ args, status: 0 });
      expect(r.stdout).toContain('Usage: axvisor');
    }
  });

  it('usage errors exit 2 with a message on stderr', () => {
    for (const args of [
      [],
      ['frobnicate'],
      ['run', '--nope'],
      ['run', '--for', 'soon'],
      ['demo', '--top', '0'],
    ]) {
      const r = axvisor(args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.stderr).not.toBe('');
    }
  });

  it('a command that ran and failed exits 1', () => {
    const r = axvisor(['run', '--exec', 'vm console 99']);
    expect(r.status).toBe(1);
    const missing = axvisor(['run', '/nonexistent/vm.toml']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('cannot read config');
  });
});
