#include "tiny.h"
/* Benchmark program: LCG fill, insertion sort of 64-element slices, 64-bit mixing. */
#define W 4096
static u64 buf[W];
int main(void) {
  u64 seed = 1, acc = 0;
  for (int round = 0; round < 12; round++) {
    for (int i = 0; i < W; i++) { seed = seed * 6364136223846793005ull + 1442695040888963407ull; buf[i] = seed >> 11; }
    for (int s = 0; s < W; s += 64)
      for (int i = s + 1; i < s + 64; i++) { u64 x = buf[i]; int j = i - 1; while (j >= s && buf[j] > x) { buf[j + 1] = buf[j]; j--; } buf[j + 1] = x; }
    for (int i = 0; i < W; i++) { acc ^= buf[i] + (acc << 6) + (acc >> 2); acc *= 0x100000001b3ull; }
  }
  kv("acc", acc);
  return (int)(acc & 0x3f);
}
