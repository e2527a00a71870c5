// SPDX-License-Identifier: MIT
// Map output in bpftrace's format: `@name[key]: value` lines sorted by value, `count N, average
// A, total T` for stats, and histograms with power-of-two (`[4K, 8K)`) or linear labels and
// 52-character `@` bars (layout facts from bpftrace's output of hist() and lhist()).

import { STRING_SIZE } from './types.js';
import type { MapSpec } from './types.js';

/** One map entry as read from the map: raw key and value bytes. */
export interface MapEntry {
  /** Key bytes. */
  readonly key: Uint8Array;
  /** Value bytes. */
  readonly value: Uint8Array;
}

/** A decoded key part. */
export type KeyValue = bigint | string;

const BAR_WIDTH = 52;

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function cString(b: Uint8Array): string {
  const end = b.indexOf(0);
  return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
}

/**
 * Decodes a map key into its parts (the bucket of a hist/lhist key is not part of it).
 * @param spec - the map.
 * @param key - key bytes.
 * @returns the parts: bigint for integers (signed as the key expression was), string for strings.
 */
export function decodeKey(spec: MapSpec, key: Uint8Array): KeyValue[] {
  const v = view(key);
  const out: KeyValue[] = [];
  let at = 0;
  for (const part of spec.keys) {
    if (part.t === 'str') {
      out.push(cString(key.subarray(at, at + STRING_SIZE)));
      at += STRING_SIZE;
    } else {
      out.push(part.signed ? v.getBigInt64(at, true) : v.getBigUint64(at, true));
      at += 8;
    }
  }
  return out;
}

function keyText(spec: MapSpec, parts: readonly KeyValue[]): string {
  if (spec.keys.length === 0) return spec.name;
  return `${spec.name}[${parts.map(String).join(', ')}]`;
}

function compareKeys(a: readonly KeyValue[], b: readonly KeyValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : 1;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

/** bpftrace's power-of-two label: 1, 512, 1K, 2M ... */
function pow2Label(power: number): string {
  const suffix = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  const k = Math.floor(power / 10);
  return `${2 ** (power - 10 * k)}${suffix[k]}`;
}

/**
 * The label of a hist() bucket.
 * @param index - bucket index: 0 negative, 1 zero, then `2 + floor(log2 v)`.
 * @returns `(..., 0)`, `[0]`, `[1]`, `[2, 4)`, `[1K, 2K)` ...
 */
export function histLabel(index: number): string {
  if (index === 0) return '(..., 0)';
  if (index === 1) return '[0]';
  if (index === 2) return '[1]';
  return `[${pow2Label(index - 2)}, ${pow2Label(index - 1)})`;
}

/**
 * Renders histogram rows.
 * @param rows - label and count of each bucket, in order (zero rows included).
 * @returns the lines, trimmed to the first and last non-zero bucket.
 */
export function renderBars(rows: readonly { label: string; count: bigint }[]): string[] {
  const first = rows.findIndex((r) => r.count !== 0n);
  if (first < 0) return [];
  let last = rows.length - 1;
  while (rows[last]!.count === 0n) last--;
  const max = rows.reduce((m, r) => (r.count > m ? r.count : m), 0n);
  return rows.slice(first, last + 1).map((r) => {
    const n = max === 0n ? 0 : Number((r.count * BigInt(BAR_WIDTH)) / max);
    return `${r.label.padEnd(16)}${r.count.toString().padStart(8)} |${'@'.repeat(n).padEnd(BAR_WIDTH)}|`;
  });
}

/**
 * Formats a map's entries as bpftrace prints them at exit or on `print()`.
 * @param spec - the map.
 * @param entries - its entries.
 * @returns the text (ends with a blank line), or '' for an empty map.
 */
export function formatMap(spec: MapSpec, entries: readonly MapEntry[]): string {
  if (entries.length === 0 || spec.kind === 'ringbuf') return '';
  const u64 = (b: Uint8Array, at: number): bigint => view(b).getBigUint64(at, true);
  const num = (raw: bigint): bigint => (spec.signed ? BigInt.asIntN(64, raw) : raw);
  if (spec.kind === 'hist' || spec.kind === 'lhist') {
    const groups = new Map<string, { parts: KeyValue[]; buckets: Map<number, bigint> }>();
    for (const e of entries) {
      const parts = decodeKey(spec, e.key);
      const id = JSON.stringify(parts.map(String));
      let g = groups.get(id);
      if (g === undefined) groups.set(id, (g = { parts, buckets: new Map() }));
      const bucket = Number(u64(e.key, spec.keySize - 8));
      g.buckets.set(bucket, (g.buckets.get(bucket) ?? 0n) + u64(e.value, 0));
    }
    const out: string[] = [];
    for (const g of [...groups.values()].sort((a, b) => compareKeys(a.parts, b.parts))) {
      const rows: { label: string; count: bigint }[] = [];
      if (spec.kind === 'hist') {
        const top = Math.max(...g.buckets.keys());
        for (let i = 0; i <= top; i++)
          rows.push({ label: histLabel(i), count: g.buckets.get(i) ?? 0n });
      } else {
        const { min, max, step } = spec.lhist!;
        const n = Number((max - min + step - 1n) / step);
        rows.push({ label: `(..., ${min})`, count: g.buckets.get(0) ?? 0n });
        for (let i = 0; i < n; i++) {
          const lo = min + BigInt(i) * step;
          const hi = lo + step > max ? max : lo + step;
          rows.push({ label: `[${lo}, ${hi})`, count: g.buckets.get(i + 1) ?? 0n });
        }
        rows.push({ label: `[${max}, ...)`, count: g.buckets.get(n + 1) ?? 0n });
      }
      out.push(`${keyText(spec, g.parts)}:`, ...renderBars(rows), '');
    }
    return `${out.join('\n')}\n`;
  }
  const rows = entries.map((e) => {
    const parts = decodeKey(spec, e.key);
    let sortValue: bigint;
    let text: string;
    switch (spec.kind) {
      case 'avg':
      case 'stats': {
        const count = u64(e.value, 0);
        const total = num(u64(e.value, 8));
        const average = count === 0n ? 0n : total / count;
        sortValue = average;
        text =
          spec.kind === 'avg'
            ? String(average)
            : `count ${count}, average ${average}, total ${total}`;
        break;
      }
      case 'count':
        sortValue = u64(e.value, 0);
        text = String(sortValue);
        break;
      default:
        sortValue = num(u64(e.value, 0));
        text = String(sortValue);
    }
    return { parts, sortValue, line: `${keyText(spec, parts)}: ${text}` };
  });
  rows.sort((a, b) =>
    a.sortValue < b.sortValue ? -1 : a.sortValue > b.sortValue ? 1 : compareKeys(a.parts, b.parts),
  );
  return `${rows.map((r) => r.line).join('\n')}\n\n`;
}
