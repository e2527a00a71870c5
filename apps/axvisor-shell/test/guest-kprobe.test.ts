// Guest kprobes through the `axvisor` command, spawned as a user would run it.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const kprobeToml = fileURLToPath(
  new URL('../../../packages/axvisor-vmm/configs/kprobe.toml', import.meta.url),
);
const axvisor = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000 });

describe.skipIf(!built)('trace kprobe', () => {
  it("probes the kprobe guest in both modes: hits equal the guest's own counters, console unchanged, deterministic", () => {
    const cmd =
      'trace kprobe vm7:kp_add kprobe_args; trace kprobe vm7:kp_fact kprobe_args --inject --ret; trace kprobe vm7:kp_sum+0x0 kprobe_args --inject; run 20ms; trace list; vm console 7; trace dump --filter kprobe -n 3; trace printk -n 100';
    const r = axvisor(['run', kprobeToml, '--exec', cmd]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('kprobe attached: vm7:0x40082000 (kp_add+0x0) -> prog');
    expect(r.stdout).toContain('(mode=s2fault)');
    expect(r.stdout).toMatch(
      /kretprobe attached: vm7:0x400820a0 \(kp_fact\+0x0\) -> prog \d+ \(mode=brk-inject\)/,
    );
    expect(r.stdout).toMatch(/Guest Kprobes:\n/);
    expect(r.stdout).toMatch(/vm7\s+kp_add\+0x0\s+81\s+\d+\s+s2fault\s+no\s+yes/);
    expect(r.stdout).toMatch(/vm7\s+kp_fact\+0x0\s+17\s+\d+\s+brk\s+yes\s+yes/);
    expect(r.stdout).toMatch(/vm7\s+kp_sum\+0x0\s+3\s+\d+\s+brk\s+no\s+yes/);
    expect(r.stdout).toContain(
      'calls kp_add 81\ncalls kp_mul 81\ncalls kp_helper 81\ncalls kp_fact 17\ncalls kp_sum 3\nkprobe: done',
    );
    expect(r.stdout).toContain('kp_add(1, 2, 3, 4) = 30');
    // kprobe_args (register context) printed the first call's arguments
    expect(r.stdout).toMatch(
      /kprobe\s+vm7:kp_add\+0x0\s+args=\[0x40082000, 0x40082000, 0x1, 0x2\] vm7/,
    );
    expect(r.stdout).toMatch(/^vm7 args 1 2$/m);
    const again = axvisor(['run', kprobeToml, '--exec', cmd]);
    expect(again.stdout).toBe(r.stdout);
  });

  it('loads System.map symbols, keeps a probe pending until the mmu guest maps it, detaches, answers gsym', () => {
    const map = join(mkdtempSync(join(tmpdir(), 'axvisor-')), 'System.map');
    writeFileSync(
      map,
      'ffffff8040080000 T _start\nffffff8040080050 T upper_main\nffffff8040080150 T guest_main\n',
    );
    const r = axvisor([
      'run',
      '--exec',
      `trace loadsyms vm6 ${map}; trace kprobe vm6:upper_main kprobe_args --ret; trace list; run 20ms; trace list; trace dump --filter vm6; trace unkprobe vm6:upper_main; trace list; vm console 6; trace gsym vm1 guest_main; trace gsym vm1 0x40080054; trace gsym vm1 search main; trace gsym vm1 gest_main`,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Loaded 3 symbols for vm6 from '${map}'`);
    expect(r.stdout).toContain(
      'kretprobe registered pending enable: vm6:0xffffff8040080050 (upper_main+0x0)',
    );
    expect(r.stdout).toMatch(/vm6\s+upper_main\+0x0\s+0\s+\d+\s+s2fault\s+yes\s+pending/);
    // upper_main loops on its own page: the stage-2 probe moves to a BRK (issue 25) and says so
    expect(r.stdout).toMatch(/vm6\s+upper_main\+0x0\s+1\s+\d+\s+s2fault->brk\s+yes\s+yes/);
    expect(r.stdout).toMatch(/kretprobe +vm6:upper_main\+0x0 .*dur=/);
    expect(r.stdout).toContain('kretprobe detached: vm6:0xffffff8040080050');
    expect(r.stdout).toMatch(/Guest Kprobes:\n {2}\(none\)/);
    expect(r.stdout).toContain('mmu: running in the upper half at 0xffffff8040080000');
    expect(r.stdout).toContain('guest_main = 0x40080050');
    expect(r.stdout).toContain('0x0000000040080054 T guest_main+0x4');
    expect(r.stdout).toContain('0x0000000040080050 T guest_main');
    expect(r.stdout).toContain("Symbol 'gest_main' not found for vm1\nDid you mean:\n  guest_main");
  });

  const linuxImage =
    process.env['AXEBPF_LINUX_IMAGE'] ?? '/work/linux-images/x/boot/vmlinuz-6.1.0-57-arm64';
  it.skipIf(!existsSync(linuxImage))(
    `loads a Linux arm64 Image's own kallsyms and resolves its functions by name${existsSync(linuxImage) ? '' : ` (skipped: no Debian arm64 kernel at ${linuxImage}; set AXEBPF_LINUX_IMAGE)`}`,
    () => {
      // Addresses from /proc/kallsyms of this kernel booted with nokaslr under qemu-system-aarch64
      // (packages/ksym/test/fixtures/linux-6.1.0-57-arm64.kallsyms-nokaslr.txt).
      const r = axvisor([
        'run',
        '--exec',
        `trace loadsyms vm6 --kallsyms ${linuxImage}; trace gsym vm6 do_sys_openat2; trace gsym vm6 0xffff8000083a8ba4; ksym lookup vm6:invoke_syscall; trace gsym vm6 search __arm64_sys_openat; trace kprobe vm6:do_sys_openat2 kprobe_args; trace list`,
      ]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(
        `Loaded 50336 symbols for vm6 from '${linuxImage}' (Linux kallsyms)`,
      );
      expect(r.stdout).toContain('do_sys_openat2 = 0xffff8000083a8ba0');
      expect(r.stdout).toContain('0xffff8000083a8ba4 t do_sys_openat2+0x4');
      expect(r.stdout).toContain('vm6:invoke_syscall = 0xffff800008028740');
      expect(r.stdout).toContain('__arm64_sys_openat');
      expect(r.stdout).toContain('vm6:0xffff8000083a8ba0 (do_sys_openat2+0x0)');
      const bad = axvisor(['run', '--exec', `trace loadsyms vm6 --kallsyms ${kprobeToml}`]);
      expect(bad.stdout + bad.stderr).toContain('is not a Linux arm64 Image');
      // KASLR: the offset of the committed KASLR recording moves do_sys_openat2 to where that
      // boot's /proc/kallsyms had it; `vbar` needs the guest to have set VBAR_EL1.
      const moved = axvisor([
        'run',
        '--exec',
        `trace loadsyms vm6 ${linuxImage} --kaslr 0x212f8ce00000; trace gsym vm6 do_sys_openat2; trace loadsyms vm6 ${linuxImage} --kaslr vbar`,
      ]);
      expect(moved.stdout).toContain('(Linux kallsyms, KASLR offset 0x212f8ce00000)');
      expect(moved.stdout).toContain('do_sys_openat2 = 0xffffa12f951a8ba0');
      expect(moved.stdout + moved.stderr).toContain('VBAR_EL1 of vm6 vCPU 0 is not set yet');
    },
  );

  it('lists the guest kprobe commands in the help', () => {
    const r = axvisor(['run', '--exec', 'help trace']);
    expect(r.status).toBe(0);
    for (const usage of [
      'trace kprobe vm<id>:<symbol[+off]|0xaddr> <prog> [--inject] [--ret]',
      'trace unkprobe vm<id>:',
      'trace loadsyms vm<id> [--kallsyms] <path> [--kaslr <0xoffset|vbar>]',
      'trace gsym vm<id> <name|0xaddr|search <pattern>>',
    ])
      expect(r.stdout).toContain(usage);
  });

  it('rejects bad targets, unknown symbols and programs with an error', () => {
    for (const cmd of [
      'trace kprobe kp_add kprobe_args',
      'trace kprobe vm1:no_such_function kprobe_args',
      'trace kprobe vm1:guest_main no_such_prog',
      'trace unkprobe vm1:guest_main',
      'trace kprobe vm1:0x40080052 kprobe_args',
    ]) {
      const r = axvisor(['run', '--exec', cmd]);
      expect([cmd, r.status]).toEqual([cmd, 1]);
      expect(r.stderr).toMatch(/error/i);
    }
  });
});
