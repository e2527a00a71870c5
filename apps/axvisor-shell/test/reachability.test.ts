// Every tracepoint reachable from the shell: tracing enabled before boot (`--trace`), `vm
// create` / `vm destroy`, lazily mapped guest RAM for vmm:page_fault; VM id clashes named.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { VMM_EVENT_LIST } from '@axebpf/axvisor-vmm';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const configs = fileURLToPath(new URL('../../../packages/axvisor-vmm/configs/', import.meta.url));
const axvisor = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

/** `trace list` rows as name -> hits. */
function hits(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of stdout.matchAll(/^((?:vmm|shell):\w+)\s+(?:enabled|disabled)\s+\d+\s+(\d+)$/gm))
    out.set(m[1]!, Number(m[2]));
  return out;
}

describe.skipIf(!built)('every tracepoint reachable', () => {
  it('fires all 29 tracepoints in one session: enabled before boot, a lazily mapped VM, vm create and vm destroy', () => {
    const r = axvisor([
      'run',
      ...['hello', 'worker', 'ticker', 'smp', 'mmu'].map((n) => `${configs}${n}.toml`),
      '--trace',
      '*',
      '--exec',
      `vm create ${configs}lazy.toml --start; run 1s; vm destroy 1; vm destroy 9; trace list`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const h = hits(r.stdout);
    expect(h.size).toBe(VMM_EVENT_LIST.length + 2);
    expect(h.size).toBe(29);
    expect([...h].filter(([, n]) => n === 0).map(([name]) => name)).toEqual([]);
    // boot-time events come from the VMs on the command line plus the one created later
    expect(h.get('vmm:vm_create')).toBe(6);
    expect(h.get('vmm:vmm_init')).toBe(1);
    expect(h.get('vmm:vm_destroy')).toBe(2);
    expect(h.get('vmm:page_fault')).toBeGreaterThan(0);
    expect(r.stdout).toContain('vm9 (lazy): destroyed');
  });

  it('runs a guest in lazily mapped RAM to its end, mapping on each stage-2 fault', () => {
    const r = axvisor([
      'run',
      `${configs}lazy.toml`,
      '--trace',
      'vmm:page_fault,vmm:memory_map',
      '--exec',
      'run 50ms; vm list; vm console 9; trace list',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('primes below 5000: 669');
    expect(r.stdout).toMatch(/vm9\s+lazy\s+Stopped/);
    expect(hits(r.stdout).get('vmm:page_fault')).toBe(1);
  });

  it('attaches --prog to the --trace tracepoints before boot', () => {
    const r = axvisor([
      'run',
      `${configs}hello.toml`,
      '--trace',
      'vmm:vcpu_run_exit',
      '--prog',
      'vmexit_stats',
      '--exec',
      'run 10ms; trace stat',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vmm:vcpu_run_exit\s+\d+\s+vmexit_stats/);
  });

  it('names both files when two configs use one VM id, and vm create names the VM that has it', () => {
    const clash = axvisor([
      'run',
      `${configs}hello.toml`,
      `${configs}lazy.toml`,
      `${configs}hcall.toml`,
      `${configs}hello.toml`,
      '--exec',
      'vm list',
    ]);
    expect(clash.status).toBe(1);
    expect(clash.stderr).toContain(
      `${configs}hello.toml and ${configs}hello.toml both use VM id 1`,
    );
    const taken = axvisor(['run', `${configs}hello.toml`, '--exec', 'vm create hello']);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toMatch(
      /VM id 1 of hello.toml is taken by vm1 \(hello, from .*hello.toml\)/,
    );
  });

  it('answers ksym addr from one table with vmN:ADDR, and from every table that has it without', () => {
    const r = axvisor(['run', '--exec', 'ksym addr vm2:0x40080000; ksym addr 0x40080000']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^0x40080000 = vm2:_start\+0x0/);
    expect(lines.slice(1).map((l) => /= (vm\d+):/.exec(l)?.[1])).toEqual([
      'vm1',
      'vm2',
      'vm4',
      'vm5',
      'vm6',
    ]);
  });

  it('runs the bundled kprobe and cluster configs together (ids 7 and 8)', () => {
    const r = axvisor([
      'run',
      `${configs}kprobe.toml`,
      `${configs}cluster.toml`,
      '--exec',
      'vm list',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vm7\s+kprobe/);
    expect(r.stdout).toMatch(/vm8\s+cluster/);
  });
});
