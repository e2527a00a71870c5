// 64-bit helpers on 32-bit halves, checked against BigInt on edge and random values.
import { describe, expect, it } from 'vitest';
import {
  T,
  asr64,
  clz64,
  fromBig,
  lsl64,
  lsr64,
  mul64,
  rbit32,
  ror64,
  sdiv32,
  sdiv64,
  smulh64,
  toBig,
  udiv32,
  udiv64,
  umulh64,
} from '../src/u64.js';

const M = (1n << 64n) - 1n;
const edges = [
  0n,
  1n,
  2n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  M,
  M - 1n,
  0x123456789abcdef0n,
];
let seed = 12345n;
function rnd(): bigint {
  seed = (seed * 6364136223846793005n + 1442695040888963407n) & M;
  return seed;
}
const values = [...edges, ...Array.from({ length: 60 }, rnd)];
const split = (v: bigint): [number, number] => {
  fromBig(v);
  return [T[0]!, T[1]!];
};
const got = (): bigint => toBig(T[0]!, T[1]!);
const s64 = (v: bigint): bigint => BigInt.asIntN(64, v);

describe('u64 helpers', () => {
  it('mul64, umulh64 and smulh64 match BigInt products', () => {
    for (const a of values)
      for (const b of values.slice(0, 30)) {
        const [al, ah] = split(a),
          [bl, bh] = split(b);
        mul64(al, ah, bl, bh);
        expect(got()).toBe((a * b) & M);
        umulh64(al, ah, bl, bh);
        expect(got()).toBe((a * b) >> 64n);
        smulh64(al, ah, bl, bh);
        expect(got()).toBe(BigInt.asUintN(64, (s64(a) * s64(b)) >> 64n));
      }
  });
  it('udiv64/sdiv64 follow A64 rules (x/0 = 0, INT64_MIN/-1 = INT64_MIN)', () => {
    for (const a of values)
      for (const b of values.slice(0, 30)) {
        const [al, ah] = split(a),
          [bl, bh] = split(b);
        udiv64(al, ah, bl, bh);
        expect(got()).toBe(b === 0n ? 0n : a / b);
        sdiv64(al, ah, bl, bh);
        expect(got()).toBe(b === 0n ? 0n : BigInt.asUintN(64, s64(a) / s64(b)));
      }
    expect(udiv32(7, 0)).toBe(0);
    expect(sdiv32(-2147483648, -1)).toBe(-2147483648);
    expect(sdiv32(-7, 2)).toBe(-3);
  });
  it('shifts and rotates match BigInt for every amount', () => {
    for (const a of values.slice(0, 20))
      for (let n = 0; n < 64; n++) {
        const [l, h] = split(a);
        lsl64(l, h, n);
        expect(got()).toBe((a << BigInt(n)) & M);
        lsr64(l, h, n);
        expect(got()).toBe(a >> BigInt(n));
        asr64(l, h, n);
        expect(got()).toBe(BigInt.asUintN(64, s64(a) >> BigInt(n)));
        ror64(l, h, n);
        expect(got()).toBe(((a >> BigInt(n)) | (a << BigInt((64 - n) % 64))) & M);
      }
  });
  it('clz64 and rbit32', () => {
    for (const a of values) {
      const [l, h] = split(a);
      expect(clz64(l, h)).toBe(a === 0n ? 64 : 64 - a.toString(2).length);
    }
    expect(rbit32(1) >>> 0).toBe(0x80000000);
    expect(rbit32(0x12345678) >>> 0).toBe(0x1e6a2c48);
  });
});
