// SPDX-License-Identifier: MIT
// QUEUE and STACK maps. Semantics of Linux kernel/bpf/queue_stack_maps.c; role of
// Starry-OS/kbpf-basic src/map/queue.rs (which dropped the oldest element silently when full:
// here that needs BPF_EXIST, else E2BIG, as Linux does).

import { BPF_EXIST, BPF_MAP_TYPE_STACK, BPF_NOEXIST, ERRNO } from '../constants.js';
import type { MapAttr, MapContext } from './base.js';
import { BpfMap } from './base.js';

/**
 * A bounded FIFO (QUEUE) or LIFO (STACK) of values without keys. Values are copied in and out,
 * as Linux does: programs never get pointers into it. When full, a push fails with `E2BIG`
 * unless it passes `BPF_EXIST`, which overwrites the oldest element.
 */
export class QueueStackMap extends BpfMap {
  /** True for STACK (pop/peek take the newest), false for QUEUE. */
  readonly isStack: boolean;
  readonly #data: Uint8Array;
  #head = 0; // index of the oldest element
  #count = 0;

  /**
   * @param attr - validated attributes (see {@link createMap}).
   * @param ctx - address space and platform.
   */
  constructor(attr: MapAttr, ctx: MapContext) {
    super(attr, ctx);
    this.isStack = attr.mapType === BPF_MAP_TYPE_STACK;
    this.#data = new Uint8Array(attr.maxEntries * attr.valueSize);
  }

  override get size(): number {
    return this.#count;
  }

  #pushErrno(flags: number): number {
    if ((flags & BPF_NOEXIST) !== 0 || flags < 0 || flags > BPF_EXIST) return -ERRNO.EINVAL;
    if (this.#count === this.maxEntries) {
      if (flags !== BPF_EXIST) return -ERRNO.E2BIG;
      // Overwrite the oldest element.
      this.#head = (this.#head + 1) % this.maxEntries;
      this.#count--;
    }
    return 0;
  }

  #pushFrom(src: Uint8Array, off: number): void {
    const at = ((this.#head + this.#count) % this.maxEntries) * this.valueSize;
    this.#data.set(src.subarray(off, off + this.valueSize), at);
    this.#count++;
  }

  /** Offset in `#data` of the element pop/peek would take. */
  #top(): number {
    const i = this.isStack ? (this.#head + this.#count - 1) % this.maxEntries : this.#head;
    return i * this.valueSize;
  }

  #take(remove: boolean): Uint8Array {
    if (this.#count === 0)
      throw this.fail('ENOENT', `${this.isStack ? 'stack' : 'queue'} is empty`);
    const at = this.#top();
    const out = this.#data.slice(at, at + this.valueSize);
    if (remove) this.#drop();
    return out;
  }

  #drop(): void {
    if (!this.isStack) this.#head = (this.#head + 1) % this.maxEntries;
    this.#count--;
  }

  override push(value: Uint8Array, flags = 0): void {
    this.checkWritable();
    this.checkSize(value, this.valueSize, 'value');
    const e = this.#pushErrno(flags);
    if (e !== 0)
      throw this.fail(
        e === -ERRNO.E2BIG ? 'E2BIG' : 'EINVAL',
        e === -ERRNO.E2BIG
          ? `full (${this.maxEntries} entries); push with BPF_EXIST to overwrite the oldest`
          : `invalid push flags ${flags}`,
      );
    this.#pushFrom(value, 0);
  }

  override pop(): Uint8Array {
    this.checkWritable();
    return this.#take(true);
  }

  override peek(): Uint8Array {
    return this.#take(false);
  }

  /** bpf() MAP_LOOKUP_ELEM on a queue/stack is a peek; the key must be empty. */
  override lookup(key: Uint8Array): Uint8Array {
    this.checkSize(key, 0, 'key');
    return this.peek();
  }

  /** bpf() MAP_UPDATE_ELEM on a queue/stack is a push; the key must be empty. */
  override update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.checkSize(key, 0, 'key');
    this.push(value, flags);
  }

  override delete(_key: Uint8Array): void {
    throw this.fail('EINVAL', 'queue/stack elements cannot be deleted by key');
  }

  override getNextKey(_key: Uint8Array | undefined): Uint8Array {
    throw this.fail('EINVAL', 'queue/stack maps have no keys');
  }

  /** bpf() MAP_LOOKUP_AND_DELETE_ELEM on a queue/stack is a pop. */
  override lookupAndDelete(key: Uint8Array): Uint8Array {
    this.checkSize(key, 0, 'key');
    return this.pop();
  }

  override progPush(valueOff: number, flags: number): number {
    const e = this.#pushErrno(flags);
    if (e !== 0) return e;
    this.#pushFrom(this.space.bytes, valueOff);
    return 0;
  }

  override progPop(dstOff: number, remove: boolean): number {
    if (this.#count === 0) return -ERRNO.ENOENT;
    const at = this.#top();
    this.space.bytes.set(this.#data.subarray(at, at + this.valueSize), dstOff);
    if (remove) this.#drop();
    return 0;
  }
}
