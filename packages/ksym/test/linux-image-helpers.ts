// SPDX-License-Identifier: MIT
// Test helper: writes a fake Linux kernel image holding kallsyms tables in a chosen layout, from
// a known symbol list, the way scripts/kallsyms.c lays them out (format facts; the token choice
// here is a simple one of its own). Lets CI test the decoder without a real kernel.

import type { KsymInput } from '../src/index.js';

export type FakeLayout = 'linux-4.6' | 'linux-6.2' | 'linux-6.4';

export interface FakeImageOptions {
  layout: FakeLayout;
  /** Address of byte 0 of the image (`_text`). */
  text: bigint;
  /** Write `kallsyms_relative_base` as 0 and put its value in an R_AARCH64_RELATIVE Elf64_Rela. */
  relocate?: boolean;
  /** Bytes of filler before the tables (default 4096). */
  before?: number;
  /** Bytes of filler after the tables (default 4096). */
  after?: number;
  /** Leave this many token slots empty (as a small kernel's table does). */
  emptyTokens?: number;
  /** CONFIG_KALLSYMS_ABSOLUTE_PERCPU: symbols below this address are written as absolute offsets. */
  absolutePercpuBelow?: bigint;
}

export interface FakeImage {
  bytes: Uint8Array;
  /** Byte offsets of each table. */
  at: Record<
    'offsets' | 'relativeBase' | 'numSyms' | 'names' | 'markers' | 'tokenTable' | 'tokenIndex',
    number
  > & { seqs?: number; rela?: number };
  /** The relative base written (lowest non-absolute address). */
  relativeBase: bigint;
}

class Writer {
  bytes: number[] = [];
  get pos(): number {
    return this.bytes.length;
  }
  align(a: number): void {
    while (this.bytes.length % a !== 0) this.bytes.push(0);
  }
  u8(...v: number[]): void {
    this.bytes.push(...v);
  }
  u16(v: number): void {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff);
  }
  u32(v: number): void {
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  u64(v: bigint): void {
    for (let i = 0n; i < 8n; i++) this.bytes.push(Number((v >> (8n * i)) & 0xffn));
  }
  filler(n: number, seed: number): void {
    let s = seed;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      this.bytes.push((s >>> 16) & 0xff);
    }
  }
  text(s: string): void {
    for (const c of s) this.bytes.push(c.charCodeAt(0));
  }
}

/** Token table: every used byte is its own token; free codes take frequent substrings. */
export function chooseTokens(strings: string[], emptyTokens = 0): string[] {
  const tokens: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);
  for (const s of strings) for (const c of s) tokens[c.charCodeAt(0)] = c;
  const counts = new Map<string, number>();
  const step = Math.max(1, Math.floor(strings.length / 5000));
  for (let k = 0; k < strings.length; k += step) {
    const s = strings[k]!;
    for (let len = 2; len <= 6; len++) {
      for (let i = 0; i + len <= s.length; i += 1) {
        const sub = s.slice(i, i + len);
        counts.set(sub, (counts.get(sub) ?? 0) + len - 1);
      }
    }
  }
  const ranked = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k]) => k);
  let next = 0;
  let empty = emptyTokens;
  for (let c = 255; c >= 0; c--) {
    if (tokens[c] !== undefined) continue;
    if (empty > 0 && c < 255) {
      tokens[c] = '';
      empty--;
      continue;
    }
    tokens[c] = ranked[next++] ?? '';
  }
  return tokens as string[];
}

/** Greedy longest-token encoding. */
export function encode(s: string, tokens: string[]): number[] {
  let ids = encoders.get(tokens);
  if (ids === undefined) {
    ids = new Map<string, number>();
    for (let t = 255; t >= 0; t--) if (tokens[t] !== '') ids.set(tokens[t]!, t);
    encoders.set(tokens, ids);
  }
  const maxLen = Math.max(...tokens.map((t) => t.length));
  const out: number[] = [];
  let i = 0;
  while (i < s.length) {
    let len = Math.min(maxLen, s.length - i);
    while (len > 0 && !ids.has(s.slice(i, i + len))) len--;
    if (len === 0) throw new Error(`no token for ${JSON.stringify(s[i])}`);
    out.push(ids.get(s.slice(i, i + len))!);
    i += len;
  }
  return out;
}

const encoders = new WeakMap<string[], Map<string, number>>();

/**
 * Writes a fake image with kallsyms tables for `symbols` (address order), in the requested
 * layout; the banner `Linux version 9.9.9-fake` is in the filler before the tables.
 */
export function buildFakeImage(symbols: KsymInput[], options: FakeImageOptions): FakeImage {
  const n = symbols.length;
  const w = new Writer();
  w.filler(options.before ?? 4096, 7);
  w.text('Linux version 9.9.9-fake (test@example) #1 SMP\n\0');
  w.align(8);
  const percpu = options.absolutePercpuBelow;
  const relative = symbols.filter((s) => percpu === undefined || s.address >= percpu);
  const relativeBase = relative.length > 0 ? relative[0]!.address : 0n;
  const full = symbols.map((s) => s.type + s.name);
  const tokens = chooseTokens(full, options.emptyTokens ?? 0);
  const at: FakeImage['at'] = {
    offsets: 0,
    relativeBase: 0,
    numSyms: 0,
    names: 0,
    markers: 0,
    tokenTable: 0,
    tokenIndex: 0,
  };

  const writeOffsets = (): void => {
    w.align(8);
    at.offsets = w.pos;
    for (const s of symbols) {
      if (percpu !== undefined && s.address < percpu) w.u32(Number(s.address));
      else if (percpu !== undefined) w.u32(Number(relativeBase - s.address - 1n) | 0);
      else w.u32(Number(s.address - relativeBase));
    }
    w.align(8);
    at.relativeBase = w.pos;
    w.u64(options.relocate === true ? 0n : relativeBase);
  };
  const writeSeqs = (): void => {
    w.align(8);
    at.seqs = w.pos;
    const order = symbols
      .map((_, i) => i)
      .sort((a, b) =>
        symbols[a]!.name < symbols[b]!.name ? -1 : symbols[a]!.name > symbols[b]!.name ? 1 : a - b,
      );
    for (const i of order) w.u8((i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
  };
  if (options.layout !== 'linux-6.4') writeOffsets();
  w.align(8);
  at.numSyms = w.pos;
  w.u32(n);
  w.align(8);
  at.names = w.pos;
  const markers: number[] = [];
  for (let i = 0; i < n; i++) {
    if ((i & 0xff) === 0) markers.push(w.pos - at.names);
    const enc = encode(full[i]!, tokens);
    if (enc.length <= 0x7f) w.u8(enc.length);
    else w.u8((enc.length & 0x7f) | 0x80, enc.length >> 7);
    w.u8(...enc);
  }
  w.align(8);
  at.markers = w.pos;
  for (const m of markers) w.u32(m);
  if (options.layout === 'linux-6.2') writeSeqs();
  w.align(8);
  at.tokenTable = w.pos;
  const index: number[] = [];
  for (const t of tokens) {
    index.push(w.pos - at.tokenTable);
    w.text(t);
    w.u8(0);
  }
  w.align(8);
  at.tokenIndex = w.pos;
  for (const x of index) w.u16(x);
  if (options.layout === 'linux-6.4') {
    writeOffsets();
    writeSeqs();
  }
  w.align(8);
  w.filler(options.after ?? 4096, 11);
  if (options.relocate === true) {
    // .rela.dyn: a few unrelated entries, then the one that writes relative_base.
    w.align(8);
    for (let i = 0; i < 3; i++) {
      w.u64(options.text + 0x100n + BigInt(i * 8));
      w.u64(1027n);
      w.u64(options.text + 0x2000n);
    }
    at.rela = w.pos;
    w.u64(options.text + BigInt(at.relativeBase));
    w.u64(1027n);
    w.u64(relativeBase);
  }
  return { bytes: Uint8Array.from(w.bytes), at, relativeBase };
}

/** Deterministic kernel-like symbols in address order, with aliases and one 305-byte name. */
export function fakeKernelSymbols(count: number, base: bigint, seed = 3): KsymInput[] {
  let s = seed;
  const rand = (k: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) % k;
  };
  const words = [
    'do',
    'sys',
    'open',
    'read',
    'write',
    'vfs',
    'sched',
    'mm',
    'irq',
    'gic',
    'handle',
    'entry',
    'exit',
    'lock',
    'page',
    'fault',
    'init',
    'tcp',
    'ext4',
  ];
  const types = ['T', 't', 't', 'T', 'W', 'r', 'd'];
  const out: KsymInput[] = [];
  let addr = base;
  for (let i = 0; i < count; i++) {
    if (i === 0 || rand(8) !== 0) addr += BigInt(4 * (1 + rand(200)));
    let name = `${words[rand(words.length)]}_${words[rand(words.length)]}${rand(3) === 0 ? `_${words[rand(words.length)]}` : ''}${rand(5) === 0 ? `.${rand(100)}` : ''}`;
    if (i === Math.floor(count / 2)) {
      // Longer than 127 token bytes: a 2-byte (ULEB128) length in kallsyms_names.
      name = 'long_';
      for (let k = 0; k < 300; k++) name += 'abcdefghijklmnopqrstuvwxyz0123456789'[rand(36)];
    }
    out.push({
      address: addr,
      type: i === 0 ? 'T' : types[rand(types.length)]!,
      name: i === 0 ? '_stext' : name,
    });
  }
  return out;
}
