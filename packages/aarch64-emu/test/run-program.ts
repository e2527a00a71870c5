// A static AArch64 Linux program of the test corpora run to its exit, as the golden files record
// it: stdout (base64), exit status and instruction count.
import { readFileSync } from 'node:fs';
import { runLinuxProgram } from '../src/index.js';

/** What a golden file records of a program's run. */
export interface ProgramResult {
  stdout: string;
  status: number;
  insns: number;
}

/**
 * @param path - the program (a static AArch64 ELF).
 * @returns its standard output (base64), exit status and instruction count.
 */
export function runProgramFile(path: string): ProgramResult {
  const chunks: Uint8Array[] = [];
  const r = runLinuxProgram(readFileSync(path), {
    output: (fd, b) => {
      if (fd === 1) chunks.push(b);
    },
  });
  return { stdout: Buffer.concat(chunks).toString('base64'), status: r.exitCode, insns: r.insns };
}
