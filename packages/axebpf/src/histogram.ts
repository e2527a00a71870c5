// SPDX-License-Identifier: MIT
// Log2 histograms with interpolated percentiles. The Rust original
// (Iscreamx/axebpf src/tracepoints/histogram.rs) had eight decimal buckets and returned a
// bucket's upper bound as the percentile; this one has bpftrace's power-of-two buckets and
// interpolates linearly inside the bucket, clamped to the observed minimum and maximum.

/** Number of buckets: bucket 0 holds 0, bucket k (1..64) holds [2^(k-1), 2^k). */
export const LOG2_BUCKETS = 65;

const TWO_32 = 4294967296;

/**
 * Bucket index of a value.
 * @param value - a non-negative integer (numbers above 2^53 lose precision but bucket correctly).
 * @returns 0 for 0, else floor(log2(value)) + 1.
 */
export function log2Bucket(value: number): number {
  if (!(value >= 1)) return 0;
  if (value < TWO_32) return 32 - Math.clz32(value);
  return 64 - Math.clz32(Math.floor(value / TWO_32));
}

/**
 * Lowest value of a bucket.
 * @param bucket - bucket index.
 * @returns 0 for bucket 0, else 2^(bucket-1).
 */
export function bucketLow(bucket: number): number {
  return bucket === 0 ? 0 : 2 ** (bucket - 1);
}

/**
 * First value past a bucket (exclusive upper bound).
 * @param bucket - bucket index.
 * @returns 1 for bucket 0, else 2^bucket.
 */
export function bucketHigh(bucket: number): number {
  return bucket === 0 ? 1 : 2 ** bucket;
}

/** A frozen view of a histogram. */
export interface HistogramSnapshot {
  /** Count per bucket, length {@link LOG2_BUCKETS}. */
  buckets: number[];
  /** Number of samples. */
  total: number;
  /** Smallest sample (undefined when empty). */
  min: number | undefined;
  /** Largest sample (undefined when empty). */
  max: number | undefined;
  /** Sum of samples. */
  sum: number;
  /** Median, interpolated (undefined when empty). */
  p50: number | undefined;
  /** 90th percentile (undefined when empty). */
  p90: number | undefined;
  /** 99th percentile (undefined when empty). */
  p99: number | undefined;
}

/**
 * A histogram of non-negative integer samples (durations in nanoseconds, sizes…) in
 * power-of-two buckets.
 *
 * @example
 * ```ts
 * const h = new Log2Histogram();
 * for (const ns of [120, 130, 900, 4000]) h.record(ns);
 * h.percentile(50); // a value inside the [64, 128) .. [128, 256) range, interpolated
 * ```
 */
export class Log2Histogram {
  readonly #buckets = new Float64Array(LOG2_BUCKETS);
  #total = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  /**
   * Adds a sample.
   * @param value - a non-negative number; negative values and NaN count as 0.
   */
  record(value: number): void {
    const v = value > 0 ? value : 0;
    this.#buckets[log2Bucket(v)]!++;
    this.#total++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  /**
   * Builds a histogram from bucket counts kept elsewhere (an eBPF program's log2 array map):
   * bucket `k` counts samples in [{@link bucketLow}(k), {@link bucketHigh}(k)).
   * @param counts - count per bucket (at most {@link LOG2_BUCKETS}).
   * @param range - the observed smallest and largest sample and their sum, when known; else
   * the bounds of the first and last non-empty buckets (and no sum).
   * @returns the histogram.
   */
  static fromBuckets(
    counts: readonly number[],
    range: { min?: number; max?: number; sum?: number } = {},
  ): Log2Histogram {
    const h = new Log2Histogram();
    let first = -1;
    let last = -1;
    counts.slice(0, LOG2_BUCKETS).forEach((c, k) => {
      if (!(c > 0)) return;
      h.#buckets[k] = c;
      h.#total += c;
      if (first < 0) first = k;
      last = k;
    });
    if (first >= 0) {
      h.#min = range.min ?? bucketLow(first);
      h.#max = range.max ?? bucketHigh(last) - 1;
      h.#sum = range.sum ?? 0;
    }
    return h;
  }

  /** Number of samples. */
  get total(): number {
    return this.#total;
  }

  /**
   * The value below which `p` percent of the samples fall, interpolated linearly inside the
   * bucket that holds that rank and clamped to the observed range.
   * @param p - percent, 0 to 100.
   * @returns the estimate, or undefined when the histogram is empty.
   */
  percentile(p: number): number | undefined {
    if (this.#total === 0) return undefined;
    if (!(p >= 0 && p <= 100))
      throw new RangeError(`percentile must be within 0..100, got \`${p}\``);
    const rank = (p / 100) * this.#total;
    if (rank <= 0) return this.#min;
    let cumulative = 0;
    for (let k = 0; k < LOG2_BUCKETS; k++) {
      const count = this.#buckets[k]!;
      if (count === 0) continue;
      if (cumulative + count >= rank) {
        const fraction = (rank - cumulative) / count;
        const lo = Math.max(bucketLow(k), this.#min);
        const hi = Math.min(bucketHigh(k), this.#max);
        return Math.round(lo + fraction * (hi - lo));
      }
      cumulative += count;
    }
    return this.#max;
  }

  /** @returns counts, totals and the 50th/90th/99th percentiles. */
  snapshot(): HistogramSnapshot {
    const empty = this.#total === 0;
    return {
      buckets: Array.from(this.#buckets),
      total: this.#total,
      min: empty ? undefined : this.#min,
      max: empty ? undefined : this.#max,
      sum: this.#sum,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p99: this.percentile(99),
    };
  }

  /** Forgets every sample. */
  reset(): void {
    this.#buckets.fill(0);
    this.#total = 0;
    this.#sum = 0;
    this.#min = Infinity;
    this.#max = -Infinity;
  }
}
