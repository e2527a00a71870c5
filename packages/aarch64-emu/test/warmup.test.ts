// Cpu.warmUp: runs the interpreter over pseudo-random instructions on a private CPU, once per
// process. It must leave every other CPU alone: programs give the same output and the same
// instruction count (the golden qemu-aarch64 results) after it as before it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Cpu } from '../src/index.js';
import { runProgramFile } from './run-program.js';
import type { ProgramResult } from './run-program.js';

const dir = join(import.meta.dirname, 'programs', 'bin');
const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, 'programs', 'golden.json'), 'utf8'),
) as Record<string, { stdout: string; status: number; insns: number }>;

const run = (file: string): ProgramResult => runProgramFile(join(dir, file));

describe('Cpu.warmUp', () => {
  it('changes neither the results nor the instruction counts of programs run before or after it', () => {
    const files = ['hash-O2.elf', 'sort-O2.elf'];
    const before = files.map(run);
    const threshold = Cpu.defaultJitThreshold;
    Cpu.warmUp();
    Cpu.warmUp(); // once per process: the second call does nothing
    expect(Cpu.defaultJitThreshold).toBe(threshold);
    const after = files.map(run);
    expect(after).toEqual(before);
    for (const [i, f] of files.entries()) {
      const g = golden[f]!;
      expect(after[i]).toEqual({ stdout: g.stdout, status: g.status, insns: g.insns });
    }
  });
});
