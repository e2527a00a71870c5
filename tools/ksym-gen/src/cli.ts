// SPDX-License-Identifier: MIT
// ksym-gen: the role of Starry-OS/ksym's gen_ksym binary and of AxVisor's `cargo xtask symbols`
// (generate, then inject into the `.kallsyms` section in place).

import {
  closeSync,
  fstatSync,
  openSync,
  readFileSync,
  readSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { Command, CommanderError } from 'commander';
import {
  buildBlob,
  compressBlob,
  formatNmText,
  isKallsymsSymbol,
  KsymError,
  KsymTable,
  parseNmText,
  symbolsFromElf,
} from '@axebpf/ksym';
import type { KsymInput } from '@axebpf/ksym';
import { ElfError, parseElf, replaceSectionData } from '@axebpf/obj/elf';

/** Where the command writes. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The tool's version, from its package.json (next to `dist/` and `src/`). */
function version(): string {
  return (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;
}

/** A failure the CLI reports as `ksym-gen: error: …` with exit code 1. */
class CliFailure extends Error {}

const isElf = (bytes: Uint8Array): boolean =>
  bytes.length >= 4 &&
  bytes[0] === 0x7f &&
  bytes[1] === 0x45 &&
  bytes[2] === 0x4c &&
  bytes[3] === 0x46;

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliFailure(`cannot read \`${path}\`: ${(err as Error).message}`);
  }
}

/** Symbols of an ELF image or of nm text, filtered like kallsyms unless `all`. */
function loadSymbols(path: string, bytes: Uint8Array, all: boolean): KsymInput[] {
  const symbols = isElf(bytes)
    ? symbolsFromElf(bytes)
    : parseNmText(new TextDecoder().decode(bytes));
  const kept = all ? symbols : symbols.filter(isKallsymsSymbol);
  if (kept.length === 0) throw new CliFailure(`\`${path}\` has no symbols`);
  return kept;
}

/** The end of the last symbol of an ELF image (its address plus its size), for `etext`. */
function elfEnd(bytes: Uint8Array, symbols: readonly KsymInput[]): bigint {
  let end = symbols.length > 0 ? symbols[symbols.length - 1]!.address + 1n : 0n;
  for (const s of parseElf(bytes).symbols())
    if (s.shndx !== 0 && s.value + s.size > end) end = s.value + s.size;
  return end;
}

/** A table from an ELF image (its symbols), a blob, or nm text. */
function loadTable(
  path: string,
  options: { stext?: string; etext?: string; all?: boolean; section?: string },
): KsymTable {
  const bytes = readInput(path);
  const range: { stext?: bigint; etext?: bigint } = {};
  if (options.stext !== undefined) range.stext = parseAddress(options.stext, '--stext');
  if (options.etext !== undefined) range.etext = parseAddress(options.etext, '--etext');
  if (options.section !== undefined) {
    // The blob injected into an image (which may be stripped since).
    if (!isElf(bytes))
      throw new CliFailure(
        `\`${path}\` is not an ELF file, so it has no \`${options.section}\` section`,
      );
    const section = parseElf(bytes).sectionByName(options.section);
    if (section === undefined)
      throw new CliFailure(`\`${path}\` has no \`${options.section}\` section`);
    return KsymTable.fromBlob(section.data, range);
  }
  if (isElf(bytes)) {
    const symbols = loadSymbols(path, bytes, options.all === true);
    return KsymTable.fromBlob(buildBlob(symbols).blob, { etext: elfEnd(bytes, symbols), ...range });
  }
  if (looksLikeText(bytes))
    return KsymTable.fromBlob(
      buildBlob(loadSymbols(path, bytes, options.all === true)).blob,
      range,
    );
  return KsymTable.fromBlob(bytes, range);
}

/** A blob given with `inject --blob`, read and decoded before anything is written. */
function checkedBlob(path: string): Uint8Array {
  const bytes = readInput(path);
  if (bytes.length === 0) throw new CliFailure(`\`${path}\` is empty, not a kallsyms blob`);
  try {
    KsymTable.fromBlob(bytes);
  } catch (err) {
    if (!KsymError.isInstance(err)) throw err;
    const where = err.offset !== undefined ? ` (at byte ${hex(err.offset)})` : '';
    throw new CliFailure(
      `\`${path}\` is not a kallsyms blob: ${err.message} [${err.code}]${where}; nothing was injected`,
    );
  }
  return bytes;
}

function looksLikeText(bytes: Uint8Array): boolean {
  const head = bytes.subarray(0, 64);
  return (
    head.length > 0 && head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 0x20 && b < 0x7f))
  );
}

function parseAddress(text: string, what: string): bigint {
  const digits = text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text;
  if (!/^[0-9a-fA-F]{1,16}$/.test(digits))
    throw new CliFailure(`${what}: \`${text}\` is not a hex address`);
  return BigInt(`0x${digits}`);
}

const hex = (v: bigint | number): string => `0x${v.toString(16)}`;

/**
 * Runs the `ksym-gen` command.
 * @param argv - the arguments after the program name.
 * @param io - where output goes (default: the process's stdout and stderr).
 * @returns the exit code: 0 on success, 1 on an error, 2 on a usage error.
 */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = new Command('ksym-gen')
    .description('build, inject and query kallsyms blobs (Starry-OS/ksym layout)')
    .version(`ksym-gen ${version()}`, '-V, --version', 'print the version')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('build')
    .description('build a blob from an ELF image or `nm -n` / System.map text')
    .argument('<input>', 'ELF image or nm text file')
    .requiredOption('-o, --output <file>', 'where to write the blob')
    .option('--all', 'keep mapping symbols ($x, $d) and .L labels')
    .option('-z, --compress', 'write the DEFLATE container (not readable by the Rust crate)')
    .action((input: string, options: { output: string; all?: boolean; compress?: boolean }) => {
      const bytes = readInput(input);
      const built = buildBlob(loadSymbols(input, bytes, options.all === true));
      const blob = options.compress === true ? compressBlob(built.blob) : built.blob;
      try {
        writeFileSync(options.output, blob);
      } catch (err) {
        throw new CliFailure(`cannot write \`${options.output}\`: ${(err as Error).message}`);
      }
      io.out(
        `${built.symbolCount} symbols, ${built.tokenCount} tokens, blob ${blob.length} bytes -> ${options.output}\n`,
      );
    });

  program
    .command('inject')
    .description(
      "write the blob of an ELF image's own symbols into its reserved section, in place (the inode is kept)",
    )
    .argument('<elf>', 'the kernel image')
    .option('-s, --section <name>', 'the reserved section', '.kallsyms')
    .option('-b, --blob <file>', 'inject this blob instead of building one')
    .option('--all', 'keep mapping symbols ($x, $d) and .L labels')
    .option('-z, --compress', 'inject the DEFLATE container (not readable by the Rust crate)')
    .action(
      (
        path: string,
        options: { section: string; blob?: string; all?: boolean; compress?: boolean },
      ) => {
        const fd = openFile(path);
        try {
          const size = fstatSync(fd).size;
          const bytes = new Uint8Array(size);
          readSync(fd, bytes, 0, size, 0);
          if (!isElf(bytes)) throw new CliFailure(`\`${path}\` is not an ELF file`);
          const raw =
            options.blob !== undefined
              ? checkedBlob(options.blob)
              : buildBlob(loadSymbols(path, bytes, options.all === true)).blob;
          const blob = options.compress === true ? compressBlob(raw) : raw;
          const section = parseElf(bytes).sectionByName(options.section);
          if (section === undefined)
            throw new CliFailure(
              `\`${path}\` has no \`${options.section}\` section to inject into`,
            );
          if (blob.length > section.size) {
            throw new CliFailure(
              `the blob (${blob.length} bytes) does not fit section \`${options.section}\` (${section.size} bytes); enlarge the reserved section`,
            );
          }
          replaceSectionData(bytes, section.index, blob);
          // Write back only the section's bytes through the same descriptor: no new file, no new inode.
          writeSync(fd, bytes, section.offset, section.size, section.offset);
          io.out(
            `injected ${blob.length} bytes into ${options.section} of ${path} (${section.size - blob.length} bytes left)\n`,
          );
        } finally {
          closeSync(fd);
        }
      },
    );

  const rangeOptions = (command: Command): Command =>
    command
      .option('--stext <addr>', 'lowest address accepted by address lookups')
      .option('--etext <addr>', 'end of the range accepted by address lookups')
      .option('--all', 'keep mapping symbols ($x, $d) and .L labels (ELF/text input)')
      .option(
        '-s, --section <name>',
        'read the blob injected into this section of the ELF image (e.g. .kallsyms)',
      );

  rangeOptions(
    program
      .command('lookup')
      .description('resolve an address (0x… or hex) to symbol+offset, or a name to its address')
      .argument('<table>', 'blob, ELF image or nm text')
      .argument('<query>', 'address or symbol name'),
  ).action(
    (
      path: string,
      query: string,
      options: { stext?: string; etext?: string; all?: boolean; section?: string },
    ) => {
      const table = loadTable(path, options);
      const isHex = /^(0[xX])?[0-9a-fA-F]{1,16}$/.test(query);
      const byName =
        query.startsWith('0x') || query.startsWith('0X') ? [] : table.lookupNameAll(query);
      if (byName.length > 0) {
        for (const e of byName) io.out(`${e.name} = ${hex(e.address)} ${e.type}\n`);
        return;
      }
      if (!isHex) throw new CliFailure(`symbol \`${query}\` not found`);
      const hit = table.lookupAddress(parseAddress(query, 'address'));
      if (hit === undefined)
        throw new CliFailure(`no symbol at address ${hex(parseAddress(query, 'address'))}`);
      const shown = table.demangledName(hit.index);
      io.out(
        `${hex(hit.address + BigInt(hit.offset))} = ${hit.name}+${hex(hit.offset)}/${hex(hit.size)} ${hit.type}${shown !== hit.name ? ` (${shown})` : ''}\n`,
      );
    },
  );

  rangeOptions(
    program
      .command('search')
      .description('list symbols whose name contains (or starts with) a pattern, in address order')
      .argument('<table>', 'blob, ELF image or nm text')
      .argument('<pattern>', 'text to look for')
      .option('-p, --prefix', 'match name prefixes only')
      .option('-d, --demangled', 'also match demangled names')
      .option('-n, --limit <count>', 'most results', '50'),
  ).action(
    (
      path: string,
      pattern: string,
      options: {
        prefix?: boolean;
        demangled?: boolean;
        limit: string;
        stext?: string;
        etext?: string;
        all?: boolean;
        section?: string;
      },
    ) => {
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new CliFailure(`--limit: \`${options.limit}\` is not a positive integer`);
      const hits = loadTable(path, options).search(pattern, {
        mode: options.prefix === true ? 'prefix' : 'substring',
        limit,
        demangled: options.demangled === true,
      });
      io.out(formatNmText(hits));
      if (hits.length === 0) io.err(`no symbols match \`${pattern}\`\n`);
    },
  );

  program
    .command('stats')
    .description(
      'symbol count, blob size and its size relative to the `nm -n` text of the same symbols',
    )
    .argument('<input>', 'ELF image, nm text or blob')
    .option('--all', 'keep mapping symbols ($x, $d) and .L labels (ELF/text input)')
    .action((path: string, options: { all?: boolean }) => {
      const bytes = readInput(path);
      let blobSize: number;
      let symbols: KsymInput[];
      let tokens: number | undefined;
      let compressed: number;
      if (isElf(bytes) || looksLikeText(bytes)) {
        symbols = loadSymbols(path, bytes, options.all === true);
        const built = buildBlob(symbols);
        blobSize = built.blob.length;
        tokens = built.tokenCount;
        compressed = compressBlob(built.blob).length;
      } else {
        symbols = KsymTable.fromBlob(bytes).toInputs();
        const rebuilt = buildBlob(symbols).blob;
        blobSize = rebuilt.length;
        compressed = compressBlob(rebuilt).length;
      }
      const nmSize = new TextEncoder().encode(formatNmText(symbols)).length;
      io.out(
        `symbols: ${symbols.length}\n` +
          (tokens === undefined ? '' : `tokens: ${tokens}\n`) +
          `blob: ${blobSize} bytes\n` +
          `nm -n text: ${nmSize} bytes\n` +
          `blob / nm text: ${(blobSize / nmSize).toFixed(3)}\n` +
          `compressed container: ${compressed} bytes (${(compressed / nmSize).toFixed(3)} of nm text)\n`,
      );
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (KsymError.isInstance(err) || ElfError.isInstance(err)) {
      const where = err.offset !== undefined ? ` (at byte ${hex(err.offset)})` : '';
      io.err(`ksym-gen: error: ${err.message} [${err.code}]${where}\n`);
      return 1;
    }
    if (err instanceof CliFailure) {
      io.err(`ksym-gen: error: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

function openFile(path: string): number {
  try {
    return openSync(path, 'r+');
  } catch (err) {
    throw new CliFailure(`cannot open \`${path}\` for writing: ${(err as Error).message}`);
  }
}
