// SPDX-License-Identifier: MIT
// Instruction-slot allocator over an executable region given by the host.
// Role of axebpf src/insn_slot.rs (a static pool of 64 × 32-byte slots with a u64 bitmap)
// and Starry-OS/kprobe's alloc_kernel_exec_memory/free_kernel_exec_memory.

import { KprobeError, hex } from './errors.js';

/** Where the instruction slots live. */
export interface InsnSlotRegion {
  /** Start of the executable region (4-byte aligned). */
  base: bigint;
  /** Number of slots; default 64. */
  count?: number;
  /** Bytes per slot (a multiple of 4, at least 8: the displaced insn + `BRK #6`); default 32. */
  slotSize?: number;
}

/**
 * A bitmap allocator of fixed-size instruction slots over a host-provided executable region.
 *
 * @example
 * ```ts
 * const slots = new InsnSlotAllocator({ base: 0x4008_0000n }); // 64 × 32 bytes
 * const a = slots.alloc(); slots.free(a);
 * ```
 */
export class InsnSlotAllocator {
  /** Start of the region. */
  readonly base: bigint;
  /** Number of slots. */
  readonly count: number;
  /** Bytes per slot. */
  readonly slotSize: number;
  private readonly used: Uint32Array;
  private inUse = 0;

  /**
   * @param region - base, slot count and slot size.
   * @throws {KprobeError} `BAD_SLOT_REGION` for a misaligned base, a count below 1 or a slot
   *   size that is not a multiple of 4 or below 8.
   */
  constructor(region: InsnSlotRegion) {
    const count = region.count ?? 64;
    const slotSize = region.slotSize ?? 32;
    if (
      region.base < 0n ||
      (region.base & 3n) !== 0n ||
      !Number.isInteger(count) ||
      count < 1 ||
      !Number.isInteger(slotSize) ||
      slotSize < 8 ||
      slotSize % 4 !== 0
    ) {
      throw new KprobeError({
        code: 'BAD_SLOT_REGION',
        message: `bad slot region at ${hex(region.base)}: ${count} slots of ${slotSize} bytes`,
        address: region.base,
      });
    }
    this.base = region.base;
    this.count = count;
    this.slotSize = slotSize;
    this.used = new Uint32Array(Math.ceil(count / 32));
  }

  /** Slots in use. */
  get inUseCount(): number {
    return this.inUse;
  }

  /** Slots free. */
  get available(): number {
    return this.count - this.inUse;
  }

  /** One past the last byte of the region. */
  get end(): bigint {
    return this.base + BigInt(this.count * this.slotSize);
  }

  /**
   * Tells whether an address lies inside the region.
   * @param address - any address.
   * @returns true when `base <= address < end`.
   */
  contains(address: bigint): boolean {
    return address >= this.base && address < this.end;
  }

  /**
   * Takes the lowest free slot.
   * @returns its address.
   * @throws {KprobeError} `SLOTS_EXHAUSTED` when every slot is in use.
   */
  alloc(): bigint {
    for (let w = 0; w < this.used.length; w++) {
      const bitsUsed = this.used[w]!;
      if (bitsUsed === 0xffffffff) continue;
      const bit = 31 - Math.clz32(~bitsUsed & (bitsUsed + 1));
      const index = w * 32 + bit;
      if (index >= this.count) break;
      this.used[w] = (bitsUsed | (1 << bit)) >>> 0;
      this.inUse++;
      return this.base + BigInt(index * this.slotSize);
    }
    throw new KprobeError({
      code: 'SLOTS_EXHAUSTED',
      message: `all ${this.count} instruction slots at ${hex(this.base)} are in use`,
      address: this.base,
    });
  }

  /**
   * Returns a slot.
   * @param address - an address {@link InsnSlotAllocator.alloc} returned.
   * @throws {KprobeError} `NOT_REGISTERED` when it is not an allocated slot of this region.
   */
  free(address: bigint): void {
    const off = address - this.base;
    const index =
      off >= 0n && off % BigInt(this.slotSize) === 0n ? Number(off / BigInt(this.slotSize)) : -1;
    const w = index >> 5,
      mask = 1 << (index & 31);
    if (index < 0 || index >= this.count || (this.used[w]! & mask) === 0) {
      throw new KprobeError({
        code: 'NOT_REGISTERED',
        message: `${hex(address)} is not an allocated instruction slot`,
        address,
      });
    }
    this.used[w] = (this.used[w]! & ~mask) >>> 0;
    this.inUse--;
  }
}
