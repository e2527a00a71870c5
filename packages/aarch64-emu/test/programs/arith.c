#include "tiny.h"
static volatile u64 seedv = 0x123456789abcdefull;
int main(void) {
  u64 a = seedv, b = 0xfedcba9876543210ull, h = 0;
  for (int i = 0; i < 200; i++) {
    a = a * 6364136223846793005ull + 1442695040888963407ull;
    b ^= a >> 17; b = (b << 7) | (b >> 57);
    i64 sa = (i64)a, sb = (i64)b | 1;
    h += (u64)(sa / sb) + (a % (b | 1)) + (u64)((i32)a / ((i32)b | 1)) + ((u32)a % ((u32)b | 1));
    h ^= (u64)__builtin_clzll(a | 1) + (u64)__builtin_ctzll(b | 0x8000) + (u64)popcount64(a);
    h += (u64)(((unsigned __int128)a * b) >> 64) + (u64)(((__int128)sa * sb) >> 64);
    h = h * 31 + (u32)((i32)a >> 3) + ((i64)b >> 40) + (u64)__builtin_bswap64(a) + __builtin_bswap32((u32)b);
    h += (a < b) + (sa < sb) * 2 + ((u32)a > (u32)b) * 4 + (((i32)a <= (i32)b)) * 8;
    u32 w = (u32)a; w = (w >> 5) ^ (w << 3); h += w + (u8)(a >> 13) + (unsigned short)(b >> 3);
    h += (i64)(signed char)a + (i64)(short)(b >> 7);
  }
  kv("h", h); kv("a", a); kv("b", b);
  i64 m = -7; puti(m / 2); puts_(" "); puti(m % 3); puts_(" "); volatile i64 mn = (i64)0x8000000000000000ull, m1 = -1; puti(mn / m1 == mn); puts_("\n");
  return (int)(h & 0x7f);
}
