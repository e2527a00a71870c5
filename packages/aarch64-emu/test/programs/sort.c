#include "tiny.h"
#define N 300
static i64 v[N];
static u32 w[N];
static u64 rng = 88172645463325252ull;
static u64 next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }
static void quick(i64 *a, int lo, int hi) {
  while (lo < hi) {
    i64 p = a[(lo + hi) / 2]; int i = lo, j = hi;
    while (i <= j) { while (a[i] < p) i++; while (a[j] > p) j--; if (i <= j) { i64 t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; } }
    if (j - lo < hi - i) { quick(a, lo, j); lo = i; } else { quick(a, i, hi); hi = j; }
  }
}
static void insertion(u32 *a, int n) {
  for (int i = 1; i < n; i++) { u32 x = a[i]; int j = i - 1; while (j >= 0 && a[j] > x) { a[j + 1] = a[j]; j--; } a[j + 1] = x; }
}
int main(void) {
  for (int i = 0; i < N; i++) { v[i] = (i64)next(); w[i] = (u32)next(); }
  quick(v, 0, N - 1); insertion(w, N);
  int ok = 1; u64 h = 0;
  for (int i = 1; i < N; i++) { if (v[i - 1] > v[i] || w[i - 1] > w[i]) ok = 0; h = h * 1099511628211ull ^ (u64)v[i] ^ w[i]; }
  puts_(ok ? "sorted\n" : "NOT sorted\n"); kv("min", (u64)v[0]); kv("max", (u64)v[N - 1]); kv("h", h);
  return ok ? 0 : 1;
}
