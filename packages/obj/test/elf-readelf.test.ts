// SPDX-License-Identifier: MIT
// Cross-checks the ELF reader against GNU readelf: on the committed fixtures (golden outputs
// made by test/elf-fixtures/build.sh) and, when gcc/readelf are installed, on objects compiled now.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ElfError,
  parseElf,
  SHN_ABS,
  SHN_COMMON,
  SHN_UNDEF,
  STT_SECTION,
} from '../src/elf/index.js';
import type { ElfFile } from '../src/elf/index.js';
import { parseReadelf } from './elf-readelf.js';
import { hasTool } from '@axebpf/test-utils/tools';

const fixtures = join(import.meta.dirname, 'elf-fixtures');
const has = hasTool;
const hasGcc = has('gcc') && has('readelf');
const hasCross = has('aarch64-linux-gnu-gcc') && has('readelf');
if (!hasGcc) console.warn('elf-readelf.test: gcc or readelf missing, live compile checks skipped');
if (!hasCross)
  console.warn('elf-readelf.test: aarch64-linux-gnu-gcc missing, live AArch64 check skipped');

const SHT_NAMES: Record<string, number> = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  GROUP: 17,
  LLVM_ADDRSIG: 0x6fff4c03,
};
const PT_NAMES: Record<string, number> = {
  NULL: 0,
  LOAD: 1,
  DYNAMIC: 2,
  INTERP: 3,
  NOTE: 4,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
};
const STT_NAMES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE', 'COMMON', 'TLS'];
const STB_NAMES = ['LOCAL', 'GLOBAL', 'WEAK'];
const STV_NAMES = ['DEFAULT', 'INTERNAL', 'HIDDEN', 'PROTECTED'];

function flagLetters(flags: bigint): string {
  const table: [bigint, string][] = [
    [1n, 'W'],
    [2n, 'A'],
    [4n, 'X'],
    [0x10n, 'M'],
    [0x20n, 'S'],
    [0x40n, 'I'],
    [0x80n, 'L'],
    [0x200n, 'G'],
    [0x400n, 'T'],
  ];
  return table
    .filter(([bit]) => (flags & bit) !== 0n)
    .map(([, letter]) => letter)
    .join('');
}

function compare(
  elf: ElfFile,
  golden: string,
): { sections: number; symbols: number; relocations: number; segments: number } {
  const expected = parseReadelf(golden);
  expect(elf.header.entry).toBe(expected.entry);
  expect(elf.sections).toHaveLength(expected.sections.length);
  for (const want of expected.sections) {
    const got = elf.sections[want.index]!;
    expect({
      name: got.name,
      addr: got.addr,
      offset: got.offset,
      size: got.size,
      entsize: got.entsize,
      link: got.link,
      info: got.info,
      align: got.addralign,
    }).toEqual({
      name: want.name,
      addr: want.addr,
      offset: want.offset,
      size: want.size,
      entsize: want.entsize,
      link: want.link,
      info: want.info,
      align: want.align,
    });
    if (SHT_NAMES[want.type] !== undefined) expect(got.type).toBe(SHT_NAMES[want.type]);
    expect(flagLetters(got.flags).split('').sort().join('')).toBe(
      want.flags
        .replace(/[^WAXMSILGT]/g, '')
        .split('')
        .sort()
        .join(''),
    );
  }
  expect(elf.programHeaders).toHaveLength(expected.segments.length);
  expected.segments.forEach((want, i) => {
    const got = elf.programHeaders[i]!;
    if (PT_NAMES[want.type] !== undefined) expect(got.type).toBe(PT_NAMES[want.type]);
    const letters = `${got.flags & 4 ? 'R' : ''}${got.flags & 2 ? 'W' : ''}${got.flags & 1 ? 'E' : ''}`;
    expect({
      offset: got.offset,
      vaddr: got.vaddr,
      paddr: got.paddr,
      filesz: got.filesz,
      memsz: got.memsz,
      flags: letters,
      align: got.align,
    }).toEqual({
      offset: want.offset,
      vaddr: want.vaddr,
      paddr: want.paddr,
      filesz: want.filesz,
      memsz: want.memsz,
      flags: want.flags,
      align: want.align,
    });
    expect(got.data.length).toBe(want.filesz);
  });
  let symbolCount = 0;
  for (const want of expected.symbols) {
    const table = elf.symbolTableAt(elf.sectionByName(want.table)!.index);
    const got = table.symbols[want.index]!;
    const ndx =
      got.shndx === SHN_UNDEF
        ? 'UND'
        : got.shndx === SHN_ABS
          ? 'ABS'
          : got.shndx === SHN_COMMON
            ? 'COM'
            : String(got.shndx);
    // readelf prints the section's name for unnamed section symbols.
    const name =
      got.type === STT_SECTION && got.nameOffset === 0 ? elf.sections[got.shndx]!.name : got.name;
    expect({
      value: got.value,
      size: got.size,
      type: STT_NAMES[got.type],
      bind: STB_NAMES[got.bind],
      vis: STV_NAMES[got.visibility],
      ndx,
      name,
    }).toEqual({
      value: want.value,
      size: want.size,
      type: want.type,
      bind: want.bind,
      vis: want.vis,
      ndx: want.ndx,
      name: want.name,
    });
    symbolCount++;
  }
  const relocs = elf.relocationSections();
  const flat = relocs.flatMap((r) => r.entries.map((e) => ({ section: r.section.name, e })));
  expect(flat).toHaveLength(expected.relocations.length);
  expected.relocations.forEach((want, i) => {
    const got = flat[i]!;
    expect(got.section).toBe(want.section);
    expect(got.e.offset).toBe(want.offset);
    expect(got.e.type).toBe(Number(want.info & 0xffffffffn));
    expect(got.e.symbolIndex).toBe(Number(want.info >> 32n));
    if (want.addend !== undefined) expect(got.e.addend).toBe(want.addend);
  });
  return {
    sections: expected.sections.length,
    symbols: symbolCount,
    relocations: expected.relocations.length,
    segments: expected.segments.length,
  };
}

describe('committed fixtures against their readelf golden output', () => {
  for (const name of ['sample-x86_64.o', 'sample-x86_64.elf', 'sample-aarch64.elf']) {
    it(`matches readelf for ${name}`, () => {
      const elf = parseElf(readFileSync(join(fixtures, name)));
      const counts = compare(elf, readFileSync(join(fixtures, `${name}.readelf.txt`), 'utf8'));
      expect(counts.sections).toBeGreaterThan(5);
      expect(counts.symbols).toBeGreaterThan(10);
      if (name.endsWith('.o')) expect(counts.relocations).toBeGreaterThan(3);
      else expect(counts.segments).toBeGreaterThan(1);
    });
  }

  it('gives an ElfError at every truncation of the committed relocatable object', () => {
    const bytes = readFileSync(join(fixtures, 'sample-x86_64.o'));
    for (let n = 0; n < bytes.length; n++) {
      let caught: unknown;
      try {
        const elf = parseElf(bytes.subarray(0, n));
        elf.symbols();
        elf.relocationSections();
      } catch (err) {
        caught = err;
      }
      expect(ElfError.isInstance(caught), `length ${n}`).toBe(true);
      expect((caught as ElfError).offset).toBeLessThanOrEqual(n);
    }
  });

  it('gives an ElfError, never another error, for every single-byte corruption of the header area', () => {
    const original = readFileSync(join(fixtures, 'sample-x86_64.o'));
    const elf = parseElf(original);
    const headerAreas = [
      [0, 64],
      [elf.header.shoff, elf.header.shoff + elf.header.shnum * 64],
    ] as const;
    let rejected = 0;
    for (const [from, to] of headerAreas) {
      for (let i = from; i < to; i++) {
        const bytes = Uint8Array.from(original);
        bytes[i] = bytes[i]! ^ 0xff;
        try {
          const parsed = parseElf(bytes);
          parsed.symbols();
          parsed.relocationSections();
        } catch (err) {
          expect(ElfError.isInstance(err), `byte ${i}: ${String(err)}`).toBe(true);
          rejected++;
        }
      }
    }
    expect(rejected).toBeGreaterThan(50);
  });
});

describe('objects compiled now against live readelf', () => {
  const source = readFileSync(join(fixtures, 'sample.c'), 'utf8');
  const build = (compiler: string, args: string[]): { bytes: Uint8Array; golden: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'axebpf-elf-'));
    try {
      writeFileSync(join(dir, 's.c'), source);
      execFileSync(compiler, [...args, '-o', join(dir, 'out'), join(dir, 's.c')]);
      const golden = execFileSync(
        'readelf',
        ['-h', '-S', '-s', '-r', '-l', '--wide', join(dir, 'out')],
        { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' },
      );
      return { bytes: readFileSync(join(dir, 'out')), golden };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it.skipIf(!hasGcc)(
    'matches readelf for a host gcc -O2 relocatable object with function sections',
    () => {
      const { bytes, golden } = build('gcc', [
        '-O2',
        '-ffunction-sections',
        '-fdata-sections',
        '-c',
      ]);
      expect(compare(parseElf(bytes), golden).relocations).toBeGreaterThan(3);
    },
  );

  it.skipIf(!hasGcc)('matches readelf for a host gcc shared object with dynamic symbols', () => {
    const { bytes, golden } = build('gcc', ['-O1', '-fPIC', '-shared']);
    const elf = parseElf(bytes);
    expect(elf.dynamicSymbolTable()).toBeDefined();
    expect(compare(elf, golden).segments).toBeGreaterThan(2);
  });

  it.skipIf(!hasCross)('matches readelf for an AArch64 static image', () => {
    const { bytes, golden } = build('aarch64-linux-gnu-gcc', [
      '-O2',
      '-DWITH_START',
      '-nostdlib',
      '-static',
    ]);
    const elf = parseElf(bytes);
    expect(elf.header.machine).toBe(183);
    expect(compare(elf, golden).segments).toBeGreaterThan(1);
  });
});
