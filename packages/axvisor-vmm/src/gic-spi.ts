// SPDX-License-Identifier: MIT
// The shared peripheral interrupts (SPIs) of a VM's virtual GIC, the same for the GICv2 and the
// GICv3 models: per-VM, level-sensitive lines driven by devices (the PL011), with the
// distributor's enable, pending, active and priority state. Routing differs between the two
// versions (GICD_ITARGETSR bytes on the GICv2, GICD_IROUTER affinities on the GICv3) and stays in
// their files.

/** SPIs each GIC model implements: INTIDs 32..95 (GICD_TYPER.ITLinesNumber = 2). */
export const GIC_SPIS = 64;
/** First SPI INTID. */
export const GIC_FIRST_SPI = 32;

/** One of the distributor's bit-set registers (set/clear pairs share the state). */
export type SpiBitSet = 'enabled' | 'pending' | 'active';

/**
 * The SPI state of one distributor. Word `n` of a bit set covers INTIDs `32 * (n + 1)` upwards,
 * so distributor register index `n + 1` (index 0 is the banked SGI/PPI word) maps to word `n`.
 */
export class SpiLines {
  /** GICD_ISENABLER/ICENABLER. */
  readonly enabled = new Uint32Array(GIC_SPIS / 32);
  /** Software-pending bits (GICD_ISPENDR/ICPENDR); the line level adds to them. */
  readonly pending = new Uint32Array(GIC_SPIS / 32);
  /** GICD_ISACTIVER/ICACTIVER. */
  readonly active = new Uint32Array(GIC_SPIS / 32);
  /** The device lines' levels. */
  readonly level = new Uint32Array(GIC_SPIS / 32);
  /** GICD_IPRIORITYR bytes, by SPI number (INTID - 32). */
  readonly priority = new Uint8Array(GIC_SPIS);

  /**
   * Sets the level of an SPI line (a device's interrupt output).
   * @param intid - 32..95.
   * @param level - asserted or not.
   * @returns false for an INTID outside the SPI range (ignored).
   */
  setLevel(intid: number, level: boolean): boolean {
    const s = intid - GIC_FIRST_SPI;
    if (s < 0 || s >= GIC_SPIS) return false;
    const bit = 1 << (s & 31);
    if (level) this.level[s >> 5]! |= bit;
    else this.level[s >> 5]! &= ~bit;
    return true;
  }

  /**
   * A bit-set register word as the guest reads it (pending includes asserted lines).
   * @param n - word (INTIDs 32*(n+1)..); out of range reads as zero.
   * @param which - the bit set.
   * @returns the 32-bit value.
   */
  word(n: number, which: SpiBitSet): number {
    if (n < 0 || n >= this.enabled.length) return 0;
    if (which === 'pending') return this.pending[n]! | this.level[n]!;
    return this[which][n]!;
  }

  /**
   * A write to a set or clear register of a bit set.
   * @param n - word; out of range is ignored.
   * @param which - the bit set.
   * @param v - the bits written as one.
   * @param set - the set register (else the clear register).
   */
  writeWord(n: number, which: SpiBitSet, v: number, set: boolean): void {
    if (n < 0 || n >= this.enabled.length) return;
    const arr = this[which];
    arr[n] = set ? arr[n]! | v : arr[n]! & ~v;
  }

  /**
   * SPIs of word `n` that could be signalled: enabled, pending (line or software), not active.
   * @param n - word.
   * @returns the bit mask.
   */
  ready(n: number): number {
    return this.enabled[n]! & (this.level[n]! | this.pending[n]!) & ~this.active[n]!;
  }

  /**
   * Acknowledges an SPI: it becomes active and its software pending bit clears (an asserted
   * level-sensitive line pends it again once it is deactivated).
   * @param intid - 32..95.
   */
  acknowledge(intid: number): void {
    const s = intid - GIC_FIRST_SPI;
    this.pending[s >> 5]! &= ~(1 << (s & 31));
    this.active[s >> 5]! |= 1 << (s & 31);
  }

  /**
   * Deactivates an SPI (an end of interrupt).
   * @param intid - any INTID; those outside the SPI range are ignored.
   * @returns whether it was an active SPI.
   */
  deactivate(intid: number): boolean {
    const s = intid - GIC_FIRST_SPI;
    if (s < 0 || s >= GIC_SPIS) return false;
    const bit = 1 << (s & 31);
    const was = (this.active[s >> 5]! & bit) !== 0;
    this.active[s >> 5]! &= ~bit;
    return was;
  }
}

/**
 * Decodes a distributor offset in 0x100-0x3FF: GICD_ISENABLER, ICENABLER, ISPENDR, ICPENDR,
 * ISACTIVER, ICACTIVER, one 32-bit word per 32 INTIDs.
 * @param off - the offset.
 * @returns the bit set, whether it is the set (IS*) register, and the word's index (0: INTIDs 0-31).
 */
export function bitSetRegister(off: number): { which: SpiBitSet; set: boolean; index: number } {
  const group = (off - 0x100) >> 7;
  return {
    which: group < 2 ? 'enabled' : group < 4 ? 'pending' : 'active',
    set: (group & 1) === 0,
    index: (off & 0x7f) >> 2,
  };
}

/**
 * Reads or writes a byte-per-INTID register (GICD_IPRIORITYR, GICD_ITARGETSR) through an access of
 * up to 4 bytes; bytes past the end of the array are not there (read as zero, writes dropped).
 * @param arr - the bytes.
 * @param i - index of the access's first byte in `arr`.
 * @param width - access size in bytes (up to 4 are used).
 * @param write - a write.
 * @param v - the value written, byte 0 for `arr[i]`.
 * @param mask - implemented bits of each byte.
 * @returns the bytes read, little-endian.
 */
export function byteRegister(
  arr: Uint8Array,
  i: number,
  width: number,
  write: boolean,
  v: number,
  mask = 0xff,
): bigint {
  let out = 0;
  for (let b = 0; b < width && b < 4; b++) {
    if (i + b >= arr.length) break;
    if (write) arr[i + b] = (v >>> (8 * b)) & mask;
    out |= arr[i + b]! << (8 * b);
  }
  return BigInt(out >>> 0);
}
