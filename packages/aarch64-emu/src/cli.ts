// SPDX-License-Identifier: MIT
// The `aarch64-emu` command line: `run <elf>` for static Linux user-mode programs, `boot <elf>`
// for bare-metal images; options parsed by node:util parseArgs.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { A64Fault, EmuInputError } from './errors.js';
import { bootImage } from './board.js';
import type { Cpu } from './cpu.js';
import { formatCpuState } from './trace.js';
import { runLinuxProgram, signalOf } from './linux-user.js';

const USAGE = `usage: aarch64-emu run <elf> [--stats] [--max-insns N] [--trace] [--stdin FILE] [-- ARGS...]
       aarch64-emu boot <elf> [--el 1|2] [--log-int] [--stats] [--max-insns N] [--trace]
       aarch64-emu --help | --version
  run    run a static AArch64 Linux user-mode program (argv[0] = <elf>, then ARGS)
  boot   run a bare-metal image on a QEMU-virt-like board (RAM 0x40000000, PL011 0x09000000)
  --stdin       file the program reads on fd 0 ("-": this process's stdin); default empty
  --stats       print "insns=<n> ns=<t>" on stderr at the end
  --max-insns   stop after N instructions
  --el          EL to boot at (default 2, like -M virt,virtualization=on)
  --log-int     print exceptions on stderr like qemu-system-aarch64 -d int
  --trace       print the registers before every instruction on stderr, in the format of
                qemu-aarch64 -singlestep -d cpu,nochain (run and boot)
  -h, --help    print this help;  -V, --version  print the version
exit status: run: the program's; boot: 0 when the image powered off, else 1; 1 for an
unreadable or malformed image; 2 for a usage error.`;

const OPTIONS = {
  stats: { type: 'boolean' },
  'max-insns': { type: 'string' },
  el: { type: 'string' },
  'log-int': { type: 'boolean' },
  trace: { type: 'boolean' },
  stdin: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

/** The package's version, from its package.json (next to `dist/` and `src/`). */
function version(): string {
  const pj = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pj.version;
}

/** Parses the arguments (node:util parseArgs); its errors become `BAD_ARGUMENT`. */
function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const argument = /'([^']+)'/.exec(message)?.[1] ?? '';
    throw new EmuInputError({ code: 'BAD_ARGUMENT', message, argument, cause: e });
  }
}

/**
 * Runs the CLI.
 * @param argv - arguments after the program name.
 * @param io - output sinks (defaults to the process streams).
 * @returns the exit status: `run` returns the program's; 1 for an unreadable or malformed image
 * (or a `boot` that did not power off); 2 for a usage error (after the usage text on stderr).
 */
export function main(
  argv: readonly string[],
  io: { stdout: (b: Uint8Array | string) => void; stderr: (s: string) => void } = {
    stdout: (b) => process.stdout.write(b),
    stderr: (s) => process.stderr.write(s),
  },
): number {
  try {
    const { values, positionals } = parse(argv);
    if (values.help === true) {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (values.version === true) {
      io.stdout(`aarch64-emu ${version()}\n`);
      return 0;
    }
    const [cmd, file, ...extra] = positionals;
    if (cmd !== 'run' && cmd !== 'boot') {
      throw new EmuInputError({
        code: 'BAD_ARGUMENT',
        message: cmd === undefined ? 'missing command' : `unknown command \`${cmd}\``,
        argument: cmd ?? '',
      });
    }
    if (cmd === 'boot' && extra.length > 0)
      throw new EmuInputError({
        code: 'BAD_ARGUMENT',
        message: `unexpected argument \`${extra[0]}\``,
        argument: extra[0]!,
      });
    for (const bootOnly of ['el', 'log-int'] as const) {
      if (cmd === 'boot' && values.stdin !== undefined)
        throw new EmuInputError({
          code: 'BAD_ARGUMENT',
          message: '`--stdin` is an option of `run`',
          argument: '--stdin',
        });
      if (cmd !== 'boot' && values[bootOnly] !== undefined)
        throw new EmuInputError({
          code: 'BAD_ARGUMENT',
          message: `\`--${bootOnly}\` is an option of \`boot\``,
          argument: `--${bootOnly}`,
        });
    }
    const stats = values.stats === true;
    const trace = values.trace === true;
    const logInt = values['log-int'] === true;
    let maxInsns: number | undefined;
    if (values['max-insns'] !== undefined) {
      const v = Number(values['max-insns']);
      if (!Number.isSafeInteger(v) || v <= 0)
        throw new EmuInputError({
          code: 'BAD_ARGUMENT',
          message: '--max-insns needs a positive integer',
          argument: '--max-insns',
        });
      maxInsns = v;
    }
    let el: 1 | 2 = 2;
    if (values.el !== undefined) {
      if (values.el !== '1' && values.el !== '2')
        throw new EmuInputError({
          code: 'BAD_ARGUMENT',
          message: '--el needs 1 or 2',
          argument: '--el',
        });
      el = values.el === '1' ? 1 : 2;
    }
    if (file === undefined)
      throw new EmuInputError({ code: 'BAD_ARGUMENT', message: 'missing <elf>', argument: '' });
    let image: Uint8Array;
    try {
      image = readFileSync(file);
    } catch (e) {
      throw new EmuInputError({
        code: 'FILE_NOT_FOUND',
        message: `cannot read \`${file}\``,
        argument: file,
        cause: e,
      });
    }
    const t0 = process.hrtime.bigint();
    if (cmd === 'boot') {
      const r = bootImage(image, {
        el,
        console: (b) => io.stdout(new Uint8Array([b])),
        ...(logInt ? { intLog: (line: string) => io.stderr(line + '\n') } : {}),
        ...(trace ? { trace: (c: Cpu) => io.stderr(formatCpuState(c)) } : {}),
        ...(maxInsns ? { maxInsns } : {}),
      });
      if (stats) io.stderr(`insns=${r.insns} ns=${process.hrtime.bigint() - t0}\n`);
      if (!r.poweredOff)
        io.stderr(`aarch64-emu: stopped (${r.reason}) at pc 0x${r.cpu.pc.toString(16)}\n`);
      return r.poweredOff ? 0 : 1;
    }
    let stdin: Uint8Array | undefined;
    if (values.stdin !== undefined) {
      const from = values.stdin;
      try {
        stdin = readFileSync(from === '-' ? 0 : from);
      } catch (e) {
        throw new EmuInputError({
          code: 'FILE_NOT_FOUND',
          message: `cannot read \`${from}\``,
          argument: from,
          cause: e,
        });
      }
    }
    let insns = 0;
    let status: number;
    try {
      const r = runLinuxProgram(image, {
        argv0: file,
        args: extra,
        ...(stdin ? { stdin } : {}),
        output: (fd, b) => (fd === 1 ? io.stdout(b) : io.stderr(new TextDecoder().decode(b))),
        ...(maxInsns ? { maxInsns } : {}),
        ...(trace ? { trace: (c: Cpu) => io.stderr(formatCpuState(c)) } : {}),
      });
      insns = r.insns;
      status = r.exitCode;
    } catch (e) {
      // the program's input errors (a malformed image, the instruction limit) are not usage errors
      if (EmuInputError.isInstance(e)) {
        io.stderr(`aarch64-emu: ${e.message}\n`);
        return 1;
      }
      if (!A64Fault.isInstance(e)) throw e;
      io.stderr(`aarch64-emu: ${e.message}\n`);
      status = e.code === 'UNSUPPORTED_SYSCALL' ? 70 : 128 + signalOf(e);
    }
    if (stats) io.stderr(`insns=${insns} ns=${process.hrtime.bigint() - t0}\n`);
    return status;
  } catch (e) {
    if (EmuInputError.isInstance(e)) {
      if (e.code !== 'BAD_ARGUMENT') {
        io.stderr(`aarch64-emu: ${e.message}\n`);
        return 1;
      }
      io.stderr(`aarch64-emu: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    throw e;
  }
}
