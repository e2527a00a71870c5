// FP/SIMD lockstep traces against qemu-aarch64 -cpu cortex-a57 -singlestep -d cpu,fpu,nochain:
// PC, X0-X30, SP, PSTATE, FPCR, FPSR and Q0-Q31 before every instruction, identical text.
// The streams are test/risu/simd-*.c from scripts/gen-risu.mjs (400 random encodings the
// emulator executes per class, after loading random and special FP values into V0-V31);
// scripts/build-risu.sh records qemu's traces (gzipped golden files).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { Cpu, formatCpuStateFp, runLinuxProgram } from '../src/index.js';

const risu = join(import.meta.dirname, 'risu');

function trace(file: string, qemuLog: string): string {
  const sp = BigInt('0x' + /SP=([0-9a-f]{16})/.exec(qemuLog)![1]!);
  const nzcv = parseInt(/PSTATE=([0-9a-f]{8})/.exec(qemuLog)![1]!, 16) >>> 28;
  const parts: string[] = [];
  const saved = Cpu.defaultJitThreshold;
  Cpu.defaultJitThreshold = Infinity;
  try {
    runLinuxProgram(readFileSync(join(risu, file)), {
      initialSp: sp,
      initialNzcv: nzcv,
      trace: (c) => {
        parts.push(formatCpuStateFp(c));
      },
    });
  } finally {
    Cpu.defaultJitThreshold = saved;
  }
  return parts.join('');
}

/**
 * Runs with every block compiled on first use (blocks of up to `blockInsns`), comparing the
 * state before every block with qemu's record before the same instruction number.
 */
function compiledAtBlocks(
  file: string,
  qemuLog: string,
  blockInsns: number,
): { diff: string; compiled: number } {
  const lines = qemuLog.split('\n');
  const sp = BigInt('0x' + /SP=([0-9a-f]{16})/.exec(qemuLog)![1]!);
  const nzcv = parseInt(/PSTATE=([0-9a-f]{8})/.exec(qemuLog)![1]!, 16) >>> 28;
  let diff = '';
  let compiled = 0;
  runLinuxProgram(readFileSync(join(risu, file)), {
    initialSp: sp,
    initialNzcv: nzcv,
    trace: (c) => {
      c.traceBlocks = true;
      c.maxBlockInsns = blockInsns;
      c.jitThreshold = 0;
      compiled = c.jitBlocks;
      if (diff) return;
      const want = lines.slice(c.insnCount * 28, c.insnCount * 28 + 28).join('\n') + '\n';
      const got = formatCpuStateFp(c);
      if (got !== want) {
        diff = `before instruction ${c.insnCount}:\n${firstDifference(got, want)}`;
        c.stop();
      }
    },
  });
  return { diff, compiled };
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n'),
    y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) {
      const rec = Math.floor(i / 28);
      const pc = /PC=([0-9a-f]+)/.exec(y[rec * 28] ?? '')?.[1];
      return `record ${rec} (before pc ${pc}) line ${i + 1}: ${x[i]} | qemu: ${y[i]}`;
    }
  }
  return '';
}

describe('FP/SIMD random instruction streams vs qemu-aarch64 (golden traces)', () => {
  for (const cls of [
    'simd-ldst',
    'simd-vec',
    'simd-scalar',
    'simd-fp',
    'simd-fpcr',
    'simd-crc32',
    'simd-estimate',
    'simd-crypto',
  ]) {
    it(`${cls}: identical state (V registers, FPCR, FPSR included) before every instruction`, () => {
      const golden = gunzipSync(readFileSync(join(risu, `${cls}.cpu.log.gz`))).toString();
      expect(golden.split('\n').length).toBeGreaterThan(28 * 400);
      expect(firstDifference(trace(`${cls}.elf`, golden), golden)).toBe('');
    }, 60_000);
    for (const size of [1, 5, 64]) {
      it(`${cls}: every block (up to ${size} instructions) compiled by the JIT: identical state before every block`, () => {
        const golden = gunzipSync(readFileSync(join(risu, `${cls}.cpu.log.gz`))).toString();
        const r = compiledAtBlocks(`${cls}.elf`, golden, size);
        expect(r.diff).toBe('');
        expect(r.compiled).toBeGreaterThan(20);
      }, 60_000);
    }
  }
});
