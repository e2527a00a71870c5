// SPDX-License-Identifier: MIT
// A BTF parser: enough for map definitions, global data sections and type names.
// Layout facts: Linux Documentation/bpf/btf.rst and include/uapi/linux/btf.h.
import { ObjError } from './errors.js';

/** BTF kinds (`BTF_KIND_*`). */
export const BTF_KIND = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

/** Magic number at the start of `.BTF` and `.BTF.ext`. */
export const BTF_MAGIC = 0xeb9f;

/** A member of a STRUCT/UNION, a parameter of a FUNC_PROTO, an ENUM value or a DATASEC var. */
export interface BtfMember {
  /** Member name ('' for anonymous). */
  name: string;
  /** Type id (STRUCT/UNION/FUNC_PROTO/DATASEC), or 0 for enums. */
  type: number;
  /** Bit offset (STRUCT/UNION), byte offset (DATASEC) or value (ENUM). */
  offset: number;
  /** Byte size (DATASEC vars only). */
  size: number;
}

/** One BTF type. */
export interface BtfType {
  /** Type id (1-based; 0 is `void`). */
  id: number;
  /** A `BTF_KIND` value. */
  kind: number;
  /** Name ('' for anonymous types). */
  name: string;
  /** `size` for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT, the referenced type id otherwise. */
  sizeOrType: number;
  /** `vlen` (member count) or the FUNC linkage. */
  vlen: number;
  /** ARRAY: element type id, index type id and element count. */
  array?: { type: number; indexType: number; nelems: number };
  /** Members, parameters, enum values or DATASEC vars. */
  members: BtfMember[];
  /** VAR linkage. */
  linkage?: number;
}

/**
 * Parsed `.BTF` section.
 *
 * @example
 * ```ts
 * const btf = Btf.parse(elf.sectionByName('.BTF')!.data);
 * btf.typeByName('.maps', BTF_KIND.DATASEC)?.members.map((m) => m.name);
 * ```
 */
export class Btf {
  /** Types by id; index 0 is a placeholder for `void`. */
  readonly types: BtfType[];
  readonly #strings: Uint8Array;
  readonly #string: (offset: number, at: number) => string;

  private constructor(
    types: BtfType[],
    strings: Uint8Array,
    string: (offset: number, at: number) => string,
  ) {
    this.types = types;
    this.#strings = strings;
    this.#string = string;
  }

  /** Size of the string table in bytes. */
  get stringsLength(): number {
    return this.#strings.length;
  }

  /**
   * Reads a string of the BTF string table.
   * @param offset - offset in the string table.
   * @throws {ObjError} `INVALID_BTF` when out of range or unterminated.
   */
  stringAt(offset: number): string {
    return this.#string(offset, 0);
  }

  /**
   * Parses a `.BTF` section.
   * @param data - the section bytes (any alignment).
   * @returns the parsed types.
   * @throws {ObjError} `INVALID_BTF` with the offset in the section.
   */
  static parse(data: Uint8Array): Btf {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const fail = (offset: number, message: string): never => {
      throw new ObjError({ code: 'INVALID_BTF', message, section: '.BTF', offset });
    };
    if (data.length < 24) fail(0, 'btf header truncated');
    if (view.getUint16(0, true) !== BTF_MAGIC)
      fail(0, `bad btf magic \`0x${view.getUint16(0, true).toString(16)}\``);
    const hdrLen = view.getUint32(4, true);
    const typeOff = view.getUint32(8, true);
    const typeLen = view.getUint32(12, true);
    const strOff = view.getUint32(16, true);
    const strLen = view.getUint32(20, true);
    if (hdrLen < 24 || hdrLen > data.length) fail(4, `bad btf header length \`${hdrLen}\``);
    const typeStart = hdrLen + typeOff;
    const strStart = hdrLen + strOff;
    if (typeStart + typeLen > data.length) fail(8, 'btf type section outside the data');
    if (strStart + strLen > data.length) fail(16, 'btf string section outside the data');
    const strings = data.subarray(strStart, strStart + strLen);
    const decoder = new TextDecoder();
    const str = (offset: number, at: number): string => {
      if (offset >= strings.length)
        return fail(at, `btf string offset \`${offset}\` outside the string table`);
      const end = strings.indexOf(0, offset);
      if (end < 0) return fail(at, `btf string at \`${offset}\` has no terminating nul`);
      return decoder.decode(strings.subarray(offset, end));
    };
    const types: BtfType[] = [
      { id: 0, kind: 0, name: 'void', sizeOrType: 0, vlen: 0, members: [] },
    ];
    let p = typeStart;
    const end = typeStart + typeLen;
    const need = (n: number): void => {
      if (p + n > end) fail(p, `btf type \`${types.length}\` truncated`);
    };
    while (p < end) {
      need(12);
      const at = p;
      const nameOff = view.getUint32(p, true);
      const info = view.getUint32(p + 4, true);
      const sizeOrType = view.getUint32(p + 8, true);
      p += 12;
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const t: BtfType = {
        id: types.length,
        kind,
        name: str(nameOff, at),
        sizeOrType,
        vlen,
        members: [],
      };
      switch (kind) {
        case BTF_KIND.INT:
        case BTF_KIND.VAR:
        case BTF_KIND.DECL_TAG:
          need(4);
          if (kind === BTF_KIND.VAR) t.linkage = view.getUint32(p, true);
          p += 4;
          break;
        case BTF_KIND.ARRAY:
          need(12);
          t.array = {
            type: view.getUint32(p, true),
            indexType: view.getUint32(p + 4, true),
            nelems: view.getUint32(p + 8, true),
          };
          p += 12;
          break;
        case BTF_KIND.STRUCT:
        case BTF_KIND.UNION:
        case BTF_KIND.DATASEC:
        case BTF_KIND.ENUM64:
          need(12 * vlen);
          for (let i = 0; i < vlen; i++, p += 12) {
            const a = view.getUint32(p, true),
              b = view.getUint32(p + 4, true),
              c = view.getUint32(p + 8, true);
            if (kind === BTF_KIND.DATASEC)
              t.members.push({ name: '', type: a, offset: b, size: c });
            else if (kind === BTF_KIND.ENUM64)
              t.members.push({ name: str(a, p), type: 0, offset: b, size: 0 });
            else t.members.push({ name: str(a, p), type: b, offset: c, size: 0 });
          }
          break;
        case BTF_KIND.ENUM:
        case BTF_KIND.FUNC_PROTO:
          need(8 * vlen);
          for (let i = 0; i < vlen; i++, p += 8) {
            const a = view.getUint32(p, true),
              b = view.getUint32(p + 4, true);
            t.members.push(
              kind === BTF_KIND.ENUM
                ? { name: str(a, p), type: 0, offset: b | 0, size: 0 }
                : { name: str(a, p), type: b, offset: 0, size: 0 },
            );
          }
          break;
        case BTF_KIND.PTR:
        case BTF_KIND.FWD:
        case BTF_KIND.TYPEDEF:
        case BTF_KIND.VOLATILE:
        case BTF_KIND.CONST:
        case BTF_KIND.RESTRICT:
        case BTF_KIND.FUNC:
        case BTF_KIND.FLOAT:
        case BTF_KIND.TYPE_TAG:
          break;
        default:
          fail(at, `unknown btf kind \`${kind}\` for type \`${types.length}\``);
      }
      types.push(t);
    }
    const btf = new Btf(types, strings, str);
    for (const t of types) {
      if (t.kind === BTF_KIND.DATASEC)
        for (const m of t.members) m.name = btf.type(m.type, at(t)).name;
    }
    return btf;
    function at(t: BtfType): number {
      return t.id;
    }
  }

  /**
   * Returns a type by id.
   * @param id - type id.
   * @param from - id of the referring type (for the error message).
   * @throws {ObjError} `INVALID_BTF` for an id out of range.
   */
  type(id: number, from = 0): BtfType {
    const t = this.types[id];
    if (t === undefined)
      throw new ObjError({
        code: 'INVALID_BTF',
        message: `btf type \`${from}\` refers to missing type \`${id}\``,
        section: '.BTF',
      });
    return t;
  }

  /**
   * Finds the first type with a name (and kind).
   * @param name - type name.
   * @param kind - a `BTF_KIND` value to restrict the search.
   */
  typeByName(name: string, kind?: number): BtfType | undefined {
    return this.types.find((t) => t.name === name && (kind === undefined || t.kind === kind));
  }

  /**
   * Follows TYPEDEF/VOLATILE/CONST/RESTRICT/TYPE_TAG to the underlying type.
   * @param id - type id.
   */
  resolve(id: number): BtfType {
    let t = this.type(id);
    for (let n = 0; n < 64; n++) {
      if (
        t.kind !== BTF_KIND.TYPEDEF &&
        t.kind !== BTF_KIND.VOLATILE &&
        t.kind !== BTF_KIND.CONST &&
        t.kind !== BTF_KIND.RESTRICT &&
        t.kind !== BTF_KIND.TYPE_TAG
      )
        return t;
      t = this.type(t.sizeOrType, t.id);
    }
    throw new ObjError({
      code: 'INVALID_BTF',
      message: `btf type \`${id}\` has a modifier chain that is too long or a cycle`,
      section: '.BTF',
    });
  }

  /**
   * Size in bytes of a type (pointers are 8 bytes).
   * @param id - type id.
   * @param depth - recursion depth (internal; leave out).
   * @returns the size in bytes.
   * @throws {ObjError} `INVALID_BTF` for types without a size (void, functions).
   */
  sizeOf(id: number, depth = 0): number {
    const t = this.resolve(id);
    if (depth > 32)
      throw new ObjError({
        code: 'INVALID_BTF',
        message: `btf type \`${id}\` nests too deep`,
        section: '.BTF',
      });
    switch (t.kind) {
      case BTF_KIND.INT:
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
      case BTF_KIND.FLOAT:
      case BTF_KIND.DATASEC:
        return t.sizeOrType;
      case BTF_KIND.PTR:
        return 8;
      case BTF_KIND.ARRAY:
        return t.array!.nelems * this.sizeOf(t.array!.type, depth + 1);
      case BTF_KIND.VAR:
        return this.sizeOf(t.sizeOrType, depth + 1);
      default:
        throw new ObjError({
          code: 'INVALID_BTF',
          message: `btf type \`${id}\` (kind \`${t.kind}\`) has no size`,
          section: '.BTF',
        });
    }
  }

  /**
   * A C-like name of a type, for tools and messages (`struct event`, `__u32 *`, `int[4]`).
   * @param id - type id.
   * @param depth - recursion depth (internal; leave out).
   * @returns the name.
   */
  typeName(id: number, depth = 0): string {
    const t = this.type(id);
    if (depth > 16) return '...';
    switch (t.kind) {
      case BTF_KIND.PTR:
        return `${this.typeName(t.sizeOrType, depth + 1)} *`;
      case BTF_KIND.ARRAY:
        return `${this.typeName(t.array!.type, depth + 1)}[${t.array!.nelems}]`;
      case BTF_KIND.STRUCT:
        return `struct ${t.name || '(anon)'}`;
      case BTF_KIND.UNION:
        return `union ${t.name || '(anon)'}`;
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
        return `enum ${t.name || '(anon)'}`;
      case BTF_KIND.CONST:
        return `const ${this.typeName(t.sizeOrType, depth + 1)}`;
      case BTF_KIND.VOLATILE:
        return `volatile ${this.typeName(t.sizeOrType, depth + 1)}`;
      default:
        return t.name || 'void';
    }
  }

  /**
   * Fills in DATASEC sizes and var offsets as libbpf does at open time: clang leaves sizes of
   * 0 and offsets of 0 in the object; the true values are the section sizes and symbol values.
   * @param sectionSize - size of the ELF section with the DATASEC's name, or undefined.
   * @param symbolOffset - value of the symbol with a var's name in that section, or undefined.
   */
  fixupDatasecs(
    sectionSize: (name: string) => number | undefined,
    symbolOffset: (section: string, name: string) => number | undefined,
  ): void {
    for (const t of this.types) {
      if (t.kind !== BTF_KIND.DATASEC) continue;
      const size = sectionSize(t.name);
      if (size !== undefined) t.sizeOrType = size;
      for (const m of t.members) {
        const off = symbolOffset(t.name, m.name);
        if (off !== undefined) m.offset = off;
      }
    }
  }
}
