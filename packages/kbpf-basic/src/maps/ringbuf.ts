// SPDX-License-Identifier: MIT
// RINGBUF map. Record format of Linux kernel/bpf/ringbuf.c (8-byte header: len with BUSY bit 31
// and DISCARD bit 30, then the data, records 8-aligned); role of Starry-OS/kbpf-basic
// src/map/stream/ringbuf.rs.

import type { Region } from '@axebpf/rbpf';
import { BPF_RB_CONS_POS, BPF_RB_AVAIL_DATA, BPF_RB_PROD_POS, BPF_RB_RING_SIZE, BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from '../constants.js';
import type { MapAttr, MapContext } from './base.js';
import { BpfMap, round8 } from './base.js';

/** Largest record Linux accepts (`RINGBUF_MAX_RECORD_SZ`). */
const MAX_RECORD = 0xffffffff / 4;
const LEN_MASK = ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT) >>> 0;

/**
 * A single-producer ring buffer shared with user space (Linux BPF ring buffer semantics).
 *
 * The data region is mapped with twice the ring's size: a record that wraps past the end is
 * written contiguously into the second half (as Linux's double mapping allows), and its wrapped
 * tail is copied to the ring's start when it is submitted. Reservations that do not fit fail
 * (the helper returns NULL) and are counted in {@link RingBufMap.dropped}, which
 * {@link RingBufConsumer} reports, so no event is lost silently.
 */
export class RingBufMap extends BpfMap {
  /** Data region (`2 * maxEntries` bytes; programs write reserved records through it). */
  readonly data: Region;
  /** Consumer position (bytes consumed since creation). */
  consumerPos = 0;
  /** Producer position (bytes reserved since creation). */
  producerPos = 0;
  /** Records that could not be reserved because the ring was full. */
  dropped = 0;
  readonly #listeners = new Set<() => void>();

  /**
   * @param attr - validated attributes (see {@link createMap}).
   * @param ctx - address space and platform.
   */
  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.data = ctx.space.map(`map:${this.name}:ringbuf`, 2 * attr.maxEntries, true);
  }

  override get size(): number {
    return this.producerPos - this.consumerPos;
  }

  /**
   * Registers a wake-up listener, called after a submit unless the program passed
   * `BPF_RB_NO_WAKEUP`.
   * @param listener - the callback.
   * @returns a function that removes it.
   */
  onWakeup(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** @internal */
  wake(): void {
    for (const l of this.#listeners) l();
  }

  /**
   * Reserves a record of `size` bytes.
   * @param size - payload size.
   * @returns the byte offset of the payload in the data region, or -1 (dropped: no room, or too big).
   */
  reserve(size: number): number {
    if (size > MAX_RECORD || size < 0) return -1;
    const len = round8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.maxEntries || this.producerPos - this.consumerPos + len > this.maxEntries) {
      this.dropped++;
      return -1;
    }
    const at = this.producerPos % this.maxEntries;
    const v = this.space.view;
    v.setUint32(this.data.offset + at, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    v.setUint32(this.data.offset + at + 4, len, true);
    this.producerPos += len;
    return at + BPF_RINGBUF_HDR_SZ;
  }

  /**
   * Commits or discards a reserved record.
   * @param payload - offset of the payload in the data region (as returned by reserve).
   * @param discard - mark it discarded (the consumer skips it).
   * @returns false when `payload` is not a pending reservation.
   */
  commit(payload: number, discard: boolean): boolean {
    const hdr = payload - BPF_RINGBUF_HDR_SZ;
    if (hdr < 0 || hdr >= this.maxEntries || hdr % 8 !== 0) return false;
    const v = this.space.view;
    const word = v.getUint32(this.data.offset + hdr, true);
    if ((word & BPF_RINGBUF_BUSY_BIT) === 0) return false;
    const size = word & LEN_MASK;
    const end = hdr + BPF_RINGBUF_HDR_SZ + size;
    if (end > this.maxEntries) {
      const b = this.space.bytes;
      b.copyWithin(this.data.offset, this.data.offset + this.maxEntries, this.data.offset + end);
    }
    v.setUint32(this.data.offset + hdr, (size | (discard ? BPF_RINGBUF_DISCARD_BIT : 0)) >>> 0, true);
    return true;
  }

  /**
   * Copies a whole record in (`bpf_ringbuf_output`).
   * @param src - source bytes.
   * @param off - start in `src`.
   * @param size - byte count.
   * @returns true when written, false when dropped.
   */
  output(src: Uint8Array, off: number, size: number): boolean {
    const payload = this.reserve(size);
    if (payload < 0) return false;
    // `set` copies correctly even when `src` is `space.bytes` itself (the helper's case).
    this.space.bytes.set(src.subarray(off, off + size), this.data.offset + payload);
    this.commit(payload, false);
    return true;
  }

  /**
   * `bpf_ringbuf_query`.
   * @param what - `BPF_RB_AVAIL_DATA`, `BPF_RB_RING_SIZE`, `BPF_RB_CONS_POS` or `BPF_RB_PROD_POS`.
   * @returns the value (0 for unknown selectors, as Linux).
   */
  query(what: number): number {
    if (what === BPF_RB_AVAIL_DATA) return this.producerPos - this.consumerPos;
    if (what === BPF_RB_RING_SIZE) return this.maxEntries;
    if (what === BPF_RB_CONS_POS) return this.consumerPos;
    if (what === BPF_RB_PROD_POS) return this.producerPos;
    return 0;
  }

  /**
   * Reads committed records from the consumer position, stopping at the first busy one.
   * @param visit - receives each non-discarded payload (a copy).
   * @param limit - most records to read. Default unlimited.
   * @returns the number of records delivered.
   */
  consume(visit: (data: Uint8Array) => void, limit = Infinity): number {
    let n = 0;
    while (this.consumerPos < this.producerPos && n < limit) {
      const at = this.consumerPos % this.maxEntries;
      const word = this.space.view.getUint32(this.data.offset + at, true);
      if ((word & BPF_RINGBUF_BUSY_BIT) !== 0) break;
      const size = word & LEN_MASK;
      if ((word & BPF_RINGBUF_DISCARD_BIT) === 0) {
        const start = this.data.offset + at + BPF_RINGBUF_HDR_SZ;
        const out = new Uint8Array(size);
        const first = Math.min(size, this.maxEntries - at - BPF_RINGBUF_HDR_SZ);
        const b = this.space.bytes;
        out.set(b.subarray(start, start + first));
        if (first < size) out.set(b.subarray(this.data.offset, this.data.offset + size - first), first);
        visit(out);
        n++;
      }
      this.consumerPos += round8(size + BPF_RINGBUF_HDR_SZ);
    }
    return n;
  }

  override destroy(): void {
    super.destroy();
    this.space.unmap(this.data);
  }
}
