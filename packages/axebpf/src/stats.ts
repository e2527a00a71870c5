// SPDX-License-Identifier: MIT
// Per-event statistics: the role of ProbeStats in Iscreamx/axebpf src/event.rs, keyed by name.

import { decadeBucket } from './decade-histogram.js';
import { Log2Histogram, type HistogramSnapshot } from './histogram.js';

/** Statistics of one event, frozen. */
export interface EventStatsSnapshot {
  /** Event name. */
  name: string;
  /** Times it fired. */
  count: number;
  /** Timestamp of the last firing (platform ns), undefined if never. */
  lastTimestampNs: bigint | undefined;
  /** Firings that carried a duration (> 0). */
  durationSamples: number;
  /** Smallest duration in ns (undefined without samples). */
  minNs: number | undefined;
  /** Largest duration in ns. */
  maxNs: number | undefined;
  /** Mean duration in ns. */
  avgNs: number | undefined;
  /** Sum of durations in ns. */
  totalNs: number;
  /** Duration histogram. */
  histogram: HistogramSnapshot;
  /** The same durations in the Rust original's eight decade buckets (0-1us ... >1s). */
  decadeBuckets: number[];
}

class EventStats {
  count = 0;
  lastTimestampNs: bigint | undefined;
  readonly histogram = new Log2Histogram();
  readonly decade = [0, 0, 0, 0, 0, 0, 0, 0];
}

/**
 * Collects per-event counts and durations (count, min, max, avg, last timestamp, log2
 * histogram). Durations are nanoseconds as JS numbers: exact up to 2^53 ns (104 days).
 */
export class StatsCollector {
  readonly #events = new Map<string, EventStats>();

  /**
   * Records one firing.
   * @param name - event name.
   * @param timestampNs - when it fired.
   * @param durationNs - its duration, or 0 / omitted for none (not counted as a sample).
   */
  record(name: string, timestampNs: bigint, durationNs: number | bigint = 0): void {
    let stats = this.#events.get(name);
    if (stats === undefined) {
      stats = new EventStats();
      this.#events.set(name, stats);
    }
    stats.count++;
    stats.lastTimestampNs = timestampNs;
    const d = typeof durationNs === 'bigint' ? Number(durationNs) : durationNs;
    if (d > 0) {
      stats.histogram.record(d);
      stats.decade[decadeBucket(d)]!++;
    }
  }

  /**
   * @param name - event name.
   * @returns its statistics, or undefined if it never fired.
   */
  get(name: string): EventStatsSnapshot | undefined {
    const stats = this.#events.get(name);
    return stats === undefined ? undefined : snapshotOf(name, stats);
  }

  /** @returns statistics of every event that fired, by name. */
  all(): EventStatsSnapshot[] {
    return [...this.#events.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, stats]) => snapshotOf(name, stats));
  }

  /**
   * The most frequent events.
   * @param n - how many.
   * @returns up to n snapshots, highest count first (ties by name).
   */
  top(n: number): EventStatsSnapshot[] {
    return this.all()
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1))
      .slice(0, n);
  }

  /** Forgets everything. */
  reset(): void {
    this.#events.clear();
  }
}

function snapshotOf(name: string, stats: EventStats): EventStatsSnapshot {
  const histogram = stats.histogram.snapshot();
  return {
    name,
    count: stats.count,
    lastTimestampNs: stats.lastTimestampNs,
    durationSamples: histogram.total,
    minNs: histogram.min,
    maxNs: histogram.max,
    avgNs: histogram.total === 0 ? undefined : histogram.sum / histogram.total,
    totalNs: histogram.sum,
    histogram,
    decadeBuckets: [...stats.decade],
  };
}
