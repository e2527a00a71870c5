// Bad commands a fault-injection campaign tried (issue 25): each gets a clear, typed error and a
// non-zero exit under --exec, leaves nothing half-done, and long runs can be stopped.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const exec = (commands: string) =>
  spawnSync(process.execPath, [bin, 'run', '--exec', commands], {
    encoding: 'utf8',
    timeout: 120_000,
  });

describe.skipIf(!built)('axvisor run: bad arguments', () => {
  it('says a VM id is not a number', () => {
    const r = exec('vm start abc');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('`abc` is not a VM id');
    expect(r.stderr).not.toContain('-1');
  });

  it('says what is wrong with negative counts and durations, not "ambiguous"', () => {
    for (const [cmd, text] of [
      ['trace dump -n -1', '`-1` is not a count'],
      ['trace stat --top -3', '`-3` is not a count'],
      ['trace stream --for -1ms', 'cannot be negative'],
    ] as const) {
      const r = exec(cmd);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(text);
      expect(r.stderr).not.toContain('ambiguous');
    }
  });

  it('exits non-zero for a bad hex address, an unknown --hist event and an address wider than 64 bits', () => {
    for (const cmd of [
      'trace gsym vm1 0xzz',
      'trace stat --hist nosuch',
      'ksym addr 0xffffffffffffffffffff',
    ]) {
      const r = exec(cmd);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/^error: /m);
    }
  });

  it('checks the symbol before loading the program: nothing printed as loaded, nothing left loaded', () => {
    const r = exec(
      'trace hprobe nosuch_symbol hprobe_entry; trace kprobe vm1:nosuch_symbol kprobe_args; trace kprobe vm1:guest_main nosuch_prog; trace progs',
    );
    expect(r.status).toBe(1);
    expect(r.stdout).not.toContain("Loaded program '");
    expect(r.stderr).toContain("Symbol 'nosuch_symbol' not found");
    expect(r.stdout).toMatch(/Loaded programs:\n {2}\(none\)/);
  });

  it('refuses a filter of a page or more with a typed error, not a RangeError', () => {
    const long = Array.from({ length: 1853 }, (_, i) => `vm_id == ${100 + (i % 900)}`).join(' && ');
    const r = exec(`trace filter vmm:vcpu_run_exit '${long}'`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/a page \(4096 bytes\) or more.*\[BAD_FILTER\]/);
    expect(r.stderr).not.toContain('RangeError');
    expect(r.stderr.length).toBeLessThan(1000);
  });

  it('a stage-2 kprobe on a hot function: the guest finishes and the listing says the page went to BRK', () => {
    const r = exec(
      'trace kprobe vm5:guest_main kprobe_args; run 1s; trace list; vm list; vm console 4',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/vm5\s+guest_main\+0x0\s+1\s+\d+\s+s2fault->brk/);
    expect(r.stdout).toMatch(/vm5\s+smp\s+Stopped/);
    expect(r.stdout).toContain('ticker: 10 ticks');
  });

  it('refuses a run past the u64-nanosecond virtual clock', () => {
    for (const d of ['99999999999999999999s', '18446744074s']) {
      const r = exec(`run ${d}`);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("virtual clock's range");
    }
  });

  it('stops a long run on Ctrl-C (SIGINT) at the next exit, keeping what was collected, and runs the next command', async () => {
    // the cluster guest keeps running (the default VMs stop after about a virtual second, so the
    // run could end before the signal; the close is awaited from the start for the same reason)
    const cluster = fileURLToPath(
      new URL('../../../packages/axvisor-vmm/configs/cluster.toml', import.meta.url),
    );
    const child = spawn(
      process.execPath,
      [bin, 'run', cluster, '--exec', 'trace enable vmm:vcpu_run_exit; run 100000s; trace stat'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    // wait until the run has started (the enable line is printed before it)
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (out.includes('Enabled: vmm:vcpu_run_exit')) {
          clearInterval(poll);
          setTimeout(resolve, 1500);
        }
      }, 50);
    });
    child.kill('SIGINT');
    const status = await closed;
    expect(status).toBe(0);
    expect(out).toMatch(/ran .* of virtual time, now at .* \(interrupted/);
    const count = Number(/vmm:vcpu_run_exit\s+(\d+)/.exec(out)?.[1]);
    expect(count).toBeGreaterThan(0);
  }, 60_000);
});
