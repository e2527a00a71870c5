/* A tiny freestanding libc for the test corpus: raw Linux syscalls, printing, memory helpers. */
#ifndef TINY_H
#define TINY_H
typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef int i32;
typedef unsigned char u8;

static inline long sys3(long nr, long a, long b, long c) {
  register long x8 __asm__("x8") = nr;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
  return x0;
}
static inline void exit_(int code) { for (;;) sys3(93, code, 0, 0); }
static u64 slen(const char *s) { u64 n = 0; while (s[n]) n++; return n; }
static void puts_(const char *s) { sys3(64, 1, (long)s, (long)slen(s)); }
static void putu(u64 v) {
  char b[24]; int i = 23; b[i] = 0;
  do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
  puts_(b + i);
}
static void puti(i64 v) { if (v < 0) { puts_("-"); putu((u64)0 - (u64)v); } else putu((u64)v); }
static void putx(u64 v) {
  char b[19]; int i = 18; b[i] = 0;
  do { b[--i] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v);
  b[--i] = 'x'; b[--i] = '0';
  puts_(b + i);
}
static void kv(const char *k, u64 v) { puts_(k); puts_("="); putx(v); puts_("\n"); }

void *memset(void *d, int c, u64 n) { u8 *p = d; while (n--) *p++ = (u8)c; return d; }
void *memcpy(void *d, const void *s, u64 n) { u8 *p = d; const u8 *q = s; while (n--) *p++ = *q++; return d; }

/* Initialised data keeps the RW PT_LOAD's file image inside the file (a bss-only segment has
   p_offset past EOF, which @axebpf/obj's reader currently rejects). */
__attribute__((used)) static volatile int tiny_data_anchor = 1;
/* GCC 12 expands __builtin_popcount with SIMD (cnt/addv) even with -mgeneral-regs-only. */
static int popcount64(u64 v) { int n = 0; while (v) { v &= v - 1; n++; } return n; }

int main(void);
void _start(void) { exit_(main()); }
#endif
