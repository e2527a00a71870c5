// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import {
  ElfError,
  parseElf,
  replaceSectionData,
  EM_AARCH64,
  ET_EXEC,
  PF_R,
  PF_X,
  PT_LOAD,
  SHN_ABS,
  SHT_NOBITS,
  SHT_PROGBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_GLOBAL,
  STB_LOCAL,
  STB_WEAK,
  STT_FUNC,
  STT_OBJECT,
  STV_HIDDEN,
} from '../src/elf/index.js';
import { buildElf, relocations, symbolTable } from './elf-builder.js';

const code = (err: unknown): string =>
  ElfError.isInstance(err) ? err.code : `not an ElfError: ${String(err)}`;
function catchElf(fn: () => unknown): ElfError {
  try {
    fn();
  } catch (err) {
    if (ElfError.isInstance(err)) return err;
    throw new Error(`expected an ElfError, got ${String(err)}`);
  }
  throw new Error('expected an ElfError, nothing was thrown');
}

function sampleImage(): Uint8Array {
  const text = Uint8Array.from([0x1f, 0x20, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6]);
  const { symtab, strtab } = symbolTable([
    {
      name: 'local_thing',
      value: 0x400004n,
      size: 4n,
      type: STT_OBJECT,
      bind: STB_LOCAL,
      shndx: 1,
    },
    { name: '_start', value: 0x400000n, size: 8n, type: STT_FUNC, bind: STB_GLOBAL, shndx: 1 },
    {
      name: 'weak_fn',
      value: 0x400004n,
      size: 4n,
      type: STT_FUNC,
      bind: STB_WEAK,
      visibility: STV_HIDDEN,
      shndx: 1,
    },
    {
      name: 'abs_value',
      value: 0xffff_ffff_ffff_fff0n,
      size: 0n,
      type: 0,
      bind: STB_GLOBAL,
      shndx: SHN_ABS,
    },
  ]);
  return buildElf({
    type: ET_EXEC,
    machine: EM_AARCH64,
    entry: 0x400000n,
    sections: [
      { name: '.text', type: SHT_PROGBITS, data: text, flags: 6n, addr: 0x400000n, addralign: 4n },
      { name: '.bss', type: SHT_NOBITS, size: 0x2000, flags: 3n, addr: 0x410000n },
      { name: '.ksym', type: SHT_PROGBITS, data: new Uint8Array(32).fill(0xaa) },
      { name: '.symtab', type: SHT_SYMTAB, data: symtab, link: '.strtab', info: 2, entsize: 24 },
      { name: '.strtab', type: SHT_STRTAB, data: strtab },
      {
        name: '.rela.text',
        type: SHT_RELA,
        data: relocations([
          { offset: 4n, type: 283, symbol: 2, addend: -8n },
          { offset: 0n, type: 257, symbol: 1, addend: 0x10n },
        ]),
        link: '.symtab',
        info: '.text',
        entsize: 24,
      },
      {
        name: '.rel.text',
        type: SHT_REL,
        data: relocations([{ offset: 8n, type: 1, symbol: 3 }], true),
        link: '.symtab',
        info: '.text',
        entsize: 16,
      },
    ],
    segments: [
      { type: PT_LOAD, flags: PF_R | PF_X, vaddr: 0x400000n, section: '.text' },
      { type: PT_LOAD, flags: PF_R, vaddr: 0x410000n, section: '.bss', memsz: 0x2000 },
    ],
  });
}

describe('parseElf header and sections', () => {
  it('decodes the header, section names, ranges and views', () => {
    const bytes = sampleImage();
    const elf = parseElf(bytes);
    expect(elf.header.type).toBe(ET_EXEC);
    expect(elf.header.machine).toBe(EM_AARCH64);
    expect(elf.header.entry).toBe(0x400000n);
    expect(elf.sections.map((s) => s.name)).toEqual([
      '',
      '.text',
      '.bss',
      '.ksym',
      '.symtab',
      '.strtab',
      '.rela.text',
      '.rel.text',
      '.shstrtab',
    ]);
    const text = elf.sectionByName('.text')!;
    expect(text.addr).toBe(0x400000n);
    expect(text.flags).toBe(6n);
    expect(Array.from(text.data)).toEqual([0x1f, 0x20, 0x03, 0xd5, 0xc0, 0x03, 0x5f, 0xd6]);
    expect(text.data.buffer).toBe(bytes.buffer);
    const bss = elf.sectionByName('.bss')!;
    expect(bss.size).toBe(0x2000);
    expect(bss.data.length).toBe(0);
    expect(elf.sectionByName('.nope')).toBeUndefined();
    expect(elf.sectionsByType(SHT_STRTAB).map((s) => s.name)).toEqual(['.strtab', '.shstrtab']);
  });

  it('reads program headers with views of their file images', () => {
    const elf = parseElf(sampleImage());
    const [code, data] = elf.loadSegments();
    expect(code!.vaddr).toBe(0x400000n);
    expect(code!.flags).toBe(PF_R | PF_X);
    expect(code!.filesz).toBe(8);
    expect(code!.data[0]).toBe(0x1f);
    expect(data!.filesz).toBe(0);
    expect(data!.memsz).toBe(0x2000);
  });

  it('reads input at an odd byte offset inside a larger buffer without copying', () => {
    const image = sampleImage();
    const big = new Uint8Array(image.length + 3);
    big.set(image, 3);
    const view = big.subarray(3);
    const elf = parseElf(view);
    expect(elf.symbolByName('_start')!.value).toBe(0x400000n);
    expect(elf.sectionByName('.text')!.data.byteOffset).toBe(
      3 + elf.sectionByName('.text')!.offset,
    );
  });
});

describe('files without a section header table', () => {
  it('reads program headers when e_shoff is 0', () => {
    const bytes = sampleImage();
    const view = new DataView(bytes.buffer);
    view.setBigUint64(40, 0n, true);
    view.setUint16(60, 0, true);
    view.setUint16(62, 0, true);
    const elf = parseElf(bytes);
    expect(elf.sections).toHaveLength(0);
    expect(elf.symbols()).toEqual([]);
    expect(elf.relocationSections()).toEqual([]);
    expect(elf.loadSegments()).toHaveLength(2);
    expect(elf.loadSegments()[0]!.data[0]).toBe(0x1f);
  });

  it('rejects e_shstrndx without a section header table', () => {
    const bytes = sampleImage();
    new DataView(bytes.buffer).setBigUint64(40, 0n, true);
    const err = catchElf(() => parseElf(bytes));
    expect([err.code, err.offset]).toEqual(['BAD_HEADER', 62]);
  });
});

describe('symbols', () => {
  it('decodes name, value, size, type, bind, visibility and shndx', () => {
    const elf = parseElf(sampleImage());
    const symbols = elf.symbols();
    expect(symbols).toHaveLength(5);
    expect(symbols[0]!.name).toBe('');
    const weak = elf.symbolByName('weak_fn')!;
    expect(weak).toMatchObject({
      index: 3,
      value: 0x400004n,
      size: 4n,
      type: STT_FUNC,
      bind: STB_WEAK,
      visibility: STV_HIDDEN,
      shndx: 1,
    });
    expect(elf.symbolByName('abs_value')).toMatchObject({
      value: 0xffff_ffff_ffff_fff0n,
      shndx: SHN_ABS,
      bind: STB_GLOBAL,
    });
    expect(elf.symbolByName('local_thing')!.bind).toBe(STB_LOCAL);
    expect(elf.symbolByName('missing')).toBeUndefined();
    expect(elf.dynamicSymbolTable()).toBeUndefined();
    expect(elf.stringAt(elf.sectionByName('.strtab')!.index, weak.nameOffset)).toBe('weak_fn');
  });

  it('resolves SHN_XINDEX through an SHT_SYMTAB_SHNDX section', () => {
    const { symtab, strtab } = symbolTable([
      { name: 'far', value: 0x10n, shndx: 0xffff },
      { name: 'near', value: 0x20n, shndx: 1 },
    ]);
    const shndx = new Uint8Array(12);
    new DataView(shndx.buffer).setUint32(4, 2, true); // symbol #1 -> section 2
    const build = (table: Uint8Array, type = 18): Uint8Array =>
      buildElf({
        sections: [
          { name: '.text', type: SHT_PROGBITS, data: new Uint8Array(4) },
          { name: '.data', type: SHT_PROGBITS, data: new Uint8Array(4) },
          { name: '.symtab', type: SHT_SYMTAB, data: symtab, link: '.strtab', entsize: 24 },
          { name: '.strtab', type: SHT_STRTAB, data: strtab },
          { name: '.symtab_shndx', type, data: table, link: '.symtab', size: table.length },
        ],
      });
    const elf = parseElf(build(shndx));
    expect(elf.symbolByName('far')!.shndx).toBe(2);
    expect(elf.symbolByName('near')!.shndx).toBe(1);
    expect(code(tryCatch(() => parseElf(build(shndx.subarray(0, 4))).symbols()))).toBe(
      'BAD_SECTION',
    );
    // Without an SHT_SYMTAB_SHNDX section the escape value is kept as it is.
    expect(parseElf(build(shndx, SHT_NOBITS)).symbolByName('far')!.shndx).toBe(0xffff);
    const bad = shndx.slice();
    new DataView(bad.buffer).setUint32(4, 99, true);
    expect(code(tryCatch(() => parseElf(build(bad)).symbols()))).toBe('BAD_SYMBOL');
  });

  it('rejects a symbol whose name offset is outside the string table', () => {
    const bytes = sampleImage();
    const elf = parseElf(bytes);
    const symtab = elf.sectionByName('.symtab')!;
    new DataView(bytes.buffer).setUint32(symtab.offset + 24 * 2, 0xffff, true);
    const err = catchElf(() => parseElf(bytes).symbols());
    expect(err.code).toBe('BAD_STRING');
    expect(err.section).toBe(elf.sectionByName('.strtab')!.index);
  });

  it('rejects a symbol with a section index past the table', () => {
    const bytes = sampleImage();
    const symtab = parseElf(bytes).sectionByName('.symtab')!;
    new DataView(bytes.buffer).setUint16(symtab.offset + 24 + 6, 200, true);
    const err = catchElf(() => parseElf(bytes).symbols());
    expect(err.code).toBe('BAD_SYMBOL');
    expect(err.offset).toBe(symtab.offset + 24 + 6);
  });

  it('rejects a string table whose last string has no NUL', () => {
    const bytes = sampleImage();
    const strtab = parseElf(bytes).sectionByName('.strtab')!;
    bytes[strtab.offset + strtab.size - 1] = 0x41;
    expect(code(tryCatch(() => parseElf(bytes).symbols()))).toBe('BAD_STRING');
  });
});

function tryCatch(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('relocations', () => {
  it('decodes RELA and REL entries with their target and symbol table', () => {
    const elf = parseElf(sampleImage());
    const [rela, rel] = elf.relocationSections();
    expect(rela!.kind).toBe('rela');
    expect(rela!.targetSection).toBe(elf.sectionByName('.text')!.index);
    expect(rela!.symbolTableSection).toBe(elf.sectionByName('.symtab')!.index);
    expect(rela!.entries.map((e) => [e.offset, e.type, e.symbolIndex, e.addend])).toEqual([
      [4n, 283, 2, -8n],
      [0n, 257, 1, 0x10n],
    ]);
    expect(rel!.kind).toBe('rel');
    expect(rel!.entries).toEqual([{ index: 0, offset: 8n, type: 1, symbolIndex: 3, addend: 0n }]);
  });

  it('rejects a relocation whose symbol index is past its table', () => {
    const bytes = sampleImage();
    const rela = parseElf(bytes).sectionByName('.rela.text')!;
    new DataView(bytes.buffer).setUint32(rela.offset + 12, 99, true);
    const err = catchElf(() => parseElf(bytes).relocationSections());
    expect(err.code).toBe('BAD_RELOCATION');
    expect(err.offset).toBe(rela.offset + 12);
  });

  it('rejects a relocation section with a wrong entry size', () => {
    const bytes = sampleImage();
    const rela = parseElf(bytes).sectionByName('.rela.text')!;
    new DataView(bytes.buffer).setBigUint64(rela.headerOffset + 56, 16n, true);
    const err = catchElf(() => parseElf(bytes).relocationSectionAt(rela.index));
    expect(err.code).toBe('BAD_SECTION');
    expect(err.offset).toBe(rela.headerOffset + 56);
  });
});

describe('rejections', () => {
  it('rejects bad magic, 32-bit, big-endian and wrong versions with the field offset', () => {
    const cases: [Record<number, number>, string, number][] = [
      [{ 1: 0x46 }, 'BAD_MAGIC', 0],
      [{ 4: 1 }, 'UNSUPPORTED_CLASS', 4],
      [{ 4: 0 }, 'UNSUPPORTED_CLASS', 4],
      [{ 5: 2 }, 'UNSUPPORTED_ENDIANNESS', 5],
      [{ 6: 0 }, 'UNSUPPORTED_VERSION', 6],
    ];
    for (const [ident, expected, offset] of cases) {
      const err = catchElf(() => parseElf(buildElf({ sections: [], ident })));
      expect([err.code, err.offset]).toEqual([expected, offset]);
    }
  });

  it('rejects a section whose content runs past the end of the file', () => {
    const bytes = sampleImage();
    const text = parseElf(bytes).sectionByName('.text')!;
    new DataView(bytes.buffer).setBigUint64(text.headerOffset + 32, BigInt(bytes.length), true);
    const err = catchElf(() => parseElf(bytes));
    expect(err.code).toBe('TRUNCATED');
    expect(err.section).toBe(text.index);
  });

  it('rejects sizes that do not fit a safe integer', () => {
    const bytes = sampleImage();
    const text = parseElf(bytes).sectionByName('.text')!;
    new DataView(bytes.buffer).setBigUint64(text.headerOffset + 32, 0xffff_ffff_ffff_0000n, true);
    const err = catchElf(() => parseElf(bytes));
    expect([err.code, err.offset]).toEqual(['VALUE_TOO_LARGE', text.headerOffset + 32]);
  });

  it('rejects e_shstrndx past the section count and a bad e_shentsize', () => {
    const a = sampleImage();
    new DataView(a.buffer).setUint16(62, 50, true);
    expect([catchElf(() => parseElf(a)).code, catchElf(() => parseElf(a)).offset]).toEqual([
      'BAD_HEADER',
      62,
    ]);
    const b = sampleImage();
    new DataView(b.buffer).setUint16(58, 40, true);
    expect(catchElf(() => parseElf(b)).code).toBe('BAD_HEADER');
  });

  it('rejects a PT_LOAD whose file size is above its memory size', () => {
    const bytes = sampleImage();
    new DataView(bytes.buffer).setBigUint64(64 + 40, 1n, true);
    const err = catchElf(() => parseElf(bytes));
    expect([err.code, err.offset]).toEqual(['BAD_PROGRAM_HEADER', 64 + 32]);
  });

  it('gives an ElfError for every truncation of a built image', () => {
    const bytes = sampleImage();
    for (let n = 0; n < bytes.length; n++) {
      const err = catchElf(() => {
        const elf = parseElf(bytes.subarray(0, n));
        elf.symbols();
        elf.relocationSections();
      });
      expect(err.offset).toBeLessThanOrEqual(n);
    }
  });
});

describe('replaceSectionData', () => {
  it('writes new content in place and fills the rest', () => {
    const bytes = sampleImage();
    const before = bytes.length;
    const result = replaceSectionData(bytes, '.ksym', Uint8Array.from([1, 2, 3]));
    expect(result).toMatchObject({ written: 3, filled: 29, size: 32 });
    expect(bytes.length).toBe(before);
    const data = parseElf(bytes).sectionByName('.ksym')!.data;
    expect(Array.from(data.subarray(0, 5))).toEqual([1, 2, 3, 0, 0]);
    expect(data.every((b, i) => i < 3 || b === 0)).toBe(true);
    expect(parseElf(bytes).sectionByName('.text')!.data[0]).toBe(0x1f);
  });

  it('shrinks sh_size when asked', () => {
    const bytes = sampleImage();
    replaceSectionData(bytes, '.ksym', Uint8Array.from([9, 9]), { setSize: true });
    expect(parseElf(bytes).sectionByName('.ksym')!.size).toBe(2);
  });

  it('refuses content larger than the section, a NOBITS section and a missing section', () => {
    const bytes = sampleImage();
    const copy = bytes.slice();
    expect(code(tryCatch(() => replaceSectionData(bytes, '.ksym', new Uint8Array(33))))).toBe(
      'CONTENT_TOO_LARGE',
    );
    expect(code(tryCatch(() => replaceSectionData(bytes, '.bss', new Uint8Array(1))))).toBe(
      'CONTENT_TOO_LARGE',
    );
    expect(code(tryCatch(() => replaceSectionData(bytes, '.nope', new Uint8Array(1))))).toBe(
      'SECTION_NOT_FOUND',
    );
    expect(code(tryCatch(() => replaceSectionData(bytes, 99, new Uint8Array(1))))).toBe(
      'SECTION_NOT_FOUND',
    );
    expect(bytes).toEqual(copy);
  });
});

describe('program headers without a file image', () => {
  it('accept a bss-only PT_LOAD whose offset lies past the end of the file', async () => {
    const { parseElf } = await import('../src/elf/index.js');
    const { readFileSync } = await import('node:fs');
    const image = new Uint8Array(
      readFileSync(new URL('../../axvisor-vmm/guests/hello/guest.elf', import.meta.url)),
    );
    const copy = image.slice();
    const view = new DataView(copy.buffer);
    const phoff = Number(view.getBigUint64(32, true));
    // make the first program header a bss-only segment placed beyond the end of the file
    view.setBigUint64(phoff + 8, BigInt(copy.length + 0x10000), true); // p_offset
    view.setBigUint64(phoff + 32, 0n, true); // p_filesz
    const seg = parseElf(copy).programHeaders[0]!;
    expect(seg.filesz).toBe(0);
    expect(seg.data.length).toBe(0);
  });
});
