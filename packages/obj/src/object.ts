// SPDX-License-Identifier: MIT
// The eBPF object loader: programs, maps and global data from a clang-built ELF object, and
// the linking of one program (BPF-to-BPF calls, map relocations).
import {
  ElfError,
  EM_BPF,
  ET_REL,
  parseElf,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHN_UNDEF,
  SHT_NOBITS,
  STT_FUNC,
  STT_SECTION,
} from './elf/index.js';
import type { ElfFile, ElfSection, ElfSymbol } from './elf/index.js';
import { Btf, BTF_KIND } from './btf.js';
import { parseLineInfo } from './btf-ext.js';
import type { SourceLine } from './btf-ext.js';
import { ObjError } from './errors.js';
import type { ProgramKind } from './section-kind.js';
import { sectionKind } from './section-kind.js';

/** `R_BPF_64_64`: `ld_imm64` of a map or a data address. */
export const R_BPF_64_64 = 1;
/** `R_BPF_64_ABS64`: DWARF only. */
export const R_BPF_64_ABS64 = 2;
/** `R_BPF_64_ABS32`: DWARF and `.BTF` only. */
export const R_BPF_64_ABS32 = 3;
/** `R_BPF_64_NODYLD32`: `.BTF`/`.BTF.ext` only. */
export const R_BPF_64_NODYLD32 = 4;
/** `R_BPF_64_32`: BPF-to-BPF call. */
export const R_BPF_64_32 = 10;

/** `BPF_MAP_TYPE_ARRAY`, the type of global data maps. */
export const BPF_MAP_TYPE_ARRAY = 2;
/** `BPF_F_RDONLY_PROG`: set on `.rodata` maps. */
export const BPF_F_RDONLY_PROG = 1 << 7;
/** `BPF_F_MMAPABLE`: set on global data maps. */
export const BPF_F_MMAPABLE = 1 << 10;

/** Largest global data section accepted (64 MiB; Linux caps array values far lower). */
const MAX_DATA_SECTION = 1 << 26;
const PSEUDO_CALL = 1;
const PSEUDO_MAP_FD = 1;
const PSEUDO_MAP_VALUE = 2;
const PSEUDO_FUNC = 4;
const OP_CALL = 0x85;
const OP_LDDW = 0x18;

/**
 * What a map of an object needs (from its BTF or legacy definition, or a global data section).
 * The same shape as `ObjectMapDefinition` of the `axebpf` runtime.
 */
export interface MapDefinition {
  /** Map name in the object (`counts`, or the section name `.rodata` for global data). */
  name: string;
  /** `BPF_MAP_TYPE_*`. */
  mapType: number;
  /** Key size in bytes (0 when the map type has no key, e.g. ringbuf). */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** Entries. */
  maxEntries: number;
  /** `BPF_F_*` flags. */
  mapFlags: number;
  /** Initial value of entry 0 (global data sections; zeros for `.bss`). */
  initialValue?: Uint8Array;
  /** Freeze after initialisation (`.rodata*`). */
  frozen?: boolean;
  /** Where the definition came from. */
  origin: 'btf' | 'legacy' | 'data';
  /** ELF section of the definition. */
  section: string;
}

/**
 * Creates a map for a definition and returns its handle (a bpf() file descriptor): the
 * contract between the loader and a map implementation such as `@axebpf/kbpf-basic`.
 */
export type MapFactory = (definition: MapDefinition) => number;

/** A function (program or subprogram) in an executable section. */
export interface ObjFunction {
  /** Symbol name. */
  name: string;
  /** Section name. */
  section: string;
  /** Section index. */
  sectionIndex: number;
  /** First instruction (index in the section). */
  start: number;
  /** Length in instructions (8-byte slots). */
  length: number;
  /** Whether the symbol is global. */
  isGlobal: boolean;
}

/** A program of an object: a function in a program section. */
export interface ObjProgram {
  /** Function name. */
  name: string;
  /** Section name (the SEC() string). */
  section: string;
  /** Program kind from the section name. */
  kind: ProgramKind;
  /** Attach target from the section name (`vmm/vcpu_run_exit`). */
  attachTo: string;
  /** The function. */
  fn: ObjFunction;
}

/** A linked program: bytecode whose pseudo `lddw`s refer to map fds. */
export interface LinkedProgram {
  /** Function name. */
  name: string;
  /** Section name. */
  section: string;
  /** Program kind. */
  kind: ProgramKind;
  /** Attach target. */
  attachTo: string;
  /**
   * Relocated bytecode: the function, then the subprograms it calls. Map references are
   * `lddw` with `src` 1 (`imm` = fd) and value references `src` 2 (`imm` = fd, second `imm` =
   * offset in the value), as the kernel's bpf() expects.
   */
  bytecode: Uint8Array;
  /** Where each function starts in `bytecode` (instruction index). */
  functions: { name: string; start: number }[];
}

/** Result of {@link loadObject}. */
export interface LoadedObject {
  /** Licence string from the `license` section ('' without one). */
  license: string;
  /** Maps created, in object order. */
  maps: { name: string; fd: number; definition: MapDefinition }[];
  /** Every program, linked. */
  programs: LinkedProgram[];
}

interface Reloc {
  type: number;
  symbol: ElfSymbol;
  offset: number;
}

function wrapElf<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (ElfError.isInstance(error)) {
      throw new ObjError({
        code: 'INVALID_ELF',
        message: `invalid elf: ${error.message}`,
        offset: error.offset,
        cause: error,
      });
    }
    throw error;
  }
}

function isDataSection(s: ElfSection): boolean {
  if ((Number(s.flags) & SHF_ALLOC) === 0 || (Number(s.flags) & SHF_EXECINSTR) !== 0) return false;
  const n = s.name;
  return (
    n === '.data' ||
    n === '.bss' ||
    n === '.rodata' ||
    n.startsWith('.data.') ||
    n.startsWith('.bss.') ||
    n.startsWith('.rodata.')
  );
}

/**
 * A parsed eBPF object file: its programs, functions, map definitions, licence and BTF.
 *
 * @example
 * ```ts
 * import { EbpfObject } from '@axebpf/obj';
 * const obj = EbpfObject.parse(readFileSync('probe.bpf.o'));
 * obj.programs.map((p) => `${p.kind} ${p.attachTo} ${p.name}`);
 * const fds = new Map(obj.maps.map((m) => [m.name, createMap(m)]));
 * const linked = obj.link('on_exit', (m) => fds.get(m.name)!);
 * ```
 */
export class EbpfObject {
  /** The ELF file. */
  readonly elf: ElfFile;
  /** Licence string ('' without a `license` section). */
  readonly license: string;
  /** Parsed `.BTF` with DATASECs fixed up, or undefined (object built without `-g`). */
  readonly btf: Btf | undefined;
  /** Programs in section order. */
  readonly programs: ObjProgram[];
  /** All functions (programs and `.text` subprograms). */
  readonly functions: ObjFunction[];
  /** Map definitions: BTF `.maps`, legacy `maps`, then global data sections. */
  readonly maps: MapDefinition[];
  readonly #mapAt = new Map<string, MapDefinition>();
  readonly #relocs = new Map<number, Map<number, Reloc>>();
  readonly #functionsBySection = new Map<number, ObjFunction[]>();
  #lines: Map<string, SourceLine[]> | undefined;

  private constructor(elf: ElfFile) {
    this.elf = elf;
    const h = elf.header;
    if (h.machine !== EM_BPF || h.type !== ET_REL) {
      throw new ObjError({
        code: 'WRONG_MACHINE',
        message: `not a relocatable eBPF object (e_machine \`${h.machine}\`, e_type \`${h.type}\`; expected \`${EM_BPF}\` and \`${ET_REL}\`)`,
        offset: 16,
      });
    }
    const lic = elf.sectionByName('license');
    this.license =
      lic === undefined
        ? ''
        : new TextDecoder().decode(
            lic.data.subarray(0, lic.data.indexOf(0) < 0 ? lic.data.length : lic.data.indexOf(0)),
          );
    const btfSection = elf.sectionByName('.BTF');
    const symbols = elf.symbolTable() === undefined ? [] : elf.symbols();
    this.btf = btfSection === undefined ? undefined : Btf.parse(btfSection.data);
    this.btf?.fixupDatasecs(
      (name) => elf.sectionByName(name)?.size,
      (section, name) => {
        const s = elf.sectionByName(section);
        const sym =
          s === undefined ? undefined : symbols.find((x) => x.shndx === s.index && x.name === name);
        return sym === undefined ? undefined : Number(sym.value);
      },
    );
    this.functions = this.#readFunctions(symbols);
    this.programs = this.functions
      .filter((f) => f.section !== '.text')
      .map((fn) => ({ name: fn.name, section: fn.section, ...sectionKind(fn.section), fn }));
    this.maps = [
      ...this.#readBtfMaps(symbols),
      ...this.#readLegacyMaps(symbols),
      ...this.#readDataMaps(),
    ];
    this.#readRelocations();
  }

  /**
   * Parses an object file.
   * @param bytes - the `.o` file (any alignment; not copied).
   * @returns the object.
   * @throws {ObjError} for anything malformed (`INVALID_ELF` wraps the reader's {@link "@axebpf/obj/elf".ElfError}).
   */
  static parse(bytes: Uint8Array): EbpfObject {
    return wrapElf(() => new EbpfObject(parseElf(bytes)));
  }

  #readFunctions(symbols: readonly ElfSymbol[]): ObjFunction[] {
    const out: ObjFunction[] = [];
    for (const section of this.elf.sections) {
      if ((Number(section.flags) & SHF_EXECINSTR) === 0 || section.size === 0) continue;
      if (section.size % 8 !== 0 || section.data.length !== section.size) {
        throw new ObjError({
          code: 'INVALID_PROGRAM',
          message: `section size \`${section.size}\` is not a multiple of 8 or has no file contents`,
          section: section.name,
          offset: section.offset,
        });
      }
      const fns: ObjFunction[] = [];
      for (const sym of symbols) {
        if (sym.shndx !== section.index || sym.type !== STT_FUNC) continue;
        const value = Number(sym.value),
          size = Number(sym.size);
        if (
          value % 8 !== 0 ||
          size % 8 !== 0 ||
          value + size > section.size ||
          value >= section.size
        ) {
          throw new ObjError({
            code: 'INVALID_PROGRAM',
            message: `function \`${sym.name}\` at \`0x${value.toString(16)}\` size \`${size}\` does not fit its section`,
            section: section.name,
            symbol: sym.name,
            offset: value,
          });
        }
        fns.push({
          name: sym.name,
          section: section.name,
          sectionIndex: section.index,
          start: value / 8,
          length: size / 8,
          isGlobal: sym.bind === 1,
        });
      }
      fns.sort((a, b) => a.start - b.start);
      // Hand-made objects (e.g. bpf_conformance's) may leave st_size 0: such a function runs to
      // the next function or the end of the section.
      for (let i = 0; i < fns.length; i++) {
        const f = fns[i]!;
        if (f.length === 0)
          f.length =
            (fns.slice(i + 1).find((g) => g.start > f.start)?.start ?? section.size / 8) - f.start;
      }
      this.#functionsBySection.set(section.index, fns);
      out.push(...fns);
    }
    return out;
  }

  #readBtfMaps(symbols: readonly ElfSymbol[]): MapDefinition[] {
    const section = this.elf.sectionByName('.maps');
    if (section === undefined) return [];
    const btf = this.btf;
    const datasec = btf?.typeByName('.maps', BTF_KIND.DATASEC);
    if (btf === undefined || datasec === undefined) {
      throw new ObjError({
        code: 'INVALID_MAP',
        message: 'btf-defined maps need `.BTF` with a `.maps` datasec (compile with -g)',
        section: '.maps',
      });
    }
    const out: MapDefinition[] = [];
    for (const sym of symbols) {
      if (sym.shndx !== section.index || sym.type === STT_SECTION || sym.name === '') continue;
      const fail = (message: string): never => {
        throw new ObjError({
          code: 'INVALID_MAP',
          message,
          section: '.maps',
          symbol: sym.name,
          offset: Number(sym.value),
        });
      };
      const member = datasec.members.find((m) => m.name === sym.name);
      if (member === undefined) fail(`map \`${sym.name}\` has no var in the \`.maps\` datasec`);
      const v = btf.type(member!.type, datasec.id);
      const def = btf.resolve(v.kind === BTF_KIND.VAR ? v.sizeOrType : v.id);
      if (def.kind !== BTF_KIND.STRUCT) fail(`map \`${sym.name}\` is not a struct`);
      const d: MapDefinition = {
        name: sym.name,
        mapType: 0,
        keySize: 0,
        valueSize: 0,
        maxEntries: 0,
        mapFlags: 0,
        origin: 'btf',
        section: '.maps',
      };
      for (const m of def.members) {
        const number = (): number => {
          const p = btf.resolve(m.type);
          const a = p.kind === BTF_KIND.PTR ? btf.resolve(p.sizeOrType) : undefined;
          if (a?.kind !== BTF_KIND.ARRAY)
            return fail(`map \`${sym.name}\` field \`${m.name}\` is not an __uint()`);
          return a.array!.nelems;
        };
        const pointee = (): number => {
          const p = btf.resolve(m.type);
          if (p.kind !== BTF_KIND.PTR)
            return fail(`map \`${sym.name}\` field \`${m.name}\` is not a __type()`);
          return btf.sizeOf(p.sizeOrType);
        };
        switch (m.name) {
          case 'type':
            d.mapType = number();
            break;
          case 'max_entries':
            d.maxEntries = number();
            break;
          case 'map_flags':
            d.mapFlags = number();
            break;
          case 'key_size':
            d.keySize = number();
            break;
          case 'value_size':
            d.valueSize = number();
            break;
          case 'key':
            d.keySize = pointee();
            break;
          case 'value':
            d.valueSize = pointee();
            break;
          default:
            break; // pinning, numa_node, values: ignored
        }
      }
      this.#mapAt.set(`${section.index}:${sym.value}`, d);
      out.push(d);
    }
    return out;
  }

  #readLegacyMaps(symbols: readonly ElfSymbol[]): MapDefinition[] {
    const section = this.elf.sectionByName('maps');
    if (section === undefined) return [];
    const syms = symbols.filter(
      (s) => s.shndx === section.index && s.type !== STT_SECTION && s.name !== '',
    );
    if (syms.length === 0) return [];
    const defSize = Math.floor(section.size / syms.length);
    const view = new DataView(
      section.data.buffer,
      section.data.byteOffset,
      section.data.byteLength,
    );
    const out: MapDefinition[] = [];
    for (const sym of syms) {
      const at = Number(sym.value);
      if (defSize < 16 || at + Math.min(defSize, 20) > section.data.length) {
        throw new ObjError({
          code: 'INVALID_MAP',
          message: `legacy map \`${sym.name}\` at \`0x${at.toString(16)}\` does not fit the \`maps\` section`,
          section: 'maps',
          symbol: sym.name,
          offset: at,
        });
      }
      const d: MapDefinition = {
        name: sym.name,
        mapType: view.getUint32(at, true),
        keySize: view.getUint32(at + 4, true),
        valueSize: view.getUint32(at + 8, true),
        maxEntries: view.getUint32(at + 12, true),
        mapFlags: defSize >= 20 ? view.getUint32(at + 16, true) : 0,
        origin: 'legacy',
        section: 'maps',
      };
      this.#mapAt.set(`${section.index}:${sym.value}`, d);
      out.push(d);
    }
    return out;
  }

  #readDataMaps(): MapDefinition[] {
    const out: MapDefinition[] = [];
    for (const s of this.elf.sections) {
      if (!isDataSection(s) || s.size === 0) continue;
      if (s.size > MAX_DATA_SECTION) {
        throw new ObjError({
          code: 'INVALID_MAP',
          message: `global data section of \`${s.size}\` bytes is larger than the \`${MAX_DATA_SECTION}\`-byte limit`,
          section: s.name,
          offset: s.headerOffset,
        });
      }
      const frozen = s.name === '.rodata' || s.name.startsWith('.rodata.');
      const d: MapDefinition = {
        name: s.name,
        mapType: BPF_MAP_TYPE_ARRAY,
        keySize: 4,
        valueSize: s.size,
        maxEntries: 1,
        mapFlags: BPF_F_MMAPABLE | (frozen ? BPF_F_RDONLY_PROG : 0),
        initialValue: s.type === SHT_NOBITS ? new Uint8Array(s.size) : new Uint8Array(s.data),
        frozen,
        origin: 'data',
        section: s.name,
      };
      this.#mapAt.set(`data:${s.index}`, d);
      out.push(d);
    }
    return out;
  }

  #readRelocations(): void {
    for (const rs of this.elf.relocationSections()) {
      const target = this.elf.section(rs.targetSection);
      if ((Number(target.flags) & SHF_EXECINSTR) === 0) continue; // .BTF, .BTF.ext, DWARF: not ours
      const symtab = this.elf.symbolTableAt(rs.symbolTableSection).symbols;
      const byInsn = new Map<number, Reloc>();
      for (const r of rs.entries) {
        const offset = Number(r.offset);
        const symbol = symtab[r.symbolIndex];
        const symbolName =
          symbol === undefined
            ? `#${r.symbolIndex}`
            : symbol.type === STT_SECTION
              ? (this.elf.sections[symbol.shndx]?.name ?? '')
              : symbol.name;
        if (r.type !== R_BPF_64_64 && r.type !== R_BPF_64_32) {
          throw new ObjError({
            code: 'UNKNOWN_RELOCATION',
            message: `unknown relocation type \`${r.type}\` against \`${symbolName}\` at \`0x${offset.toString(16)}\` in \`${target.name}\``,
            section: target.name,
            symbol: symbolName,
            offset,
          });
        }
        if (symbol === undefined || offset % 8 !== 0 || offset + 8 > target.size) {
          throw new ObjError({
            code: 'INVALID_RELOCATION',
            message: `relocation against \`${symbolName}\` at \`0x${offset.toString(16)}\` in \`${target.name}\` is out of range`,
            section: target.name,
            symbol: symbolName,
            offset,
          });
        }
        byInsn.set(offset / 8, { type: r.type, symbol, offset });
      }
      this.#relocs.set(target.index, byInsn);
    }
  }

  /**
   * The C source line of an instruction, from `.BTF.ext` line info (objects built with `-g`).
   * @param section - program section name (or `.text`).
   * @param insnOffset - byte offset of the instruction in the section.
   * @returns the nearest line record at or before the instruction, or undefined.
   * @throws {ObjError} `INVALID_BTF` for a malformed `.BTF.ext`.
   */
  sourceLine(section: string, insnOffset: number): SourceLine | undefined {
    if (this.#lines === undefined) {
      const ext = this.elf.sectionByName('.BTF.ext');
      this.#lines =
        ext === undefined || this.btf === undefined ? new Map() : parseLineInfo(ext.data, this.btf);
    }
    let found: SourceLine | undefined;
    for (const r of this.#lines.get(section) ?? []) {
      if (r.insnOffset > insnOffset) break;
      found = r;
    }
    return found;
  }

  /**
   * The C source line of an instruction of a linked program (e.g. the `pc` of a `VmError`).
   * @param linked - a program from {@link EbpfObject.link}.
   * @param pc - instruction index in `linked.bytecode`.
   * @returns the line record, or undefined (no line info, or pc outside the program).
   * @throws {ObjError} `INVALID_BTF` for a malformed `.BTF.ext`.
   */
  sourceLineOf(linked: LinkedProgram, pc: number): SourceLine | undefined {
    let placed: { name: string; start: number } | undefined;
    for (const f of linked.functions)
      if (f.start <= pc && (placed === undefined || f.start > placed.start)) placed = f;
    const fn =
      placed === undefined ? undefined : this.functions.find((f) => f.name === placed!.name);
    if (fn === undefined || pc - placed!.start >= fn.length) return undefined;
    return this.sourceLine(fn.section, (fn.start + pc - placed!.start) * 8);
  }

  /** ` (file:line: text)` for messages; empty when unknown or the line info is malformed. */
  #at(section: string, offset: number): string {
    try {
      const l = this.sourceLine(section, offset);
      return l === undefined ? '' : ` (${l.file}:${l.line}: ${l.text})`;
    } catch {
      return '';
    }
  }

  /**
   * Finds a program by name.
   * @param name - function name.
   * @throws {ObjError} `PROGRAM_NOT_FOUND`
   */
  program(name: string): ObjProgram {
    const p = this.programs.find((x) => x.name === name);
    if (p === undefined)
      throw new ObjError({
        code: 'PROGRAM_NOT_FOUND',
        message: `no program \`${name}\` in the object`,
        symbol: name,
      });
    return p;
  }

  /**
   * Links one function into a standalone program: copies it, appends every subprogram it
   * calls (transitively), fixes call offsets and rewrites map and data references to pseudo
   * `lddw` with the fds given.
   * @param name - a program name, or any function name (e.g. `main` in `.text`).
   * @param fdOf - the fd of a map definition (from {@link EbpfObject.maps}); called once per
   *   definition the program uses, however many instructions refer to it.
   * @returns the linked program.
   * @throws {ObjError} `UNKNOWN_SYMBOL`, `INVALID_RELOCATION`, `UNKNOWN_FUNCTION`, `PROGRAM_NOT_FOUND`.
   */
  link(name: string, fdOf: (definition: MapDefinition) => number): LinkedProgram {
    // One map per definition, whatever the number of references: every `lddw` of a global
    // data section must name the same map value (Linux: one section is one map value). A
    // factory that creates a map per call used to give each reference its own copy.
    const fds = new Map<MapDefinition, number>();
    const factory = fdOf;
    fdOf = (d) => {
      let fd = fds.get(d);
      if (fd === undefined) {
        fd = factory(d);
        fds.set(d, fd);
      }
      return fd;
    };
    const fn = this.functions.find((f) => f.name === name);
    if (fn === undefined)
      throw new ObjError({
        code: 'PROGRAM_NOT_FOUND',
        message: `no function \`${name}\` in the object`,
        symbol: name,
      });
    const program = this.programs.find((p) => p.fn === fn);
    const placed = new Map<ObjFunction, number>();
    const order: ObjFunction[] = [];
    let total = 0;
    const place = (f: ObjFunction): number => {
      let base = placed.get(f);
      if (base === undefined) {
        base = total;
        placed.set(f, base);
        order.push(f);
        total += f.length;
      }
      return base;
    };
    place(fn);
    const copies: Uint8Array[] = [];
    for (let i = 0; i < order.length; i++) {
      const f = order[i]!;
      const section = this.elf.sections[f.sectionIndex]!;
      // A copy (Buffer.prototype.slice would share memory with the input).
      const code = new Uint8Array(section.data.subarray(f.start * 8, (f.start + f.length) * 8));
      const view = new DataView(code.buffer);
      const relocs = this.#relocs.get(f.sectionIndex);
      const base = placed.get(f)!;
      for (let j = 0; j < f.length; j++) {
        const opcode = code[j * 8]!;
        const src = code[j * 8 + 1]! >> 4;
        const reloc = relocs?.get(f.start + j);
        const where = (f.start + j) * 8;
        if (opcode === OP_CALL && src === PSEUDO_CALL) {
          const target = this.#callTarget(f, j, view.getInt32(j * 8 + 4, true), reloc);
          const targetBase = place(target.fn);
          view.setInt32(
            j * 8 + 4,
            targetBase + (target.insn - target.fn.start) - (base + j) - 1,
            true,
          );
        } else if (opcode === OP_LDDW) {
          if (j + 1 >= f.length) {
            throw new ObjError({
              code: 'INVALID_PROGRAM',
              message: `\`lddw\` at the end of \`${f.name}\``,
              section: f.section,
              symbol: f.name,
              offset: where,
            });
          }
          if (reloc !== undefined) {
            if (reloc.type !== R_BPF_64_64) this.#badReloc(f, reloc, 'lddw');
            const sym = reloc.symbol;
            const symSection = this.elf.sections[sym.shndx];
            const symName = sym.type === STT_SECTION ? (symSection?.name ?? '') : sym.name;
            const addend = view.getInt32(j * 8 + 4, true);
            const map = this.#mapAt.get(`${sym.shndx}:${sym.value}`);
            if (sym.shndx === SHN_UNDEF || symSection === undefined) {
              throw new ObjError({
                code: 'UNKNOWN_SYMBOL',
                message: `\`${f.section}\` refers to undefined symbol \`${symName}\` (extern symbols are not supported)${this.#at(f.section, reloc.offset)}`,
                section: f.section,
                symbol: symName,
                offset: reloc.offset,
              });
            } else if (map !== undefined && map.origin !== 'data') {
              code[j * 8 + 1] = (code[j * 8 + 1]! & 0x0f) | (PSEUDO_MAP_FD << 4);
              view.setInt32(j * 8 + 4, fdOf(map), true);
              view.setInt32(j * 8 + 12, 0, true);
            } else if (this.#mapAt.has(`data:${sym.shndx}`)) {
              const data = this.#mapAt.get(`data:${sym.shndx}`)!;
              code[j * 8 + 1] = (code[j * 8 + 1]! & 0x0f) | (PSEUDO_MAP_VALUE << 4);
              view.setInt32(j * 8 + 4, fdOf(data), true);
              view.setInt32(
                j * 8 + 12,
                (sym.type === STT_SECTION ? 0 : Number(sym.value)) + addend,
                true,
              );
            } else if ((Number(symSection.flags) & SHF_EXECINSTR) !== 0) {
              // lddw of a function address (callbacks): BPF_PSEUDO_FUNC, imm relative like a call.
              const target = this.#functionAt(
                sym.shndx,
                (sym.type === STT_SECTION ? 0 : Number(sym.value) / 8) + addend / 8,
                f,
                reloc,
              );
              const targetBase = place(target.fn);
              code[j * 8 + 1] = (code[j * 8 + 1]! & 0x0f) | (PSEUDO_FUNC << 4);
              view.setInt32(
                j * 8 + 4,
                targetBase + (target.insn - target.fn.start) - (base + j) - 1,
                true,
              );
            } else {
              throw new ObjError({
                code: 'UNKNOWN_SYMBOL',
                message: `\`lddw\` in \`${f.section}\` refers to \`${symName}\` in \`${symSection.name}\`, which is neither a map nor global data`,
                section: f.section,
                symbol: symName,
                offset: reloc.offset,
              });
            }
          }
          j++;
        } else if (reloc !== undefined) {
          this.#badReloc(f, reloc, `opcode 0x${opcode.toString(16)}`);
        }
      }
      copies.push(code);
    }
    const bytecode = new Uint8Array(total * 8);
    for (let i = 0; i < order.length; i++) bytecode.set(copies[i]!, placed.get(order[i]!)! * 8);
    return {
      name: fn.name,
      section: fn.section,
      kind: program?.kind ?? 'unspecified',
      attachTo: program?.attachTo ?? '',
      bytecode,
      functions: order.map((f) => ({ name: f.name, start: placed.get(f)! })),
    };
  }

  #badReloc(f: ObjFunction, reloc: Reloc, what: string): never {
    throw new ObjError({
      code: 'INVALID_RELOCATION',
      message: `relocation type \`${reloc.type}\` against \`${reloc.symbol.name}\` on ${what} at \`0x${reloc.offset.toString(16)}\` in \`${f.section}\`${this.#at(f.section, reloc.offset)}`,
      section: f.section,
      symbol: reloc.symbol.name,
      offset: reloc.offset,
    });
  }

  #callTarget(
    f: ObjFunction,
    j: number,
    imm: number,
    reloc: Reloc | undefined,
  ): { fn: ObjFunction; insn: number } {
    if (reloc === undefined)
      return this.#functionAt(f.sectionIndex, f.start + j + imm + 1, f, undefined);
    if (reloc.type !== R_BPF_64_32) this.#badReloc(f, reloc, 'call');
    const sym = reloc.symbol;
    if (sym.shndx === SHN_UNDEF) {
      throw new ObjError({
        code: 'UNKNOWN_SYMBOL',
        message: `call in \`${f.section}\` to undefined function \`${sym.name}\`${this.#at(f.section, reloc.offset)}`,
        section: f.section,
        symbol: sym.name,
        offset: reloc.offset,
      });
    }
    return this.#functionAt(sym.shndx, Number(sym.value) / 8 + imm + 1, f, reloc);
  }

  #functionAt(
    sectionIndex: number,
    insn: number,
    from: ObjFunction,
    reloc: Reloc | undefined,
  ): { fn: ObjFunction; insn: number } {
    const fns = this.#functionsBySection.get(sectionIndex) ?? [];
    const fn = fns.find((x) => insn >= x.start && insn < x.start + x.length);
    if (fn === undefined) {
      const sectionName = this.elf.sections[sectionIndex]?.name ?? `#${sectionIndex}`;
      throw new ObjError({
        code: 'UNKNOWN_FUNCTION',
        message: `call from \`${from.name}\` to instruction \`${insn}\` of \`${sectionName}\`, which is in no function`,
        section: from.section,
        symbol: reloc?.symbol.name ?? from.name,
        offset: reloc?.offset,
      });
    }
    return { fn, insn };
  }
}

/**
 * Loads an object: creates every map through `createMap` (global data with its initial value,
 * `.rodata` marked frozen) and links every program. Matches the `ObjectLoader` contract of the
 * `axebpf` runtime.
 * @param bytes - the `.o` file.
 * @param createMap - creates a map and returns its fd.
 * @returns licence, maps with their fds, linked programs.
 * @throws {ObjError} for anything malformed; errors from `createMap` propagate unchanged.
 * @example
 * ```ts
 * const { programs } = loadObject(readFileSync('maps.bpf.o'), (def) => bpf.mapCreate(def));
 * ```
 */
export function loadObject(bytes: Uint8Array, createMap: MapFactory): LoadedObject {
  const obj = EbpfObject.parse(bytes);
  const fds = new Map<MapDefinition, number>();
  const maps = obj.maps.map((definition) => {
    const fd = createMap(definition);
    fds.set(definition, fd);
    return { name: definition.name, fd, definition };
  });
  const programs = obj.programs.map((p) => wrapElf(() => obj.link(p.name, (d) => fds.get(d)!)));
  return { license: obj.license, maps, programs };
}
