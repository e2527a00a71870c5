// SPDX-License-Identifier: MIT
// Deterministic random numbers and byte mutations shared by the fuzz harnesses.

/** mulberry32: a small seeded PRNG. @param {number} seed @returns {() => number} in [0, 1) */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** @param {() => number} r @param {number} n @returns {number} an integer in [0, n) */
export const below = (r, n) => Math.floor(r() * n);

/** @template T @param {() => number} r @param {readonly T[]} xs @returns {T} */
export const pick = (r, xs) => xs[below(r, xs.length)];

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0xfe];

/**
 * A copy of `bytes` with a few random mutations: byte flips, interesting bytes, 16/32/64-bit
 * extreme values, or a zeroed/duplicated run; `hot` ranges ([start, end)) get most of them.
 * @param {() => number} r @param {Uint8Array} bytes @param {Array<[number, number]>} hot
 * @returns {Uint8Array}
 */
export function mutateBytes(r, bytes, hot = []) {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  const n = 1 + below(r, 4);
  for (let k = 0; k < n; k++) {
    const range = hot.length > 0 && r() < 0.8 ? pick(r, hot) : [0, out.length];
    const at = range[0] + below(r, Math.max(1, range[1] - range[0]));
    if (at >= out.length) continue;
    switch (below(r, 6)) {
      case 0:
        out[at] ^= 1 << below(r, 8);
        break;
      case 1:
        out[at] = pick(r, INTERESTING);
        break;
      case 2:
        if (at + 2 <= out.length)
          view.setUint16(at, pick(r, [0, 0xffff, 0x8000, 0xfff1, 0xff00, below(r, 64)]), true);
        break;
      case 3:
        if (at + 4 <= out.length)
          view.setUint32(
            at,
            pick(r, [0, 0xffffffff, 0x7fffffff, 0x80000000, below(r, 1 << 16)]),
            true,
          );
        break;
      case 4:
        if (at + 8 <= out.length)
          view.setBigUint64(
            at,
            pick(r, [0n, 0xffffffffffffffffn, 0x8000000000000000n, BigInt(below(r, 1 << 20))]),
            true,
          );
        break;
      default:
        out.fill(0, at, Math.min(out.length, at + 1 + below(r, 32)));
    }
  }
  return out;
}
