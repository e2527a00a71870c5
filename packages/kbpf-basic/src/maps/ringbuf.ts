// SPDX-License-Identifier: MIT
// RINGBUF map. Record format of Linux kernel/bpf/ringbuf.c (8-byte header: len with BUSY bit 31
// and DISCARD bit 30, then the data, records 8-aligned); role of Starry-OS/kbpf-basic
// src/map/stream/ringbuf.rs.

import type { Region } from '@axebpf/rbpf';
import {
  BPF_RB_CONS_POS,
  BPF_RB_AVAIL_DATA,
  BPF_RB_PROD_POS,
  BPF_RB_RING_SIZE,
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ,
} from '../constants.js';
import type { MapAttr, MapContext } from './base.js';
import { BpfMap, round8 } from './base.js';

/** Largest record Linux accepts (`RINGBUF_MAX_RECORD_SZ`). */
const MAX_RECORD = 0xffffffff / 4;

/** One reserved record, as the map itself tracks it (never read back from program memory). */
interface RingRecord {
  /** Producer position of its header. */
  readonly pos: number;
  /** Payload size in bytes. */
  readonly size: number;
  /** `busy` until submitted or discarded. */
  state: 'busy' | 'committed' | 'discarded';
}

/**
 * A single-producer ring buffer shared with user space (Linux BPF ring buffer semantics).
 *
 * The data region is mapped with twice the ring's size: a record that wraps past the end is
 * written contiguously into the second half (as Linux's double mapping allows), and its wrapped
 * tail is copied to the ring's start when it is submitted. Reservations that do not fit fail
 * (the helper returns NULL) and are counted in {@link RingBufMap.dropped}, which
 * {@link RingBufConsumer} reports, so no event is lost silently.
 *
 * @remarks Programs can store anywhere in the data region (an unverified program is not bounded
 * to its record), so the 8-byte record headers there are written for the record format's sake
 * but never trusted: the map keeps its own list of reservations (position, size, state), and
 * submit, discard and the consumer use only that list, as Linux trusts only its own copy of a
 * record's length. A program that rewrites a header can at worst corrupt payload bytes of its
 * own ring; it cannot make a submit copy, or the consumer read, past the ring.
 */
export class RingBufMap extends BpfMap {
  /** Data region (`2 * maxEntries` bytes; programs write reserved records through it). */
  readonly data: Region;
  /** Consumer position (bytes consumed since creation). */
  consumerPos = 0;
  /** Producer position (bytes reserved since creation). */
  producerPos = 0;
  /** Records that could not be reserved (ring full, too big, or bad flags). */
  dropped = 0;
  readonly #listeners = new Set<() => void>();
  /** Reserved records not yet consumed, in position order. */
  readonly #records: RingRecord[] = [];
  /** Busy records by payload offset in the data region. */
  readonly #pending = new Map<number, RingRecord>();

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

  /** Counts a record that could not be reserved (the helper refused it). @internal */
  drop(): void {
    this.dropped++;
  }

  #writeHeader(at: number, word: number, len: number): void {
    const v = this.space.view;
    v.setUint32(this.data.offset + at, word >>> 0, true);
    v.setUint32(this.data.offset + at + 4, len, true);
  }

  /**
   * Reserves a record of `size` bytes.
   * @param size - payload size.
   * @returns the byte offset of the payload in the data region, or -1 (dropped and counted:
   * no room, or too big).
   */
  reserve(size: number): number {
    if (!Number.isInteger(size) || size > MAX_RECORD || size < 0) {
      this.dropped++;
      return -1;
    }
    const len = round8(size + BPF_RINGBUF_HDR_SZ);
    if (len > this.maxEntries || this.producerPos - this.consumerPos + len > this.maxEntries) {
      this.dropped++;
      return -1;
    }
    const at = this.producerPos % this.maxEntries;
    this.#writeHeader(at, size | BPF_RINGBUF_BUSY_BIT, len);
    const record: RingRecord = { pos: this.producerPos, size, state: 'busy' };
    this.#records.push(record);
    this.#pending.set(at + BPF_RINGBUF_HDR_SZ, record);
    this.producerPos += len;
    return at + BPF_RINGBUF_HDR_SZ;
  }

  /**
   * Commits or discards a reserved record. Only the map's own record of the reservation is
   * used (the header in program memory may have been overwritten).
   * @param payload - offset of the payload in the data region (as returned by reserve).
   * @param discard - mark it discarded (the consumer skips it).
   * @returns false when `payload` is not a pending reservation.
   */
  commit(payload: number, discard: boolean): boolean {
    const record = this.#pending.get(payload);
    if (record === undefined) return false;
    this.#pending.delete(payload);
    const hdr = payload - BPF_RINGBUF_HDR_SZ;
    const end = payload + record.size;
    if (!discard && end > this.maxEntries) {
      // The wrapped tail was written into the second half: copy it to the ring's start.
      const b = this.space.bytes;
      b.copyWithin(this.data.offset, this.data.offset + this.maxEntries, this.data.offset + end);
    }
    record.state = discard ? 'discarded' : 'committed';
    this.#writeHeader(
      hdr,
      record.size | (discard ? BPF_RINGBUF_DISCARD_BIT : 0),
      round8(record.size + BPF_RINGBUF_HDR_SZ),
    );
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
   * Record boundaries and sizes come from the map's own bookkeeping, so the consumer never
   * passes the producer.
   * @param visit - receives each non-discarded payload (a copy).
   * @param limit - most records to read. Default unlimited.
   * @returns the number of records delivered.
   */
  consume(visit: (data: Uint8Array) => void, limit = Infinity): number {
    let n = 0;
    while (this.#records.length > 0 && n < limit) {
      const record = this.#records[0]!;
      if (record.state === 'busy') break;
      this.#records.shift();
      const at = record.pos % this.maxEntries;
      const size = record.size;
      if (record.state === 'committed') {
        const start = this.data.offset + at + BPF_RINGBUF_HDR_SZ;
        const out = new Uint8Array(size);
        const first = Math.min(size, this.maxEntries - at - BPF_RINGBUF_HDR_SZ);
        const b = this.space.bytes;
        out.set(b.subarray(start, start + first));
        if (first < size)
          out.set(b.subarray(this.data.offset, this.data.offset + size - first), first);
        visit(out);
        n++;
      }
      this.consumerPos = record.pos + round8(size + BPF_RINGBUF_HDR_SZ);
    }
    return n;
  }

  override destroy(): void {
    super.destroy();
    this.space.unmap(this.data);
  }
}
