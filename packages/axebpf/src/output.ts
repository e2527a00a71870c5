// SPDX-License-Identifier: MIT
// Text and JSON renderings of statistics, histograms and events, for shells and reports.

import type { TraceEvent } from './event.js';
import { bucketHigh, bucketLow, type HistogramSnapshot } from './histogram.js';
import type { EventStatsSnapshot } from './stats.js';

const SUFFIXES = ['', 'K', 'M', 'G', 'T', 'P', 'E'];

/**
 * Formats a power of two the way bpftrace labels buckets (`1K` = 1024).
 * @param value - a power of two or 0.
 * @returns the label.
 */
export function formatPowerOfTwo(value: number): string {
  let v = value;
  let i = 0;
  while (v >= 1024 && v % 1024 === 0 && i < SUFFIXES.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v}${SUFFIXES[i]}`;
}

/**
 * Formats nanoseconds with a unit (`850ns`, `12.3us`, `4.50ms`, `1.20s`).
 * @param ns - nanoseconds.
 * @returns the text.
 */
export function formatDuration(ns: number | undefined): string {
  if (ns === undefined) return '-';
  if (ns < 1_000) return `${Math.round(ns)}ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(ns < 10_000 ? 2 : 1)}us`;
  if (ns < 1_000_000_000) return `${(ns / 1_000_000).toFixed(2)}ms`;
  return `${(ns / 1_000_000_000).toFixed(2)}s`;
}

/**
 * Renders a histogram as bpftrace does: one line per bucket from the first to the last
 * non-empty one, `[lo, hi)  count |@@@@   |`, then the percentiles.
 * @param histogram - a snapshot.
 * @param options - `title` line and bar `width` (default 52).
 * @returns the text, one line per bucket; `(no samples)` when empty.
 */
export function renderHistogram(
  histogram: HistogramSnapshot,
  options: { title?: string; width?: number } = {},
): string {
  const width = options.width ?? 52;
  const lines: string[] = [];
  if (options.title !== undefined) lines.push(options.title);
  const first = histogram.buckets.findIndex((c) => c > 0);
  if (first < 0) {
    lines.push('(no samples)');
    return lines.join('\n');
  }
  let last = first;
  histogram.buckets.forEach((c, i) => {
    if (c > 0) last = i;
  });
  const peak = Math.max(...histogram.buckets);
  for (let k = first; k <= last; k++) {
    const count = histogram.buckets[k]!;
    const label =
      k === 0
        ? '[0]'
        : k === 1
          ? '[1]'
          : `[${formatPowerOfTwo(bucketLow(k))}, ${formatPowerOfTwo(bucketHigh(k))})`;
    const bar = '@'.repeat(Math.round((count / peak) * width));
    lines.push(`${label.padEnd(20)}${String(count).padStart(8)} |${bar.padEnd(width)}|`);
  }
  lines.push(
    `p50 ${formatDuration(histogram.p50)}  p90 ${formatDuration(histogram.p90)}  p99 ${formatDuration(histogram.p99)}  (n=${histogram.total})`,
  );
  return lines.join('\n');
}

/**
 * Renders rows as an aligned text table.
 * @param headers - column titles.
 * @param rows - cells as text.
 * @param align - `l` or `r` per column (default: left for the first, right for the rest).
 * @returns the table with a header rule.
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly ('l' | 'r')[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: readonly string[]) =>
    cells
      .map((c, i) =>
        (align?.[i] ?? (i === 0 ? 'l' : 'r')) === 'l'
          ? c.padEnd(widths[i]!)
          : c.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/**
 * Renders per-event statistics as a table: name, count, min, avg, max, total.
 * @param stats - snapshots.
 * @returns the table.
 */
export function renderStats(stats: readonly EventStatsSnapshot[]): string {
  return renderTable(
    ['event', 'count', 'min', 'avg', 'max', 'total'],
    stats.map((s) => [
      s.name,
      String(s.count),
      formatDuration(s.minNs),
      formatDuration(s.avgNs),
      formatDuration(s.maxNs),
      formatDuration(s.totalNs),
    ]),
  );
}

/**
 * Renders one event as a line: `<secs.usecs> cpu=<n> vm=<n> <type> <name> args=[...] dur=<d>`.
 * @param event - the event.
 * @returns the line.
 */
export function renderEvent(event: TraceEvent): string {
  const secs = event.timestampNs / 1_000_000_000n;
  const usecs = (event.timestampNs % 1_000_000_000n) / 1_000n;
  const args = event.args.map((a) => `0x${a.toString(16)}`).join(',');
  const duration = event.durationNs > 0n ? ` dur=${formatDuration(Number(event.durationNs))}` : '';
  return `${secs}.${String(usecs).padStart(6, '0')} cpu=${event.cpuId} vm=${event.vmId} ${event.probeType} ${event.name} args=[${args}]${duration}`;
}

/**
 * Converts a value for JSON output: bigints become numbers when exact, else decimal strings.
 * @param value - anything built from plain objects, arrays, numbers, strings and bigints.
 * @returns a JSON-safe copy.
 */
export function toJsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(toJsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonValue(v)]));
  }
  return value;
}
