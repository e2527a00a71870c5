// SPDX-License-Identifier: MIT
// Physical memory of the emulated machine: RAM regions backed by ArrayBuffers and MMIO
// regions backed by device callbacks. Tracks which 4 KiB pages hold decoded code so that any
// write (guest store, host write) drops the decoded blocks of that page.

import { EmuInputError } from './errors.js';

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
  /** The device, for MMIO regions. */
  readonly device: MmioDevice | undefined;
}

/** Physical memory: a sorted, non-overlapping list of RAM and MMIO regions. */
export class PhysicalMemory {
  /** The regions, sorted by base. */
  readonly regions: Region[] = [];
  /** Called with the physical page number of a written page that holds decoded code. */
  onCodeWrite: ((page: number) => void) | undefined;

  /**
   * Adds a RAM region (zero-filled).
   * @param base - physical base, 4 KiB aligned.
   * @param size - size in bytes, a multiple of 4 KiB.
   * @param name - a name for messages.
   * @returns the region.
   * @throws {EmuInputError} `BAD_ADDRESS` when misaligned or overlapping.
   */
  addRam(base: bigint, size: number, name = 'ram'): Region {
    const bytes = new Uint8Array(size);
    return this.add(base, size, name, bytes, undefined);
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
    return this.add(base, size, name, new Uint8Array(0), device);
  }

  private add(
    base: bigint,
    size: number,
    name: string,
    bytes: Uint8Array,
    device: MmioDevice | undefined,
  ): Region {
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
    const region: Region = {
      base: b,
      size,
      name,
      bytes,
      device,
      view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      words: new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2),
      code: new Uint8Array(Math.ceil(size / 4096)),
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
