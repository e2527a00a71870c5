// No silent loss: `trace record` streams every event to a file while the ring drops or
// overwrites; the Perfetto export reads that file; ring size and mode are set by the user.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));
const axvisor = (args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 180_000 });

function hits(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of stdout.matchAll(/^((?:vmm|shell):\w+)\s+(?:enabled|disabled)\s+\d+\s+(\d+)$/gm))
    out.set(m[1]!, Number(m[2]));
  return out;
}

describe.skipIf(!built)('trace record', () => {
  it('loses no event of a 1 s run with every tracepoint on, while the ring drops thousands', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axvisor-record-'));
    const file = join(dir, 'events.jsonl');
    const json = join(dir, 'trace.json');
    const r = axvisor([
      'run',
      '--trace',
      '*',
      '--record',
      file,
      '--exec',
      `run 1s; trace stat; trace list; export trace ${json} --from ${file}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; ts: number });
    const inFile = new Map<string, number>();
    for (const e of lines) inFile.set(e.name, (inFile.get(e.name) ?? 0) + 1);
    const h = hits(r.stdout);
    // every vmm:* hit is in the file, from vmm_init at boot to the last exit
    const vmm = [...h].filter(([n]) => n.startsWith('vmm:'));
    expect(vmm.length).toBe(27);
    for (const [name, n] of vmm) expect([name, inFile.get(name) ?? 0]).toEqual([name, n]);
    // shell_command fires after each command: `trace list` had seen `run` and `trace stat`; the
    // file also has those of `trace list` and `export` (recorded until the session ends)
    expect(inFile.get('shell:shell_init')).toBe(1);
    expect(inFile.get('shell:shell_command')).toBe(h.get('shell:shell_command')! + 2);
    const total = [...h.values()].reduce((a, b) => a + b, 0);
    expect(lines.length).toBe(total + 2);
    // the 4096-event ring lost most of them, and says so
    const ring =
      /capacity 4096 events \(drop mode.*\), (\d+) events, (\d+) waiting, (\d+) dropped/.exec(
        r.stdout,
      );
    expect(ring).not.toBeNull();
    expect(Number(ring![3])).toBeGreaterThan(1000);
    expect(Number(ring![2])).toBe(4096);
    expect(r.stdout).toContain(`recording every event to ${file}`);
    // in time order, and the Perfetto export has one trace event per recorded event
    expect(
      lines.every((e, i) => i === 0 || e.ts >= lines[i - 1]!.ts || e.name.startsWith('shell:')),
    ).toBe(true);
    const trace = JSON.parse(readFileSync(json, 'utf8')) as { traceEvents: { ph: string }[] };
    expect(trace.traceEvents.filter((e) => e.ph !== 'M').length).toBeGreaterThanOrEqual(total);
  });

  it('starts and stops in the shell, and keeps the newest events in overwrite mode', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axvisor-record-'));
    const file = join(dir, 'r.jsonl');
    const r = axvisor([
      'run',
      '--exec',
      `trace enable vmm:hypercall; trace buffer --size 8 --mode overwrite; trace record ${file}; run 10ms; trace record stop; trace dump; trace stat`,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`Recorded 137 events to ${file}`);
    expect(readFileSync(file, 'utf8').trimEnd().split('\n').length).toBe(137);
    // the last 8 hypercalls stay in the ring (the worker's last ones), the rest were overwritten
    expect(r.stdout).toContain('8 events displayed.');
    expect(r.stdout).toMatch(/overwrite mode.*137 events, 0 waiting, 129 overwritten/);
  });

  it('refuses a second recording and a stop without one', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'axvisor-record-')), 'r.jsonl');
    const r = axvisor([
      'run',
      '--exec',
      `trace record stop; trace record ${file}; trace record ${file}`,
    ]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('no recording is running');
    expect(r.stderr).toContain('already recording');
  });
});
