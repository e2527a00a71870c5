import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bucketHigh,
  bucketLow,
  log2Bucket,
  Log2Histogram,
  renderHistogram,
  StatsCollector,
  renderStats,
  formatDuration,
  toJsonValue,
  DECADE_LABELS,
  decadeBucket,
  decadePercentile,
  renderDecadeHistogram,
} from '../src/index.js';

describe('log2 buckets', () => {
  it('puts 0 in bucket 0 and v in [2^(k-1), 2^k) for bucket k', () => {
    expect([0, 1, 2, 3, 4, 1023, 1024, 2 ** 32 - 1, 2 ** 32, 2 ** 52].map(log2Bucket)).toEqual([
      0, 1, 2, 2, 3, 10, 11, 32, 33, 53,
    ]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), (v) => {
        const k = log2Bucket(v);
        return bucketLow(k) <= v && v < bucketHigh(k);
      }),
    );
  });
});

describe('Log2Histogram percentiles', () => {
  it('interpolates inside the bucket instead of returning its bound', () => {
    const h = new Log2Histogram();
    for (let v = 1024; v < 2048; v++) h.record(v); // uniform over one bucket
    const p50 = h.percentile(50)!;
    expect(Math.abs(p50 - 1536)).toBeLessThanOrEqual(2);
    expect(h.percentile(0)).toBe(1024);
    expect(h.percentile(100)).toBe(2047);
  });

  it('returns the sample itself for a single sample (the original returned 1000)', () => {
    const h = new Log2Histogram();
    h.record(37);
    expect(h.snapshot()).toMatchObject({ total: 1, min: 37, max: 37, p50: 37, p99: 37 });
  });

  it('stays within the bucket of the exact percentile for random data', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 1, max: 100 }),
        (values, p) => {
          const h = new Log2Histogram();
          values.forEach((v) => h.record(v));
          const sorted = [...values].sort((a, b) => a - b);
          const exact = sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
          const est = h.percentile(p)!;
          const k = log2Bucket(exact);
          return (
            est >= Math.min(bucketLow(k), sorted[0]!) &&
            est <= Math.max(bucketHigh(k), sorted.at(-1)!) &&
            est >= sorted[0]! &&
            est <= sorted.at(-1)!
          );
        },
      ),
    );
  });

  it('is empty after reset and rejects percentiles outside 0..100', () => {
    const h = new Log2Histogram();
    h.record(5);
    h.reset();
    expect(h.percentile(50)).toBeUndefined();
    h.record(5);
    expect(() => h.percentile(101)).toThrow(RangeError);
  });

  it('renders bpftrace-style bars from the first to the last non-empty bucket', () => {
    const h = new Log2Histogram();
    [1, 2, 3, 3, 1024].forEach((v) => h.record(v));
    const lines = renderHistogram(h.snapshot(), { width: 10 }).split('\n');
    expect(lines[0]).toMatch(/^\[1\]\s+1 \|@@@ {7}\|$/); // 1/3 of the peak bar
    expect(lines[1]).toMatch(/^\[2, 4\)\s+3 \|@{10}\|$/);
    expect(lines.some((l) => l.startsWith('[1K, 2K)'))).toBe(true);
    expect(lines).toHaveLength(12); // buckets 1..11 and the percentile line
  });
});

describe('StatsCollector', () => {
  it('counts firings and summarises durations per event', () => {
    const s = new StatsCollector();
    s.record('vmm:vcpu_run_exit', 10n, 100);
    s.record('vmm:vcpu_run_exit', 20n, 300n);
    s.record('vmm:vcpu_run_exit', 30n); // no duration
    s.record('vmm:hypercall', 40n);
    expect(s.get('vmm:vcpu_run_exit')).toMatchObject({
      count: 3,
      lastTimestampNs: 30n,
      durationSamples: 2,
      minNs: 100,
      maxNs: 300,
      avgNs: 200,
      totalNs: 400,
    });
    expect(s.top(1).map((x) => x.name)).toEqual(['vmm:vcpu_run_exit']);
    expect(renderStats(s.all()).split('\n')[2]).toMatch(/^vmm:hypercall\s+1\s+-\s+-\s+-\s+0ns$/);
  });
});

describe('output helpers', () => {
  it('formats durations with units and converts bigints for JSON', () => {
    expect([850, 12_300, 4_500_000, 1_200_000_000].map(formatDuration)).toEqual([
      '850ns',
      '12.3us',
      '4.50ms',
      '1.20s',
    ]);
    expect(toJsonValue({ a: 5n, b: [2n ** 64n - 1n] })).toEqual({
      a: 5,
      b: ['18446744073709551615'],
    });
  });
});

describe('Log2Histogram.fromBuckets', () => {
  it('gives the same percentiles as recording the samples when the range is known', () => {
    const samples = [3, 5, 9, 17, 33, 33, 70, 1000, 1500, 40000];
    const recorded = new Log2Histogram();
    for (const v of samples) recorded.record(v);
    const snap = recorded.snapshot();
    const rebuilt = Log2Histogram.fromBuckets(snap.buckets, {
      min: 3,
      max: 40000,
      sum: snap.sum,
    }).snapshot();
    expect(rebuilt).toEqual(snap);
  });

  it('uses bucket bounds when the range is unknown, and stays empty without counts', () => {
    const h = Log2Histogram.fromBuckets([0, 0, 0, 4]); // four samples in [4, 8)
    expect(h.snapshot()).toMatchObject({ total: 4, min: 4, max: 7 });
    expect(Log2Histogram.fromBuckets([0, 0]).snapshot().p50).toBeUndefined();
  });
});

describe('decade histogram (the Rust original buckets)', () => {
  it('places values as the original: a bound goes to the next bucket, huge values to >1s', () => {
    expect(
      [
        0,
        999,
        1000,
        9_999,
        10_000,
        500_000,
        1_000_000,
        50_000_000,
        999_999_999,
        1_000_000_000,
        Number.MAX_SAFE_INTEGER,
      ].map(decadeBucket),
    ).toEqual([0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 7]);
    expect(DECADE_LABELS.map((l) => l.length)).toEqual(Array(8).fill(10));
  });

  it('answers percentiles with bucket upper bounds', () => {
    expect(decadePercentile([0, 0, 0, 0, 0, 0, 0, 0], 0.5)).toBe(0);
    expect(decadePercentile([5, 0, 0, 0, 0, 0, 0, 0], 0.99)).toBe(1000);
    expect(decadePercentile([5, 5, 0, 0, 0, 0, 0, 0], 0.5)).toBe(1000);
    expect(decadePercentile([5, 5, 0, 0, 0, 0, 0, 0], 0.9)).toBe(10_000);
    // the original's quirk: a target of 0 gives the first bound whatever the sample
    expect(decadePercentile([0, 0, 0, 0, 0, 0, 0, 1], 0.5)).toBe(1000);
  });

  it('is kept by the statistics beside the log2 histogram, from the same samples', () => {
    const s = new StatsCollector();
    for (const d of [500, 5_000, 5_000, 2_000_000_000, 0]) s.record('e', 1n, d);
    expect(s.get('e')!.decadeBuckets).toEqual([1, 2, 0, 0, 0, 0, 0, 1]);
    expect(s.get('e')!.histogram.total).toBe(4);
    const text = renderDecadeHistogram(s.get('e')!.decadeBuckets, 'LATENCY HISTOGRAM (e):');
    expect(text.split('\n')[2]).toBe(`      1-10us:        2 ${'|'.repeat(40)}`);
    expect(text).toContain('P50=10.0us P90=10.0us P99=10.0us'); // floor(4 x 0.99) = 3 samples: bucket 1
    expect(renderDecadeHistogram([0, 0, 0, 0, 0, 0, 0, 2], 't')).toContain(
      'P50=>1s P90=>1s P99=>1s',
    );
  });
});
