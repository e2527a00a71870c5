// SPDX-License-Identifier: MIT
// A bpf_conformance plugin: memory as the first argument (hex bytes), the program as hex bytes
// on stdin, r0 printed in hex on stdout; errors on stderr with a non-zero exit.

import { readFileSync } from 'node:fs';
import type { PluginOutcome } from './protocol.js';
import { parseHexBytes as parseHex } from './protocol.js';
import { AsmError, ProgramError, VmError } from '../errors.js';
import { HelperTable } from '../helpers.js';
import { EbpfVm } from '../vm.js';
import { Program } from '../program.js';
import { verify, VerifierError } from '../verifier/index.js';

const USAGE = `usage: bpf-conformance-plugin [MEMORY-HEX] [--engine interpreter|wasm] [--verify] [--elf] [--stats] [--max-insns N]
  stdin: the program as hex bytes (with --elf: an ELF object)
  prints r0 in hex; with --stats also "insns=<n> ns=<t>" on stderr`;

/**
 * The helpers the conformance suite calls: 5 returns its first argument, 0 packs the low bytes
 * of its five arguments as `(a<<32)|(b<<24)|(c<<16)|(d<<8)|e`.
 * @returns a new table.
 */
export function conformanceHelpers(): HelperTable {
  return new HelperTable()
    .register(0, 'gather_bytes', (c) => {
      const low =
        (((c.u32(2) & 0xff) << 24) |
          ((c.u32(3) & 0xff) << 16) |
          ((c.u32(4) & 0xff) << 8) |
          (c.u32(5) & 0xff)) >>>
        0;
      return (c.u32(1) & 0xff) * 4294967296 + low;
    })
    .register(5, 'identity', (c) => c.u64(1));
}

/**
 * Runs the plugin protocol on given arguments and input.
 * @param argv - arguments after the executable.
 * @param stdin - standard input text.
 * @returns what to print and the exit status.
 * @internal
 */
export function runPlugin(argv: readonly string[], stdin: string): PluginOutcome {
  let memoryHex: string | undefined;
  let engine = 'interpreter';
  let elf = false;
  let stats = false;
  let verifyFirst = false;
  let maxInsns: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--engine') engine = argv[++i] ?? '';
    else if (a.startsWith('--engine=')) engine = a.slice('--engine='.length);
    else if (a === '--elf') elf = true;
    else if (a === '--stats') stats = true;
    else if (a === '--verify') verifyFirst = true;
    else if (a === '--max-insns') maxInsns = Number(argv[++i]);
    else if (a === '--help' || a === '-h') return { status: 0, stdout: `${USAGE}\n`, stderr: '' };
    else if (!a.startsWith('--') && memoryHex === undefined && i === 0) memoryHex = a;
    else return { status: 2, stdout: '', stderr: `unknown argument \`${a}\`\n${USAGE}\n` };
  }
  if (engine !== 'interpreter' && engine !== 'wasm') {
    return {
      status: 2,
      stdout: '',
      stderr: `engine \`${engine}\` is not available (engines: interpreter, wasm)\n`,
    };
  }
  // ELF objects are loaded by @axebpf/obj, which sits above rbpf and cannot be imported here:
  // its `bpf-conformance-plugin-elf` executable speaks the same protocol for the ELF form.
  if (elf)
    return {
      status: 2,
      stdout: '',
      stderr:
        '--elf: use `bpf-conformance-plugin-elf` from @axebpf/obj for ELF input (rbpf runs bytecode only)\n',
    };
  if (maxInsns !== undefined && (!Number.isInteger(maxInsns) || maxInsns <= 0)) {
    return { status: 2, stdout: '', stderr: '--max-insns takes a positive integer\n' };
  }
  try {
    const memory = memoryHex === undefined ? undefined : parseHex(memoryHex, 'memory');
    const program = Program.fromBytes(parseHex(stdin, 'program'));
    if (verifyFirst) {
      try {
        verify(program, { programType: 'raw-memory', memorySize: memory?.length ?? 0 });
      } catch (e) {
        if (VerifierError.isInstance(e))
          return { status: 2, stdout: '', stderr: `verifier: ${e.message}\n` };
        throw e;
      }
    }
    const vm = new EbpfVm(program, {
      helpers: conformanceHelpers(),
      maxInstructions: maxInsns ?? 100_000_000,
      engine,
    });
    const start = process.hrtime.bigint();
    const result = vm.run(memory);
    const ns = process.hrtime.bigint() - start;
    return {
      status: 0,
      stdout: `${result.value.toString(16)}\n`,
      stderr: stats ? `insns=${result.insnCount} ns=${ns}\n` : '',
    };
  } catch (e) {
    if (ProgramError.isInstance(e) || VmError.isInstance(e) || AsmError.isInstance(e)) {
      return { status: 1, stdout: '', stderr: `${e.message}\n` };
    }
    return { status: 1, stdout: '', stderr: `${e instanceof Error ? e.message : String(e)}\n` };
  }
}

/**
 * Entry point of the `bpf-conformance-plugin` executable.
 * @internal
 */
export function main(): void {
  const outcome = runPlugin(process.argv.slice(2), readFileSync(0, 'utf8'));
  if (outcome.stdout) process.stdout.write(outcome.stdout);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  process.exitCode = outcome.status;
}
