// SPDX-License-Identifier: MIT
// Maps of one address space, found by the pointers programs hold (the role of kbpf-basic's
// KernelAuxiliaryOps::get_unified_map_from_ptr).

import type { AddressSpace } from '@axebpf/rbpf';
import type { BpfMap, MapAttr } from './maps/base.js';
import type { PerfEventBuffer } from './maps/perf.js';
import { createMap } from './maps/create.js';
import { RingBufMap } from './maps/ringbuf.js';
import type { Platform } from './platform.js';

/**
 * The maps of one {@link @axebpf/rbpf!AddressSpace}. A map pointer (what `lddw src=1` loads and
 * helpers take)
 * is the base address of the map's handle region, so the registry finds the map from the
 * pointer's segment in O(1). Ring buffer data pointers (from `bpf_ringbuf_reserve`) are found
 * the same way through the data region's segment.
 */
export class MapRegistry {
  /** The address space maps live in. */
  readonly space: AddressSpace;
  /** The platform (CPU count for per-CPU maps). */
  readonly platform: Platform;
  /** Resolves perf event fds for PERF_EVENT_ARRAY updates. */
  resolvePerfEvent: ((fd: number) => PerfEventBuffer | undefined) | undefined;
  readonly #bySegment = new Map<number, BpfMap>();
  readonly #ringBySegment = new Map<number, RingBufMap>();

  /**
   * @param space - the address space programs run in.
   * @param platform - the host platform.
   */
  constructor(space: AddressSpace, platform: Platform) {
    this.space = space;
    this.platform = platform;
  }

  /**
   * Creates a map in this registry's address space.
   * @param attr - map attributes.
   * @returns the map.
   * @throws {MapError} as {@link createMap}.
   */
  create(attr: MapAttr): BpfMap {
    const map = createMap(attr, {
      space: this.space,
      platform: this.platform,
      resolvePerfEvent: (fd) => this.resolvePerfEvent?.(fd),
    });
    this.#bySegment.set(map.handle.segment, map);
    if (map instanceof RingBufMap) this.#ringBySegment.set(map.data.segment, map);
    return map;
  }

  /**
   * Destroys a map: its regions are unmapped, and pointers to it no longer resolve.
   * @param map - a map of this registry.
   */
  destroy(map: BpfMap): void {
    this.#bySegment.delete(map.handle.segment);
    if (map instanceof RingBufMap) this.#ringBySegment.delete(map.data.segment);
    map.destroy();
  }

  /**
   * The map a pointer designates.
   * @param hi - upper 32 bits of the pointer.
   * @param lo - lower 32 bits (must be 0).
   * @returns the map, or undefined.
   */
  fromPointer(hi: number, lo: number): BpfMap | undefined {
    return lo === 0 ? this.#bySegment.get(hi) : undefined;
  }

  /**
   * The ring buffer whose data region holds a pointer.
   * @param hi - upper 32 bits of the pointer.
   * @returns the ring buffer, or undefined.
   */
  ringFromDataPointer(hi: number): RingBufMap | undefined {
    return this.#ringBySegment.get(hi);
  }

  /** @returns every live map. */
  maps(): BpfMap[] {
    return [...this.#bySegment.values()];
  }
}
