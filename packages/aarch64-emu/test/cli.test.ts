// The CLI and the loader on bad input: typed errors with position, exit status 2, no crash.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { A64Fault, EmuInputError, loadLinuxProgram, main, runLinuxProgram } from '../src/index.js';

const prog = join(import.meta.dirname, 'programs', 'bin', 'strings-O2.elf');

function cli(args: string[]): { status: number; out: string; err: string } {
  let out = '',
    err = '';
  const status = main(args, {
    stdout: (b) => {
      out += typeof b === 'string' ? b : Buffer.from(b).toString();
    },
    stderr: (s) => {
      err += s;
    },
  });
  return { status, out, err };
}

describe('cli', () => {
  it('run prints the program output and --stats prints insns= and ns=', () => {
    const r = cli(['run', prog, '--stats']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('apple,banana,cherry');
    expect(r.err).toMatch(/^insns=1951 ns=\d+\n$/);
  });
  it('usage errors (commands, options, arguments) exit with status 2 and print the usage', () => {
    for (const args of [
      [],
      ['fly'],
      ['run'],
      ['run', prog, '--nope'],
      ['boot', prog, 'extra'],
      ['boot', prog, '--stdin', '/dev/null'],
      ['run', prog, '--el', '1'],
      ['boot', prog, '--el', '3'],
      ['run', prog, '--max-insns', 'x'],
      ['run', prog, '--max-insns'],
    ]) {
      const r = cli(args);
      expect({ args, status: r.status }).toEqual({ args, status: 2 });
      expect(r.err).toContain('usage: aarch64-emu run <elf>');
    }
  });
  const busybox = '/work/linux-images/bb/bin/busybox';
  it.skipIf(!existsSync(busybox))(
    'run passes the arguments after -- and --stdin to the program (busybox sort; skipped without Debian busybox)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'a64-cli-'));
      const input = join(dir, 'in.txt');
      writeFileSync(input, '3\n10\n2\n');
      const r = cli(['run', busybox, '--stdin', input, '--', 'sort', '-n', '-r']);
      expect(r).toEqual({ status: 0, out: '10\n3\n2\n', err: '' });
      expect(cli(['run', busybox, '--stdin', join(dir, 'none'), '--', 'sort']).status).toBe(1);
    },
  );
  it('an unreadable file exits with status 1, without the usage', () => {
    const r = cli(['run', '/nonexistent.elf']);
    expect(r.status).toBe(1);
    expect(r.err).toBe('aarch64-emu: cannot read `/nonexistent.elf`\n');
  });
  it('--help and --version print to stdout and exit 0', () => {
    const pj = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'),
    ) as { version: string };
    for (const flag of ['--help', '-h']) {
      const r = cli([flag]);
      expect(r.status).toBe(0);
      expect(r.out).toContain('usage: aarch64-emu run <elf>');
      expect(r.err).toBe('');
    }
    for (const flag of ['--version', '-V'])
      expect(cli([flag])).toEqual({ status: 0, out: `aarch64-emu ${pj.version}\n`, err: '' });
  });
  it('--max-insns stops a program with an error', () => {
    const r = cli(['run', prog, '--max-insns', '100']);
    expect(r.status).toBe(1);
    expect(r.err).toMatch(/^aarch64-emu: /);
  });
});

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (x) {
    return x;
  }
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
