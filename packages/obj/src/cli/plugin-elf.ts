// SPDX-License-Identifier: MIT
// bpf_conformance plugin, ELF form: the program is an eBPF ELF object (hex bytes or raw on
// stdin) whose function `main` in `.text` is run; memory as the first argument (hex bytes);
// r0 printed in hex on stdout; errors on stderr with a non-zero exit. The same protocol as
// @axebpf/rbpf's `bpf-conformance-plugin`, which must not depend on this package.
import { readFileSync } from 'node:fs';
import {
  AddressSpace,
  EbpfVm,
  HelperTable,
  parseHexBytes as parseHex,
  ProgramError,
  VmError,
} from '@axebpf/rbpf';
import type { PluginOutcome } from '@axebpf/rbpf';
import type { Region } from '@axebpf/rbpf';
import { ObjError } from '../errors.js';
import { EbpfObject } from '../object.js';

const USAGE = `usage: bpf-conformance-plugin-elf [MEMORY-HEX] [--engine interpreter|wasm] [--entry NAME] [--max-insns N]
  stdin: an eBPF ELF object (hex bytes, or the raw file); runs function NAME (default \`main\`)
  prints r0 in hex`;

/**
 * Runs the plugin protocol on given arguments and input.
 * @param argv - arguments after the executable.
 * @param stdin - standard input bytes.
 * @returns what to print and the exit status.
 * @internal
 */
export function runElfPlugin(argv: readonly string[], stdin: Uint8Array): PluginOutcome {
  let memoryHex: string | undefined;
  let engine = 'interpreter';
  let entry = 'main';
  let maxInsns = 100_000_000;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--engine') engine = argv[++i] ?? '';
    else if (a.startsWith('--engine=')) engine = a.slice('--engine='.length);
    else if (a === '--entry') entry = argv[++i] ?? '';
    else if (a === '--elf')
      continue; // accepted for symmetry with rbpf's plugin
    else if (a === '--max-insns') maxInsns = Number(argv[++i]);
    else if (a === '--help' || a === '-h') return { status: 0, stdout: `${USAGE}\n`, stderr: '' };
    else if (!a.startsWith('--') && memoryHex === undefined && i === 0) memoryHex = a;
    else return { status: 2, stdout: '', stderr: `unknown argument \`${a}\`\n${USAGE}\n` };
  }
  if (engine !== 'interpreter' && engine !== 'wasm')
    return {
      status: 2,
      stdout: '',
      stderr: `engine \`${engine}\` is not available (engines: interpreter, wasm)\n`,
    };
  if (!Number.isInteger(maxInsns) || maxInsns <= 0)
    return { status: 2, stdout: '', stderr: '--max-insns takes a positive integer\n' };
  try {
    const isRaw = stdin[0] === 0x7f && stdin[1] === 0x45 && stdin[2] === 0x4c && stdin[3] === 0x46;
    const bytes = isRaw ? stdin : parseHex(new TextDecoder().decode(stdin), 'object');
    const obj = EbpfObject.parse(bytes);
    const memory = new AddressSpace();
    const regions: Region[] = [];
    const linked = obj.link(entry, (d) => {
      if (d.origin !== 'data')
        throw new ObjError({
          code: 'INVALID_MAP',
          message: `map \`${d.name}\`: the conformance plugin runs global data only, not maps`,
          section: d.section,
          symbol: d.name,
        });
      const region = memory.map(d.name, d.valueSize, d.frozen !== true);
      memory.bytes.set(d.initialValue!, region.offset);
      regions.push(region);
      return regions.length - 1;
    });
    const helpers = new HelperTable()
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
    const vm = new EbpfVm(linked.bytecode, {
      memory,
      helpers,
      maxInstructions: maxInsns,
      engine,
      resolveLddw: ({ imm, imm2 }) => regions[imm]!.address + BigInt(imm2),
    });
    const result = vm.run(memoryHex === undefined ? undefined : parseHex(memoryHex, 'memory'));
    return { status: 0, stdout: `${result.value.toString(16)}\n`, stderr: '' };
  } catch (e) {
    if (ObjError.isInstance(e) || ProgramError.isInstance(e) || VmError.isInstance(e))
      return { status: 1, stdout: '', stderr: `${e.message}\n` };
    return { status: 1, stdout: '', stderr: `${e instanceof Error ? e.message : String(e)}\n` };
  }
}

/**
 * Entry point of the `bpf-conformance-plugin-elf` executable.
 * @internal
 */
export function main(): void {
  const outcome = runElfPlugin(process.argv.slice(2), new Uint8Array(readFileSync(0)));
  if (outcome.stdout) process.stdout.write(outcome.stdout);
  if (outcome.stderr) process.stderr.write(outcome.stderr);
  process.exitCode = outcome.status;
}
