// SPDX-License-Identifier: MIT
// Physical memory of the emulated machine: RAM regions backed by ArrayBuffers and MMIO
// regions backed by device callbacks. Tracks which 4 KiB pages hold decoded code so that any
// write (guest store, host write) drops the decoded blocks of that page.

import { EmuInputError } from './errors.js';
import { type ArenaMemory, wasmApi } from './wasm-jit.js';

/** A memory-mapped device: accesses of 1, 2, 4 or 8 bytes at an offset into its region. */
export interface MmioDevice {
  /**
   * Reads a value.
   * @param offset - byte offset into the region.
   * @param size - 1, 2, 4 or 8.
   * @returns the value (zero-extended).
   */
  read(offset: number, size: number): bigint;
  /**
   * Writes a value.
   * @param offset - byte offset into the region.
   * @param size - 1, 2, 4 or 8.
   * @param value - the value (low `size` bytes are meaningful).
   */
  write(offset: number, size: number, value: bigint): void;
}

/** One region of the physical address space. */
export interface Region {
  /** Physical base address (below 2^48). */
  readonly base: number;
  /** Size in bytes. */
  readonly size: number;
  /** Region name, for messages. */
  readonly name: string;
  /** RAM contents (empty for MMIO). */
  readonly bytes: Uint8Array;
  /** Little-endian view of `bytes`. */
  readonly view: DataView;
  /** `bytes` as little-endian int32 words (the executor's aligned fast path; empty for MMIO). */
  readonly words: Int32Array;
  /** Per 4 KiB page: non-zero when decoded code exists for that page. */
  readonly code: Uint8Array;
  /** Byte offset of `bytes` in the memory's arena, or -1 when the region is not in it. */
  readonly arenaOffset: number;
  /** Byte offset of `code` in the arena, or -1. */
  readonly codeArenaOffset: number;
  /** The device, for MMIO regions. */
  readonly device: MmioDevice | undefined;
}

/** Options of {@link PhysicalMemory}. */
export interface PhysicalMemoryOptions {
  /**
   * Size of the arena: one `WebAssembly.Memory` of this many bytes (rounded up to 64 KiB) from
   * which RAM regions and the CPUs' register files and soft TLBs are allocated while it has
   * room, so that the CPUs' WebAssembly tier can reach them. Without it (the default) RAM is
   * ordinary `ArrayBuffer`s and the CPUs compile hot code to JavaScript only. The arena's
   * pages are reserved up front (the OS backs them on first touch); regions that do not fit
   * get their own buffers and are accessed through the CPU's slower path.
   */
  arenaBytes?: number;
}

/** Physical memory: a sorted, non-overlapping list of RAM and MMIO regions. */
export class PhysicalMemory {
  /** The regions, sorted by base. */
  readonly regions: Region[] = [];
  /** Called with the physical page number of a written page that holds decoded code. */
  onCodeWrite: ((page: number) => void) | undefined;
  /**
   * Arena size of memories created without {@link PhysicalMemoryOptions.arenaBytes} (default
   * undefined: none). For tests and tools that want every machine on the WebAssembly tier.
   */
  static defaultArenaBytes: number | undefined = undefined;
  /** The arena (see {@link PhysicalMemoryOptions.arenaBytes}), when there is one. */
  readonly arena: ArenaMemory | undefined;
  #arenaTop = 0;

  /**
   * @param options - the arena, if any.
   * @throws {EmuInputError} `BAD_ARGUMENT` for an arena size that is not a positive number
   *   below 4 GiB.
   */
  constructor(options: PhysicalMemoryOptions = {}) {
    const bytes = options.arenaBytes ?? PhysicalMemory.defaultArenaBytes;
    if (bytes === undefined) return;
    if (!(bytes > 0 && bytes <= 0xffff0000)) {
      throw new EmuInputError({
        code: 'BAD_ARGUMENT',
        argument: 'arenaBytes',
        message: `arena size ${bytes} is not between 1 byte and 4 GiB - 64 KiB`,
      });
    }
    const pages = Math.ceil(bytes / 65536);
    try {
      this.arena =
        wasmApi === undefined ? undefined : new wasmApi.Memory({ initial: pages, maximum: pages });
    } catch {
      // no address space for it (or no WebAssembly): everything stays in ordinary buffers
      this.arena = undefined;
    }
  }

  /**
   * Takes `bytes` zero-filled bytes from the arena.
   * @param bytes - how many.
   * @param align - alignment of the start (a power of two).
   * @returns the byte offset in the arena, or -1 when there is no arena or no room.
   */
  allocArena(bytes: number, align = 4096): number {
    const a = this.arena;
    if (a === undefined) return -1;
    const start = (this.#arenaTop + align - 1) & ~(align - 1);
    if (start + bytes > a.buffer.byteLength) return -1;
    this.#arenaTop = start + bytes;
    return start;
  }

  /**
   * Adds a RAM region (zero-filled).
   * @param base - physical base, 4 KiB aligned.
   * @param size - size in bytes, a multiple of 4 KiB.
   * @param name - a name for messages.
   * @returns the region.
   * @throws {EmuInputError} `BAD_ADDRESS` when misaligned or overlapping.
   */
  addRam(base: bigint, size: number, name = 'ram'): Region {
    this.check(base, size, name); // before taking arena room for it
    const pages = Math.ceil(size / 4096);
    const off = this.allocArena(size + pages);
    if (off < 0) return this.add(base, size, name, new Uint8Array(size), undefined);
    const buf = this.arena!.buffer;
    return this.add(base, size, name, new Uint8Array(buf, off, size), undefined, off);
  }

  /**
   * Adds an MMIO region.
   * @param base - physical base, 4 KiB aligned.
   * @param size - size in bytes.
   * @param device - the device.
   * @param name - a name for messages.
   * @returns the region.
   * @throws {EmuInputError} `BAD_ADDRESS` when misaligned or overlapping.
   */
  addMmio(base: bigint, size: number, device: MmioDevice, name = 'mmio'): Region {
    this.check(base, size, name);
    return this.add(base, size, name, new Uint8Array(0), device);
  }

  /** Throws BAD_ADDRESS for a misaligned, out-of-range or overlapping region. */
  private check(base: bigint, size: number, name: string): void {
    if (base < 0n || base + BigInt(size) > 1n << 48n || (base & 0xfffn) !== 0n || size <= 0) {
      throw new EmuInputError({
        code: 'BAD_ADDRESS',
        message: `bad region \`${name}\` at 0x${base.toString(16)}`,
        address: base,
      });
    }
    const b = Number(base);
    for (const r of this.regions) {
      if (b < r.base + r.size && r.base < b + size) {
        throw new EmuInputError({
          code: 'BAD_ADDRESS',
          message: `region \`${name}\` overlaps \`${r.name}\``,
          address: base,
        });
      }
    }
  }

  private add(
    base: bigint,
    size: number,
    name: string,
    bytes: Uint8Array,
    device: MmioDevice | undefined,
    arenaOffset = -1,
  ): Region {
    // (checked by the callers)
    const region: Region = {
      base: Number(base),
      size,
      name,
      bytes,
      device,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      words: new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2),
      // in the arena the code map follows the bytes (the WebAssembly tier reads it)
      code:
        arenaOffset < 0
          ? new Uint8Array(Math.ceil(size / 4096))
          : new Uint8Array(bytes.buffer, arenaOffset + size, Math.ceil(size / 4096)),
      arenaOffset,
      codeArenaOffset: arenaOffset < 0 ? -1 : arenaOffset + size,
    };
    this.regions.push(region);
    this.regions.sort((x, y) => x.base - y.base);
    return region;
  }

  /**
   * Finds the region containing `[pa, pa + size)`.
   * @param pa - physical address as a number.
   * @param size - access size.
   * @returns the region or undefined.
   */
  find(pa: number, size: number): Region | undefined {
    const rs = this.regions;
    for (let i = 0; i < rs.length; i++) {
      const r = rs[i]!;
      if (pa >= r.base && pa + size <= r.base + r.size) return r;
    }
    return undefined;
  }

  /**
   * Reads physical memory into a new array (RAM only).
   * @param pa - physical address.
   * @param length - number of bytes.
   * @returns a copy of the bytes.
   * @throws {EmuInputError} `BAD_ADDRESS` when the range is not RAM.
   */
  read(pa: bigint, length: number): Uint8Array {
    const r = this.ram(pa, length);
    const off = Number(pa) - r.base;
    return r.bytes.slice(off, off + length);
  }

  /**
   * Writes bytes into physical memory (RAM only), dropping decoded code of the pages touched.
   * @param pa - physical address.
   * @param data - the bytes.
   * @throws {EmuInputError} `BAD_ADDRESS` when the range is not RAM.
   */
  write(pa: bigint, data: Uint8Array): void {
    const r = this.ram(pa, data.length);
    const off = Number(pa) - r.base;
    r.bytes.set(data, off);
    this.noteWrite(r, off, data.length);
  }

  /**
   * Drops decoded code for pages in `[off, off + length)` of a region (call after writing).
   * @param r - the region.
   * @param off - offset into it.
   * @param length - bytes written.
   */
  noteWrite(r: Region, off: number, length: number): void {
    if (length <= 0) return;
    for (let p = off >>> 12; p <= (off + length - 1) >>> 12; p++) {
      if (r.code[p]) {
        r.code[p] = 0;
        this.onCodeWrite?.(r.base / 4096 + p);
      }
    }
  }

  private ram(pa: bigint, length: number): Region {
    const r = pa >= 0n && pa < 1n << 48n ? this.find(Number(pa), Math.max(length, 1)) : undefined;
    if (!r || r.device) {
      throw new EmuInputError({
        code: 'BAD_ADDRESS',
        message: `no RAM at 0x${pa.toString(16)} (+${length})`,
        address: pa,
      });
    }
    return r;
  }
}
