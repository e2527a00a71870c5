// The `axvisor` command tried as a user would: spawned as a process, commands given with --exec
// or typed on its standard input.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const axvisor = (args: string[], input?: string) =>
  spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    ...(input === undefined ? {} : { input }),
  });

describe.skipIf(!built)('axvisor run', () => {
  it('boots the bundled VMs, runs --exec commands and exits 0 when all succeed', () => {
    const r = axvisor([
      'run',
      '--exec',
      'vm list; trace enable vmm:hypercall; run 10ms; vm list; vm console 2; trace stat',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vm1\s+hello\s+Running/);
    expect(r.stdout).toMatch(/vm2\s+worker\s+Stopped/);
    expect(r.stdout).toContain('worker: done');
    expect(r.stdout).toMatch(/vmm:hypercall\s+137\s/); // 9 from hello + 128 from worker
  });

  it('reports a failing command with a suggestion and a caret, runs the rest, and exits 1', () => {
    const r = axvisor(['run', '--exec', 'trace lst; vm list']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('did you mean `trace list`?');
    expect(r.stderr).toContain('^');
    expect(r.stdout).toContain('vm1');
  });

  it('filters events with an ftrace expression and fires shell:shell_command', () => {
    const r = axvisor([
      'run',
      '--exec',
      "trace enable vmm:vcpu_run_exit shell:shell_command; trace filter vmm:vcpu_run_exit 'vm_id == 2 && exit_reason == 1'; run 10ms; trace stat; trace list",
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vmm:vcpu_run_exit\s+128\s/); // only the worker's hypercall exits pass
    expect(r.stdout).toMatch(/shell:shell_command\s+enabled\s+100\s+[1-9]/);
  });

  it('rejects a bad filter with its column', () => {
    const r = axvisor(['run', '--exec', "trace filter vmm:vcpu_run_exit 'vm_idd == 2'"]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/vm_idd/);
  });

  it('answers ksym commands from the guest symbol tables', () => {
    const r = axvisor([
      'run',
      '--exec',
      'ksym lookup vm1:guest_main; ksym addr 0x40080054; ksym search primes',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('vm1:guest_main = 0x40080050');
    expect(r.stdout).toMatch(/0x40080054 = vm[12]:guest_main\+0x4/);
  });

  it("resolves the hypervisor's own EL2 symbols from the kallsyms blob injected into its image", () => {
    const r = axvisor([
      'run',
      '--exec',
      'ksym lookup axvisor:handle_hvc; ksym lookup vcpu_run; ksym search handle_',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/axvisor:handle_hvc = 0x1001[0-9a-f]{5}/);
    expect(r.stdout).toMatch(/vcpu_run = 0x1001[0-9a-f]{5}/);
    expect(r.stdout).toContain('handle_data_abort');
  });

  it('attaches hprobes and hretprobes to EL2 functions, lists them with hits, and detaches them', () => {
    const r = axvisor([
      'run',
      '--exec',
      'trace enable vmm:vcpu_run_exit; trace hprobe handle_exit hprobe_entry; trace hretprobe handle_exit hprobe_exit; run 10ms; trace list; trace dump --filter hprobe -n 2; trace unhprobe handle_exit; trace list',
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const addr = /Symbol 'handle_exit' found at (0x[0-9a-f]{16})/.exec(r.stdout)![1]!;
    expect(r.stdout).toMatch(/Loaded program 'hprobe_entry' with id \d+/);
    expect(r.stdout).toMatch(new RegExp(`Hprobe attached: handle_exit @ ${addr} -> prog \\d+`));
    expect(r.stdout).toMatch(new RegExp(`Hretprobe attached: handle_exit @ ${addr} -> prog \\d+`));
    // one handle_exit call per exit: the hit counters equal the exit tracepoint's hits
    const exits = Number(/vmm:vcpu_run_exit\s+enabled\s+\d+\s+(\d+)/.exec(r.stdout)![1]);
    expect(exits).toBeGreaterThan(100);
    const rows = [
      ...r.stdout.matchAll(
        new RegExp(`handle_exit\\s+${addr}\\s+(\\d+)\\s+\\d+\\s+yes\\s+(yes|no)`, 'g'),
      ),
    ].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual([
      [exits, 'no'],
      [exits, 'yes'],
    ]);
    expect(r.stdout).toMatch(/hprobe\s+handle_exit\s+args=\[0x1001/);
    expect(r.stdout).toContain('Hprobe detached: handle_exit');
    expect(r.stdout).toMatch(/Hprobes \(VMM probes\):\n  \(none\)/);
  });

  it('names a symbol that does not exist and an unknown program, and exits 1', () => {
    const r = axvisor([
      'run',
      '--exec',
      'trace hprobe no_such_fn hprobe_entry; trace hprobe handle_hvc nope; trace hprobe __guest_enter hprobe_entry',
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain("Symbol 'no_such_fn' not found in symbol table");
    expect(r.stdout + r.stderr).toContain('Unknown program: nope');
    expect(r.stdout + r.stderr).toMatch(/Failed to attach hprobe: .*exception entry code/);
  });

  it('writes a Chrome trace that parses', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'axvisor-')), 't.json');
    const r = axvisor(['run', '--exec', `trace enable vmm:*; run 5ms; export trace ${file}`]);
    expect(r.status).toBe(0);
    const json = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents: { ph: string }[] };
    expect(json.traceEvents.filter((e) => e.ph === 'X').length).toBeGreaterThan(10);
  });

  it('streams events while virtual time runs, up to a count', () => {
    const r = axvisor([
      'run',
      '--exec',
      'trace enable vmm:hypercall; trace stream --filter tracepoint -n 5; trace stream -n 1000 --for 50ms',
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Reached limit of 5 events.');
    expect(r.stdout.match(/tracepoint   vmm:hypercall/g)!.length).toBe(5 + 132); // 137 hypercalls in all
    expect(r.stdout).toContain('Stream stopped. 132 events displayed.');
  });

  it('completes commands, tracepoint names and symbols on tab', async () => {
    const { buildCommands } = await import('../src/commands.js');
    const { Session } = await import('../src/session.js');
    const session = Object.assign(new Session(), { print: () => undefined });
    const commands = buildCommands();
    expect(commands.complete('trace en', session)[0]).toEqual(['enable']);
    expect(commands.complete('trace enable vmm:vcpu_run_e', session)[0]).toEqual([
      'vmm:vcpu_run_enter',
      'vmm:vcpu_run_exit',
    ]);
    expect(commands.complete('ksym lookup guest_m', session)[0]).toEqual(['guest_main']);
  });

  it('completes guest symbols after `trace kprobe vmN:` by prefix, then programs', async () => {
    const { buildCommands } = await import('../src/commands.js');
    const { Session } = await import('../src/session.js');
    const session = Object.assign(new Session(), { print: () => undefined });
    const commands = buildCommands();
    expect(commands.complete('trace kprobe ', session)[0]).toEqual([
      '--inject',
      '--ret',
      ...session.vmm.vms().map((vm) => `vm${vm.id}:`),
    ]);
    expect(commands.complete('trace kprobe vm1:guest_m', session)).toEqual([
      ['vm1:guest_main'],
      'vm1:guest_m',
    ]);
    expect(commands.complete('trace kprobe vm9:guest_m', session)[0]).toEqual([]);
    session.rt.ebpf.load('nop', { asm: 'mov r0, 0\nexit' });
    expect(commands.complete('trace kprobe vm1:guest_main n', session)[0]).toEqual(['nop']);
  });

  const linuxImage = fileURLToPath(
    new URL('../../../tools/linux-guest/out/Image', import.meta.url),
  );
  it.skipIf(!existsSync(linuxImage))(
    "completes a Linux guest's kallsyms names (skipped without tools/linux-guest/out/Image)",
    async () => {
      const { buildCommands, GUEST_COMPLETION_LIMIT } = await import('../src/commands.js');
      const { Session } = await import('../src/session.js');
      const { linuxVmSource } = await import('../src/repl.js');
      const session = Object.assign(
        new Session([
          linuxVmSource({
            kernel: linuxImage,
            cpus: 1,
            memBytes: 256 * 1024 * 1024,
            cmdline: 'console=ttyAMA0',
            gic: 2,
          }),
        ]),
        { print: () => undefined },
      );
      const commands = buildCommands();
      expect(commands.complete('trace kprobe vm1:do_sys_op', session)[0]).toEqual([
        'vm1:do_sys_open',
        'vm1:do_sys_openat2',
      ]);
      expect(commands.complete('trace kprobe vm1:el0_svc_common', session)[0]).toEqual([
        'vm1:el0_svc_common.constprop.0',
      ]);
      // over 100,000 names: a bare `vm1:` offers the first ones only
      expect(commands.complete('trace kprobe vm1:', session)[0]).toHaveLength(
        GUEST_COMPLETION_LIMIT,
      );
    },
  );

  it('takes commands on standard input in the interactive shell', () => {
    const r = axvisor(['run'], 'vm list\nrun 1ms\nhelp vm\nexit\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('axvisor>');
    expect(r.stdout).toContain('vm console <id>');
  });

  it('attaches precompiled and user-supplied clang objects, and shows their output and map data', () => {
    const counter = fileURLToPath(
      new URL('../../../packages/axebpf/programs/counter.bpf.o', import.meta.url),
    );
    const r = axvisor([
      'run',
      '--exec',
      `trace enable vmm:vcpu_run_exit --prog exit_printk; trace load file ${counter} vmm:hypercall; trace enable vmm:hypercall; run 10ms; trace printk -n 2; trace progs; trace stat`,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Attached: exit_printk program');
    expect(r.stdout).toMatch(/Loaded program \d+ \(\d+ bytes\) from .*counter\.bpf\.o/);
    expect(r.stdout).toMatch(/vm2 vcpu0 exit 13/); // the worker's last exit: SystemDown
    expect(r.stdout).toMatch(/counter\s+\d+\s+vmm:hypercall\s+137\s+0/);
    expect(r.stdout).toMatch(/counter:counts\s+\d+\s+137/); // hits keyed by the hypercall event id
  });

  it('refuses an object that is not ELF with the loader error', () => {
    const r = axvisor(['run', '--exec', `trace load file ${bin} vmm:hypercall`]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/error: .*elf/i);
  });

  it('loads VM configs given on the command line and names the key of a bad one', () => {
    const good = fileURLToPath(
      new URL('../../../packages/axvisor-vmm/configs/hello.toml', import.meta.url),
    );
    const r = axvisor(['run', good, '--exec', 'vm list']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vm1\s+hello/);
    expect(r.stdout).not.toContain('worker');
    const missing = axvisor(['run', '/nonexistent.toml', '--exec', 'vm list']);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain('/nonexistent.toml');
  });
});
