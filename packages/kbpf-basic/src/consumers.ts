// SPDX-License-Identifier: MIT
// User-space readers of ring buffers and perf buffers (the role of libbpf's ring_buffer__poll and
// perf_buffer__poll) that report every loss.

import type { PerfEventBuffer } from './maps/perf.js';
import type { RingBufMap } from './maps/ringbuf.js';

/** Result of one poll. */
export interface PollResult {
  /** Records delivered. */
  records: number;
  /** Records lost (not written because the buffer was full) since the previous poll. */
  lost: number;
}

/**
 * Reads a ring buffer map from user space. Records that programs could not reserve because the
 * ring was full are counted by the map; each poll reports how many were lost since the last one
 * (and calls `onLost`), so overflow is never silent.
 */
export class RingBufConsumer {
  /** The ring buffer. */
  readonly ring: RingBufMap;
  /** Records delivered since creation. */
  delivered = 0;
  /** Losses reported since creation. */
  lostTotal = 0;
  #seenDropped: number;
  readonly #onLost: ((count: number) => void) | undefined;

  /**
   * @param ring - the map.
   * @param onLost - called with the number of records lost, when any were lost since the last poll.
   */
  constructor(ring: RingBufMap, onLost?: (count: number) => void) {
    this.ring = ring;
    this.#seenDropped = ring.dropped;
    this.#onLost = onLost;
  }

  /**
   * Delivers every committed record in order.
   * @param onRecord - receives each payload (a copy).
   * @returns records delivered and lost.
   */
  poll(onRecord: (data: Uint8Array) => void): PollResult {
    const records = this.ring.consume(onRecord);
    this.delivered += records;
    const lost = this.ring.dropped - this.#seenDropped;
    this.#seenDropped = this.ring.dropped;
    if (lost > 0) {
      this.lostTotal += lost;
      this.#onLost?.(lost);
    }
    return { records, lost };
  }
}

/** Reads the perf event buffers of several CPUs, reporting lost samples in stream order. */
export class PerfBufferConsumer {
  /** The buffers. */
  readonly buffers: readonly PerfEventBuffer[];
  /** Samples lost since creation, as reported. */
  lostTotal = 0;

  /** @param buffers - one buffer per CPU (or any set). */
  constructor(buffers: readonly PerfEventBuffer[]) {
    this.buffers = buffers;
  }

  /**
   * Delivers samples and loss reports of every buffer, each buffer in order.
   * @param onSample - receives the CPU and a sample.
   * @param onLost - receives the CPU and a count of lost samples at that point of the stream.
   * @returns samples delivered and lost.
   */
  poll(
    onSample: (cpu: number, data: Uint8Array) => void,
    onLost?: (cpu: number, count: number) => void,
  ): PollResult {
    let records = 0;
    let lost = 0;
    for (const b of this.buffers) {
      for (const r of b.drain()) {
        if (r.kind === 'sample') {
          records++;
          onSample(b.cpu, r.data);
        } else {
          lost += r.count;
          onLost?.(b.cpu, r.count);
        }
      }
    }
    this.lostTotal += lost;
    return { records, lost };
  }
}
