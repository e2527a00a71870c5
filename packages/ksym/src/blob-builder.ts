// SPDX-License-Identifier: MIT
// Builds a Starry-OS/ksym-layout blob (port of the layout of Starry-OS/ksym src/bin/gen_ksym.rs;
// the token selection is this package's own, deterministic one: see README "Differences").

import { MAX_TOKENS, RECORD_HEADER_SIZE, TOKEN_MARKER } from './blob-format.js';
import { KSYM_NAME_LEN, KsymError } from './errors.js';
import type { KsymInput } from './types.js';

const encoder = new TextEncoder();

/** Options of {@link buildBlob}. */
export interface BuildBlobOptions {
  /** Most tokens to select (1..511, default 511). 0 disables compression. */
  maxTokens?: number;
}

/** A built blob and figures about it. */
export interface BuiltBlob {
  /** The blob bytes. */
  readonly blob: Uint8Array;
  /** Number of symbols. */
  readonly symbolCount: number;
  /** Number of tokens in the token table. */
  readonly tokenCount: number;
  /** Total raw name bytes. */
  readonly nameBytes: number;
  /** Bytes of the names array (records, after compression). */
  readonly namesArrayBytes: number;
}

/**
 * Builds a kallsyms blob in the Starry-OS/ksym layout (u64 count, u64 addresses, u32 record
 * offsets, u32 name-order index, names with one prefix token each, token table and index).
 * The output depends only on the input list: same symbols in, same bytes out.
 *
 * @param symbols - the symbols, in any order; equal addresses keep their input order (stable
 *   sort), so give `nm -n` order for `nm`-compatible alias order.
 * @param options - see {@link BuildBlobOptions}.
 * @returns the blob and its figures.
 * @throws {KsymError} `BAD_NAME` for an empty name, a name with a NUL or 0xFF byte or longer
 *   than {@link KSYM_NAME_LEN}; `INVALID_ARGUMENT` for a type that is not one ASCII character or
 *   an address outside 0..2^64−1.
 * @example
 * ```ts
 * const { blob } = buildBlob(parseNmText(execSync('nm -n vmlinux', { encoding: 'utf8' })));
 * ```
 */
export function buildBlob(
  symbols: readonly KsymInput[],
  options: BuildBlobOptions = {},
): BuiltBlob {
  const maxTokens = options.maxTokens ?? MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 0 || maxTokens > MAX_TOKENS) {
    throw new KsymError({
      code: 'INVALID_ARGUMENT',
      message: `maxTokens \`${maxTokens}\` is not in 0..${MAX_TOKENS}`,
    });
  }
  const n = symbols.length;
  const names: Uint8Array[] = new Array<Uint8Array>(n);
  let nameBytes = 0;
  for (let i = 0; i < n; i++) {
    const s = symbols[i]!;
    const bytes = encoder.encode(s.name);
    if (
      bytes.length === 0 ||
      bytes.length > KSYM_NAME_LEN ||
      bytes.includes(0) ||
      bytes.includes(TOKEN_MARKER)
    ) {
      throw new KsymError({
        code: 'BAD_NAME',
        message: `symbol #${i} has an empty, too long or NUL/0xFF-containing name`,
        symbol: i,
      });
    }
    if (s.type.length !== 1 || s.type.charCodeAt(0) > 0x7f) {
      throw new KsymError({
        code: 'INVALID_ARGUMENT',
        message: `symbol #${i} type \`${s.type}\` is not one ASCII character`,
        symbol: i,
      });
    }
    if (s.address < 0n || s.address > 0xffff_ffff_ffff_ffffn) {
      throw new KsymError({
        code: 'INVALID_ARGUMENT',
        message: `symbol #${i} address is outside 0..2^64-1`,
        symbol: i,
      });
    }
    names[i] = bytes;
    nameBytes += bytes.length;
  }
  // Address order (stable) and name order (byte-wise, stable).
  const byAddress = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
    const x = symbols[a]!.address;
    const y = symbols[b]!.address;
    return x < y ? -1 : x > y ? 1 : a - b;
  });
  const byName = Array.from({ length: n }, (_, i) => i).sort(
    (a, b) => compareBytes(names[a]!, names[b]!) || a - b,
  );

  const tokens = selectTokens(names, byName, maxTokens);
  const trie = buildTokenTrie(tokens);

  // Records in address order.
  const records: Uint8Array[] = new Array<Uint8Array>(n);
  let namesLen = 0;
  for (let k = 0; k < n; k++) {
    const i = byAddress[k]!;
    const name = names[i]!;
    const [id, length] = longestToken(trie, name);
    const markerSize = id < 0 ? 0 : id < 256 ? 3 : 4;
    const payloadLen = id < 0 ? name.length : markerSize + name.length - length;
    if (payloadLen > 0xffff) {
      throw new KsymError({
        code: 'BAD_NAME',
        message: `symbol #${i} name does not fit a record`,
        symbol: i,
      });
    }
    const record = new Uint8Array(RECORD_HEADER_SIZE + payloadLen);
    record[0] = symbols[i]!.type.charCodeAt(0);
    record[1] = payloadLen & 0xff;
    record[2] = payloadLen >>> 8;
    let p = RECORD_HEADER_SIZE;
    if (id >= 0) {
      record[p++] = TOKEN_MARKER;
      if (id >= 256) record[p++] = id >>> 8;
      record[p++] = id & 0xff;
      record[p++] = TOKEN_MARKER;
      record.set(name.subarray(length), p);
    } else {
      record.set(name, p);
    }
    records[k] = record;
    namesLen += record.length;
  }
  const positionOf = new Int32Array(n);
  for (let k = 0; k < n; k++) positionOf[byAddress[k]!] = k;

  const tokenTableLen = tokens.reduce((sum, t) => sum + t.length, 0);
  const w = new BlobWriter();
  w.u64(BigInt(n));
  w.align(8);
  for (let k = 0; k < n; k++) w.u64(symbols[byAddress[k]!]!.address);
  w.align(4);
  let offset = 0;
  for (let k = 0; k < n; k++) {
    w.u32(offset);
    offset += records[k]!.length;
  }
  w.align(4);
  for (let j = 0; j < n; j++) w.u32(positionOf[byName[j]!]!);
  w.align(8);
  w.u64(BigInt(namesLen));
  for (const record of records) w.bytes(record);
  w.align(8);
  w.u64(BigInt(tokenTableLen));
  for (const token of tokens) w.bytes(token);
  w.align(8);
  w.u64(BigInt(tokens.length));
  w.align(4);
  let tokenOffset = 0;
  for (const token of tokens) {
    w.u32(tokenOffset);
    tokenOffset += token.length;
  }
  return {
    blob: w.finish(),
    symbolCount: n,
    tokenCount: tokens.length,
    nameBytes,
    namesArrayBytes: namesLen,
  };
}

/** @internal Byte-wise comparison (the order of Rust `Ord for [u8]`/`str`). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Picks prefix tokens. Candidates are the shared prefixes of the name trie (every longest
 * common prefix of a run of neighbouring names in name order, plus repeated whole names), each
 * with the number of names it starts. They are ranked by estimated saving
 * `count × (length − 3)`, ties broken by the token bytes, so the choice is deterministic.
 */
function selectTokens(names: Uint8Array[], byName: number[], maxTokens: number): Uint8Array[] {
  const n = byName.length;
  if (maxTokens === 0 || n < 2) return [];
  const lcp = new Int32Array(n + 1);
  for (let j = 1; j < n; j++) lcp[j] = commonPrefix(names[byName[j - 1]!]!, names[byName[j]!]!);
  interface Candidate {
    first: number;
    length: number;
    count: number;
    score: number;
  }
  const candidates: Candidate[] = [];
  const stackLen: number[] = [0];
  const stackStart: number[] = [0];
  for (let j = 1; j <= n; j++) {
    const l = lcp[j]!; // lcp[n] is 0: closes every open run
    let start = j - 1;
    while (stackLen[stackLen.length - 1]! > l) {
      const length = stackLen.pop()!;
      start = stackStart.pop()!;
      const count = j - start;
      // A 1-byte id marker costs 3 bytes: shorter prefixes save nothing.
      if (length > 4 && length <= 0xffff)
        candidates.push({ first: start, length, count, score: count * (length - 3) });
    }
    if (stackLen[stackLen.length - 1]! < l) {
      stackLen.push(l);
      stackStart.push(start);
    }
  }
  const bytesOf = (c: Candidate): Uint8Array => names[byName[c.first]!]!.subarray(0, c.length);
  candidates.sort((a, b) => b.score - a.score || compareBytes(bytesOf(a), bytesOf(b)));
  return candidates.slice(0, maxTokens).map((c) => bytesOf(c).slice());
}

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const len = Math.min(a.length, b.length);
  let i = 0;
  while (i < len && a[i] === b[i]) i++;
  return i;
}

interface TrieNode {
  id: number;
  children: Map<number, TrieNode>;
}

function buildTokenTrie(tokens: Uint8Array[]): TrieNode {
  const root: TrieNode = { id: -1, children: new Map() };
  tokens.forEach((token, id) => {
    let node = root;
    for (const byte of token) {
      let next = node.children.get(byte);
      if (next === undefined) {
        next = { id: -1, children: new Map() };
        node.children.set(byte, next);
      }
      node = next;
    }
    node.id = id;
  });
  return root;
}

/** The longest token that is a prefix of `name`: [id, length], or [-1, 0]. */
function longestToken(root: TrieNode, name: Uint8Array): [number, number] {
  let node: TrieNode | undefined = root;
  let best = -1;
  let bestLength = 0;
  for (let i = 0; i < name.length; i++) {
    node = node.children.get(name[i]!);
    if (node === undefined) break;
    if (node.id >= 0) {
      best = node.id;
      bestLength = i + 1;
    }
  }
  return [best, bestLength];
}

class BlobWriter {
  #buf = new Uint8Array(1 << 16);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  align(a: number): void {
    const pad = (a - (this.#len % a)) % a;
    this.#room(pad);
    this.#len += pad; // the buffer is zero-filled
  }

  u32(v: number): void {
    this.#room(4);
    this.#view.setUint32(this.#len, v, true);
    this.#len += 4;
  }

  u64(v: bigint): void {
    this.#room(8);
    this.#view.setBigUint64(this.#len, v, true);
    this.#len += 8;
  }

  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
