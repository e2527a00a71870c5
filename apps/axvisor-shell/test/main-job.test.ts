import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

function demo(args: string[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'axvisor-demo-'));
  const trace = join(dir, 'trace.json');
  const r = spawnSync(process.execPath, [bin, 'demo', '--trace', trace, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { ...r, trace };
}

describe.skipIf(!built)('axvisor demo (the main job), run as a user would', () => {
  it('boots the VMs (with the kprobe and cluster guests), reports consoles, exits per VM and reason, the histogram, top events, the probes and the trace file', () => {
    const r = demo();
    expect(r.stderr).toContain('axvisor: done in');
    expect(r.status).toBe(0);
    const out = r.stdout;
    for (const section of [
      '== console of vm1 (hello)',
      '== console of vm2 (worker)',
      '== VM exits per VM and reason (vmexit_stats) ==',
      '== guest run time before each VM exit, ns (latency_hist) ==',
      '== top events ==',
      '== programs ==',
      `written: ${r.trace}`,
    ]) {
      expect(out).toContain(section);
    }
    expect(out).toContain('hello from the axebpf guest');
    expect(out).toContain('worker: done');
    // exits table: the worker's 128 hypercalls as counted by the eBPF program
    expect(out).toMatch(/vm2\s+Hypercall \(1\)\s+128\s/);
    expect(out).toMatch(/vm1\s+SystemDown \(13\)\s+1\s/);
    // the ticker sleeps in WFI between timer interrupts for the whole virtual second
    expect(out).toContain('ran 1.00s of virtual time');
    expect(out).toMatch(
      /exits handled by the EL2 image \(hyp\/hyp\.elf\): \d+ EL2 instructions, \d+\.\d per exit, the hprobe traps included/,
    );
    expect(out).toMatch(/vm4\s+Halt \(10\)\s+100\s/);
    expect(out).toContain('ticker: 90 ticks');
    expect(out).toMatch(/p50|P50|50/);
    // the cluster guest (GICv3, 4 vCPUs) runs the whole second and is stopped by the host
    expect(out).toContain('== console of vm8 (cluster): Stopped, stopped by the host ==');
    expect(out).toContain('cluster: round 90 checksum 0x726f0a4f');
    const count = (vm: string, reason: string) =>
      Number(new RegExp(`^${vm}\\s+${reason} \\(\\d+\\)\\s+(\\d+)\\s`, 'm').exec(out)![1]);
    // one SendIPI per round from vCPU 0 (99) plus each worker's "online" SGI and one answer per round (3 x 100)
    expect(count('vm8', 'SendIPI')).toBe(399);
    // the host tick (ExternalInterrupt) of the VMs that use full time slices
    expect(count('vm5', 'ExternalInterrupt')).toBe(11);

    // ---- probes ----
    expect(out).toContain(
      '== probes: hprobe_entry on handle_hvc, hprobe_exit on the return of handle_exit',
    );
    const totalExits = Number(/(\d+) VM exits/.exec(out)![1]);
    const hp = /^handle_hvc\s+0x[0-9a-f]{16}\s+(\d+)\s+\d+\s+yes\s+no$/m.exec(out);
    const hr = /^handle_exit\s+0x[0-9a-f]{16}\s+(\d+)\s+\d+\s+yes\s+yes$/m.exec(out);
    expect(hp).not.toBeNull();
    expect(hr).not.toBeNull();
    // handle_exit runs once per exit: its return probe fires for every exit the eBPF table counted
    expect(Number(hr![1])).toBe(totalExits);
    // handle_hvc runs for each HVC exit: hypercalls and PSCI calls (CPU_ON, CPU_OFF, SYSTEM_OFF)
    const table = [...out.matchAll(/^(vm\d+)\s+(\w+) \((\d+)\)\s+(\d+)\s/gm)];
    const hvcExits = table
      .filter((m) => ['Hypercall', 'CpuUp', 'CpuDown', 'SystemDown'].includes(m[2]!))
      .reduce((n, m) => n + Number(m[4]), 0);
    expect(Number(hp![1])).toBe(hvcExits);
    // ...and equals the EL2 code's own call counters
    const hvcLine = /^handle_hvc: (\d+) hits, (\d+) calls counted by the EL2 code itself/m.exec(
      out,
    )!;
    expect(Number(hvcLine[1])).toBe(hvcExits);
    expect(Number(hvcLine[2])).toBe(hvcExits);
    // hprobe_entry read x1 (exit code) and x2 (function): the worker's 128 hypercalls are among
    // the GET_TIME_NS and YIELD ones; SYSTEM_OFF once per VM that powered off
    const fn = (name: string) =>
      Number(new RegExp(`0x[0-9a-f]+ ${name}\\s+(\\d+)$`, 'm').exec(out)![1]);
    expect(fn('GET_TIME_NS') + fn('YIELD')).toBe(
      count('vm1', 'Hypercall') + count('vm2', 'Hypercall'),
    );
    expect(fn('SYSTEM_OFF')).toBe(table.filter((m) => m[2] === 'SystemDown').length);
    expect(fn('CPU_ON')).toBe(
      table.filter((m) => m[2] === 'CpuUp').reduce((n, m) => n + Number(m[4]), 0),
    );
    // hprobe_exit saw the returned exit codes: per reason, the sum of the exits table's rows
    const rets =
      /^handle_exit: \d+ returns \((\d+) calls counted by the EL2 code\); returned exit codes: (.*)$/m.exec(
        out,
      )!;
    expect(Number(rets[1])).toBe(totalExits);
    for (const [, reason, n] of rets[2]!.matchAll(/(\w+) (\d+)/g)) {
      expect(Number(n)).toBe(
        table.filter((m) => m[2] === reason).reduce((k, m) => k + Number(m[4]), 0),
      );
    }
    expect(out).toMatch(
      /^handle_exit entry to return, in EL2 instructions at 1 ns each: min \d+ns, avg \d+ns, max \d+ns$/m,
    );
    // guest kprobes: the hits equal the calls the kprobe guest counts itself
    const calls = (f: string) => Number(new RegExp(`^calls ${f} (\\d+)$`, 'm').exec(out)![1]);
    expect(calls('kp_add')).toBe(81);
    const gk = (target: string, ret: string) =>
      Number(
        new RegExp(`^vm7\\s+${target}\\s+(\\d+)\\s+\\d+\\s+brk\\s+${ret}\\s+yes$`, 'm').exec(
          out,
        )![1],
      );
    expect(gk('kp_add\\+0x0', 'no')).toBe(calls('kp_add'));
    expect(gk('kp_fact\\+0x0', 'yes')).toBe(calls('kp_fact'));
    // the programs saw the guest's arguments and return values: kp_add(39, 40, 41, cpu) is the
    // last call; kp_fact(6) on cpu0 at start, kp_fact(5) and kp_fact(6) in the two workers
    expect(out).toMatch(
      /^kp_add: kprobe_args's last arguments \(pc 0x40082000\): \(39, 40, 41, [01]\); 81 bpf_printk lines, the first: "vm7 args 1 2"$/m,
    );
    expect(out).toContain(
      'kp_fact: kp_fact_ret saw the return values 1 x3, 2 x3, 6 x3, 24 x3, 120 x3, 720 x2',
    );
    expect(out).toMatch(
      /^kp_fact entry to return \(virtual time\): min [\d.]+us, avg [\d.]+us, max [\d.]+us$/m,
    );
    // the mmu guest, probed by symbol at its ELF address (0x4008_0000 is its _start, identity
    // mapped), is hit once through the upper-half alias it prints; a BRK-mode hit is two exits
    // the probe manager handles (Nothing): the BRK and the step of the displaced instruction
    const upper = /^mmu: running in the upper half at (0x[0-9a-f]+)$/m.exec(out)![1]!;
    const mmu =
      /^upper_main \(vm6\): set at (0x[0-9a-f]+) \(its ELF symbol, MMU off\), 1 hit, kprobe_args saw pc (0x[0-9a-f]+) \(the upper-half alias\)$/m.exec(
        out,
      );
    expect(mmu).not.toBeNull();
    expect(BigInt(mmu![2]!)).toBe(BigInt(upper) + BigInt(mmu![1]!) - 0x4008_0000n);
    expect(count('vm6', 'Nothing')).toBe(2);
    // on the kprobe guest: 2 per kp_add call, 4 per kp_fact call (entry BRK and step, return
    // BRK and step) and the guest's own brk #0x42, which its EL1 vector takes
    expect(count('vm7', 'Nothing')).toBe(2 * calls('kp_add') + 4 * calls('kp_fact') + 1);
    expect(out).toMatch(/^vm6\s+upper_main\+0x0\s+1\s+\d+\s+brk\s+no\s+yes$/m);
    expect(out).not.toContain('records lost');
    // the kprobe guest's results are those it prints without probes (equal to QEMU's)
    const kprobeConsole = readFileSync(
      fileURLToPath(
        new URL('../../../packages/axvisor-vmm/guests/kprobe/qemu.console.txt', import.meta.url),
      ),
      'utf8',
    );
    expect(out).toContain(kprobeConsole.trimEnd());
    // the trace is valid Chrome trace-event JSON with vCPU slices and exits (test/chrome-trace.test.ts checks its layout)
    const trace = JSON.parse(readFileSync(r.trace, 'utf8')) as {
      traceEvents: {
        ph: string;
        ts?: number;
        dur?: number;
        name: string;
        pid: number;
        tid: number;
      }[];
    };
    const slices = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(slices.length).toBeGreaterThan(100);
    for (const e of trace.traceEvents) {
      expect(['X', 'i', 'M', 'C']).toContain(e.ph); // slices, instants, metadata, counters
      expect(typeof e.name).toBe('string');
      if (e.ph !== 'M') expect(Number.isFinite(e.ts)).toBe(true);
      if (e.ph === 'X') expect(e.dur!).toBeGreaterThanOrEqual(0);
    }
  }, 180_000);

  it('prints the same report on a second run (virtual time)', () => {
    const a = demo(['--for', '200ms']);
    const b = demo(['--for', '200ms']);
    expect(a.status).toBe(0);
    const strip = (s: string) => s.replace(/^written: .*$/m, '');
    expect(strip(a.stdout)).toBe(strip(b.stdout));
    // the probes ran in both (their tables are part of what must repeat)
    expect(a.stdout).toMatch(/^handle_exit\s+0x[0-9a-f]{16}\s+[1-9]\d*\s/m);
    expect(a.stdout).toMatch(/^vm7\s+kp_fact\+0x0\s+17\s/m);
    expect(a.stdout).toContain('== console of vm8 (cluster): Stopped, stopped by the host ==');
    expect(readFileSync(a.trace, 'utf8')).toBe(readFileSync(b.trace, 'utf8'));
  }, 180_000);

  it('reports probes that have not fired yet on a very short run (1 us: one MMIO exit)', () => {
    const r = demo(['--for', '1us']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ran 1\.00us of virtual time: \d+ guest instructions, 1 VM exits$/m);
    expect(r.stdout).toMatch(/^handle_hvc\s+0x[0-9a-f]{16}\s+0\s/m);
    expect(r.stdout).toMatch(/^handle_exit\s+0x[0-9a-f]{16}\s+1\s/m);
    expect(r.stdout).toContain('handle_hvc: 0 hits, 0 calls counted by the EL2 code itself\n');
    expect(r.stdout).toContain('kp_add: not called yet');
    expect(r.stdout).toContain('kp_fact: no returns yet');
    expect(r.stdout).toContain('== console of vm8 (cluster): Stopped, stopped by the host ==');
  }, 60_000);

  it('rejects a bad duration with a clear message and a non-zero status', () => {
    const r = demo(['--for', 'soon']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/soon/);
  });
});
