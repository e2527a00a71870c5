// SPDX-License-Identifier: MIT
// The address space eBPF programs see: named regions (stack, context, map values, read-only
// data) inside one WebAssembly.Memory, each reachable at its own 4 GiB-aligned base address.

import { VmError } from './errors.js';
import type { WasmMemory } from './wasm-api.js';
import { wasm } from './wasm-api.js';

/** Bytes of one WebAssembly page. */
const WASM_PAGE = 65536;
/** Most regions one address space holds (segment 0 is the null segment). */
export const MAX_SEGMENTS = 4096;
/**
 * Byte offset of the segment table inside the memory: per segment, four little-endian u32
 * words `offset, size, writable, 0`. The Wasm engine reads it for its bounds checks.
 */
export const SEGMENT_TABLE_OFFSET = 0;
/** First byte the allocator hands out (after the segment table and a scratch page). */
const HEAP_START = MAX_SEGMENTS * 16 + WASM_PAGE;
/** Scratch area (not addressable by programs) engines use to pass registers to helpers. */
export const SCRATCH_OFFSET = MAX_SEGMENTS * 16;

/** One region of an {@link AddressSpace}. */
export interface Region {
  /** Segment number; the region's base address is `segment * 2^32`. */
  readonly segment: number;
  /** Base address as programs see it. */
  readonly address: bigint;
  /** Byte offset inside the backing memory. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Whether programs may store into it. */
  readonly writable: boolean;
  /** Name used in errors (`stack`, `ctx`, `map:counts`, ...). */
  readonly name: string;
}

/** Options of {@link AddressSpace}. */
export interface AddressSpaceOptions {
  /** Initial size in bytes (rounded up to 64 KiB pages). Default 1 MiB. */
  initialBytes?: number;
  /** Largest size in bytes the memory may grow to. Default 1 GiB. */
  maximumBytes?: number;
}

/**
 * The memory that eBPF programs address. Every region lives in one `WebAssembly.Memory`, so the
 * interpreter, the Wasm engine and the map implementations all read and write the same bytes
 * (a pointer returned by `map_lookup_elem` is a real address into the map's value storage).
 *
 * Addresses are 64-bit: the upper 32 bits select a segment (a region), the lower 32 bits are
 * the offset inside it. Segment 0 is never mapped, so null and small integers fault.
 *
 * @remarks rbpf maps a fixed set of regions per run; here regions can be added at any time (maps
 * created after a program was loaded are addressable at once). After the memory grows the old
 * `ArrayBuffer` is detached: always read {@link AddressSpace.bytes} / {@link AddressSpace.view}
 * afresh rather than keeping them.
 */
export class AddressSpace {
  /** The backing memory. */
  readonly memory: WasmMemory;
  /** Offset of each segment inside the memory. */
  readonly segmentOffset = new Int32Array(MAX_SEGMENTS);
  /** Size of each segment (0 = unmapped). */
  readonly segmentSize = new Int32Array(MAX_SEGMENTS);
  /** 1 when programs may store into the segment. */
  readonly segmentWritable = new Uint8Array(MAX_SEGMENTS);
  readonly #regions: (Region | undefined)[] = [undefined];
  readonly #free: number[] = [];
  readonly #capacity = new Map<number, number>();
  #top = HEAP_START;
  #bytes!: Uint8Array;
  #view!: DataView;
  #generation = 0;
  readonly #maximumPages: number;

  /** @param options - sizes of the backing memory. */
  constructor(options: AddressSpaceOptions = {}) {
    const initial = Math.max(HEAP_START + WASM_PAGE, options.initialBytes ?? 1 << 20);
    const maximumBytes = options.maximumBytes ?? 1 << 30;
    this.#maximumPages = Math.ceil(maximumBytes / WASM_PAGE);
    this.memory = new wasm.Memory({
      initial: Math.ceil(initial / WASM_PAGE),
      maximum: this.#maximumPages,
    });
    this.#refresh();
  }

  #scratchDepth = 0;

  /**
   * Takes a 128-byte slot of the scratch area (not addressable by programs) that an engine
   * uses to pass registers to helpers; runs nest (a helper may run another program), so slots
   * form a stack.
   * @returns the slot's byte offset.
   * @throws {VmError} `CALL_DEPTH_EXCEEDED` when runs nest more than 512 deep.
   * @internal
   */
  acquireScratch(): number {
    if (this.#scratchDepth >= 512)
      throw new VmError({
        code: 'CALL_DEPTH_EXCEEDED',
        pc: -1,
        message: 'program runs nested more than 512 deep',
      });
    return SCRATCH_OFFSET + 128 * this.#scratchDepth++;
  }

  /** Gives back the most recent scratch slot. @internal */
  releaseScratch(): void {
    this.#scratchDepth--;
  }

  /** Current bytes of the whole memory (re-read after anything that may allocate). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** Current little-endian view of the whole memory. */
  get view(): DataView {
    return this.#view;
  }

  /** Increases each time the memory grows (views taken before are detached). */
  get generation(): number {
    return this.#generation;
  }

  /**
   * Called after the memory grew (views taken before are detached), once the space's own views
   * are new: the Wasm engine keeps the register view of its running programs valid with it, so
   * that a helper call need not check. A run installs its own and calls the one it replaced
   * first (runs nest). @internal
   */
  onGrow: (() => void) | undefined = undefined;

  /** Number of segment slots in use (highest segment + 1). */
  get segmentCount(): number {
    return this.#regions.length;
  }

  #refresh(): void {
    this.#bytes = new Uint8Array(this.memory.buffer);
    this.#view = new DataView(this.memory.buffer);
    this.#generation++;
    // The segment table is mirrored into memory for the Wasm engine.
    for (let s = 0; s < this.#regions.length; s++) this.#writeTableEntry(s);
  }

  #writeTableEntry(segment: number): void {
    const at = SEGMENT_TABLE_OFFSET + segment * 16;
    this.#view.setUint32(at, this.segmentOffset[segment]!, true);
    this.#view.setUint32(at + 4, this.segmentSize[segment]!, true);
    this.#view.setUint32(at + 8, this.segmentWritable[segment]!, true);
    this.#view.setUint32(at + 12, 0, true);
  }

  /**
   * Maps a new zero-filled region.
   * @param name - name shown in access errors.
   * @param size - size in bytes (0 allowed: any access faults).
   * @param writable - whether programs may store into it.
   * @returns the region.
   * @throws {VmError} `OUT_OF_MEMORY` when the memory cannot grow or all segments are used.
   */
  map(name: string, size: number, writable: boolean): Region {
    if (!Number.isInteger(size) || size < 0 || size > 0x7fffffff) {
      throw new VmError({
        code: 'OUT_OF_MEMORY',
        pc: -1,
        message: `region \`${name}\` has an invalid size \`${size}\``,
      });
    }
    const segment = this.#free.pop() ?? this.#regions.length;
    if (segment >= MAX_SEGMENTS) {
      throw new VmError({
        code: 'OUT_OF_MEMORY',
        pc: -1,
        message: `no segment left for region \`${name}\` (at most ${MAX_SEGMENTS - 1})`,
      });
    }
    return this.#mapAt(segment, name, size, writable);
  }

  /**
   * Maps `count` zero-filled regions of `size` bytes at consecutive segments (the stack frames
   * of one run: frame k + 1 is at frame k's address + 2^32, so an access below a frame's base
   * falls into no region's bounds).
   * @param name - base name; region k is `${name}${k}`.
   * @param count - number of regions.
   * @param size - bytes per region.
   * @param writable - whether programs may store into them.
   * @returns the regions, by increasing segment.
   * @throws {VmError} `OUT_OF_MEMORY` when no run of free segments or bytes is left.
   */
  mapConsecutive(name: string, count: number, size: number, writable: boolean): Region[] {
    // a run of free segments, else fresh ones at the end
    const free = [...this.#free].sort((a, b) => a - b);
    let start = -1;
    for (let i = 0; i + count <= free.length && start < 0; i++)
      if (free[i + count - 1] === free[i]! + count - 1) start = free[i]!;
    if (start < 0) start = this.#regions.length;
    if (start + count > MAX_SEGMENTS) {
      throw new VmError({
        code: 'OUT_OF_MEMORY',
        pc: -1,
        message: `no run of ${count} segments left for \`${name}\` (at most ${MAX_SEGMENTS - 1} segments)`,
      });
    }
    for (let k = 0; k < count; k++) {
      const at = this.#free.indexOf(start + k);
      if (at >= 0) this.#free.splice(at, 1);
    }
    const out: Region[] = [];
    try {
      for (let k = 0; k < count; k++)
        out.push(this.#mapAt(start + k, `${name}${k}`, size, writable));
    } catch (e) {
      for (const r of out) this.unmap(r);
      for (let k = out.length; k < count; k++)
        if (
          start + k < this.#regions.length &&
          this.#regions[start + k] === undefined &&
          !this.#free.includes(start + k)
        )
          this.#free.push(start + k);
      throw e;
    }
    return out;
  }

  #mapAt(segment: number, name: string, size: number, writable: boolean): Region {
    while (this.#regions.length < segment) {
      // segments skipped over by a consecutive run at the end stay free
      this.#free.push(this.#regions.length);
      this.#regions.push(undefined);
    }
    let offset: number;
    try {
      offset = this.#allocate(name, size);
    } catch (e) {
      if (segment < this.#regions.length) this.#free.push(segment);
      throw e;
    }
    const region: Region = {
      segment,
      address: BigInt(segment) << 32n,
      offset,
      size,
      writable,
      name,
    };
    this.#regions[segment] = region;
    this.#capacity.set(segment, size);
    this.segmentOffset[segment] = offset;
    this.segmentSize[segment] = size;
    this.segmentWritable[segment] = writable ? 1 : 0;
    this.#bytes.fill(0, offset, offset + size);
    this.#writeTableEntry(segment);
    return region;
  }

  /**
   * Changes a region's size in place when it fits the bytes first reserved for it (so a context
   * region can follow records of varying length without allocating), else maps a new region of
   * at least twice the size and unmaps the old one.
   * @param region - a region of this space.
   * @param size - the new size in bytes.
   * @returns the region with its new size (the same segment when it fitted).
   * @throws {VmError} `OUT_OF_MEMORY` as {@link AddressSpace.map}.
   */
  resize(region: Region, size: number): Region {
    const capacity = this.#capacity.get(region.segment) ?? region.size;
    if (
      this.#regions[region.segment] === region &&
      Number.isInteger(size) &&
      size >= 0 &&
      size <= capacity
    ) {
      const resized: Region = { ...region, size };
      this.#regions[region.segment] = resized;
      this.segmentSize[region.segment] = size;
      this.#writeTableEntry(region.segment);
      return resized;
    }
    this.unmap(region);
    const grown = this.map(region.name, Math.max(size, capacity * 2), region.writable);
    return this.resize(grown, size);
  }

  /**
   * Unmaps a region: later accesses through its segment fault, and its bytes return to the
   * allocator (a later region may reuse them, zero-filled; host views taken with
   * {@link AddressSpace.bytesOf} must not outlive the region).
   * @param region - a region of this space.
   */
  unmap(region: Region): void {
    if (this.#regions[region.segment] !== region) return;
    this.#release(region.offset, this.#capacity.get(region.segment) ?? region.size);
    this.#capacity.delete(region.segment);
    this.#regions[region.segment] = undefined;
    this.segmentSize[region.segment] = 0;
    this.segmentWritable[region.segment] = 0;
    this.#writeTableEntry(region.segment);
    this.#free.push(region.segment);
  }

  /** Free byte ranges below `#top`, sorted by offset, 8-aligned, never adjacent. */
  readonly #holes: { offset: number; size: number }[] = [];

  /** Bytes of the backing memory in use by regions (for leak checks). */
  get usedBytes(): number {
    let free = 0;
    for (const h of this.#holes) free += h.size;
    return this.#top - HEAP_START - free;
  }

  #release(offset: number, size: number): void {
    if (size <= 0) return;
    let end = offset + ((size + 7) & ~7);
    let start = offset;
    const holes = this.#holes;
    // find the insertion index, merge with neighbours
    let i = 0;
    while (i < holes.length && holes[i]!.offset < start) i++;
    if (i > 0 && holes[i - 1]!.offset + holes[i - 1]!.size === start) {
      start = holes[i - 1]!.offset;
      holes.splice(--i, 1);
    }
    if (i < holes.length && holes[i]!.offset === end) {
      end = holes[i]!.offset + holes[i]!.size;
      holes.splice(i, 1);
    }
    if (end >= this.#top) this.#top = start;
    else holes.splice(i, 0, { offset: start, size: end - start });
  }

  #allocate(name: string, size: number): number {
    const need = (size + 7) & ~7;
    const holes = this.#holes;
    for (let i = 0; i < holes.length; i++) {
      const h = holes[i]!;
      if (h.size < need) continue;
      const offset = h.offset;
      if (h.size === need) holes.splice(i, 1);
      else holes[i] = { offset: h.offset + need, size: h.size - need };
      return offset;
    }
    const offset = (this.#top + 7) & ~7;
    const end = offset + need;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / WASM_PAGE);
      const current = have / WASM_PAGE;
      if (current + pages > this.#maximumPages) {
        throw new VmError({
          code: 'OUT_OF_MEMORY',
          pc: -1,
          message: `cannot map \`${size}\` bytes for region \`${name}\`: address space limit of ${this.#maximumPages * WASM_PAGE} bytes reached`,
        });
      }
      // Grow at least by half again, so repeated small maps do not grow page by page.
      this.memory.grow(Math.min(this.#maximumPages - current, Math.max(pages, current >> 1)));
      this.#refresh();
      this.onGrow?.();
    }
    this.#top = offset + need;
    return offset;
  }

  /**
   * The region of a segment.
   * @param segment - segment number.
   * @returns the region, or undefined when unmapped.
   */
  region(segment: number): Region | undefined {
    return this.#regions[segment];
  }

  /** @returns every mapped region. */
  regions(): Region[] {
    return this.#regions.filter((r): r is Region => r !== undefined);
  }

  /**
   * Translates a program address into a byte offset of the backing memory, checking that
   * `size` bytes are inside one region and, for stores, that the region is writable.
   * @param address - the 64-bit address.
   * @param size - access width in bytes.
   * @param access - `load` or `store`.
   * @param pc - instruction index for the error (-1 outside a program).
   * @returns the byte offset into {@link AddressSpace.bytes}.
   * @throws {VmError} `ACCESS_VIOLATION` with address, size, access and region.
   */
  translate(address: bigint, size: number, access: 'load' | 'store', pc = -1): number {
    const a = BigInt.asUintN(64, address);
    const hi = Number(a >> 32n) | 0;
    const lo = Number(a & 0xffffffffn);
    const at = this.offsetOf(hi, lo, size, access === 'store');
    if (at < 0) throw this.accessError(hi, lo, size, access, pc);
    return at;
  }

  /**
   * Fast form of {@link AddressSpace.translate} on the two halves of an address.
   * @param hi - upper 32 bits (the segment).
   * @param lo - lower 32 bits, unsigned.
   * @param size - access width.
   * @param write - true for a store.
   * @returns the byte offset, or -1 when the access is not allowed.
   */
  offsetOf(hi: number, lo: number, size: number, write: boolean): number {
    if (hi <= 0 || hi >= this.#regions.length) return -1;
    if (lo + size > this.segmentSize[hi]!) return -1;
    if (write && this.segmentWritable[hi] === 0) return -1;
    return this.segmentOffset[hi]! + lo;
  }

  /**
   * Builds the `ACCESS_VIOLATION` error for an access that {@link AddressSpace.offsetOf} refused.
   * @param hi - upper 32 bits of the address.
   * @param lo - lower 32 bits, unsigned.
   * @param size - access width.
   * @param access - direction.
   * @param pc - faulting instruction.
   * @returns the error (not thrown).
   */
  accessError(hi: number, lo: number, size: number, access: 'load' | 'store', pc: number): VmError {
    const address = (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    const region = hi > 0 ? this.#regions[hi] : undefined;
    const hex = `0x${address.toString(16)}`;
    let why: string;
    if (region === undefined) why = `\`${hex}\` is not in any region`;
    else if (lo + size > region.size)
      why = `\`${hex}\` is outside region \`${region.name}\` (${region.size} bytes at 0x${region.address.toString(16)})`;
    else why = `region \`${region.name}\` is read-only`;
    return new VmError({
      code: 'ACCESS_VIOLATION',
      pc,
      access: { address, size, access, region: region?.name ?? 'none' },
      message: `invalid ${access} of ${size} byte${size === 1 ? '' : 's'}: ${why}`,
    });
  }

  /**
   * Copies bytes out of program memory.
   * @param address - start address.
   * @param length - byte count.
   * @returns a copy of the bytes.
   * @throws {VmError} `ACCESS_VIOLATION` when the range is not inside one region.
   */
  read(address: bigint, length: number): Uint8Array {
    const at = this.translate(address, length, 'load');
    return this.#bytes.slice(at, at + length);
  }

  /**
   * Copies bytes into program memory (ignores the region's read-only flag: the host may write
   * read-only data, programs may not).
   * @param address - start address.
   * @param data - bytes to write.
   * @throws {VmError} `ACCESS_VIOLATION` when the range is not inside one region.
   */
  write(address: bigint, data: Uint8Array): void {
    const at = this.translate(address, data.length, 'load');
    this.#bytes.set(data, at);
  }

  /**
   * The bytes of a region as a view (valid until the memory grows).
   * @param region - a region of this space.
   * @returns a view of its bytes.
   */
  bytesOf(region: Region): Uint8Array {
    return this.#bytes.subarray(region.offset, region.offset + region.size);
  }
}
