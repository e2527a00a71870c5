// SPDX-License-Identifier: MIT
// ARRAY and PERCPU_ARRAY maps. Semantics of Linux kernel/bpf/arraymap.c; role of
// Starry-OS/kbpf-basic src/map/array.rs (whose out-of-range lookup gave EINVAL: here ENOENT / NULL).

import type { Region } from '@axebpf/rbpf';
import {
  BPF_EXIST,
  BPF_F_LOCK,
  BPF_F_RDONLY_PROG,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_NOEXIST,
  ERRNO,
} from '../constants.js';
import { checkedCurrentCpu } from '../platform.js';
import type { MapAttr, MapContext } from './base.js';
import { BpfMap, round8 } from './base.js';

/**
 * An array map: `maxEntries` preallocated, zero-filled values indexed by a 4-byte key. Values
 * live in one region of the address space; `bpf_map_lookup_elem` returns a pointer into it.
 * The per-CPU variant keeps `cpuCount` copies of each value.
 */
export class ArrayMap extends BpfMap {
  /** Region holding all values (`maxEntries * cpus * stride` bytes). */
  readonly values: Region;
  /** Bytes between consecutive values (value size rounded up to 8). */
  readonly stride: number;
  /** Copies per entry (CPU count for per-CPU arrays, else 1). */
  readonly copies: number;
  readonly #percpu: boolean;

  /**
   * @param attr - validated attributes (see {@link createMap}).
   * @param ctx - address space and platform.
   */
  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.#percpu = attr.mapType === BPF_MAP_TYPE_PERCPU_ARRAY;
    this.copies = this.#percpu ? ctx.platform.cpuCount() : 1;
    this.stride = round8(attr.valueSize);
    const writable = (this.mapFlags & BPF_F_RDONLY_PROG) === 0;
    this.values = ctx.space.map(
      `map:${this.name}:values`,
      attr.maxEntries * this.copies * this.stride,
      writable,
    );
  }

  override get size(): number {
    return this.maxEntries;
  }

  override get userValueSize(): number {
    return this.#percpu ? this.copies * this.stride : this.valueSize;
  }

  #index(key: Uint8Array): number {
    this.checkSize(key, 4, 'key');
    return (key[0]! | (key[1]! << 8) | (key[2]! << 16) | (key[3]! << 24)) >>> 0;
  }

  #keyAt(off: number): number {
    const b = this.space.bytes;
    return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
  }

  /** Byte offset in `space.bytes` of copy `cpu` of entry `index`. */
  #at(index: number, cpu: number): number {
    return this.values.offset + (index * this.copies + cpu) * this.stride;
  }

  #cpu(): number {
    return this.#percpu ? checkedCurrentCpu(this.platform, this.copies) : 0;
  }

  override lookup(key: Uint8Array): Uint8Array {
    const i = this.#index(key);
    if (i >= this.maxEntries)
      throw this.fail('ENOENT', `index ${i} is out of range (${this.maxEntries} entries)`);
    const bytes = this.space.bytes;
    if (!this.#percpu) return bytes.slice(this.#at(i, 0), this.#at(i, 0) + this.valueSize);
    const out = new Uint8Array(this.userValueSize);
    for (let c = 0; c < this.copies; c++)
      out.set(bytes.subarray(this.#at(i, c), this.#at(i, c) + this.valueSize), c * this.stride);
    return out;
  }

  #checkFlags(flags: number): void {
    if ((flags & BPF_F_LOCK) !== 0)
      throw this.fail('EINVAL', 'BPF_F_LOCK needs a spin lock in the value');
    if (flags > BPF_EXIST || flags < 0) throw this.fail('EINVAL', `unknown update flags ${flags}`);
    if (flags === BPF_NOEXIST)
      throw this.fail('EEXIST', 'array elements always exist (BPF_NOEXIST)');
  }

  override update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkWritable();
    this.#checkFlags(flags);
    const i = this.#index(key);
    this.checkSize(value, this.userValueSize, 'value');
    if (i >= this.maxEntries)
      throw this.fail('E2BIG', `index ${i} is out of range (${this.maxEntries} entries)`);
    const bytes = this.space.bytes;
    for (let c = 0; c < this.copies; c++)
      bytes.set(value.subarray(c * this.stride, c * this.stride + this.valueSize), this.#at(i, c));
  }

  override delete(_key: Uint8Array): void {
    throw this.fail('EINVAL', 'array elements cannot be deleted');
  }

  override getNextKey(key: Uint8Array | undefined): Uint8Array {
    const i = key === undefined ? -1 : this.#index(key);
    const next = key === undefined || i >= this.maxEntries ? 0 : i + 1;
    if (next >= this.maxEntries) throw this.fail('ENOENT', 'no next key');
    return new Uint8Array(new Uint32Array([next]).buffer);
  }

  override lookupAndDelete(_key: Uint8Array): Uint8Array {
    throw this.unsupported('lookup_and_delete');
  }

  override progLookup(keyOff: number): number {
    const i = this.#keyAt(keyOff);
    if (i >= this.maxEntries) return 0;
    return this.values.segment * 4294967296 + (i * this.copies + this.#cpu()) * this.stride;
  }

  override progLookupPercpu(keyOff: number, cpu: number): number {
    if (!this.#percpu) return 0;
    const i = this.#keyAt(keyOff);
    if (i >= this.maxEntries || cpu < 0 || cpu >= this.copies) return 0;
    return this.values.segment * 4294967296 + (i * this.copies + cpu) * this.stride;
  }

  override progUpdate(keyOff: number, valueOff: number, flags: number): number {
    if ((this.mapFlags & BPF_F_RDONLY_PROG) !== 0) return -ERRNO.EPERM;
    if ((flags & BPF_F_LOCK) !== 0 || flags > BPF_EXIST || flags < 0) return -ERRNO.EINVAL;
    if (flags === BPF_NOEXIST) return -ERRNO.EEXIST;
    const i = this.#keyAt(keyOff);
    if (i >= this.maxEntries) return -ERRNO.E2BIG;
    const bytes = this.space.bytes;
    bytes.copyWithin(this.#at(i, this.#cpu()), valueOff, valueOff + this.valueSize);
    return 0;
  }

  override progDelete(_keyOff: number): number {
    return -ERRNO.EINVAL;
  }

  override forEachEntry(visit: (keyAddress: number, valueAddress: number) => boolean): number {
    // Keys are not stored for arrays: each index is written into a small key region.
    const keys = this.#keyRegion();
    const cpu = this.#cpu();
    let n = 0;
    for (let i = 0; i < this.maxEntries; i++) {
      this.space.view.setUint32(keys.offset, i, true);
      n++;
      if (
        visit(
          Number(keys.address),
          this.values.segment * 4294967296 + (i * this.copies + cpu) * this.stride,
        )
      )
        break;
    }
    return n;
  }

  #keys: Region | undefined;
  #keyRegion(): Region {
    this.#keys ??= this.space.map(`map:${this.name}:key`, 4, false);
    return this.#keys;
  }

  override destroy(): void {
    super.destroy();
    this.space.unmap(this.values);
    if (this.#keys !== undefined) this.space.unmap(this.#keys);
  }
}
