// SPDX-License-Identifier: MIT
// The `aarch64-emu` command line: `run <elf> [--stats]` for static Linux user-mode programs.

import { readFileSync } from 'node:fs';
import { A64Fault, EmuInputError } from './errors.js';
import { bootImage } from './board.js';
import type { Cpu } from './cpu.js';
import { formatCpuState } from './trace.js';
import { runLinuxProgram, signalOf } from './linux-user.js';

const USAGE = `usage: aarch64-emu run <elf> [--stats] [--max-insns N]
       aarch64-emu boot <elf> [--el 1|2] [--log-int] [--stats] [--max-insns N]
  run    run a static AArch64 Linux user-mode program (syscalls: write, exit, exit_group)
  boot   run a bare-metal image on a QEMU-virt-like board (RAM 0x40000000, PL011 0x09000000)
  --stats       print "insns=<n> ns=<t>" on stderr at the end
  --max-insns   stop after N instructions
  --el          EL to boot at (default 2, like -M virt,virtualization=on)
  --log-int     print exceptions on stderr like qemu-system-aarch64 -d int
  --trace       print the registers before every instruction on stderr, in the format of
                qemu-aarch64 -singlestep -d cpu,nochain (run and boot)`;

/**
 * Runs the CLI.
 * @param argv - arguments after the program name.
 * @param io - output sinks (defaults to the process streams).
 * @returns the exit status.
 */
export function main(
  argv: readonly string[],
  io: { stdout: (b: Uint8Array | string) => void; stderr: (s: string) => void } = {
    stdout: (b) => process.stdout.write(b),
    stderr: (s) => process.stderr.write(s),
  },
): number {
  try {
    const [cmd, ...rest] = argv;
    if (cmd !== 'run' && cmd !== 'boot') {
      throw new EmuInputError({ code: 'BAD_ARGUMENT', message: cmd === undefined ? 'missing command' : `unknown command \`${cmd}\``, argument: cmd ?? '' });
    }
    let file: string | undefined;
    let stats = false;
    let maxInsns: number | undefined;
    let el: 1 | 2 = 2;
    let logInt = false;
    let trace = false;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === '--stats') stats = true;
      else if (a === '--max-insns') {
        const v = Number(rest[++i]);
        if (!Number.isSafeInteger(v) || v <= 0) throw new EmuInputError({ code: 'BAD_ARGUMENT', message: '--max-insns needs a positive integer', argument: a });
        maxInsns = v;
      } else if (a === '--el' && cmd === 'boot') {
        const v = rest[++i];
        if (v !== '1' && v !== '2') throw new EmuInputError({ code: 'BAD_ARGUMENT', message: '--el needs 1 or 2', argument: a });
        el = v === '1' ? 1 : 2;
      } else if (a === '--log-int' && cmd === 'boot') logInt = true;
      else if (a === '--trace') trace = true;
      else if (a.startsWith('-')) throw new EmuInputError({ code: 'BAD_ARGUMENT', message: `unknown option \`${a}\``, argument: a });
      else if (file === undefined) file = a;
      else throw new EmuInputError({ code: 'BAD_ARGUMENT', message: `unexpected argument \`${a}\``, argument: a });
    }
    if (file === undefined) throw new EmuInputError({ code: 'BAD_ARGUMENT', message: 'missing <elf>', argument: '' });
    let image: Uint8Array;
    try {
      image = readFileSync(file);
    } catch (e) {
      throw new EmuInputError({ code: 'FILE_NOT_FOUND', message: `cannot read \`${file}\``, argument: file, cause: e });
    }
    const t0 = process.hrtime.bigint();
    if (cmd === 'boot') {
      const r = bootImage(image, {
        el, console: (b) => io.stdout(new Uint8Array([b])),
        ...(logInt ? { intLog: (line: string) => io.stderr(line + '\n') } : {}),
        ...(trace ? { trace: (c: Cpu) => io.stderr(formatCpuState(c)) } : {}),
        ...(maxInsns ? { maxInsns } : {}),
      });
      if (stats) io.stderr(`insns=${r.insns} ns=${process.hrtime.bigint() - t0}\n`);
      if (!r.poweredOff) io.stderr(`aarch64-emu: stopped (${r.reason}) at pc 0x${r.cpu.pc.toString(16)}\n`);
      return r.poweredOff ? 0 : 1;
    }
    let insns = 0;
    let status: number;
    try {
      const r = runLinuxProgram(image, {
        argv0: file, output: (fd, b) => (fd === 1 ? io.stdout(b) : io.stderr(new TextDecoder().decode(b))),
        ...(maxInsns ? { maxInsns } : {}),
        ...(trace ? { trace: (c: Cpu) => io.stderr(formatCpuState(c)) } : {}),
      });
      insns = r.insns;
      status = r.exitCode;
    } catch (e) {
      if (!A64Fault.isInstance(e)) throw e;
      io.stderr(`aarch64-emu: ${e.message}\n`);
      status = e.code === 'UNSUPPORTED_SYSCALL' ? 70 : 128 + signalOf(e);
    }
    if (stats) io.stderr(`insns=${insns} ns=${process.hrtime.bigint() - t0}\n`);
    return status;
  } catch (e) {
    if (EmuInputError.isInstance(e)) {
      io.stderr(`aarch64-emu: ${e.message}\n${e.code === 'BAD_ARGUMENT' ? USAGE + '\n' : ''}`);
      return 2;
    }
    throw e;
  }
}
