#include "tiny.h"
typedef unsigned __int128 u128;
typedef __int128 i128;
static volatile u64 in1 = 0xdeadbeefcafebabeull, in2 = 0x0123456789abcdefull;
static void put128(u128 v) { char b[48]; int i = 47; b[i] = 0; do { b[--i] = (char)('0' + (int)(v % 10)); v /= 10; } while (v); puts_(b + i); }
int main(void) {
  u128 a = ((u128)in1 << 64) | in2, b = ((u128)in2 << 32) | 12345;
  u128 p = a * b, q = a / b, r = a % b;
  i128 sa = -(i128)a, sq = sa / (i128)b, sr = sa % (i128)b;
  put128(p); puts_("\n"); put128(q); puts_("\n"); put128(r); puts_("\n");
  put128((u128)sq); puts_("\n"); put128((u128)-sr); puts_("\n");
  u128 f = 1; for (int i = 1; i <= 30; i++) f *= (u128)i;
  put128(f); puts_("\n");
  kv("shl", (u64)(a << 77 >> 64)); kv("sar", (u64)(sa >> 99));
  return (int)(q & 63);
}
