// `trace run` / `trace stop` (bpftrace-like programs) tried as a user would: spawned with --exec.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const configs = fileURLToPath(new URL('../../../packages/axvisor-vmm/configs', import.meta.url));
const axvisor = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

describe.skipIf(!built)('trace run', () => {
  it('attaches a one-liner, prints printf lines as they come and the maps on trace stop', () => {
    const r = axvisor([
      'run',
      '--exec',
      `trace run 'BEGIN { printf("go\\n"); } tracepoint:vmm:vcpu_run_exit /args.vm_id == 2/ { @[args.exit_reason] = count(); } interval:ms:5 { @ticks = count(); }'; run 20ms; trace stop`,
    ]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('Attaching 3 probes... (bt1)');
    expect(lines[1]).toBe('go');
    expect(r.stdout).toMatch(/\n@\[2\]: \d+\n/);
    expect(r.stdout).toContain('\n@ticks: 4\n');
  });

  it('reads a file, runs --for a span, and prints the maps when --exec ends without trace stop', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-'));
    const file = join(dir, 'probes.bt');
    writeFileSync(
      file,
      'kprobe:vm7:kp_add { @[arg0, arg1] = count(); }\nkretprobe:vm7:kp_fact { @f[retval] = count(); }\n',
    );
    const r = axvisor([
      'run',
      join(configs, 'kprobe.toml'),
      '--exec',
      `trace run -f ${file}; trace run --for 5ms 'tracepoint:vmm:vcpu_run_exit { @[comm] = count(); }'; run 30ms`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/@\[vm7-vcpu0\]: \d+/);
    expect(r.stdout).toMatch(/@f\[\d+\]: \d+/);
    expect(r.stdout).toMatch(/@\[\d+, \d+\]: \d+/);
  });

  it('stops a program that calls exit(): at once with --for, after the command otherwise', () => {
    const r = axvisor([
      'run',
      '--exec',
      "trace run --for 20ms 'tracepoint:vmm:vcpu_run_exit { @n = count(); if (@n == 5) { exit(); } }'; trace run 'tracepoint:vmm:vcpu_run_exit { @m = count(); if (@m == 5) { exit(); } }'; run 20ms; trace stop",
    ]);
    expect(r.status).toBe(0);
    const n = Number(/@n: (\d+)/.exec(r.stdout)?.[1]);
    expect(n).toBeGreaterThanOrEqual(5);
    expect(n).toBeLessThan(1000); // stopped within one 100 us step, not after 20 ms (about 1,400 exits)
    expect(r.stdout).toMatch(/@m: \d+\n/);
    expect(r.stdout).toContain('(no program is running)');
  });

  it('shows a compile error with its caret and fails the command', () => {
    const r = axvisor(['run', '--exec', "trace run 'tracepoint:vmm:vcpu_run_exit { @x = foo; }'"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('stdin:1:37-40: ERROR: unknown identifier `foo`');
    expect(r.stderr).toContain(`${' '.repeat(36)}^~~`);
  });

  it('runs beside the demo with --bt and reports at the end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bt-demo-'));
    const r = axvisor([
      'demo',
      '--for',
      '20ms',
      '--trace',
      join(dir, 't.json'),
      '--bt',
      'tracepoint:vmm:vcpu_run_exit { @[args.exit_reason] = count(); } interval:ms:10 { @ticks = count(); }',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('== bpfscript bt1: tracepoint:vmm:vcpu_run_exit');
    expect(r.stdout).toMatch(/\n@\[1\]: \d+\n/);
    expect(r.stdout).toContain('\n@ticks: 2\n');
  });
});
