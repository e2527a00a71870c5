// The command examples of the Rust original (the axebpf README, the progress report of
// Iscreamx/axvisor's feature/ebpf branch, and the AxVisor shell's `trace help`), one by one, as
// written. Where one cannot work here as written, the test runs it anyway, checks the error says
// why, and runs the closest equivalent (the shell README's "Commands of the Rust original" lists
// these differences).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const configs = fileURLToPath(new URL('../../../packages/axvisor-vmm/configs/', import.meta.url));
const programs = fileURLToPath(new URL('../../../packages/axebpf/programs/', import.meta.url));
const kprobeVm = `${configs}kprobe.toml`;
const axvisor = (exec: string, configFiles: string[] = []) =>
  spawnSync(process.execPath, [bin, 'run', ...configFiles, '--exec', exec], {
    encoding: 'utf8',
    timeout: 120_000,
  });

describe.skipIf(!built)('the Rust original README and progress report, as written', () => {
  it('README "Basic Example": list tracepoints with their state, enable vmm:vm_create', () => {
    const r = axvisor('trace list; trace enable vmm:vm_create; trace list');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vmm:vm_create\s+disabled/);
    expect(r.stdout).toMatch(/vmm:vm_create\s+enabled/);
    expect(r.stdout).toContain('Total: 29 tracepoints');
  });

  it('progress report 2.1: `trace enable shell:shell_command --prog printk && trace stat` shows the COUNTER_MAP hit count', () => {
    const r = axvisor('trace enable shell:shell_command --prog printk && trace stat');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Attached: printk program');
    // the enable command itself is the first hit of shell_command (id 100)
    expect(r.stdout).toMatch(/printk:COUNTER_MAP\s+100\s+1$/m);
  });

  it('progress report 2.2: `trace hprobe execute_command hprobe_entry` (differs: the EL2 image has no execute_command; handle_hvc)', () => {
    const asWritten = axvisor('trace hprobe execute_command hprobe_entry');
    expect(asWritten.status).toBe(1);
    expect(asWritten.stderr).toContain("Symbol 'execute_command' not found in symbol table");
    expect(asWritten.stderr).toContain('ksym search');
    const r = axvisor('trace hprobe handle_hvc hprobe_entry; run 10ms; trace list');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/handle_hvc\s+0x[0-9a-f]{16}\s+[1-9]\d*\s+\d+\s+yes\s+no/);
  });

  it('progress report 2.2: `ksym lookup <symbol>` returns the address', () => {
    const r = axvisor('ksym lookup handle_hvc; ksym lookup guest_main');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^handle_hvc = 0x[0-9a-f]+$/m);
    expect(r.stdout).toMatch(/^guest_main = 0x4008[0-9a-f]+$/m);
  });

  it('progress report 2.3.1: `trace stream -n 5` shows the probe type of each event', () => {
    const r = axvisor(
      'trace enable vmm:hypercall; trace hprobe handle_hvc hprobe_entry; trace stream -n 5',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('TYPE');
    expect(r.stdout).toContain('Reached limit of 5 events.');
    expect(r.stdout).toMatch(/\]\s+cpu0\s+(tracepoint|hprobe)\s/);
  });

  it('progress report 2.3.4: `trace kprobe vm1:0xffff800080012340 hprobe_entry` registers without a panic (pending: no translation)', () => {
    const r = axvisor('trace kprobe vm1:0xffff800080012340 hprobe_entry; trace list');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('kprobe registered pending enable: vm1:0xffff800080012340');
    expect(r.stdout).toMatch(/vm1\s+0xffff800080012340\s+0\s+\d+\s+s2fault\s+no\s+pending/);
  });

  it('next milestones: `trace kprobe vm0:<symbol>` by name and `trace kprobe vm0:<addr> hprobe_exit --ret` with x0 in `trace stream`', () => {
    const r = axvisor(
      'trace kprobe vm7:kp_add hprobe_entry; trace kprobe vm7:0x400820a0 hprobe_exit --ret; trace stream --filter kprobe -n 6; trace list',
      [kprobeVm],
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vm7\s+kp_add\+0x0\s+[1-9]\d*\s+\d+\s+s2fault\s+no\s+yes/);
    // kp_fact(1) returns 1: the kretprobe event's args end with the return value
    expect(r.stdout).toMatch(
      /kretprobe\s+vm7:kp_fact\+0x0\s+args=\[0x400820a0, 0x[0-9a-f]+, 0x1\]/,
    );
  });
});

describe.skipIf(!built)("the AxVisor shell's trace commands (crates.md 8), as written", () => {
  it('`trace` and `trace help` print the commands', () => {
    const r = axvisor('trace; trace help');
    expect(r.status).toBe(0);
    expect(r.stdout.match(/trace load prog <id\|name> <tp>/g)).toHaveLength(2);
  });

  it('`trace enable <tp> --prog stats`, `trace disable`, `trace unload <tp>`, `trace load prog <id> <tp>`, `trace progs`', () => {
    const r = axvisor(
      'trace enable vmm:vcpu_run_exit --prog stats; run 5ms; trace stat; trace unload vmm:vcpu_run_exit; trace load prog stats vmm:hypercall; trace enable vmm:hypercall; run 5ms; trace disable vmm:hypercall; trace progs',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/stats:STATS_MAP\s+9\s+[1-9]\d*/); // keyed by vcpu_run_exit's id 9
    expect(r.stdout).toContain('Detached program stats');
    expect(r.stdout).toMatch(/Attached program stats \(\d+\) to vmm:hypercall/);
    expect(r.stdout).toMatch(/stats\s+\d+\s+vmm:hypercall/);
  });

  it('`trace load file <path> <tp>` with an object built for the original (TraceContext) and `trace reset`', () => {
    const r = axvisor(
      `trace load file ${programs}vmexit_stats_tc.bpf.o vmm:vcpu_run_exit; trace enable vmm:vcpu_run_exit; run 5ms; trace stat; trace reset; trace progs; trace list`,
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('(TraceContext context)');
    expect(r.stdout).toMatch(/vmexit_stats_tc:exit_stats\s+\d+\s+[1-9]/);
    expect(r.stdout).toMatch(/Reset: 1 programs unloaded/);
    expect(r.stdout).not.toMatch(/\senabled\s/);
  });

  it('a failed `trace load file` attach leaves nothing loaded', () => {
    const r = axvisor(
      `trace load file ${programs}vmexit_stats.bpf.o vmm:no_such_tp; trace load file ${programs}vmexit_stats.bpf.o vmm:vcpu_run_exit; trace progs`,
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Tracepoint not found: vmm:no_such_tp');
    expect(r.stdout).toContain('Total: 1 loaded, 1 attachments');
  });

  it('`trace stat --hist <event> --top N` and the decade buckets of the original', () => {
    const r = axvisor(
      'trace enable vmm:vcpu_run_exit; run 10ms; trace stat --hist vcpu_run_exit --buckets decade --top 3',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('TOP 3 EVENTS (by count):');
    expect(r.stdout).toContain('LATENCY HISTOGRAM (vmm:vcpu_run_exit):');
    for (const label of [
      '0-1us',
      '1-10us',
      '10-100us',
      '100us-1ms',
      '1-10ms',
      '10-100ms',
      '100ms-1s',
      '>1s',
    ])
      expect(r.stdout).toContain(label);
    expect(r.stdout).toMatch(/P50=\S+ P90=\S+ P99=\S+/);
  });

  it('`trace dump --filter vm<N> -n N`, `trace verbose on`', () => {
    const r = axvisor(
      'trace enable vmm:hypercall; trace verbose on; run 1ms; trace verbose off; trace dump --filter vm1 -n 2',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('verbose: on');
    expect(r.stdout).toContain('2 events displayed.');
    expect(r.stdout).toMatch(/vmm:hypercall\s+args=.* vm1$/m);
  });

  it('`trace hretprobe`, `trace unhprobe`, `trace unkprobe`, `trace loadsyms`, `trace gsym`, `ksym search`, `ksym addr`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axvisor-orig-'));
    const map = join(dir, 'System.map');
    writeFileSync(map, '0000000040082000 T my_add\n');
    const r = axvisor(
      `trace hretprobe handle_exit hprobe_exit; trace unhprobe handle_exit; trace kprobe vm7:kp_add kprobe_args --inject; trace unkprobe vm7:kp_add; trace loadsyms vm7 ${map}; trace gsym vm7 my_add; trace gsym vm7 search kp_; ksym search handle_; ksym addr vm7:0x40082000`,
      [kprobeVm],
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Hretprobe attached: handle_exit');
    expect(r.stdout).toContain('Hprobe detached: handle_exit');
    expect(r.stdout).toContain('kprobe detached: vm7:0x40082000');
    expect(r.stdout).toContain("Loaded 1 symbols for vm7 from '");
    expect(r.stdout).toContain('my_add = 0x40082000');
    expect(r.stdout).toMatch(/Found \d+ symbol\(s\) matching 'handle_':/);
    expect(r.stdout).toMatch(/0x40082000 = vm7:(kp_add|my_add)\+0x0/);
  });
});
