// SPDX-License-Identifier: MIT
// HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH maps. Semantics of Linux kernel/bpf/hashtab.c;
// role of Starry-OS/kbpf-basic src/map/hash.rs and src/map/lru.rs (which gave ENOMEM on a full
// map: here E2BIG as Linux does).

import type { Region } from '@axebpf/rbpf';
import {
  BPF_EXIST,
  BPF_F_LOCK,
  BPF_F_RDONLY_PROG,
  BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BPF_MAP_TYPE_PERCPU_HASH,
  BPF_NOEXIST,
  ERRNO,
} from '../constants.js';
import { checkedCurrentCpu } from '../platform.js';
import type { MapAttr, MapContext } from './base.js';
import { BpfMap, round8 } from './base.js';

const NONE = -1;

/**
 * A hash map with preallocated slots. Keys and values live in two regions of the address space
 * (keys read-only to programs); a lookup returns a pointer to the slot's value, so a program's
 * store through it updates the map. Iteration follows insertion order. LRU variants evict the
 * least recently used entry (lookups and updates from programs count as uses) instead of
 * failing when full.
 */
export class HashMap extends BpfMap {
  /** Key storage, `maxEntries * keySize` bytes, read-only to programs. */
  readonly keys: Region;
  /** Value storage, `maxEntries * copies * stride` bytes. */
  readonly values: Region;
  /** Bytes between value copies (value size rounded up to 8). */
  readonly stride: number;
  /** Copies per entry (CPU count for per-CPU variants). */
  readonly copies: number;
  /** Whether full inserts evict the least recently used entry. */
  readonly isLru: boolean;
  /** Entries evicted so far (LRU variants). */
  evictions = 0;
  readonly #percpu: boolean;
  readonly #index = new Map<number | string, number>();
  readonly #free: Int32Array;
  #freeTop: number;
  readonly #next: Int32Array;
  readonly #prev: Int32Array;
  #head = NONE;
  #tail = NONE;
  readonly #lruNext: Int32Array;
  readonly #lruPrev: Int32Array;
  #lruHead = NONE; // most recent
  #lruTail = NONE; // least recent

  /**
   * @param attr - validated attributes (see {@link createMap}).
   * @param ctx - address space and platform.
   */
  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    const t = attr.mapType;
    this.#percpu = t === BPF_MAP_TYPE_PERCPU_HASH || t === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    this.isLru = t === BPF_MAP_TYPE_LRU_HASH || t === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    this.copies = this.#percpu ? ctx.platform.cpuCount() : 1;
    this.stride = round8(attr.valueSize);
    const n = attr.maxEntries;
    this.keys = ctx.space.map(`map:${this.name}:keys`, n * attr.keySize, false);
    this.values = ctx.space.map(
      `map:${this.name}:values`,
      n * this.copies * this.stride,
      (this.mapFlags & BPF_F_RDONLY_PROG) === 0,
    );
    this.#free = new Int32Array(n);
    for (let i = 0; i < n; i++) this.#free[i] = n - 1 - i;
    this.#freeTop = n;
    this.#next = new Int32Array(n).fill(NONE);
    this.#prev = new Int32Array(n).fill(NONE);
    this.#lruNext = this.isLru ? new Int32Array(n).fill(NONE) : new Int32Array(0);
    this.#lruPrev = this.isLru ? new Int32Array(n).fill(NONE) : new Int32Array(0);
  }

  override get size(): number {
    return this.#index.size;
  }

  override get userValueSize(): number {
    return this.#percpu ? this.copies * this.stride : this.valueSize;
  }

  /** Identity of the key at `off` in `bytes`: a number for 4-byte keys, else a string. */
  #id(bytes: Uint8Array, off: number): number | string {
    const k = this.keySize;
    if (k === 4)
      return (
        (bytes[off]! |
          (bytes[off + 1]! << 8) |
          (bytes[off + 2]! << 16) |
          (bytes[off + 3]! << 24)) >>>
        0
      );
    let s = '';
    for (let i = 0; i < k; i++) s += String.fromCharCode(bytes[off + i]!);
    return s;
  }

  #valueAt(slot: number, cpu: number): number {
    return this.values.offset + (slot * this.copies + cpu) * this.stride;
  }

  #valueAddress(slot: number, cpu: number): number {
    return this.values.segment * 4294967296 + (slot * this.copies + cpu) * this.stride;
  }

  #cpu(): number {
    return this.#percpu ? checkedCurrentCpu(this.platform, this.copies) : 0;
  }

  #touch(slot: number): void {
    if (!this.isLru || this.#lruHead === slot) return;
    this.#lruUnlink(slot);
    this.#lruNext[slot] = this.#lruHead;
    this.#lruPrev[slot] = NONE;
    if (this.#lruHead !== NONE) this.#lruPrev[this.#lruHead] = slot;
    this.#lruHead = slot;
    if (this.#lruTail === NONE) this.#lruTail = slot;
  }

  #lruUnlink(slot: number): void {
    const p = this.#lruPrev[slot]!;
    const n = this.#lruNext[slot]!;
    if (p !== NONE) this.#lruNext[p] = n;
    else if (this.#lruHead === slot) this.#lruHead = n;
    if (n !== NONE) this.#lruPrev[n] = p;
    else if (this.#lruTail === slot) this.#lruTail = p;
    this.#lruNext[slot] = NONE;
    this.#lruPrev[slot] = NONE;
  }

  #remove(slot: number, id: number | string): void {
    this.#index.delete(id);
    const p = this.#prev[slot]!;
    const n = this.#next[slot]!;
    if (p !== NONE) this.#next[p] = n;
    else this.#head = n;
    if (n !== NONE) this.#prev[n] = p;
    else this.#tail = p;
    this.#next[slot] = NONE;
    this.#prev[slot] = NONE;
    if (this.isLru) this.#lruUnlink(slot);
    this.#free[this.#freeTop++] = slot;
  }

  /** Allocates a slot for a new key at `keyOff` of `space.bytes`; -errno when full (non-LRU). */
  #insert(id: number | string, keyOff: number): number {
    if (this.#freeTop === 0) {
      if (!this.isLru) return -ERRNO.E2BIG;
      const victim = this.#lruTail;
      this.#remove(victim, this.#id(this.space.bytes, this.keys.offset + victim * this.keySize));
      this.evictions++;
    }
    const slot = this.#free[--this.#freeTop]!;
    const all = this.space.bytes;
    all.copyWithin(this.keys.offset + slot * this.keySize, keyOff, keyOff + this.keySize);
    this.#index.set(id, slot);
    this.#prev[slot] = this.#tail;
    this.#next[slot] = NONE;
    if (this.#tail !== NONE) this.#next[this.#tail] = slot;
    else this.#head = slot;
    this.#tail = slot;
    if (this.isLru) this.#touch(slot);
    return slot;
  }

  /** Writes `key` into the scratch key slot area and returns its offset (user-space face). */
  #stage(key: Uint8Array): number {
    this.checkSize(key, this.keySize, 'key');
    this.#scratch ??= this.space.map(`map:${this.name}:scratch`, this.keySize, false);
    this.space.bytes.set(key, this.#scratch.offset);
    return this.#scratch.offset;
  }

  #scratch: Region | undefined;

  #flagsError(flags: number): number {
    if ((flags & BPF_F_LOCK) !== 0) return -ERRNO.EINVAL;
    if (flags < 0 || flags > BPF_EXIST) return -ERRNO.EINVAL;
    return 0;
  }

  override lookup(key: Uint8Array): Uint8Array {
    const off = this.#stage(key);
    const slot = this.#index.get(this.#id(this.space.bytes, off));
    if (slot === undefined) throw this.fail('ENOENT', 'no such key');
    const bytes = this.space.bytes;
    if (!this.#percpu)
      return bytes.slice(this.#valueAt(slot, 0), this.#valueAt(slot, 0) + this.valueSize);
    const out = new Uint8Array(this.userValueSize);
    for (let c = 0; c < this.copies; c++)
      out.set(
        bytes.subarray(this.#valueAt(slot, c), this.#valueAt(slot, c) + this.valueSize),
        c * this.stride,
      );
    return out;
  }

  override update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkWritable();
    const off = this.#stage(key);
    this.checkSize(value, this.userValueSize, 'value');
    const slot = this.#slotFor(off, flags);
    const bytes = this.space.bytes;
    for (let c = 0; c < this.copies; c++)
      bytes.set(
        value.subarray(c * this.stride, c * this.stride + this.valueSize),
        this.#valueAt(slot, c),
      );
  }

  /** Finds or creates the slot for an update of the key at `off`; throws the Linux errno. */
  #slotFor(off: number, flags: number): number {
    const r = this.#slotOrErrno(off, flags);
    if (r >= 0) return r;
    const code =
      r === -ERRNO.EEXIST
        ? 'EEXIST'
        : r === -ERRNO.ENOENT
          ? 'ENOENT'
          : r === -ERRNO.E2BIG
            ? 'E2BIG'
            : 'EINVAL';
    throw this.fail(
      code,
      code === 'E2BIG'
        ? `map is full (${this.maxEntries} entries)`
        : code === 'EEXIST'
          ? 'key exists (BPF_NOEXIST)'
          : code === 'ENOENT'
            ? 'no such key (BPF_EXIST)'
            : `invalid update flags ${flags}`,
    );
  }

  #slotOrErrno(off: number, flags: number): number {
    const bad = this.#flagsError(flags);
    if (bad !== 0) return bad;
    const bytes = this.space.bytes;
    const id = this.#id(bytes, off);
    const slot = this.#index.get(id);
    if (slot !== undefined) {
      if (flags === BPF_NOEXIST) return -ERRNO.EEXIST;
      if (this.isLru) this.#touch(slot);
      return slot;
    }
    if (flags === BPF_EXIST) return -ERRNO.ENOENT;
    const s = this.#insert(id, off);
    if (s >= 0)
      this.space.bytes.fill(
        0,
        this.#valueAt(s, 0),
        this.#valueAt(s, 0) + this.copies * this.stride,
      );
    return s;
  }

  override delete(key: Uint8Array): void {
    this.checkWritable();
    const off = this.#stage(key);
    if (this.progDelete(off) !== 0) throw this.fail('ENOENT', 'no such key');
  }

  override getNextKey(key: Uint8Array | undefined): Uint8Array {
    let slot = this.#head;
    if (key !== undefined) {
      const off = this.#stage(key);
      const at = this.#index.get(this.#id(this.space.bytes, off));
      if (at !== undefined) slot = this.#next[at]!;
    }
    if (slot === NONE) throw this.fail('ENOENT', 'no next key');
    const o = this.keys.offset + slot * this.keySize;
    return this.space.bytes.slice(o, o + this.keySize);
  }

  override lookupAndDelete(key: Uint8Array): Uint8Array {
    this.checkWritable();
    const value = this.lookup(key);
    this.progDelete(this.#stage(key));
    return value;
  }

  override progLookup(keyOff: number): number {
    const slot = this.#index.get(this.#id(this.space.bytes, keyOff));
    if (slot === undefined) return 0;
    if (this.isLru) this.#touch(slot);
    return this.#valueAddress(slot, this.#cpu());
  }

  override progLookupPercpu(keyOff: number, cpu: number): number {
    if (!this.#percpu || cpu < 0 || cpu >= this.copies) return 0;
    const slot = this.#index.get(this.#id(this.space.bytes, keyOff));
    return slot === undefined ? 0 : this.#valueAddress(slot, cpu);
  }

  override progUpdate(keyOff: number, valueOff: number, flags: number): number {
    if ((this.mapFlags & BPF_F_RDONLY_PROG) !== 0) return -ERRNO.EPERM;
    const slot = this.#slotOrErrno(keyOff, flags);
    if (slot < 0) return slot;
    const at = this.#valueAt(slot, this.#cpu());
    this.space.bytes.copyWithin(at, valueOff, valueOff + this.valueSize);
    return 0;
  }

  override progDelete(keyOff: number): number {
    const id = this.#id(this.space.bytes, keyOff);
    const slot = this.#index.get(id);
    if (slot === undefined) return -ERRNO.ENOENT;
    this.#remove(slot, id);
    return 0;
  }

  override forEachEntry(visit: (keyAddress: number, valueAddress: number) => boolean): number {
    let n = 0;
    const cpu = this.#cpu();
    for (let slot = this.#head; slot !== NONE; ) {
      const next = this.#next[slot]!; // the callback may delete this entry
      n++;
      if (
        visit(this.keys.segment * 4294967296 + slot * this.keySize, this.#valueAddress(slot, cpu))
      )
        break;
      slot = next;
    }
    return n;
  }

  /** Keys from least to most recently used (LRU variants), as copies. For tests and tools. */
  lruOrder(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let s = this.#lruTail; s !== NONE; s = this.#lruPrev[s]!) {
      const o = this.keys.offset + s * this.keySize;
      out.push(this.space.bytes.slice(o, o + this.keySize));
    }
    return out;
  }

  override destroy(): void {
    super.destroy();
    this.space.unmap(this.keys);
    this.space.unmap(this.values);
    if (this.#scratch !== undefined) this.space.unmap(this.#scratch);
  }
}
