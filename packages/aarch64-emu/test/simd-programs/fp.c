/* Scalar floating point: arithmetic, fused multiply-add (gcc contracts a*b+c), division, square
   root, conversions, rounding builtins, min/max, comparisons, special values, FPCR rounding
   modes and the FPSR flags, long double through libgcc's soft-fp. Prints bit patterns. */
#include "../programs/tiny.h"
static volatile double vd[] = { 1.5, -2.25, 3.0e300, 1e-310, 0.1, -0.0, 7.0, 1.0 / 3.0, 123456789.125, -5e-324 };
static volatile float vf[] = { 1.5f, -2.25f, 3.0e38f, 1e-40f, 0.1f, -0.0f, 7.0f, 1.0f / 3.0f, 16777217.0f, 0.5f };
static u64 dbits(double d) { union { double d; u64 u; } x = { d }; return x.u; }
static u64 fbits(float f) { union { float f; u32 u; } x = { f }; return x.u; }
static u64 fpsr(void) { u64 v; __asm__ volatile("mrs %0, fpsr" : "=r"(v)); return v; }
static void set_fpsr(u64 v) { __asm__ volatile("msr fpsr, %0" : : "r"(v)); }
static void set_fpcr(u64 v) { __asm__ volatile("msr fpcr, %0" : : "r"(v)); }
static u64 h;
static void mix(u64 v) { h = (h ^ v) * 0x100000001b3ull; }
int main(void) {
  int n = sizeof vd / sizeof vd[0];
  for (int mode = 0; mode < 4; mode++) {
    set_fpcr((u64)mode << 22);
    set_fpsr(0);
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) {
      double a = vd[i], b = vd[j];
      mix(dbits(a + b)); mix(dbits(a - b)); mix(dbits(a * b)); mix(dbits(a / b));
      mix(dbits(a * b + vd[(i + j) % n])); mix(dbits(__builtin_sqrt(a < 0 ? -a : a)));
      float x = vf[i], y = vf[j];
      mix(fbits(x + y)); mix(fbits(x - y)); mix(fbits(x * y)); mix(fbits(x / y));
      mix(fbits(x * y - vf[(i + j) % n])); mix(fbits(__builtin_sqrtf(x < 0 ? -x : x)));
      mix((a < b) | (a == b) << 1 | (x > y) << 2 | (x <= y) << 3);
      mix(dbits((double)x * b)); mix(fbits((float)a));
      mix(dbits(__builtin_fmin(a, b))); mix(fbits(__builtin_fmaxf(x, y)));
      mix(dbits(__builtin_fma(a, b, vd[(i + 3) % n]))); mix(dbits(__builtin_fma(-a, b, vd[j]))); mix(dbits(-__builtin_fma(a, b, -vd[i])));
      mix(fbits(__builtin_fmaf(x, y, vf[(j + 5) % n]))); mix(fbits(__builtin_fmaf(-x, y, -vf[i])));
    }
    kv("mode", mode); kv("fpsr", fpsr()); kv("h", h);
  }
  set_fpcr(0);
  for (int i = 0; i < n; i++) {
    double a = vd[i] * 1e-300 * 1e300, r = vd[i];
    mix((u64)(i64)(r > 9e18 || r < -9e18 ? 0 : r)); mix((u64)(u32)(float)vf[i]);
    mix(dbits(__builtin_floor(r))); mix(dbits(__builtin_ceil(r))); mix(dbits(__builtin_round(r)));
    mix(dbits(__builtin_trunc(r))); mix(dbits(__builtin_rint(r))); mix(fbits(__builtin_roundf(vf[i])));
    mix(dbits((double)(i64)(i * 1234567 - 5000000))); mix(fbits((float)(u64)(0xffffffffffffull * i)));
    mix(dbits(__builtin_fabs(a))); mix(dbits(__builtin_copysign(a, -1.0)));
    mix((u64)(long)__builtin_lround(r > 1e15 || r < -1e15 ? 0 : r));
  }
  kv("conv", h); kv("fpsr", fpsr());
  long double q = 1.0L;
  for (int i = 0; i < 20; i++) q = q * 3.0L / 7.0L + (long double)vd[i % n] * 1e-300L;
  union { long double q; u64 u[2]; } lq = { q };
  kv("q0", lq.u[0]); kv("q1", lq.u[1]);
  return (int)(h & 63);
}
