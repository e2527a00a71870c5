// SPDX-License-Identifier: MIT
// CRC32B/H/W/X and CRC32CB/CH/CW/CX (ARMv8.0 CRC32, Arm ARM C6.2 "CRC32*"): the reflected CRC
// update of the accumulator by 1, 2, 4 or 8 data bytes, least significant byte first, with
// the CRC-32 (0x04C11DB7) or CRC-32C (0x1EDC6F41) polynomial and no pre/post inversion.

function table(reflectedPoly: number): Uint32Array {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ reflectedPoly : c >>> 1;
    t[i] = c;
  }
  return t;
}

const CRC32 = table(0xedb88320);
const CRC32C = table(0x82f63b78);

/**
 * One CRC32 instruction.
 * @param acc - the accumulator (Wn).
 * @param lo - data, bits [31:0].
 * @param hi - data, bits [63:32] (CRC32X/CX).
 * @param size - log2 of the data bytes (0..3).
 * @param castagnoli - true for CRC32C*.
 * @returns the new accumulator (int32).
 * @internal
 */
export function crc32Update(
  acc: number,
  lo: number,
  hi: number,
  size: number,
  castagnoli: boolean,
): number {
  const t = castagnoli ? CRC32C : CRC32;
  const n = 1 << size;
  let c = acc >>> 0;
  for (let i = 0; i < n; i++) {
    const b = i < 4 ? (lo >>> (8 * i)) & 0xff : (hi >>> (8 * (i - 4))) & 0xff;
    c = t[(c ^ b) & 0xff]! ^ (c >>> 8);
  }
  return c | 0;
}
