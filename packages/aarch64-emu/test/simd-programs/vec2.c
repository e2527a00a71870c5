/* More loops gcc -O3 vectorises: interleaved structures (LD2-LD4/ST2-ST4), complex arithmetic,
   int64 <-> double and u8 -> float conversions, clamps and narrowing, conditional sums,
   absolute differences and averages, variable shifts, division by constants (widening
   multiplies), reverse loops, FP min/max/sum reductions, selects on FP compares. */
#include "../programs/tiny.h"
#define N 197
typedef struct { float re, im; } cf;
typedef struct { u8 r, g, b; } rgb;
typedef struct { short a, b, c, d; } q4;
static cf ca[N], cb[N], cc[N];
static rgb px[N];
static q4 qs[N];
static u8 u8a[N], u8b[N], u8c[N];
static short sa[N], sb[N];
static i32 ia[N], ib[N];
static i64 la[N];
static u32 ua[N];
static double dd[N];
static float ff[N], fg[N];
static u64 h;
static void mix(u64 v) { h = (h ^ v) * 0x100000001b3ull; }
static u64 seed = 0x9e3779b97f4a7c15ull;
static u64 rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }
static u32 fb(float f) { union { float f; u32 u; } x = { f }; return x.u; }
static u64 db(double d) { union { double d; u64 u; } x = { d }; return x.u; }
__attribute__((noinline)) static void fill(void) {
  for (int i = 0; i < N; i++) {
    u64 r = rnd();
    ca[i].re = (float)(i32)(r >> 40) / 4096.0f; ca[i].im = (float)(short)r / 64.0f;
    cb[i].re = (float)(r & 255) / 16.0f; cb[i].im = -(float)((r >> 8) & 255) / 32.0f;
    px[i].r = (u8)r; px[i].g = (u8)(r >> 8); px[i].b = (u8)(r >> 16);
    qs[i].a = (short)r; qs[i].b = (short)(r >> 16); qs[i].c = (short)(r >> 32); qs[i].d = (short)(r >> 48);
    u8a[i] = (u8)(r >> 24); u8b[i] = (u8)(r >> 32); sa[i] = (short)(r >> 20); sb[i] = (short)(r >> 36);
    ia[i] = (i32)r; ib[i] = (i32)(r >> 32) & 31; la[i] = (i64)r >> (r & 31); ua[i] = (u32)(r >> 13);
    dd[i] = (double)(i64)r / 7.0e8; ff[i] = (float)(i32)r / 1e6f; fg[i] = (float)(i32)(r >> 32) / 1e6f;
  }
}
__attribute__((noinline)) static void work(void) {
  for (int i = 0; i < N; i++) { cc[i].re = ca[i].re * cb[i].re - ca[i].im * cb[i].im; cc[i].im = ca[i].re * cb[i].im + ca[i].im * cb[i].re; }
  for (int i = 0; i < N; i++) { mix(fb(cc[i].re)); mix(fb(cc[i].im)); }
  for (int i = 0; i < N; i++) u8c[i] = (u8)((px[i].r * 77 + px[i].g * 150 + px[i].b * 29) >> 8);
  for (int i = 0; i < N; i++) { rgb t = px[i]; px[i].r = t.b; px[i].b = t.r; px[i].g = (u8)(255 - t.g); }
  for (int i = 0; i < N; i++) mix(u8c[i] | px[i].r << 8 | px[i].g << 16 | (u64)px[i].b << 24);
  i64 qsum = 0; for (int i = 0; i < N; i++) qsum += qs[i].a * qs[i].d - qs[i].b * qs[i].c; mix((u64)qsum);
  for (int i = 0; i < N; i++) { short t = qs[i].a; qs[i].a = qs[i].d; qs[i].d = t; qs[i].b = (short)(qs[i].b + qs[i].c); }
  for (int i = 0; i < N; i++) mix((u64)(unsigned short)qs[i].a << 16 | (unsigned short)qs[i].b);
  for (int i = 0; i < N; i++) dd[i] = (double)la[i] * 0.5 + dd[i];
  for (int i = 0; i < N; i++) la[i] = (i64)dd[i];
  for (int i = 0; i < N; i++) mix((u64)la[i]);
  for (int i = 0; i < N; i++) ff[i] = (float)u8a[i] * 0.25f + fg[i];
  for (int i = 0; i < N; i++) { int v = sa[i] * 3 + sb[i]; u8c[i] = (u8)(v > 255 ? 255 : v < 0 ? 0 : v); }
  for (int i = 0; i < N; i++) mix(u8c[i] ^ fb(ff[i]));
  int cs = 0; for (int i = 0; i < N; i++) cs += ia[i] > 0 ? ia[i] & 0xffff : 0; mix((u64)cs);
  u32 sad = 0; for (int i = 0; i < N; i++) sad += (u32)(u8a[i] > u8b[i] ? u8a[i] - u8b[i] : u8b[i] - u8a[i]); mix(sad);
  for (int i = 0; i < N; i++) u8c[i] = (u8)((u8a[i] + u8b[i] + 1) >> 1);
  for (int i = 0; i < N; i++) mix(u8c[i]);
  for (int i = 0; i < N; i++) ia[i] = ia[i] << ib[i] ^ (i32)((u32)ia[i] >> ib[i]);
  for (int i = 0; i < N; i++) ua[i] = ua[i] / 7 + ua[i] / 1000;
  for (int i = 0; i < N; i++) mix((u64)(u32)ia[i] << 32 | ua[i]);
  for (int i = 0; i < N; i++) sb[i] = sa[N - 1 - i];
  for (int i = 0; i < N; i++) mix((unsigned short)sb[i]);
  float mx = -1e30f, mn = 1e30f, sum = 0; for (int i = 0; i < N; i++) { mx = ff[i] > mx ? ff[i] : mx; mn = fg[i] < mn ? fg[i] : mn; sum += ff[i]; }
  mix(fb(mx)); mix(fb(mn)); mix(fb(sum));
  double ds = 0; for (int i = 0; i < N; i++) ds += dd[i] * dd[i]; mix(db(ds));
  for (int i = 0; i < N; i++) ff[i] = ff[i] > fg[i] ? ff[i] - fg[i] : fg[i] * 2.0f;
  for (int i = 0; i < N; i++) mix(fb(ff[i]));
  i64 dot = 0; for (int i = 0; i < N; i++) dot += (i32)sa[i] * sb[i]; mix((u64)dot);
  for (int i = 0; i < N; i++) ia[i] = (i32)(ff[i] * 100.0f);
  for (int i = 0; i < N; i++) mix((u32)ia[i]);
}
int main(void) { fill(); work(); kv("h", h); return (int)(h & 63); }
