/* The Cryptographic Extension through the ACLE intrinsics of arm_neon.h (built with
   -march=armv8-a+crypto): AES-128 encryption and decryption (AESE/AESMC, AESD/AESIMC; the key
   schedule's SubWord through AESE), a SHA-1 and a SHA-256 block (SHA1C/P/M/H/SU0/SU1,
   SHA256H/H2/SU0/SU1), and carry-less multiplies (PMULL/PMULL2 of bytes and of doublewords)
   checked against a bit-by-bit version in C. The known answers are FIPS-197 appendix C.1 and
   the FIPS 180 "abc" digests; the exit status counts the mismatches. */
#include <arm_neon.h>
#include "../programs/tiny.h"

static u64 h = 0xcbf29ce484222325ull;
static void mix(u64 v) { h = (h ^ v) * 0x100000001b3ull; }
static void mixq(uint8x16_t v) {
  mix(vgetq_lane_u64(vreinterpretq_u64_u8(v), 0));
  mix(vgetq_lane_u64(vreinterpretq_u64_u8(v), 1));
}
static int bad;
static void check(const char *what, u64 got, u64 want) {
  kv(what, got);
  if (got != want) { puts_("  MISMATCH, expected "); putx(want); puts_("\n"); bad++; }
}
static u64 be64(const u8 *p) { u64 v = 0; for (int i = 0; i < 8; i++) v = v << 8 | p[i]; return v; }

/* ---- AES-128 ---- */
static uint8x16_t rk[11], dk[11];
__attribute__((noinline)) static u32 subword(u32 w) {
  /* all four columns equal: ShiftRows moves nothing, so lane 0 is SubBytes of w */
  uint8x16_t s = vaeseq_u8(vreinterpretq_u8_u32(vdupq_n_u32(w)), vdupq_n_u8(0));
  return vgetq_lane_u32(vreinterpretq_u32_u8(s), 0);
}
__attribute__((noinline)) static void expand(const u8 *key) {
  u32 w[44];
  static const u8 rcon[10] = {1, 2, 4, 8, 16, 32, 64, 128, 0x1b, 0x36};
  for (int i = 0; i < 4; i++) w[i] = key[4 * i] | key[4 * i + 1] << 8 | key[4 * i + 2] << 16 | (u32)key[4 * i + 3] << 24;
  for (int i = 4; i < 44; i++) {
    u32 t = w[i - 1];
    if (i % 4 == 0) t = subword(t >> 8 | t << 24) ^ rcon[i / 4 - 1];
    w[i] = w[i - 4] ^ t;
  }
  for (int r = 0; r < 11; r++) rk[r] = vreinterpretq_u8_u32(vld1q_u32(&w[4 * r]));
  /* the equivalent inverse cipher's keys: InvMixColumns of the middle round keys */
  dk[0] = rk[10];
  for (int r = 1; r < 10; r++) dk[r] = vaesimcq_u8(rk[10 - r]);
  dk[10] = rk[0];
}
__attribute__((noinline)) static uint8x16_t encrypt(uint8x16_t s) {
  for (int r = 0; r < 9; r++) s = vaesmcq_u8(vaeseq_u8(s, rk[r]));
  return veorq_u8(vaeseq_u8(s, rk[9]), rk[10]);
}
__attribute__((noinline)) static uint8x16_t decrypt(uint8x16_t s) {
  for (int r = 0; r < 9; r++) s = vaesimcq_u8(vaesdq_u8(s, dk[r]));
  return veorq_u8(vaesdq_u8(s, dk[9]), dk[10]);
}

/* ---- SHA-1 and SHA-256 of one padded block ---- */
static u8 block[64];
static void pad(const char *msg) {
  u64 n = slen(msg);
  for (int i = 0; i < 64; i++) block[i] = 0;
  for (u64 i = 0; i < n; i++) block[i] = (u8)msg[i];
  block[n] = 0x80;
  block[62] = (u8)(n * 8 >> 8);
  block[63] = (u8)(n * 8);
}
static uint32x4_t load_be(int i) { return vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(block + 16 * i))); }

__attribute__((noinline)) static void sha1(u32 *out) {
  static const u32 k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
  static const u32 init[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
  uint32x4_t abcd = vld1q_u32(init), msg[4];
  u32 e = init[4];
  for (int i = 0; i < 4; i++) msg[i] = load_be(i);
  for (int g = 0; g < 20; g++) {
    uint32x4_t wk = vaddq_u32(msg[g % 4], vdupq_n_u32(k[g / 5]));
    u32 next_e = vsha1h_u32(vgetq_lane_u32(abcd, 0));
    if (g < 5) abcd = vsha1cq_u32(abcd, e, wk);
    else if (g < 10 || g >= 15) abcd = vsha1pq_u32(abcd, e, wk);
    else abcd = vsha1mq_u32(abcd, e, wk);
    e = next_e;
    if (g < 16)
      msg[g % 4] = vsha1su1q_u32(vsha1su0q_u32(msg[g % 4], msg[(g + 1) % 4], msg[(g + 2) % 4]), msg[(g + 3) % 4]);
  }
  abcd = vaddq_u32(abcd, vld1q_u32(init));
  vst1q_u32(out, abcd);
  out[4] = e + init[4];
}

static const u32 K256[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};
__attribute__((noinline)) static void sha256(u32 *out) {
  static const u32 init[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  uint32x4_t s0 = vld1q_u32(init), s1 = vld1q_u32(init + 4), msg[4];
  for (int i = 0; i < 4; i++) msg[i] = load_be(i);
  for (int g = 0; g < 16; g++) {
    uint32x4_t wk = vaddq_u32(msg[g % 4], vld1q_u32(K256 + 4 * g));
    uint32x4_t t = s0;
    s0 = vsha256hq_u32(s0, s1, wk);
    s1 = vsha256h2q_u32(s1, t, wk);
    if (g < 12)
      msg[g % 4] = vsha256su1q_u32(vsha256su0q_u32(msg[g % 4], msg[(g + 1) % 4]), msg[(g + 2) % 4], msg[(g + 3) % 4]);
  }
  vst1q_u32(out, vaddq_u32(s0, vld1q_u32(init)));
  vst1q_u32(out + 4, vaddq_u32(s1, vld1q_u32(init + 4)));
}

/* ---- carry-less multiplication ---- */
static u64 seed = 0x9e3779b97f4a7c15ull;
static u64 rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }
static void clmul(u64 a, u64 b, u64 *lo, u64 *hi) {
  u64 l = 0, g = 0;
  for (int i = 0; i < 64; i++)
    if (b >> i & 1) { l ^= a << i; if (i) g ^= a >> (64 - i); }
  *lo = l; *hi = g;
}
static int clmul_bad;
__attribute__((noinline)) static void pmulls(void) {
  for (int i = 0; i < 64; i++) {
    u64 a0 = rnd(), a1 = rnd(), b0 = rnd(), b1 = rnd(), lo, hi;
    poly64x2_t a = vreinterpretq_p64_u64(vcombine_u64(vcreate_u64(a0), vcreate_u64(a1)));
    poly64x2_t b = vreinterpretq_p64_u64(vcombine_u64(vcreate_u64(b0), vcreate_u64(b1)));
    uint8x16_t p = vreinterpretq_u8_p128(vmull_p64((poly64_t)a0, (poly64_t)b0));
    uint8x16_t q = vreinterpretq_u8_p128(vmull_high_p64(a, b));
    mixq(p); mixq(q);
    clmul(a0, b0, &lo, &hi);
    if (vgetq_lane_u64(vreinterpretq_u64_u8(p), 0) != lo || vgetq_lane_u64(vreinterpretq_u64_u8(p), 1) != hi) clmul_bad++;
    clmul(a1, b1, &lo, &hi);
    if (vgetq_lane_u64(vreinterpretq_u64_u8(q), 0) != lo || vgetq_lane_u64(vreinterpretq_u64_u8(q), 1) != hi) clmul_bad++;
    /* bytes: PMULL/PMULL2 Vd.8H */
    poly8x16_t x = vreinterpretq_p8_u64(vcombine_u64(vcreate_u64(a0), vcreate_u64(a1)));
    poly8x16_t y = vreinterpretq_p8_u64(vcombine_u64(vcreate_u64(b0), vcreate_u64(b1)));
    poly16x8_t lo8 = vmull_p8(vget_low_p8(x), vget_low_p8(y)), hi8 = vmull_high_p8(x, y);
    mixq(vreinterpretq_u8_p16(lo8)); mixq(vreinterpretq_u8_p16(hi8));
    unsigned short l16[8], h16[8];
    vst1q_u16(l16, vreinterpretq_u16_p16(lo8));
    vst1q_u16(h16, vreinterpretq_u16_p16(hi8));
    for (int k = 0; k < 8; k++) {
      u64 l, g;
      clmul((a0 >> (8 * k)) & 0xff, (b0 >> (8 * k)) & 0xff, &l, &g);
      if (l16[k] != l) clmul_bad++;
      clmul((a1 >> (8 * k)) & 0xff, (b1 >> (8 * k)) & 0xff, &l, &g);
      if (h16[k] != l) clmul_bad++;
    }
  }
}

int main(void) {
  static const u8 key[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  static const u8 pt[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                            0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
  u8 ct[16], back[16];
  expand(key);
  check("rk10.lo", be64((const u8 *)&rk[10]), 0x13111d7fe3944a17ull);
  vst1q_u8(ct, encrypt(vld1q_u8(pt)));
  check("aes128.ct.hi", be64(ct), 0x69c4e0d86a7b0430ull);
  check("aes128.ct.lo", be64(ct + 8), 0xd8cdb78070b4c55aull);
  vst1q_u8(back, decrypt(vld1q_u8(ct)));
  check("aes128.pt.hi", be64(back), 0x0011223344556677ull);
  check("aes128.pt.lo", be64(back + 8), 0x8899aabbccddeeffull);
  /* a chain of blocks (CBC-like) through encryption and back */
  uint8x16_t iv = vld1q_u8(pt), x = vdupq_n_u8(0);
  for (int i = 0; i < 64; i++) {
    x = encrypt(veorq_u8(x, iv));
    iv = vaddq_u8(iv, vdupq_n_u8(1));
    mixq(x);
    if (vgetq_lane_u64(vreinterpretq_u64_u8(decrypt(decrypt(encrypt(x)))), 0) == 0x1234) mix(1);
  }
  kv("aes.chain", h);

  u32 d1[5], d2[8];
  pad("abc");
  sha1(d1);
  check("sha1.abc.0", (u64)d1[0] << 32 | d1[1], 0xa9993e364706816aull);
  check("sha1.abc.1", (u64)d1[2] << 32 | d1[3], 0xba3e25717850c26cull);
  check("sha1.abc.2", d1[4], 0x9cd0d89dull);
  sha256(d2);
  check("sha256.abc.0", (u64)d2[0] << 32 | d2[1], 0xba7816bf8f01cfeaull);
  check("sha256.abc.1", (u64)d2[2] << 32 | d2[3], 0x414140de5dae2223ull);
  check("sha256.abc.2", (u64)d2[4] << 32 | d2[5], 0xb00361a396177a9cull);
  check("sha256.abc.3", (u64)d2[6] << 32 | d2[7], 0xb410ff61f20015adull);
  pad("The quick brown fox jumps over the lazy dog");
  sha256(d2);
  check("sha256.fox.0", (u64)d2[0] << 32 | d2[1], 0xd7a8fbb307d78094ull);
  check("sha256.fox.3", (u64)d2[6] << 32 | d2[7], 0x2d02d0bf37c9e592ull);

  pmulls();
  check("pmull.mismatches", (u64)clmul_bad, 0);
  kv("all", h);
  return bad;
}
