// SPDX-License-Identifier: MIT
// Reads the compressed kallsyms tables of a Linux kernel (arm64 `Image` file or guest memory)
// into symbols as /proc/kallsyms shows them. Written from the table format produced by Linux
// scripts/kallsyms.c and read by kernel/kallsyms.c (format facts only).

import { KsymError } from './errors.js';
import { KsymTable } from './table.js';
import type { KsymInput } from './types.js';

/** `_text` of an arm64 6.1 kernel with 48-bit VAs and 4 KiB pages (`KIMAGE_VADDR`), unrelocated. */
export const ARM64_KIMAGE_VADDR = 0xffff_8000_0800_0000n;

/** Most symbols accepted (the kernel stores indices of `kallsyms_seqs_of_names` in 3 bytes). */
const MAX_SYMS = 1 << 24;
/** Longest token expansion accepted (kernel tokens are a few bytes; this only bounds the search). */
const MAX_TOKEN_LEN = 512;
/** Longest symbol name accepted, in bytes (the kernel's `KSYM_NAME_LEN` is 512 since 6.1). */
const MAX_NAME = 4096;
/** One-character strings for every byte. */
const TYPE_LETTERS = Array.from({ length: 256 }, (_, c) => String.fromCharCode(c));
/** Fewest non-empty tokens of a real table (every character of the names is a token). */
const MIN_TOKENS = 32;
/** How far below the token table the names may start. */
const MAX_NAMES_SPAN = 64 << 20;
/** `R_AARCH64_RELATIVE`. */
const R_AARCH64_RELATIVE = 1027;
const U64 = 1n << 64n;
/** Largest kernel image the relocation search accepts values inside of (1 GiB). */
const MAX_IMAGE = 0x4000_0000n;

/**
 * Which order the kallsyms tables are laid out in (every table starts 8-byte aligned):
 * - `'linux-4.6'`: `offsets, relative_base, num_syms, names, markers, token_table,
 *   token_index` (upstream 4.6 to 6.1; 6.1 added 2-byte ULEB128 name lengths, read here too).
 * - `'linux-6.2'`: as `'linux-4.6'` with `kallsyms_seqs_of_names` (3 bytes per symbol) between
 *   `markers` and `token_table` (upstream 6.2 and 6.3, and stable kernels that took the
 *   backport, such as Debian's 6.1.0-57 6.1.192).
 * - `'linux-6.4'`: `num_syms, names, markers, token_table, token_index, offsets,
 *   relative_base, seqs_of_names` (upstream 6.4 onwards, "scripts/kallsyms: change the output
 *   order").
 */
export type LinuxKallsymsLayoutKind = 'linux-4.6' | 'linux-6.2' | 'linux-6.4';

/** Where each table was found: byte offsets in the image (or memory range). */
export interface LinuxKallsymsLayout {
  /** The table order. */
  readonly kind: LinuxKallsymsLayoutKind;
  /** `kallsyms_offsets` (u32 per symbol). */
  readonly offsets: number;
  /** `kallsyms_relative_base` (u64). */
  readonly relativeBase: number;
  /** `kallsyms_num_syms` (u32). */
  readonly numSyms: number;
  /** `kallsyms_names` (length-prefixed token strings). */
  readonly names: number;
  /** `kallsyms_markers` (u32 per 256 symbols). */
  readonly markers: number;
  /** `kallsyms_seqs_of_names` (3 bytes per symbol, big-endian), when the kernel has it. */
  readonly seqsOfNames: number | undefined;
  /** `kallsyms_token_table` (256 NUL-terminated strings). */
  readonly tokenTable: number;
  /** `kallsyms_token_index` (256 × u16). */
  readonly tokenIndex: number;
}

/** Options of {@link readLinuxKallsyms}. */
export interface LinuxKallsymsOptions {
  /**
   * Added to every address (the KASLR displacement of a running kernel; see
   * {@link kaslrOffsetFromSymbol}). Default 0: link-time addresses, as a `nokaslr` boot shows.
   */
  kaslrOffset?: bigint;
  /**
   * Link-time address of byte 0 of the image (`_text`, `KIMAGE_VADDR` + `TEXT_OFFSET`). Only
   * needed to find the relocation of `kallsyms_relative_base` when the image stores it as 0
   * (arm64 kernels linked with `--no-apply-dynamic-relocs`). Default: found from the
   * `R_AARCH64_RELATIVE` relocations in the image.
   */
  textAddress?: bigint;
  /**
   * The kernel was built with `CONFIG_KALLSYMS_ABSOLUTE_PERCPU` (x86-64 SMP): non-negative
   * offsets are absolute addresses, negative ones are `relative_base − 1 − offset`. Default
   * false (arm64 and most other architectures).
   */
  absolutePercpu?: boolean;
}

/** Decoded kallsyms of a Linux kernel. */
export interface LinuxKallsyms {
  /** The symbols in address order (the order of /proc/kallsyms), addresses with `kaslrOffset`. */
  readonly symbols: readonly KsymInput[];
  /** The same symbols as a lookup table. */
  readonly table: KsymTable;
  /** `kallsyms_relative_base` (with `kaslrOffset`). */
  readonly relativeBase: bigint;
  /** Where `relative_base` came from: the image or memory, or the relocation that sets it. */
  readonly relativeBaseFrom: 'image' | 'relocation';
  /** The KASLR displacement applied (or, from memory, found). */
  readonly kaslrOffset: bigint;
  /** The kernel's `Linux version …` banner, when found. */
  readonly version: string | undefined;
  /** Where the tables are. */
  readonly layout: LinuxKallsymsLayout;
}

interface Tokens {
  tokenTable: number;
  tokenIndex: number;
  strings: string[];
}

/** A failed attempt at one candidate, kept to report the most advanced one. */
interface Attempt {
  progress: number;
  error: KsymError;
}

/**
 * Reads the symbol table of a Linux kernel from its `Image` file, as `/proc/kallsyms` shows it
 * (core kernel symbols; no module, BPF or ftrace entries).
 *
 * The tables are found by their structure, not by symbol names: the token index (256
 * increasing u16) after the token table (256 NUL-terminated strings); then `num_syms` and the
 * names, whose every 256th record must sit at the offset that `kallsyms_markers` gives; then
 * `kallsyms_offsets` (sorted) and `kallsyms_relative_base`, before the names or after the token
 * index depending on the version (see {@link LinuxKallsymsLayoutKind}). When the image stores
 * `relative_base` as 0 (arm64 relocatable kernels: the value is in the `R_AARCH64_RELATIVE`
 * relocation applied at boot), the relocation is read instead.
 *
 * Supported: base-relative tables (`CONFIG_KALLSYMS_BASE_RELATIVE`, every 64-bit kernel since
 * 4.6), little-endian, layouts `'linux-4.6'`, `'linux-6.2'` and `'linux-6.4'`. Checked on
 * Debian's arm64 6.1.0-57 kernel against its /proc/kallsyms. Not supported: kernels without
 * base-relative tables (`kallsyms_addresses`), big-endian kernels; these give `NO_KALLSYMS`.
 *
 * @param image - the uncompressed kernel image (arm64 `Image`; `vmlinuz` of Debian arm64 is
 *   one) or any buffer holding the kernel's read-only data.
 * @param options - KASLR offset, link address, percpu mode.
 * @returns the symbols, their table and where they were found.
 * @throws {KsymError} `NO_KALLSYMS` (no token table, or no names/markers consistent with it;
 *   `offset` is the token table when one was found), `BAD_INDEX` (a marker disagrees with the
 *   names), `BAD_RECORD` (a name record is empty, runs out of its table or has no type),
 *   `BAD_ORDER` (offsets not sorted), `NO_BASE` (`relative_base` is 0 and no relocation sets
 *   it), `UNSUPPORTED_LAYOUT`, each with the byte `offset`; `INVALID_ARGUMENT`.
 * @example
 * ```ts
 * const k = readLinuxKallsyms(readFileSync('/boot/vmlinuz-6.1.0-57-arm64'));
 * k.table.lookupName('do_sys_openat2');             // 0xffff8000083b1234n (nokaslr)
 * k.table.lookupAddress(0xffff8000083b1240n);       // { name: 'do_sys_openat2', offset: 12, … }
 * ```
 */
export function readLinuxKallsyms(
  image: Uint8Array,
  options: LinuxKallsymsOptions = {},
): LinuxKallsyms {
  const kaslrOffset = options.kaslrOffset ?? 0n;
  if (kaslrOffset <= -U64 || kaslrOffset >= U64) {
    throw new KsymError({
      code: 'INVALID_ARGUMENT',
      message: `kaslr offset \`${kaslrOffset}\` is out of range`,
    });
  }
  // Aligned typed views for the scans (a copy when the caller's bytes are not 8-aligned).
  if (image.byteOffset % 8 !== 0) image = image.slice();
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const found = locate(image, view, options.absolutePercpu === true);
  const { layout, n } = found;

  let relativeBase = view.getBigUint64(layout.relativeBase, true);
  let relativeBaseFrom: LinuxKallsyms['relativeBaseFrom'] = 'image';
  if (relativeBase === 0n) {
    const fromReloc = relocatedValue(image, view, layout.relativeBase, options.textAddress);
    if (fromReloc === undefined) {
      throw new KsymError({
        code: 'NO_BASE',
        message: `kallsyms_relative_base at 0x${layout.relativeBase.toString(16)} is 0 and no R_AARCH64_RELATIVE relocation sets it`,
        offset: layout.relativeBase,
      });
    }
    relativeBase = fromReloc;
    relativeBaseFrom = 'relocation';
  }
  const base = (relativeBase + kaslrOffset) & (U64 - 1n);
  const symbols = buildSymbols(
    view,
    layout.offsets,
    n,
    base,
    found.names,
    found.types,
    options.absolutePercpu === true,
  );
  return {
    symbols,
    table: KsymTable.fromSymbols(symbols, {
      nameOrder:
        layout.seqsOfNames === undefined ? undefined : readSeqs(image, layout.seqsOfNames, n),
    }),
    relativeBase: base,
    relativeBaseFrom,
    kaslrOffset,
    version: findBanner(image),
    layout,
  };
}

/**
 * Reads guest memory in chunks. Return the bytes at `address` (exactly `length` of them), or
 * `undefined` (or throw) when the range is not readable. Unreadable chunks are searched as
 * zeros, and an error is raised if the tables found overlap one.
 */
export type LinuxMemoryReader = (address: bigint, length: number) => Uint8Array | undefined;

/** Options of {@link readLinuxKallsymsFromMemory}. */
export interface LinuxKallsymsMemoryOptions {
  /**
   * First address to read: where byte 0 of the kernel image is in the running kernel (its
   * `_text`, `KIMAGE_VADDR` + the KASLR offset, when reading kernel virtual memory).
   */
  start: bigint;
  /** Bytes to read from `start`: enough to cover the kernel's read-only data. */
  size: number;
  /** Bytes per reader call (default 64 KiB). */
  chunkSize?: number;
  /**
   * Link-time `_text` of this kernel, to report the KASLR offset as the running `_text` minus
   * it. Default {@link ARM64_KIMAGE_VADDR}.
   */
  linkTextAddress?: bigint;
  /** See {@link LinuxKallsymsOptions.absolutePercpu}. */
  absolutePercpu?: boolean;
}

/**
 * Reads the symbol table of a running Linux kernel from its memory, through a reader callback
 * (guest virtual or physical memory: the tables are found by structure, so any mapping that
 * covers the kernel's read-only data works).
 *
 * A booted kernel has relocated `kallsyms_relative_base`, so the addresses are the running
 * ones (KASLR included) with no offset to supply. `kaslrOffset` in the result is `start` minus
 * `linkTextAddress`. Before the kernel relocated itself (the loaded image in guest RAM), the
 * relocation is read as for an image file and the addresses are link-time ones. To find the
 * offset of a running kernel without reading its memory, decode the `Image` file and use
 * {@link kaslrOffsetFromSymbol} with `VBAR_EL1` (the address of `vectors`).
 *
 * @param read - the memory reader.
 * @param options - the range to scan.
 * @returns as {@link readLinuxKallsyms}; `layout` offsets are relative to `start`.
 * @throws {KsymError} as {@link readLinuxKallsyms}; `UNREADABLE` (with the `offset` from
 *   `start`) when a table lies in a chunk the reader could not read; `INVALID_ARGUMENT` for a
 *   bad range.
 */
export function readLinuxKallsymsFromMemory(
  read: LinuxMemoryReader,
  options: LinuxKallsymsMemoryOptions,
): LinuxKallsyms {
  const { start, size } = options;
  const chunk = options.chunkSize ?? 0x10000;
  if (
    !Number.isSafeInteger(size) ||
    size <= 0 ||
    size > 0x4000_0000 ||
    start < 0n ||
    start + BigInt(size) > U64 ||
    !Number.isSafeInteger(chunk) ||
    chunk <= 0
  ) {
    throw new KsymError({
      code: 'INVALID_ARGUMENT',
      message: `memory range \`0x${start.toString(16)}\` + \`${size}\` (chunk \`${chunk}\`) is not readable`,
    });
  }
  const buffer = new Uint8Array(size);
  const holes: [number, number][] = [];
  for (let off = 0; off < size; off += chunk) {
    const len = Math.min(chunk, size - off);
    let bytes: Uint8Array | undefined;
    try {
      bytes = read(start + BigInt(off), len);
    } catch {
      bytes = undefined;
    }
    if (bytes === undefined || bytes.length < len) holes.push([off, off + len]);
    if (bytes !== undefined) buffer.set(bytes.length > len ? bytes.subarray(0, len) : bytes, off);
  }
  const k = readLinuxKallsyms(buffer, {
    textAddress: start,
    absolutePercpu: options.absolutePercpu === true,
  });
  // Tables read as zeros from an unreadable chunk could decode to wrong symbols: refuse them.
  const l = k.layout;
  const n = k.symbols.length;
  const spans: [string, number, number][] = [
    ['kallsyms_offsets', l.offsets, l.offsets + 4 * n],
    ['kallsyms_relative_base', l.relativeBase, l.relativeBase + 8],
    ['kallsyms_num_syms … kallsyms_token_index', l.numSyms, l.tokenIndex + 512],
  ];
  for (const [what, from, to] of spans) {
    for (const [h0, h1] of holes) {
      if (h0 < to && from < h1) {
        const at = Math.max(from, h0);
        throw new KsymError({
          code: 'UNREADABLE',
          message: `${what} overlaps unreadable memory at 0x${(start + BigInt(at)).toString(16)}`,
          offset: at,
        });
      }
    }
  }
  return { ...k, kaslrOffset: start - (options.linkTextAddress ?? ARM64_KIMAGE_VADDR) };
}

/**
 * The KASLR displacement of a running kernel from one symbol's running address, for example
 * `VBAR_EL1` of a vCPU, which holds the address of `vectors` once the kernel has set it up.
 *
 * @param kallsyms - the link-time table (decoded with `kaslrOffset` 0).
 * @param name - the symbol, for example `'vectors'`.
 * @param runtimeAddress - where it is in the running kernel.
 * @returns `runtimeAddress − link address` (0 for a `nokaslr` boot).
 * @throws {KsymError} `INVALID_ARGUMENT` when the symbol is not in the table.
 */
export function kaslrOffsetFromSymbol(
  kallsyms: Pick<LinuxKallsyms, 'table' | 'kaslrOffset'>,
  name: string,
  runtimeAddress: bigint,
): bigint {
  const link = kallsyms.table.lookupName(name);
  if (link === undefined)
    throw new KsymError({
      code: 'INVALID_ARGUMENT',
      message: `symbol \`${name}\` is not in the kallsyms table`,
    });
  return runtimeAddress - (link - kallsyms.kaslrOffset);
}

/**
 * The same symbols moved by a different KASLR displacement (no re-decoding).
 * @param kallsyms - decoded symbols.
 * @param kaslrOffset - the new displacement (relative to link-time addresses).
 * @returns a new result with its own table.
 */
export function relocateLinuxKallsyms(kallsyms: LinuxKallsyms, kaslrOffset: bigint): LinuxKallsyms {
  const delta = kaslrOffset - kallsyms.kaslrOffset;
  const symbols = kallsyms.symbols.map((s) => ({
    address: (s.address + delta) & (U64 - 1n),
    type: s.type,
    name: s.name,
  }));
  return {
    ...kallsyms,
    symbols,
    table: KsymTable.fromSymbols(symbols),
    relativeBase: (kallsyms.relativeBase + delta) & (U64 - 1n),
    kaslrOffset,
  };
}

/**
 * Tells whether a file is an arm64 Linux `Image` (the header's magic `ARM\x64` at 0x38): what
 * Debian ships as `/boot/vmlinuz-*-arm64`, and what {@link readLinuxKallsyms} reads.
 * @param input - the file's bytes.
 * @returns true for an arm64 Linux Image.
 */
export function isLinuxArm64Image(input: Uint8Array): boolean {
  return (
    input.length >= 64 &&
    input[0x38] === 0x41 &&
    input[0x39] === 0x52 &&
    input[0x3a] === 0x4d &&
    input[0x3b] === 0x64
  );
}

// ---------------------------------------------------------------------------------------------

interface Located {
  layout: LinuxKallsymsLayout;
  n: number;
  names: string[];
  types: string[];
}

const align8 = (x: number): number => (x + 7) & ~7;

function locate(b: Uint8Array, v: DataView, absolutePercpu: boolean): Located {
  let best: Attempt | undefined;
  let anyTokens: Tokens | undefined;
  for (const tokens of tokenTables(b, v)) {
    anyTokens ??= tokens;
    const r = locateNames(b, v, tokens, absolutePercpu);
    if ('layout' in r) return r;
    if (r.attempt !== undefined && (best === undefined || r.attempt.progress > best.progress))
      best = r.attempt;
  }
  if (best !== undefined) throw best.error;
  if (anyTokens !== undefined) {
    throw new KsymError({
      code: 'NO_KALLSYMS',
      message: `a kallsyms token table is at 0x${anyTokens.tokenTable.toString(16)} but no kallsyms_num_syms/names/markers consistent with it`,
      offset: anyTokens.tokenTable,
    });
  }
  throw new KsymError({
    code: 'NO_KALLSYMS',
    message: `no kallsyms token table (256 NUL-terminated strings followed by their u16 index) in ${b.length} bytes`,
    offset: 0,
  });
}

/** Candidate (token table, token index) pairs, in image order. */
function* tokenTables(b: Uint8Array, v: DataView): Generator<Tokens> {
  const end = b.length - 512;
  const h = new Uint16Array(b.buffer, b.byteOffset, b.length >>> 1);
  for (let p = 0; p <= end; p += 8) {
    // Quick filter on host-order halves (both orders agree on 0 and on a small first index).
    if (h[p >>> 1] !== 0 || h[(p >>> 1) + 1] === 0) continue;
    const first = v.getUint16(p + 2, true);
    if (first < 1 || first > MAX_TOKEN_LEN + 1) continue;
    // Increasing by 1 (an unused, empty token) to MAX_TOKEN_LEN + 1; most tokens are not empty.
    let prev = first;
    let nonEmpty = first > 1 ? 1 : 0;
    let ok = true;
    for (let i = 2; i < 256; i++) {
      const x = v.getUint16(p + 2 * i, true);
      if (x < prev + 1 || x > prev + MAX_TOKEN_LEN + 1) {
        ok = false;
        break;
      }
      if (x > prev + 1) nonEmpty++;
      prev = x;
    }
    if (!ok || nonEmpty < MIN_TOKENS) continue;
    const last = prev;
    // The table starts 8-aligned; its last token ends with a NUL, then zeros up to `p`.
    for (let t = (p - last - 2) & ~7; t >= 0 && t >= p - last - MAX_TOKEN_LEN - 9; t -= 8) {
      const strings = tokensAt(b, v, t, p);
      if (strings !== undefined) {
        yield { tokenTable: t, tokenIndex: p, strings };
        break;
      }
    }
  }
}

function tokensAt(b: Uint8Array, v: DataView, t: number, p: number): string[] | undefined {
  const strings: string[] = new Array<string>(256);
  for (let i = 0; i < 256; i++) {
    const s = t + v.getUint16(p + 2 * i, true);
    let e = s;
    while (e < p && b[e] !== 0) e++;
    if (e >= p || (i === 255 && e === s)) return undefined;
    if (i < 255 && t + v.getUint16(p + 2 * i + 2, true) !== e + 1) return undefined;
    if (i === 255) {
      if (align8(e + 1) !== p) return undefined;
      for (let z = e + 1; z < p; z++) if (b[z] !== 0) return undefined;
    }
    let str = '';
    for (let k = s; k < e; k++) str += String.fromCharCode(b[k]!);
    strings[i] = str;
  }
  return strings;
}

type NamesResult = Located | { attempt: Attempt | undefined };

function locateNames(
  b: Uint8Array,
  v: DataView,
  tokens: Tokens,
  absolutePercpu: boolean,
): NamesResult {
  const T = tokens.tokenTable;
  let best: Attempt | undefined;
  const low = Math.max(8, T - MAX_NAMES_SPAN);
  for (let S = T - 8; S >= low; S -= 8) {
    if (v.getUint32(S - 4, true) !== 0) continue;
    const n = v.getUint32(S - 8, true);
    if (n === 0 || n > MAX_SYMS || S + 2 * n > T) continue;
    const k = (n + 255) >>> 8;
    for (const seqs of [false, true]) {
      const seqsSize = seqs ? align8(3 * n) : 0;
      const M = T - seqsSize - align8(4 * k);
      if (M < S + 2 * n || v.getUint32(M, true) !== 0) continue;
      let increasing = true;
      for (let i = 1; i < k && increasing; i++)
        increasing = v.getUint32(M + 4 * i, true) > v.getUint32(M + 4 * i - 4, true);
      if (!increasing || v.getUint32(M + 4 * (k - 1), true) >= M - S) continue;
      const decoded = decodeNames(b, v, S, n, M, k, tokens.strings);
      if ('error' in decoded) {
        if (best === undefined || decoded.progress > best.progress) best = decoded;
        continue;
      }
      const layout = placeOffsets(
        b,
        v,
        { S, n, M, tokens, seqs: seqs ? M + align8(4 * k) : undefined },
        absolutePercpu,
      );
      if ('error' in layout) {
        const attempt = { progress: n, error: layout.error };
        if (best === undefined || attempt.progress >= best.progress) best = attempt;
        continue;
      }
      return { layout, n, names: decoded.names, types: decoded.types };
    }
  }
  return { attempt: best };
}

function decodeNames(
  b: Uint8Array,
  v: DataView,
  S: number,
  n: number,
  M: number,
  k: number,
  tokens: string[],
): { names: string[]; types: string[] } | Attempt {
  const names: string[] = new Array<string>(n);
  const types: string[] = new Array<string>(n);
  const tokenBytes = tokens.map((t) => Uint16Array.from(t, (c) => c.charCodeAt(0)));
  const chars = new Uint16Array(MAX_NAME + 1);
  let pos = S;
  for (let i = 0; i < n; i++) {
    if ((i & 0xff) === 0) {
      const marker = v.getUint32(M + 4 * (i >>> 8), true);
      if (marker !== pos - S) {
        const blockStart = i === 0 ? S : S + v.getUint32(M + 4 * ((i >>> 8) - 1), true);
        return {
          progress: i,
          error: new KsymError({
            code: 'BAD_INDEX',
            message: `kallsyms_markers[${i >>> 8}] at 0x${(M + 4 * (i >>> 8)).toString(16)} is ${marker}, but symbol #${i} starts at ${pos - S} (a name record of symbols ${Math.max(0, i - 256)}..${i - 1} from 0x${blockStart.toString(16)} is corrupt)`,
            offset: M + 4 * (i >>> 8),
            symbol: i,
          }),
        };
      }
    }
    const at = pos;
    let len = b[pos]!;
    pos++;
    if (len & 0x80) {
      len = (len & 0x7f) | (b[pos]! << 7);
      pos++;
    }
    if (len === 0 || pos + len > M) {
      return {
        progress: i,
        error: new KsymError({
          code: 'BAD_RECORD',
          message: `name record of symbol #${i} at 0x${at.toString(16)} has length ${len}, outside kallsyms_names`,
          offset: at,
          symbol: i,
        }),
      };
    }
    // Expand the tokens into `chars`; the first character is the type letter.
    let m = 0;
    for (let j = 0; j < len; j++) {
      const tok = tokenBytes[b[pos + j]!]!;
      if (m + tok.length > chars.length) {
        m = chars.length + 1;
        break;
      }
      chars.set(tok, m);
      m += tok.length;
    }
    pos += len;
    const type = chars[0]!;
    if (m < 2 || m > chars.length || type <= 0x20 || type >= 0x7f) {
      return {
        progress: i,
        error: new KsymError({
          code: 'BAD_RECORD',
          message: `name record of symbol #${i} at 0x${at.toString(16)} has no type letter and name, or a name over ${MAX_NAME} bytes`,
          offset: at,
          symbol: i,
        }),
      };
    }
    types[i] = TYPE_LETTERS[type]!;
    names[i] = String.fromCharCode.apply(null, chars.subarray(1, m) as unknown as number[]);
  }
  if (pos > M || M - pos >= 8) {
    return {
      progress: n,
      error: new KsymError({
        code: 'BAD_RECORD',
        message: `kallsyms_names ends at 0x${pos.toString(16)}, not just before kallsyms_markers at 0x${M.toString(16)}`,
        offset: pos,
      }),
    };
  }
  return { names, types };
}

interface NamesPlace {
  S: number;
  n: number;
  M: number;
  tokens: Tokens;
  seqs: number | undefined;
}

/** Finds `kallsyms_offsets` and `kallsyms_relative_base` for names at `S`. */
function placeOffsets(
  b: Uint8Array,
  v: DataView,
  at: NamesPlace,
  absolutePercpu: boolean,
): LinuxKallsymsLayout | { error: KsymError } {
  const { S, n, M, tokens } = at;
  const common = {
    numSyms: S - 8,
    names: S,
    markers: M,
    tokenTable: tokens.tokenTable,
    tokenIndex: tokens.tokenIndex,
  };
  // Before num_syms: relative_base, and the offsets before it ('linux-4.6', 'linux-6.2').
  const R = S - 16;
  const O = R - align8(4 * n);
  let firstError: KsymError | undefined;
  if (O >= 0) {
    const bad = unsortedOffset(v, O, n, absolutePercpu);
    if (bad === undefined)
      return {
        kind: at.seqs === undefined ? 'linux-4.6' : 'linux-6.2',
        offsets: O,
        relativeBase: R,
        seqsOfNames: at.seqs,
        ...common,
      };
    firstError = bad;
  }
  // After the token index: offsets, relative_base, seqs_of_names ('linux-6.4').
  if (at.seqs === undefined) {
    const O2 = align8(tokens.tokenIndex + 512);
    const R2 = align8(O2 + 4 * n);
    const Q2 = R2 + 8;
    if (Q2 + 3 * n <= b.length) {
      const bad = unsortedOffset(v, O2, n, absolutePercpu);
      if (bad === undefined && isPermutation(b, Q2, n))
        return { kind: 'linux-6.4', offsets: O2, relativeBase: R2, seqsOfNames: Q2, ...common };
      firstError ??= bad;
    }
  }
  return {
    error:
      firstError ??
      new KsymError({
        code: 'UNSUPPORTED_LAYOUT',
        message: `kallsyms_names at 0x${S.toString(16)} has no kallsyms_offsets before it or after the token index`,
        offset: S,
      }),
  };
}

/** The error for the first offset that breaks address order, or undefined when sorted. */
function unsortedOffset(
  v: DataView,
  O: number,
  n: number,
  absolutePercpu: boolean,
): KsymError | undefined {
  let prev = -Infinity;
  for (let i = 0; i < n; i++) {
    const raw = v.getInt32(O + 4 * i, true);
    // Order key: relative offsets as u32; with absolute percpu, absolute values sort first.
    const key = absolutePercpu ? (raw >= 0 ? raw : 2 ** 32 + (-1 - raw)) : raw >>> 0;
    if (key < prev) {
      return new KsymError({
        code: 'BAD_ORDER',
        message: `kallsyms_offsets[${i}] at 0x${(O + 4 * i).toString(16)} is below the one before it`,
        offset: O + 4 * i,
        symbol: i,
      });
    }
    prev = key;
  }
  return undefined;
}

function readSeqs(b: Uint8Array, Q: number, n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let j = 0; j < n; j++)
    out[j] = (b[Q + 3 * j]! << 16) | (b[Q + 3 * j + 1]! << 8) | b[Q + 3 * j + 2]!;
  return out;
}

function isPermutation(b: Uint8Array, Q: number, n: number): boolean {
  const seen = new Uint8Array(n);
  for (let j = 0; j < n; j++) {
    const idx = (b[Q + 3 * j]! << 16) | (b[Q + 3 * j + 1]! << 8) | b[Q + 3 * j + 2]!;
    if (idx >= n || seen[idx] === 1) return false;
    seen[idx] = 1;
  }
  return true;
}

function buildSymbols(
  v: DataView,
  O: number,
  n: number,
  base: bigint,
  names: string[],
  types: string[],
  absolutePercpu: boolean,
): KsymInput[] {
  const out: KsymInput[] = new Array<KsymInput>(n);
  const mask = U64 - 1n;
  for (let i = 0; i < n; i++) {
    const raw = v.getInt32(O + 4 * i, true);
    let address: bigint;
    if (!absolutePercpu) address = (base + BigInt(raw >>> 0)) & mask;
    else if (raw >= 0) address = BigInt(raw);
    else address = (base - 1n - BigInt(raw)) & mask;
    out[i] = { address, type: types[i]!, name: names[i]! };
  }
  return out;
}

/**
 * The addend of the `R_AARCH64_RELATIVE` relocation (Elf64_Rela, 24 bytes, in the image's
 * `.rela.dyn`) that writes the u64 at image offset `field`, or undefined.
 */
function relocatedValue(
  b: Uint8Array,
  v: DataView,
  field: number,
  textAddress: bigint | undefined,
): bigint | undefined {
  const fieldOff = BigInt(field);
  let fallback: bigint | undefined;
  const w = new Uint32Array(b.buffer, b.byteOffset, b.length >>> 2);
  const info = v.getUint32(0, true) === w[0] ? R_AARCH64_RELATIVE : byteSwap32(R_AARCH64_RELATIVE);
  for (let q = 0; q + 24 <= b.length; q += 8) {
    if (w[(q >>> 2) + 2] !== info || w[(q >>> 2) + 3] !== 0) continue;
    const rOffset = v.getBigUint64(q, true);
    const addend = v.getBigUint64(q + 16, true);
    const text = rOffset - fieldOff;
    if (textAddress !== undefined) {
      if (text === textAddress) return addend;
      continue;
    }
    // A kernel base: in the upper half, 64 KiB aligned; the value points into the image.
    if (
      text >> 48n !== 0xffffn ||
      (text & 0xffffn) !== 0n ||
      addend < text ||
      addend - text >= MAX_IMAGE
    )
      continue;
    if (text === ARM64_KIMAGE_VADDR) return addend;
    fallback ??= addend;
  }
  return fallback;
}

function byteSwap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/** The `Linux version …` banner (up to its newline), or undefined. */
function findBanner(b: Uint8Array): string | undefined {
  const needle = [
    0x4c, 0x69, 0x6e, 0x75, 0x78, 0x20, 0x76, 0x65, 0x72, 0x73, 0x69, 0x6f, 0x6e, 0x20,
  ]; // "Linux version "
  let from = 0;
  for (;;) {
    const i = b.indexOf(needle[0]!, from);
    if (i < 0 || i + needle.length > b.length) return undefined;
    let match = true;
    for (let j = 1; j < needle.length && match; j++) match = b[i + j] === needle[j];
    if (match && b[i + needle.length] !== 0x25 /* not the "%s" format */) {
      let e = i;
      while (e < b.length && e - i < 512 && b[e] !== 0 && b[e] !== 0x0a) e++;
      let s = '';
      for (let k = i; k < e; k++) s += String.fromCharCode(b[k]!);
      return s;
    }
    from = i + 1;
  }
}
