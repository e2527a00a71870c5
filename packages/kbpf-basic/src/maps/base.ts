// SPDX-License-Identifier: MIT
// Common map state and the operation set every map type answers (the role of kbpf-basic's
// BpfMapCommonOps, Starry-OS/kbpf-basic src/map/mod.rs). Operations a type does not support fail
// with the errno Linux gives for them.

import type { AddressSpace, Region } from '@axebpf/rbpf';
import { ERRNO } from '../constants.js';
import type { ErrnoName } from '../errors.js';
import { MapError } from '../errors.js';
import type { Platform } from '../platform.js';

/** Attributes of a new map (the `BPF_MAP_CREATE` part of `union bpf_attr`). */
export interface MapAttr {
  /** `BPF_MAP_TYPE_*`. */
  mapType: number;
  /** Key size in bytes. */
  keySize: number;
  /** Value size in bytes. */
  valueSize: number;
  /** Capacity (entries; bytes for a ring buffer). */
  maxEntries: number;
  /** `BPF_F_*` create flags. Default 0. */
  mapFlags?: number;
  /** Name (at most 15 bytes of `[A-Za-z0-9_.]`, as Linux checks). Default `''`. */
  name?: string;
}

/** What a map needs from its owner. */
export interface MapContext {
  /** The address space programs run in; value storage is mapped into it. */
  space: AddressSpace;
  /** CPU count and current CPU for per-CPU maps. */
  platform: Platform;
}

/** Rounds up to a multiple of 8 (Linux stores values and per-CPU copies 8-aligned). */
export const round8 = (n: number): number => (n + 7) & ~7;

/**
 * Base of every map. Two faces:
 * - the user-space face (`lookup`, `update`, ... on byte arrays, with bpf() syscall semantics:
 *   per-CPU maps read and write all CPUs' values, each padded to 8 bytes);
 * - the program face (`prog*` methods on byte offsets into `space.bytes`, used by helpers,
 *   returning addresses or `-errno` without throwing).
 *
 * Each map owns a small read-only "handle" region; its base address is the map pointer programs
 * get from `lddw src=1` and pass to helpers.
 */
export abstract class BpfMap {
  /** `BPF_MAP_TYPE_*`. */
  readonly mapType: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Capacity. */
  readonly maxEntries: number;
  /** Create flags. */
  readonly mapFlags: number;
  /** Name. */
  readonly name: string;
  /** The address space the map's storage lives in. */
  readonly space: AddressSpace;
  /** The platform (CPU count, current CPU). */
  readonly platform: Platform;
  /** The map's handle region; `handle.address` is the map pointer. */
  readonly handle: Region;
  #frozen = false;

  /**
   * @param attr - validated attributes.
   * @param ctx - address space and platform.
   */
  protected constructor(attr: MapAttr, ctx: MapContext) {
    this.mapType = attr.mapType;
    this.keySize = attr.keySize;
    this.valueSize = attr.valueSize;
    this.maxEntries = attr.maxEntries;
    this.mapFlags = attr.mapFlags ?? 0;
    this.name = attr.name ?? '';
    this.space = ctx.space;
    this.platform = ctx.platform;
    this.handle = ctx.space.map(`map:${this.name || attr.mapType}`, 8, false);
  }

  /** The map pointer as programs see it (base address of the handle region). */
  get address(): bigint {
    return this.handle.address;
  }

  /** Whether {@link BpfMap.freeze} was called (user-space writes then fail with EPERM). */
  get frozen(): boolean {
    return this.#frozen;
  }

  /** Size of one value as user space reads it (per-CPU maps: one 8-aligned copy per CPU). */
  get userValueSize(): number {
    return this.valueSize;
  }

  /** Number of entries present. */
  abstract get size(): number;

  /** @internal builds a MapError naming this map. */
  protected fail(code: ErrnoName, message: string): MapError {
    return new MapError({ code, message, map: this.name || undefined });
  }

  /** @internal throws EINVAL unless `bytes` has `expected` bytes. */
  protected checkSize(bytes: Uint8Array, expected: number, what: string): void {
    if (!(bytes instanceof Uint8Array))
      throw this.fail(
        'EINVAL',
        `${what} must be a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`,
      );
    if (bytes.length !== expected)
      throw this.fail('EINVAL', `${what} has ${bytes.length} bytes, expected ${expected}`);
  }

  /**
   * @internal the error for an operation this map type does not support (`ENOTSUPP`); the
   * operands are taken (and ignored) so that the stubs keep their documented parameter names.
   */
  protected unsupported(op: string, ..._operands: unknown[]): MapError {
    return this.fail('ENOTSUPP', `operation \`${op}\` is not supported by this map type`);
  }

  // ---- user-space face ------------------------------------------------------------------

  /**
   * Reads the value of a key (a copy).
   * @param key - key bytes (`keySize` long).
   * @returns the value (per-CPU maps: all CPUs).
   * @throws {MapError} `ENOENT` when missing, `EINVAL` for a wrong key size.
   */
  lookup(key: Uint8Array): Uint8Array {
    throw this.unsupported('lookup', key);
  }

  /**
   * Writes the value of a key.
   * @param key - key bytes.
   * @param value - value bytes (per-CPU maps: {@link BpfMap.userValueSize} bytes).
   * @param flags - `BPF_ANY`, `BPF_NOEXIST` or `BPF_EXIST`.
   * @throws {MapError} `EEXIST`, `ENOENT`, `E2BIG`, `EINVAL`, `EPERM` (frozen).
   */
  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    throw this.unsupported('update', key, value, flags);
  }

  /**
   * Deletes a key.
   * @param key - key bytes.
   * @throws {MapError} `ENOENT` when missing, `EINVAL` for arrays.
   */
  delete(key: Uint8Array): void {
    throw this.unsupported('delete', key);
  }

  /**
   * The key after `key` in iteration order, or the first key when `key` is undefined (or, for
   * hash maps, not present, as Linux does).
   * @param key - current key, or undefined to start.
   * @returns the next key.
   * @throws {MapError} `ENOENT` at the end.
   */
  getNextKey(key: Uint8Array | undefined): Uint8Array {
    throw this.unsupported('get_next_key', key);
  }

  /**
   * Reads and deletes a key (queues and stacks: pops; the key must be empty).
   * @param key - key bytes.
   * @returns the value.
   * @throws {MapError} `ENOENT`, `ENOTSUPP`.
   */
  lookupAndDelete(key: Uint8Array): Uint8Array {
    throw this.unsupported('lookup_and_delete', key);
  }

  /**
   * Pushes a value (queues and stacks).
   * @param value - value bytes.
   * @param flags - `BPF_EXIST` replaces the oldest element when full.
   * @throws {MapError} `E2BIG` when full, `EINVAL` for bad flags.
   */
  push(value: Uint8Array, flags = 0): void {
    throw this.unsupported('push', value, flags);
  }

  /**
   * Removes and returns the next value (queue: oldest, stack: newest).
   * @returns the value.
   * @throws {MapError} `ENOENT` when empty.
   */
  pop(): Uint8Array {
    throw this.unsupported('pop');
  }

  /**
   * Returns the next value without removing it.
   * @returns the value.
   * @throws {MapError} `ENOENT` when empty.
   */
  peek(): Uint8Array {
    throw this.unsupported('peek');
  }

  /**
   * Visits each entry (key and value copies, the current CPU's value for per-CPU maps) until
   * the callback returns true.
   * @param visit - called per entry; return true to stop.
   * @returns the number of entries visited (the stopping one included, as Linux counts).
   */
  forEach(visit: (key: Uint8Array, value: Uint8Array) => boolean | void): number {
    const bytes = (addr: number, n: number) => this.space.bytes.slice(addr, addr + n);
    return this.forEachEntry(
      (k, v) =>
        visit(
          bytes(this.offsetOfAddress(k), this.keySize),
          bytes(this.offsetOfAddress(v), this.valueSize),
        ) === true,
    );
  }

  /**
   * Makes the map read-only for user space (`BPF_MAP_FREEZE`); programs still write.
   * @throws {MapError} `EBUSY` when already frozen.
   */
  freeze(): void {
    if (this.#frozen) throw this.fail('EBUSY', 'map is already frozen');
    this.#frozen = true;
  }

  /** @internal throws EPERM when frozen (user-space writes). */
  protected checkWritable(): void {
    if (this.#frozen) throw this.fail('EPERM', 'map is frozen');
  }

  /** Releases the map's regions (later accesses through old pointers fault). */
  destroy(): void {
    this.space.unmap(this.handle);
  }

  // ---- program face (used by helpers) -----------------------------------------------------

  /**
   * `bpf_map_lookup_elem` on a key at `keyOff` in `space.bytes`.
   * @returns the address (as a number) of the current CPU's value, or 0.
   * @internal
   */
  progLookup(_keyOff: number): number {
    return 0;
  }

  /**
   * `bpf_map_lookup_percpu_elem`.
   * @returns the address of `cpu`'s value, or 0.
   * @internal
   */
  progLookupPercpu(_keyOff: number, _cpu: number): number {
    return 0;
  }

  /** `bpf_map_update_elem`: 0 or -errno. @internal */
  progUpdate(_keyOff: number, _valueOff: number, _flags: number): number {
    return -ERRNO.ENOTSUPP;
  }

  /** `bpf_map_delete_elem`: 0 or -errno. @internal */
  progDelete(_keyOff: number): number {
    return -ERRNO.ENOTSUPP;
  }

  /** `bpf_map_push_elem`: 0 or -errno. @internal */
  progPush(_valueOff: number, _flags: number): number {
    return -ERRNO.ENOTSUPP;
  }

  /** `bpf_map_pop_elem` / `peek`: copies into `dstOff`; 0 or -errno. @internal */
  progPop(_dstOff: number, _remove: boolean): number {
    return -ERRNO.ENOTSUPP;
  }

  /**
   * Iterates entries giving key and value addresses (as numbers; the current CPU's value).
   * @param visit - return true to stop.
   * @returns entries visited.
   * @internal
   */
  forEachEntry(_visit: (keyAddress: number, valueAddress: number) => boolean): number {
    throw this.unsupported('for_each');
  }

  /** @internal byte offset in `space.bytes` of an address returned by the program face. */
  offsetOfAddress(address: number): number {
    const seg = Math.floor(address / 4294967296);
    return this.space.segmentOffset[seg]! + (address % 4294967296);
  }
}
