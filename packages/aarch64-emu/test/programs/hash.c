#include "tiny.h"
static u32 crct[256];
static const char text[] = "The quick brown fox jumps over the lazy dog. 0123456789 !@#$%^&*()";
int main(void) {
  for (u32 i = 0; i < 256; i++) { u32 c = i; for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1; crct[i] = c; }
  u32 crc = 0xffffffffu; u64 fnv = 0xcbf29ce484222325ull; u32 adler_a = 1, adler_b = 0; u64 djb = 5381;
  for (int r = 0; r < 20; r++)
    for (const char *p = text; *p; p++) {
      u8 c = (u8)*p;
      crc = crct[(crc ^ c) & 0xff] ^ (crc >> 8);
      fnv = (fnv ^ c) * 0x100000001b3ull;
      adler_a = (adler_a + c) % 65521; adler_b = (adler_b + adler_a) % 65521;
      djb = ((djb << 5) + djb) + c;
    }
  kv("crc32", crc ^ 0xffffffffu); kv("fnv1a", fnv); kv("adler", (adler_b << 16) | adler_a); kv("djb2", djb);
  u64 x = fnv; for (int i = 0; i < 100; i++) { x ^= x >> 33; x *= 0xff51afd7ed558ccdull; x ^= x >> 33; x *= 0xc4ceb9fe1a85ec53ull; x ^= x >> 33; }
  kv("murmur", x);
  return (int)(crc & 0xff);
}
