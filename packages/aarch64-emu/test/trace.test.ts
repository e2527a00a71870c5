// Lockstep register traces against qemu-aarch64 -singlestep -d cpu,nochain: PC, X0-X30, SP
// and PSTATE before every instruction, identical text. Golden traces (gzipped) recorded by
// scripts/record-traces.sh; a live comparison runs when qemu-aarch64 is installed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { formatCpuState, runLinuxProgram } from '../src/index.js';
import { hasTool } from '@axebpf/test-utils/tools';

const dir = join(import.meta.dirname, 'programs');
const hasQemu = hasTool('qemu-aarch64');

/** Traces a program starting from qemu's initial SP and flags (taken from its first record). */
function trace(file: string, qemuLog: string, base = join(dir, 'bin')): string {
  const sp = BigInt('0x' + /SP=([0-9a-f]{16})/.exec(qemuLog)![1]!);
  const nzcv = parseInt(/PSTATE=([0-9a-f]{8})/.exec(qemuLog)![1]!, 16) >>> 28;
  const parts: string[] = [];
  runLinuxProgram(readFileSync(join(base, file)), {
    initialSp: sp,
    initialNzcv: nzcv,
    trace: (c) => {
      parts.push(formatCpuState(c));
    },
  });
  return parts.join('');
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n'),
    y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if (x[i] !== y[i]) return `line ${i + 1}: ${x[i]} | qemu: ${y[i]}`;
  return '';
}

describe('register trace vs qemu-aarch64 -d cpu (golden)', () => {
  for (const name of ['strings-O2', 'int128-O2']) {
    it(`${name}: identical state before every instruction`, () => {
      const golden = gunzipSync(readFileSync(join(dir, 'traces', `${name}.cpu.log.gz`))).toString();
      expect(golden.length).toBeGreaterThan(100_000);
      expect(firstDifference(trace(`${name}.elf`, golden), golden)).toBe('');
    }, 120_000);
  }
});

describe('risu-style random instruction streams vs qemu-aarch64 (golden traces)', () => {
  // test/risu/<class>.c from scripts/gen-risu.mjs: 400 random supported encodings per class
  // after a random register prologue; scripts/build-risu.sh records qemu's traces.
  const risu = join(import.meta.dirname, 'risu');
  for (const cls of ['dpimm', 'dpreg', 'ldst', 'branch']) {
    it(`${cls}: identical state before every instruction`, () => {
      const golden = gunzipSync(readFileSync(join(risu, `${cls}.cpu.log.gz`))).toString();
      expect(golden.split('\n').length).toBeGreaterThan(12 * 400);
      expect(firstDifference(trace(`${cls}.elf`, golden, risu), golden)).toBe('');
    }, 60_000);
  }
});

describe.skipIf(!hasQemu)('register trace vs live qemu-aarch64', () => {
  it('arith-O2: identical state before every instruction', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'trace-'));
    const log = join(tmp, 'cpu.log');
    spawnSync('qemu-aarch64', [
      '-singlestep',
      '-d',
      'cpu,nochain',
      '-D',
      log,
      join(dir, 'bin', 'arith-O2.elf'),
    ]);
    const golden = readFileSync(log, 'utf8');
    rmSync(tmp, { recursive: true });
    expect(firstDifference(trace('arith-O2.elf', golden), golden)).toBe('');
  }, 300_000);
});
