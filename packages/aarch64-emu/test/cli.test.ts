// The CLI and the loader on bad input: typed errors with position, exit status 2, no crash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { A64Fault, EmuInputError, loadLinuxProgram, main, runLinuxProgram } from '../src/index.js';

const prog = join(import.meta.dirname, 'programs', 'bin', 'strings-O2.elf');

function cli(args: string[]): { status: number; out: string; err: string } {
  let out = '', err = '';
  const status = main(args, { stdout: (b) => { out += typeof b === 'string' ? b : Buffer.from(b).toString(); }, stderr: (s) => { err += s; } });
  return { status, out, err };
}

describe('cli', () => {
  it('run prints the program output and --stats prints insns= and ns=', () => {
    const r = cli(['run', prog, '--stats']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('apple,banana,cherry');
    expect(r.err).toMatch(/^insns=1951 ns=\d+\n$/);
  });
  it('bad commands, options and files exit with status 2', () => {
    expect(cli([]).status).toBe(2);
    expect(cli(['fly']).status).toBe(2);
    expect(cli(['run']).status).toBe(2);
    expect(cli(['run', prog, '--nope']).status).toBe(2);
    expect(cli(['run', '/nonexistent.elf']).status).toBe(2);
  });
  it('--max-insns stops a program with an error', () => {
    expect(cli(['run', prog, '--max-insns', '100']).status).toBe(2);
  });
});

function thrown(fn: () => unknown): unknown {
  try { fn(); } catch (x) { return x; }
  return undefined;
}

describe('loader errors', () => {
  it('garbage is BAD_ELF with the byte offset', () => {
    const e = thrown(() => loadLinuxProgram(new Uint8Array([1, 2, 3, 4, 5])));
    expect(EmuInputError.isInstance(e)).toBe(true);
    expect((e as EmuInputError).code).toBe('BAD_ELF');
    expect((e as EmuInputError).offset).toBeTypeOf('number');
  });
  it('a non-AArch64 machine is UNSUPPORTED_ELF at e_machine', () => {
    const img = new Uint8Array(readFileSync(prog));
    img[18] = 62; // EM_X86_64
    const e = thrown(() => loadLinuxProgram(img)) as EmuInputError;
    expect(e.code).toBe('UNSUPPORTED_ELF');
    expect(e.offset).toBe(18);
  });
  it('an undefined instruction in a program is an A64Fault (SIGILL) with its pc', () => {
    const img = new Uint8Array(readFileSync(prog));
    const entry = Number(new DataView(img.buffer).getBigUint64(24, true)); // e_entry
    // text segment is at file offset 0 mapped to 0x400000
    img.fill(0, entry - 0x400000, entry - 0x400000 + 4);
    const e = thrown(() => runLinuxProgram(img)) as A64Fault;
    expect(A64Fault.isInstance(e)).toBe(true);
    expect(e.code).toBe('UNDEFINED_INSTRUCTION');
    expect(e.pc).toBe(BigInt(entry));
  });
});
