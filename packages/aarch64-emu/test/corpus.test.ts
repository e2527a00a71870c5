// Runs every program of the corpus (test/programs/bin, built by scripts/build-corpus.sh) and
// compares stdout, exit status and the exact instruction count with qemu-aarch64's results:
// the committed golden file always, and a live qemu-aarch64 run when it is installed.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTool } from '@axebpf/test-utils/tools';
import { runProgramFile } from './run-program.js';
import type { ProgramResult } from './run-program.js';
import { useTier } from './tiers.js';

const dir = join(import.meta.dirname, 'programs', 'bin');
const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, 'programs', 'golden.json'), 'utf8'),
) as Record<string, { stdout: string; status: number; insns: number }>;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.elf'))
  .sort();
const hasQemu = hasTool('qemu-aarch64');
if (!hasQemu)
  console.log(
    'qemu-aarch64 not installed (Debian qemu-user): live comparison skipped, golden results used',
  );

const run = (file: string): ProgramResult => runProgramFile(join(dir, file));

describe('corpus vs qemu-aarch64 (golden)', () => {
  it('has the whole corpus: 8 programs at -O0, -O2 and -Os, each with a golden result', () => {
    expect(files.length).toBeGreaterThanOrEqual(24);
    expect(files.filter((f) => golden[f] === undefined)).toEqual([]);
  });
  for (const f of files) {
    it(`${f}: same stdout, exit status and instruction count`, () => {
      expect(run(f)).toEqual(golden[f]);
    }, 120_000);
  }
});

describe('corpus on the WebAssembly tier (every block compiled at once)', () => {
  useTier('wasm');
  for (const f of files) {
    it(`${f}: same stdout, exit status and instruction count`, () => {
      expect(run(f)).toEqual(golden[f]);
    }, 120_000);
  }
});

describe.skipIf(!hasQemu)('corpus vs live qemu-aarch64', () => {
  for (const f of files.filter((x) => !x.startsWith('bench'))) {
    it(`${f}: same stdout and exit status as qemu-aarch64 now`, () => {
      const q = spawnSync('qemu-aarch64', [join(dir, f)]);
      const mine = run(f);
      expect(mine.stdout).toBe(q.stdout.toString('base64'));
      expect(mine.status).toBe(q.status);
    }, 60_000);
  }
});
