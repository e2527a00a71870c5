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
  const r = spawnSync(process.execPath, [bin, 'demo', '--trace', trace, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { ...r, trace };
}

describe.skipIf(!built)('axvisor demo (the main job), run as a user would', () => {
  it('boots both VMs, reports consoles, exits per VM and reason, the histogram, top events and the trace file', () => {
    const r = demo();
    expect(r.stderr).toContain('axvisor: done in');
    expect(r.status).toBe(0);
    const out = r.stdout;
    for (const section of ['== console of vm1 (hello)', '== console of vm2 (worker)', '== VM exits per VM and reason (vmexit_stats) ==', '== guest run time before each VM exit, ns (latency_hist) ==', '== top events ==', '== programs ==', `written: ${r.trace}`]) {
      expect(out).toContain(section);
    }
    expect(out).toContain('hello from the axebpf guest');
    expect(out).toContain('worker: done');
    // exits table: the worker's 128 hypercalls as counted by the eBPF program
    expect(out).toMatch(/vm2\s+Hypercall \(1\)\s+128\s/);
    expect(out).toMatch(/vm1\s+SystemDown \(13\)\s+1\s/);
    // the ticker sleeps in WFI between timer interrupts for the whole virtual second
    expect(out).toContain('ran 1.00s of virtual time');
    expect(out).toMatch(/exits handled by the EL2 image \(hyp\/hyp\.elf\): \d+ EL2 instructions, \d+\.\d per exit/);
    expect(out).toMatch(/vm4\s+Halt \(10\)\s+100\s/);
    expect(out).toContain('ticker: 90 ticks');
    expect(out).toMatch(/p50|P50|50/);
    // the trace is valid Chrome trace-event JSON with vCPU slices and exits
    const trace = JSON.parse(readFileSync(r.trace, 'utf8')) as { traceEvents: { ph: string; ts?: number; dur?: number; name: string; pid: number; tid: number }[] };
    const slices = trace.traceEvents.filter((e) => e.ph === 'X');
    expect(slices.length).toBeGreaterThan(100);
    for (const e of trace.traceEvents) {
      expect(['X', 'i', 'M']).toContain(e.ph);
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
    expect(readFileSync(a.trace, 'utf8')).toBe(readFileSync(b.trace, 'utf8'));
  }, 180_000);

  it('rejects a bad duration with a clear message and a non-zero status', () => {
    const r = demo(['--for', 'soon']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/soon/);
  });
});
