// SPDX-License-Identifier: MIT
// The Rust original's latency histogram (Iscreamx/axebpf src/tracepoints/histogram.rs): eight
// decade buckets from "0-1us" to ">1s" whose percentile is the upper bound of the bucket that
// reaches it. Kept beside the log2 histogram as a view of the same duration samples
// (`trace stat --hist <event> --buckets decade`).

import { formatDuration } from './output.js';

/** Exclusive upper bounds of the eight buckets, in ns (a value equal to a bound goes to the next). */
export const DECADE_BOUNDS: readonly number[] = [
  1_000,
  10_000,
  100_000,
  1_000_000,
  10_000_000,
  100_000_000,
  1_000_000_000,
  Number.MAX_SAFE_INTEGER,
];

/** The original's fixed-width (10 character) bucket labels. */
export const DECADE_LABELS: readonly string[] = [
  '     0-1us',
  '    1-10us',
  '  10-100us',
  '100us-1ms ',
  '   1-10ms ',
  ' 10-100ms ',
  '100ms-1s  ',
  '      >1s ',
];

/**
 * Bucket of a duration.
 * @param ns - the duration in ns.
 * @returns 0..7.
 */
export function decadeBucket(ns: number): number {
  for (let i = 0; i < 7; i++) if (ns < DECADE_BOUNDS[i]!) return i;
  return 7;
}

/**
 * The original's percentile: the upper bound of the first bucket whose cumulative count reaches
 * floor(total * p) (so a target of 0 gives the first bound, 1 us, whatever the samples).
 * @param buckets - eight counts.
 * @param p - 0..1.
 * @returns ns, 0 for an empty histogram; the last bucket gives 2^53 - 1 (shown as `>1s`).
 */
export function decadePercentile(buckets: readonly number[], p: number): number {
  const total = buckets.reduce((a, b) => a + b, 0);
  if (total === 0) return 0;
  const target = Math.floor(total * p);
  let seen = 0;
  for (let i = 0; i < 8; i++) {
    seen += buckets[i] ?? 0;
    if (seen >= target) return DECADE_BOUNDS[i]!;
  }
  return DECADE_BOUNDS[7]!;
}

/**
 * Renders the buckets as the original's `trace stat --hist` does: `label : count` and a bar of
 * `|` (count x 40 / largest), then `P50=… P90=… P99=…`; `(no samples)` when empty.
 * @param buckets - eight counts.
 * @param title - the first line.
 * @returns the text.
 */
export function renderDecadeHistogram(buckets: readonly number[], title: string): string {
  const max = Math.max(0, ...buckets);
  if (max === 0) return `${title}\n  (no samples)`;
  const lines = [
    title,
    ...DECADE_LABELS.map(
      (label, i) =>
        `  ${label}: ${String(buckets[i] ?? 0).padStart(8)} ${'|'.repeat(Math.floor(((buckets[i] ?? 0) * 40) / max))}`,
    ),
  ];
  const pct = (p: number) => {
    const v = decadePercentile(buckets, p);
    return v === DECADE_BOUNDS[7] ? '>1s' : formatDuration(v);
  };
  lines.push(`  P50=${pct(0.5)} P90=${pct(0.9)} P99=${pct(0.99)}`);
  return lines.join('\n');
}
