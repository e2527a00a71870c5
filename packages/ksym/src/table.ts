// SPDX-License-Identifier: MIT
// Reads a Starry-OS/ksym-layout blob and answers lookups.
// Port of the semantics of Starry-OS/ksym src/lib.rs (KallsymsMapped), with the fixes listed in
// the README: first alias inside a range, token id 511, no silent skipping of bad records.

import { RECORD_HEADER_SIZE, TOKEN_MARKER } from './blob-format.js';
import { KsymError } from './errors.js';
import type { KsymEntry, KsymInput, KsymLookup } from './types.js';
import { demangle } from './demangle.js';
import { decompressBlob, isCompressedBlob } from './compressed.js';

const MAX_SYMBOLS = 0x1000_0000;
const decoder = new TextDecoder('utf-8');
/** One-character strings for every byte, so type letters are stored as bytes. */
const TYPE_LETTERS = Array.from({ length: 256 }, (_, c) => String.fromCharCode(c));

/** Options of {@link KsymTable.fromBlob}. */
export interface KsymTableOptions {
  /**
   * Lowest address that address lookups accept (upstream `stext`). Default: the first symbol's
   * address.
   */
  stext?: bigint;
  /**
   * End (exclusive) of the range that address lookups accept (upstream `etext`); it is also
   * the end of the last symbol. Default: one past the last symbol's address.
   */
  etext?: bigint;
}

/** Options of {@link KsymTable.search}. */
export interface KsymSearchOptions {
  /** `'substring'` (default) or `'prefix'`. */
  mode?: 'substring' | 'prefix';
  /** Most results to return (default: all). */
  limit?: number;
  /** Also match against the demangled name (default false). */
  demangled?: boolean;
}

/**
 * A decoded, validated kallsyms table with address and name lookups.
 *
 * @example
 * ```ts
 * const table = KsymTable.fromBlob(blob, { stext: 0xffff800080000000n, etext: 0xffff800080200000n });
 * const hit = table.lookupAddress(0xffff800080001234n); // { name, address, offset, size, type }
 * const addr = table.lookupName('do_fork');
 * ```
 */
export class KsymTable {
  /** Lowest address accepted by address lookups. */
  readonly stext: bigint;
  /** End (exclusive) of the accepted range. */
  readonly etext: bigint;
  /** Number of symbols. */
  readonly length: number;

  /** Addresses as bigints, materialised once so that reads do not allocate. */
  readonly #addresses: bigint[];
  /** Addresses minus the first one, as exact doubles (when the span is below 2^53), else empty. */
  readonly #rel: Float64Array;
  readonly #base: bigint;
  /** Fast-path bounds: max(first address, stext) and min(last address, etext). */
  #fastLow = 0n;
  #fastHigh = 0n;
  /** Bucket index over `#rel`: entries of bucket b are `#bucketLow[b]..#bucketLow[b+1]`. */
  #bucketLow = new Uint32Array(1);
  #bucketScale = 0;
  #bucketMax = 0;
  readonly #hi: Uint32Array;
  readonly #lo: Uint32Array;
  readonly #names: string[];
  readonly #types: Uint8Array;
  /** Address-order indices in name order (sorted on first use when not given). */
  #byNameOrder: Uint32Array | undefined;
  /** For each index, the index of the next strictly greater address (or length). */
  readonly #next: Uint32Array;
  /** For each index, the first index with the same address. */
  readonly #first: Uint32Array;
  readonly #stextHi: number;
  readonly #stextLo: number;
  readonly #etextHi: number;
  readonly #etextLo: number;
  readonly #demangled = new Map<number, string>();
  /** Exact-name index (name → first index in name order), built on first use. */
  #nameIndex: Map<string, number> | undefined;

  private constructor(
    addresses: BigUint64Array,
    names: string[],
    types: Uint8Array,
    byName: Uint32Array | undefined,
    options: KsymTableOptions,
  ) {
    const n = addresses.length;
    this.length = n;
    this.#addresses = Array.from(addresses);
    this.#base = n > 0 ? addresses[0]! : 0n;
    const span = n > 0 ? addresses[n - 1]! - this.#base : 0n;
    this.#rel = span <= BigInt(Number.MAX_SAFE_INTEGER) ? new Float64Array(n) : new Float64Array(0);
    if (this.#rel.length === n)
      for (let i = 0; i < n; i++) this.#rel[i] = Number(addresses[i]! - this.#base);
    this.#names = names;
    this.#types = types;
    this.#byNameOrder = byName;
    this.#hi = new Uint32Array(n);
    this.#lo = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const a = addresses[i]!;
      this.#hi[i] = Number(a >> 32n);
      this.#lo[i] = Number(a & 0xffff_ffffn);
    }
    this.#next = new Uint32Array(n);
    this.#first = new Uint32Array(n);
    for (let i = n - 1; i >= 0; i--)
      this.#next[i] = i + 1 < n && addresses[i + 1] === addresses[i] ? this.#next[i + 1]! : i + 1;
    for (let i = 0; i < n; i++)
      this.#first[i] = i > 0 && addresses[i - 1] === addresses[i] ? this.#first[i - 1]! : i;
    this.stext = options.stext ?? (n > 0 ? addresses[0]! : 0n);
    this.etext = options.etext ?? (n > 0 ? addresses[n - 1]! + 1n : 0n);
    if (this.stext < 0n || this.etext > 1n << 64n || this.etext < this.stext) {
      throw new KsymError({
        code: 'INVALID_ARGUMENT',
        message: `stext/etext \`0x${this.stext.toString(16)}\`..\`0x${this.etext.toString(16)}\` is not a range`,
      });
    }
    if (this.#rel.length === n && n > 0) {
      this.#fastLow = this.#base > this.stext ? this.#base : this.stext;
      this.#fastHigh = addresses[n - 1]! < this.etext ? addresses[n - 1]! : this.etext;
      let buckets = 1;
      while (buckets < n) buckets *= 2;
      const span = this.#rel[n - 1]!;
      this.#bucketScale = span > 0 ? buckets / span : 0;
      this.#bucketMax = buckets - 1;
      const low = new Uint32Array(buckets + 1);
      let i = 0;
      for (let b = 0; b <= buckets; b++) {
        while (i < n && this.#bucketOf(this.#rel[i]!) < b) i++;
        low[b] = i;
      }
      this.#bucketLow = low;
    }
    this.#stextHi = Number(this.stext >> 32n);
    this.#stextLo = Number(this.stext & 0xffff_ffffn);
    // etext may be 2^64 (exclusive end of the whole space): keep it as hi = 2^32.
    this.#etextHi = Number(this.etext >> 32n);
    this.#etextLo = Number(this.etext & 0xffff_ffffn);
  }

  /** Address-order indices in name order (byte-wise, ties in address order). */
  get #byName(): Uint32Array {
    if (this.#byNameOrder === undefined) {
      const names = this.#names;
      const order = Array.from({ length: this.length }, (_, i) => i);
      order.sort((a, b) => compareNames(names[a]!, names[b]!) || a - b);
      this.#byNameOrder = Uint32Array.from(order);
    }
    return this.#byNameOrder;
  }

  #bucketOf(d: number): number {
    const b = Math.floor(d * this.#bucketScale);
    return b > this.#bucketMax ? this.#bucketMax : b;
  }

  /** Last index with relative address ≤ d (d inside the fast range). */
  #searchRel(d: number): number {
    const rel = this.#rel;
    const b = this.#bucketOf(d);
    let low = this.#bucketLow[b]!;
    let high = this.#bucketLow[b + 1]!;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (rel[mid]! <= d) low = mid + 1;
      else high = mid;
    }
    return low - 1;
  }

  /**
   * Builds a table directly from symbols (no blob), for example from a decoded Linux kallsyms
   * table.
   *
   * @param symbols - the symbols in ascending address order; of several at one address the
   *   first is what address lookups return.
   * @param options - the accepted address range, and optionally `nameOrder`: the indices in
   *   name order (byte-wise, ties in address order), as Linux `kallsyms_seqs_of_names` has them;
   *   used when it is that order (checked), else the order is sorted on first name lookup.
   * @returns the table.
   * @throws {KsymError} `BAD_ORDER` (with `symbol`) when the addresses are not ascending,
   *   `BAD_NAME` for an address outside 0..2^64−1 or a type that is not one character,
   *   `INVALID_ARGUMENT` for a bad range.
   */
  static fromSymbols(
    symbols: readonly KsymInput[],
    options: KsymTableOptions & { nameOrder?: ArrayLike<number> | undefined } = {},
  ): KsymTable {
    const n = symbols.length;
    const addresses = new BigUint64Array(n);
    const names: string[] = new Array<string>(n);
    const types = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const s = symbols[i]!;
      if (s.address < 0n || s.address >= 1n << 64n || s.type.length !== 1) {
        throw new KsymError({
          code: 'BAD_NAME',
          message: `symbol #${i} (\`${s.name}\`) has an address or type out of range`,
          symbol: i,
        });
      }
      if (i > 0 && s.address < symbols[i - 1]!.address) {
        throw new KsymError({
          code: 'BAD_ORDER',
          message: `symbol #${i} (\`${s.name}\`) is below the one before it`,
          symbol: i,
        });
      }
      addresses[i] = s.address;
      names[i] = s.name;
      types[i] = s.type.charCodeAt(0) & 0xff;
    }
    return new KsymTable(
      addresses,
      names,
      types,
      checkedNameOrder(options.nameOrder, names),
      options,
    );
  }

  /**
   * Decodes and validates a blob in the Starry-OS/ksym layout.
   *
   * @param input - the blob, at any alignment (padding is counted from the blob's start), or a
   *   compressed container made by `compressBlob`.
   * @param options - the accepted address range.
   * @returns the table.
   * @throws {KsymError} `TRUNCATED`, `TOO_LARGE`, `BAD_ORDER`, `BAD_OFFSET`, `BAD_TOKEN`,
   *   `BAD_RECORD`, `BAD_INDEX` (each with the blob `offset`), `BAD_COMPRESSION`,
   *   `INVALID_ARGUMENT`.
   */
  static fromBlob(input: Uint8Array, options: KsymTableOptions = {}): KsymTable {
    // Offsets in errors are offsets in the (inflated) blob.
    const blob = isCompressedBlob(input) ? decompressBlob(input) : input;
    const r = new BlobReader(blob);
    const n = r.count('num_syms', 8);
    r.align(8);
    r.need(n * 8, 'addresses');
    const addresses = new BigUint64Array(n);
    for (let i = 0; i < n; i++) {
      addresses[i] = r.view.getBigUint64(r.pos, true);
      if (i > 0 && addresses[i]! < addresses[i - 1]!) {
        throw new KsymError({
          code: 'BAD_ORDER',
          message: `address #${i} is below the one before it`,
          offset: r.pos,
          symbol: i,
        });
      }
      r.pos += 8;
    }
    r.align(4);
    r.need(n * 4, 'offsets');
    const offsetsAt = r.pos;
    r.pos += n * 4;
    r.align(4);
    r.need(n * 4, 'seqs');
    const seqsAt = r.pos;
    r.pos += n * 4;
    r.align(8);
    const namesLen = r.count('names_len', 1);
    r.need(namesLen, 'names');
    const namesAt = r.pos;
    r.pos += namesLen;
    r.align(8);
    const tokenTableLen = r.count('token_table_len', 1);
    r.need(tokenTableLen, 'token table');
    const tokenTableAt = r.pos;
    r.pos += tokenTableLen;
    r.align(8);
    const tokenCount = r.count('token_index_len', 4);
    r.align(4);
    r.need(tokenCount * 4, 'token index');
    const tokenIndexAt = r.pos;
    const tokens: Uint8Array[] = new Array<Uint8Array>(tokenCount);
    for (let k = 0; k < tokenCount; k++) {
      const start = r.view.getUint32(tokenIndexAt + k * 4, true);
      const end =
        k + 1 < tokenCount ? r.view.getUint32(tokenIndexAt + (k + 1) * 4, true) : tokenTableLen;
      if (start > end || end > tokenTableLen) {
        throw new KsymError({
          code: 'BAD_TOKEN',
          message: `token #${k} spans ${start}..${end} outside the ${tokenTableLen}-byte token table`,
          offset: tokenIndexAt + k * 4,
        });
      }
      tokens[k] = blob.subarray(tokenTableAt + start, tokenTableAt + end);
    }

    const names: string[] = new Array<string>(n);
    const types = new Uint8Array(n);
    const scratch = new Uint8Array(65536 + 4096);
    for (let i = 0; i < n; i++) {
      const recordAt = offsetsAt + i * 4;
      const off = r.view.getUint32(recordAt, true);
      if (off + RECORD_HEADER_SIZE > namesLen) {
        throw new KsymError({
          code: 'BAD_OFFSET',
          message: `name offset of symbol #${i} (${off}) is outside the ${namesLen}-byte names array`,
          offset: recordAt,
          symbol: i,
        });
      }
      const at = namesAt + off;
      types[i] = blob[at]!;
      const len = blob[at + 1]! | (blob[at + 2]! << 8);
      if (off + RECORD_HEADER_SIZE + len > namesLen) {
        throw new KsymError({
          code: 'BAD_OFFSET',
          message: `name record of symbol #${i} runs past the names array`,
          offset: at + 1,
          symbol: i,
        });
      }
      names[i] = decodeName(blob, at + RECORD_HEADER_SIZE, len, tokens, scratch, i);
    }

    const byName = new Uint32Array(n);
    const seen = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      const at = seqsAt + j * 4;
      const idx = r.view.getUint32(at, true);
      if (idx >= n || seen[idx] === 1) {
        throw new KsymError({
          code: 'BAD_INDEX',
          message: `name-order entry #${j} (\`${idx}\`) is out of range or repeated`,
          offset: at,
        });
      }
      seen[idx] = 1;
      byName[j] = idx;
      if (j > 0 && compareNames(names[byName[j - 1]!]!, names[idx]!) > 0) {
        throw new KsymError({
          code: 'BAD_INDEX',
          message: `name-order entry #${j} is not in name order`,
          offset: at,
        });
      }
    }
    return new KsymTable(addresses, names, types, byName, options);
  }

  /**
   * Index (address order) of the symbol an address falls in, kallsyms style: the last symbol
   * whose address is ≤ `addr`, then the first of its aliases. The hot path: no allocation.
   * @param hi - high 32 bits of the address.
   * @param lo - low 32 bits of the address.
   * @returns the index, or −1 when the address is outside `stext..etext` or below every symbol.
   */
  indexOfAddressParts(hi: number, lo: number): number {
    if (hi < this.#stextHi || (hi === this.#stextHi && lo < this.#stextLo)) return -1;
    if (hi > this.#etextHi || (hi === this.#etextHi && lo >= this.#etextLo)) return -1;
    const H = this.#hi;
    const L = this.#lo;
    let low = 0;
    let high = this.length; // first index with address > addr
    while (low < high) {
      const mid = (low + high) >>> 1;
      const mh = H[mid]!;
      if (mh < hi || (mh === hi && L[mid]! <= lo)) low = mid + 1;
      else high = mid;
    }
    return low === 0 ? -1 : this.#first[low - 1]!;
  }

  /**
   * Index (address order) of the symbol an address falls in; see {@link KsymTable.indexOfAddressParts}.
   * @param addr - the address.
   * @returns the index, or −1.
   */
  indexOfAddress(addr: bigint): number {
    if (addr < this.stext || addr >= this.etext) return -1;
    const rel = this.#rel;
    const n = this.length;
    if (rel.length !== n || n === 0) {
      if (addr < 0n || addr >= 1n << 64n) return -1;
      return this.indexOfAddressParts(Number(addr >> 32n), Number(addr & 0xffff_ffffn));
    }
    if (addr < this.#fastLow) return -1;
    // Past the last symbol the distance may exceed 2^53; the last symbol (group) owns it.
    if (addr >= this.#fastHigh) return this.#first[n - 1]!;
    return this.#first[this.#searchRel(Number(addr - this.#base))]!;
  }

  /**
   * Resolves an address to symbol + offset + size (kallsyms semantics).
   *
   * @param addr - the address.
   * @returns the symbol, or undefined outside `stext..etext` or below the first symbol.
   * @remarks Addresses between two symbols belong to the one before; the size is the distance
   *   to the next greater symbol address (or to `etext`). Of several symbols at one address the
   *   first in table order is returned, for every address in the range (upstream returned the
   *   last alias for addresses inside the range).
   */
  lookupAddress(addr: bigint): KsymLookup | undefined {
    const n = this.length;
    const rel = this.#rel;
    if (addr >= this.#fastLow && addr < this.#fastHigh) {
      // Fast path: one BigInt subtraction, then doubles only.
      const d = Number(addr - this.#base);
      const i = this.#first[this.#searchRel(d)]!;
      const base = rel[i]!;
      return {
        index: i,
        address: this.#addresses[i]!,
        type: TYPE_LETTERS[this.#types[i]!]!,
        name: this.#names[i]!,
        offset: d - base,
        size: rel[this.#next[i]!]! - base,
      };
    }
    const i = this.indexOfAddress(addr);
    if (i < 0) return undefined;
    const next = this.#next[i]!;
    const start = this.#addresses[i]!;
    const end = next < n ? this.#addresses[next]! : this.etext;
    return {
      index: i,
      address: start,
      type: TYPE_LETTERS[this.#types[i]!]!,
      name: this.#names[i]!,
      offset: Number(addr - start),
      size: Number(end - start),
    };
  }

  /**
   * Returns all symbols that start exactly at an address (aliases), in table order.
   * @param addr - the address.
   * @returns the symbols; empty when none starts there.
   */
  symbolsAt(addr: bigint): KsymEntry[] {
    const i = this.indexOfAddress(addr);
    if (i < 0 || this.#addresses[i] !== addr) return [];
    const out: KsymEntry[] = [];
    for (let k = i; k < this.#next[i]!; k++) out.push(this.entry(k));
    return out;
  }

  /**
   * Finds a symbol's address by exact (mangled) name.
   * @param name - the name as linked.
   * @returns the address of the first symbol with that name in input order, or undefined.
   */
  lookupName(name: string): bigint | undefined {
    if (this.#nameIndex === undefined) {
      const index = new Map<string, number>();
      for (let j = 0; j < this.length; j++) {
        const i = this.#byName[j]!;
        const key = this.#names[i]!;
        if (!index.has(key)) index.set(key, i);
      }
      this.#nameIndex = index;
    }
    const i = this.#nameIndex.get(name);
    return i === undefined ? undefined : this.#addresses[i];
  }

  /**
   * Finds every symbol with an exact (mangled) name.
   * @param name - the name as linked.
   * @returns the symbols, in input order; empty when none.
   */
  lookupNameAll(name: string): KsymEntry[] {
    const out: KsymEntry[] = [];
    for (let j = this.#firstNameAtOrAfter(name); j < this.length; j++) {
      const i = this.#byName[j]!;
      if (this.#names[i] !== name) break;
      out.push(this.entry(i));
    }
    return out;
  }

  /**
   * Searches names by prefix or substring.
   * @param pattern - the text to look for (case-sensitive).
   * @param options - mode, limit, and whether to match demangled names too.
   * @returns matching symbols in address order (at most `limit`).
   */
  search(pattern: string, options: KsymSearchOptions = {}): KsymEntry[] {
    const limit = options.limit ?? Infinity;
    const out: KsymEntry[] = [];
    if (limit <= 0) return out;
    if (options.mode === 'prefix' && options.demangled !== true) {
      const hits: number[] = [];
      for (let j = this.#firstNameAtOrAfter(pattern); j < this.length; j++) {
        const i = this.#byName[j]!;
        if (!this.#names[i]!.startsWith(pattern)) break;
        hits.push(i);
      }
      hits.sort((a, b) => a - b);
      for (const i of hits.slice(0, limit === Infinity ? undefined : limit))
        out.push(this.entry(i));
      return out;
    }
    const matches =
      options.mode === 'prefix'
        ? (s: string) => s.startsWith(pattern)
        : (s: string) => s.includes(pattern);
    for (let i = 0; i < this.length && out.length < limit; i++) {
      const name = this.#names[i]!;
      if (matches(name) || (options.demangled === true && matches(this.demangledName(i))))
        out.push(this.entry(i));
    }
    return out;
  }

  /**
   * The symbol at an index (address order).
   * @param index - 0..length−1.
   * @returns the symbol.
   * @throws {KsymError} `INVALID_ARGUMENT` for an index out of range.
   */
  entry(index: number): KsymEntry {
    if (!Number.isInteger(index) || index < 0 || index >= this.length) {
      throw new KsymError({
        code: 'INVALID_ARGUMENT',
        message: `symbol index \`${index}\` is out of range`,
        symbol: index,
      });
    }
    return {
      index,
      address: this.#addresses[index]!,
      type: TYPE_LETTERS[this.#types[index]!]!,
      name: this.#names[index]!,
    };
  }

  /**
   * The display form of a symbol's name: Rust (legacy and v0) and C++ names demangled, other
   * names unchanged. Cached per symbol.
   * @param index - 0..length−1.
   * @returns the demangled name.
   */
  demangledName(index: number): string {
    let out = this.#demangled.get(index);
    if (out === undefined) {
      out = demangle(this.entry(index).name);
      this.#demangled.set(index, out);
    }
    return out;
  }

  /** Iterates the symbols in address order. @returns an iterator of entries. */
  *entries(): IterableIterator<KsymEntry> {
    for (let i = 0; i < this.length; i++) yield this.entry(i);
  }

  /** Iterates the symbols in address order. @returns an iterator of entries. */
  [Symbol.iterator](): IterableIterator<KsymEntry> {
    return this.entries();
  }

  /** Returns the symbols as builder input (address order), for round trips. @returns the list. */
  toInputs(): KsymInput[] {
    const out: KsymInput[] = [];
    for (let i = 0; i < this.length; i++)
      out.push({
        address: this.#addresses[i]!,
        type: TYPE_LETTERS[this.#types[i]!]!,
        name: this.#names[i]!,
      });
    return out;
  }

  #firstNameAtOrAfter(name: string): number {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (compareNames(this.#names[this.#byName[mid]!]!, name) < 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** `order` as a Uint32Array when it is a permutation of the names in name order, else undefined. */
function checkedNameOrder(
  order: ArrayLike<number> | undefined,
  names: string[],
): Uint32Array | undefined {
  if (order === undefined || order.length !== names.length) return undefined;
  const out = Uint32Array.from(order);
  const seen = new Uint8Array(names.length);
  for (let j = 0; j < out.length; j++) {
    const i = out[j]!;
    if (i >= names.length || seen[i] === 1) return undefined;
    seen[i] = 1;
    if (j > 0) {
      const prev = out[j - 1]!;
      const c = compareNames(names[prev]!, names[i]!);
      if (c > 0 || (c === 0 && prev > i)) return undefined;
    }
  }
  return out;
}

/** Compares names in UTF-8 byte order (equal to UTF-16 order for names without surrogates). */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function decodeName(
  blob: Uint8Array,
  at: number,
  len: number,
  tokens: Uint8Array[],
  scratch: Uint8Array,
  symbol: number,
): string {
  if (len === 0 || blob[at] !== TOKEN_MARKER) return decodeBytes(blob, at, at + len);
  // `FF id FF rest`, `FF hi lo FF rest`, and upstream's id 511 written as `FF 01 FF FF rest`
  // (no valid UTF-8 name can start with 0xFF, so the fourth 0xFF is part of the marker).
  let id: number;
  let rest: number;
  if (
    len >= 4 &&
    blob[at + 1] === 1 &&
    blob[at + 2] === TOKEN_MARKER &&
    blob[at + 3] === TOKEN_MARKER
  ) {
    id = 511;
    rest = 4;
  } else if (len >= 3 && blob[at + 2] === TOKEN_MARKER) {
    id = blob[at + 1]!;
    rest = 3;
  } else if (len >= 4 && blob[at + 3] === TOKEN_MARKER) {
    id = (blob[at + 1]! << 8) | blob[at + 2]!;
    rest = 4;
  } else {
    throw new KsymError({
      code: 'BAD_RECORD',
      message: `name record of symbol #${symbol} has an unterminated token marker`,
      offset: at,
      symbol,
    });
  }
  const token = tokens[id];
  if (token === undefined) {
    throw new KsymError({
      code: 'BAD_TOKEN',
      message: `name record of symbol #${symbol} refers to token \`${id}\` of ${tokens.length}`,
      offset: at + 1,
      symbol,
    });
  }
  const total = token.length + len - rest;
  const out = total <= scratch.length ? scratch : new Uint8Array(total);
  out.set(token, 0);
  out.set(blob.subarray(at + rest, at + len), token.length);
  return decodeBytes(out, 0, total);
}

function decodeBytes(bytes: Uint8Array, start: number, end: number): string {
  if (end - start < 48) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return decoder.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

class BlobReader {
  readonly view: DataView;
  pos = 0;
  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(size: number, what: string): void {
    if (this.pos + size > this.bytes.length) {
      throw new KsymError({
        code: 'TRUNCATED',
        message: `blob truncated: ${what} needs ${size} byte(s) at 0x${this.pos.toString(16)}`,
        offset: Math.min(this.pos, this.bytes.length),
      });
    }
  }

  align(a: number): void {
    this.pos = Math.ceil(this.pos / a) * a;
  }

  /** Reads a u64 count of items of `unit` bytes that must fit the rest of the blob. */
  count(what: string, unit: number): number {
    this.align(8);
    this.need(8, what);
    const value = this.view.getBigUint64(this.pos, true);
    if (value * BigInt(unit) > BigInt(this.bytes.length) || value > BigInt(MAX_SYMBOLS * 64)) {
      throw new KsymError({
        code: 'TOO_LARGE',
        message: `${what} \`${value}\` does not fit the ${this.bytes.length}-byte blob`,
        offset: this.pos,
      });
    }
    this.pos += 8;
    return Number(value);
  }
}
