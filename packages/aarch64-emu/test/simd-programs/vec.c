/* Loops gcc -O3 auto-vectorises: integer arithmetic on 8/16/32/64-bit lanes, widening and
   narrowing, min/max/abs, shifts, reductions, compares and selects, byte searches, float and
   double saxpy/dot products, int<->float conversions, popcount (cnt/addv), table-like copies. */
#include "../programs/tiny.h"
#define N 203
static u8 a8[N], b8[N], c8[N];
static unsigned short a16[N], b16[N];
static short s16[N];
static u32 a32[N], b32[N];
static i32 s32[N];
static u64 a64[N], b64[N];
static float fa[N], fb[N];
static double da[N], db[N];
static u64 h;
static void mix(u64 v) { h = (h ^ v) * 0x100000001b3ull; }
static u64 seed = 88172645463325252ull;
static u64 rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }
__attribute__((noinline)) static void fill(void) {
  for (int i = 0; i < N; i++) {
    u64 r = rnd();
    a8[i] = (u8)r; b8[i] = (u8)(r >> 8); a16[i] = (unsigned short)(r >> 16); b16[i] = (unsigned short)(r >> 32);
    s16[i] = (short)(r >> 40); a32[i] = (u32)r; b32[i] = (u32)(r >> 29); s32[i] = (i32)(r >> 17);
    a64[i] = r; b64[i] = rnd();
    fa[i] = (float)(i32)(r >> 40) / 1024.0f; fb[i] = (float)(r & 0xffff) / 77.0f;
    da[i] = (double)(i64)r / 3.0e9; db[i] = (double)(r >> 50) * 0.125;
  }
}
__attribute__((noinline)) static void ints(void) {
  for (int i = 0; i < N; i++) c8[i] = (u8)(a8[i] + b8[i] * 3);
  for (int i = 0; i < N; i++) mix(c8[i]);
  u32 sum = 0; for (int i = 0; i < N; i++) sum += a8[i]; mix(sum);
  u32 sad = 0; for (int i = 0; i < N; i++) sad += (u32)__builtin_abs(a8[i] - b8[i]); mix(sad);
  u8 mx = 0; for (int i = 0; i < N; i++) mx = a8[i] > mx ? a8[i] : mx; mix(mx);
  for (int i = 0; i < N; i++) a16[i] = (unsigned short)((a16[i] * b16[i]) >> 3);
  i64 s = 0; for (int i = 0; i < N; i++) s += s16[i] * (i32)s16[(i + 1) % N]; mix((u64)s);
  for (int i = 0; i < N; i++) a32[i] = (a32[i] << 3) ^ (b32[i] >> 5) ^ (u32)(s32[i] >> 7);
  for (int i = 0; i < N; i++) s32[i] = s32[i] < 0 ? -s32[i] : s32[i];
  for (int i = 0; i < N; i++) s32[i] = s32[i] > 100000 ? 100000 : s32[i] < -100000 ? -100000 : s32[i];
  u64 t = 0; for (int i = 0; i < N; i++) t += a32[i] + (u64)s32[i]; mix(t);
  for (int i = 0; i < N; i++) a64[i] = a64[i] + b64[i] * 7 - (a64[i] >> 9);
  for (int i = 0; i < N; i++) mix(a64[i]);
  for (int i = 0; i < N; i++) b8[i] = (u8)(a16[i] >> 4);
  for (int i = 0; i < N; i++) mix(b8[i] ^ a16[i]);
  int cnt = 0; for (int i = 0; i < N; i++) cnt += a8[i] == b8[i]; mix(cnt);
  int pc = 0; for (int i = 0; i < N; i++) pc += __builtin_popcountll(a64[i]); mix(pc);
  for (int i = 0; i < N; i++) c8[i] = a8[i] > b8[i] ? a8[i] : (u8)(b8[i] - a8[i]);
  for (int i = 0; i < N; i++) mix(c8[i]);
  unsigned short m16 = 0xffff; for (int i = 0; i < N; i++) m16 = a16[i] < m16 ? a16[i] : m16; mix(m16);
  i32 smax = -2147483647 - 1; for (int i = 0; i < N; i++) smax = s32[i] > smax ? s32[i] : smax; mix((u64)smax);
}
__attribute__((noinline)) static void floats(void) {
  float f = 0; for (int i = 0; i < N; i++) f += fa[i] * fb[i];
  union { float f; u32 u; } uf = { f }; mix(uf.u);
  for (int i = 0; i < N; i++) fa[i] = 2.5f * fa[i] + fb[i];
  for (int i = 0; i < N; i++) { union { float f; u32 u; } x = { fa[i] }; mix(x.u); }
  double d = 0; for (int i = 0; i < N; i++) d += da[i] * db[i] - da[i] / (db[i] + 1.0);
  union { double d; u64 u; } ud = { d }; mix(ud.u);
  for (int i = 0; i < N; i++) da[i] = da[i] > db[i] ? da[i] : db[i];
  for (int i = 0; i < N; i++) s32[i] = (i32)fa[i];
  for (int i = 0; i < N; i++) fb[i] = (float)s32[i] * 0.5f;
  for (int i = 0; i < N; i++) db[i] = (double)fa[i] + (double)a32[i];
  for (int i = 0; i < N; i++) { union { double d; u64 u; } x = { da[i] + db[i] }; mix(x.u ^ (u32)s32[i]); union { float f; u32 u; } y = { fb[i] }; mix(y.u); }
  float fm = fa[0]; for (int i = 0; i < N; i++) fm = __builtin_fmaxf(fm, fa[i]); union { float f; u32 u; } um = { fm }; mix(um.u);
  for (int i = 0; i < N; i++) fa[i] = __builtin_sqrtf(fb[i] < 0 ? -fb[i] : fb[i]);
  for (int i = 0; i < N; i++) { union { float f; u32 u; } x = { fa[i] }; mix(x.u); }
}
__attribute__((noinline)) static u64 find(const u8 *p, u8 c) { u64 i = 0; while (p[i] != c) i++; return i; }
int main(void) {
  fill(); ints(); kv("ints", h); floats(); kv("floats", h);
  a8[150] = 0; mix(find(a8, 0)); kv("all", h);
  return (int)(h & 63);
}
