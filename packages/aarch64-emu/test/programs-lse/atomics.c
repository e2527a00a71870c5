/* ARMv8.1 LSE atomics (FEAT_LSE): LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN,
   SWP, CAS and CASP in B/H/W/X sizes with their acquire/release forms, through GCC's
   __atomic builtins (-march=armv8.1-a -mno-outline-atomics emits them inline) and inline asm
   for the ones the builtins do not reach (max/min, CASP, ST<op> aliases). Prints every old
   value and memory result, so the emulator is compared with qemu-aarch64 line by line. */
#include "../programs/tiny.h"

static volatile u8 b8;
static volatile unsigned short h16;
static volatile u32 w32;
static volatile u64 x64;
static volatile u64 pair[2] __attribute__((aligned(16)));
static volatile u32 wpair[2] __attribute__((aligned(8)));

#define SHOW(name, v) kv(name, (u64)(v))

#define AMO(insn, sfx, reg, var, val) ({ \
    u64 old_; \
    __asm__ volatile(insn sfx " %" reg "1, %" reg "0, [%2]" : "=&r"(old_) : "r"((u64)(val)), "r"(&(var)) : "memory"); \
    old_; })

static void builtins(void) {
  u64 v;
  x64 = 0x1122334455667788ull;
  v = __atomic_fetch_add(&x64, 0x1000000000000001ull, __ATOMIC_RELAXED); SHOW("add.x old", v); SHOW("add.x new", x64);
  v = __atomic_fetch_add(&x64, 5, __ATOMIC_ACQUIRE); SHOW("adda.x old", v);
  v = __atomic_fetch_sub(&x64, 7, __ATOMIC_RELEASE); SHOW("subl.x old", v); SHOW("sub.x new", x64);
  v = __atomic_fetch_and(&x64, 0xff00ff00ff00ff00ull, __ATOMIC_SEQ_CST); SHOW("and.x old", v); SHOW("and.x new", x64);
  v = __atomic_fetch_or(&x64, 0x0f, __ATOMIC_ACQ_REL); SHOW("or.x old", v); SHOW("or.x new", x64);
  v = __atomic_fetch_xor(&x64, ~0ull, __ATOMIC_RELAXED); SHOW("xor.x old", v); SHOW("xor.x new", x64);
  v = __atomic_exchange_n(&x64, 42, __ATOMIC_SEQ_CST); SHOW("swp.x old", v); SHOW("swp.x new", x64);
  u64 e = 41;
  int ok = __atomic_compare_exchange_n(&x64, &e, 7, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); SHOW("cas.x fail", ok); SHOW("cas.x seen", e); SHOW("cas.x mem", x64);
  ok = __atomic_compare_exchange_n(&x64, &e, 7, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE); SHOW("cas.x ok", ok); SHOW("cas.x mem2", x64);

  w32 = 0xfffffff0u;
  v = __atomic_fetch_add(&w32, 0x20, __ATOMIC_RELAXED); SHOW("add.w old", v); SHOW("add.w new", w32);
  v = __atomic_fetch_or(&w32, 0x80000000u, __ATOMIC_RELEASE); SHOW("or.w old", v); SHOW("or.w new", w32);
  v = __atomic_exchange_n(&w32, 0xdeadbeefu, __ATOMIC_ACQUIRE); SHOW("swp.w old", v);
  u32 ew = 0xdeadbeefu;
  ok = __atomic_compare_exchange_n(&w32, &ew, 1, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED); SHOW("cas.w ok", ok); SHOW("cas.w mem", w32);

  h16 = 0xfff0;
  v = __atomic_fetch_add(&h16, 0x20, __ATOMIC_SEQ_CST); SHOW("add.h old", v); SHOW("add.h new", h16);
  v = __atomic_fetch_and(&h16, 0x0ff0, __ATOMIC_RELAXED); SHOW("and.h old", v); SHOW("and.h new", h16);
  unsigned short eh = 3;
  ok = __atomic_compare_exchange_n(&h16, &eh, 9, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST); SHOW("cas.h fail", ok); SHOW("cas.h seen", eh);

  b8 = 0xfe;
  v = __atomic_fetch_add(&b8, 3, __ATOMIC_ACQ_REL); SHOW("add.b old", v); SHOW("add.b new", b8);
  v = __atomic_fetch_xor(&b8, 0xa5, __ATOMIC_RELAXED); SHOW("xor.b old", v); SHOW("xor.b new", b8);
  v = __atomic_exchange_n(&b8, 0x80, __ATOMIC_RELAXED); SHOW("swp.b old", v);
  u8 eb = 0x80;
  ok = __atomic_compare_exchange_n(&b8, &eb, 0x7f, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE); SHOW("cas.b ok", ok); SHOW("cas.b mem", b8);
}

static void maxmin(void) {
  static const u64 vals[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000u, 0xffffffffu,
                              0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, 0x123456789abcdef0ull };
  const int n = sizeof vals / sizeof vals[0];
  u64 acc = 0;
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j += 3) {
      u64 a = vals[i], b = vals[j], o;
      x64 = a; o = AMO("ldsmax", "", "x", x64, b); acc = acc * 31 + o + x64 * 7;
      x64 = a; o = AMO("ldsmina", "", "x", x64, b); acc = acc * 31 + o + x64 * 7;
      x64 = a; o = AMO("ldumaxl", "", "x", x64, b); acc = acc * 31 + o + x64 * 7;
      x64 = a; o = AMO("lduminal", "", "x", x64, b); acc = acc * 31 + o + x64 * 7;
      w32 = (u32)a; o = AMO("ldsmax", "", "w", w32, b); acc = acc * 31 + o + w32 * 7;
      w32 = (u32)a; o = AMO("ldsmin", "l", "w", w32, b); acc = acc * 31 + o + w32 * 7;
      w32 = (u32)a; o = AMO("ldumax", "a", "w", w32, b); acc = acc * 31 + o + w32 * 7;
      w32 = (u32)a; o = AMO("ldumin", "", "w", w32, b); acc = acc * 31 + o + w32 * 7;
      h16 = (unsigned short)a; o = AMO("ldsmaxh", "", "w", h16, b); acc = acc * 31 + o + h16 * 7;
      h16 = (unsigned short)a; o = AMO("ldsminah", "", "w", h16, b); acc = acc * 31 + o + h16 * 7;
      h16 = (unsigned short)a; o = AMO("ldumaxlh", "", "w", h16, b); acc = acc * 31 + o + h16 * 7;
      h16 = (unsigned short)a; o = AMO("lduminh", "", "w", h16, b); acc = acc * 31 + o + h16 * 7;
      b8 = (u8)a; o = AMO("ldsmaxb", "", "w", b8, b); acc = acc * 31 + o + b8 * 7;
      b8 = (u8)a; o = AMO("ldsminb", "", "w", b8, b); acc = acc * 31 + o + b8 * 7;
      b8 = (u8)a; o = AMO("ldumaxab", "", "w", b8, b); acc = acc * 31 + o + b8 * 7;
      b8 = (u8)a; o = AMO("lduminlb", "", "w", b8, b); acc = acc * 31 + o + b8 * 7;
      b8 = (u8)a; o = AMO("ldclralb", "", "w", b8, b); acc = acc * 31 + o + b8 * 7;
      h16 = (unsigned short)a; o = AMO("ldeorh", "", "w", h16, b); acc = acc * 31 + o + h16 * 7;
      w32 = (u32)a; o = AMO("ldset", "al", "w", w32, b); acc = acc * 31 + o + w32 * 7;
      x64 = a; o = AMO("swpal", "", "x", x64, b); acc = acc * 31 + o + x64 * 7;
      h16 = (unsigned short)a; o = AMO("swph", "", "w", h16, b); acc = acc * 31 + o + h16 * 7;
    }
  }
  SHOW("maxmin hash", acc);
  x64 = 5;
  __asm__ volatile("stadd %0, [%1]" : : "r"((u64)10), "r"(&x64) : "memory"); SHOW("stadd", x64);
  __asm__ volatile("stsmaxl %0, [%1]" : : "r"((u64)-3), "r"(&x64) : "memory"); SHOW("stsmaxl", x64);
  __asm__ volatile("stclrb %w0, [%1]" : : "r"(0x0f), "r"(&b8) : "memory"); SHOW("stclrb", b8);
}

/* CASP needs even/odd register pairs: explicit registers, set right before the instruction and
   copied out right after it (register variables do not survive calls). */
#define CASP(insn, r, a0, a1, n0, n1, addr, out0, out1) do { \
    register u64 s0_ __asm__("x4") = (a0); register u64 s1_ __asm__("x5") = (a1); \
    register u64 t0_ __asm__("x6") = (n0); register u64 t1_ __asm__("x7") = (n1); \
    __asm__ volatile(insn " %" r "0, %" r "1, %" r "2, %" r "3, [%4]" : "+r"(s0_), "+r"(s1_) : "r"(t0_), "r"(t1_), "r"(addr) : "memory"); \
    out0 = s0_; out1 = s1_; } while (0)

static void casp(void) {
  u64 o0, o1;
  pair[0] = 1; pair[1] = 2;
  CASP("casp", "", 1, 3, 0xaaaa, 0xbbbb, pair, o0, o1); /* mismatch: memory stays, the pair gets the old values */
  SHOW("casp fail s0", o0); SHOW("casp fail s1", o1); SHOW("casp fail m0", pair[0]); SHOW("casp fail m1", pair[1]);
  CASP("caspal", "", o0, o1, 0xaaaa, 0xbbbb, pair, o0, o1);
  SHOW("caspal ok s0", o0); SHOW("caspal ok s1", o1); SHOW("caspal ok m0", pair[0]); SHOW("caspal ok m1", pair[1]);
  CASP("caspa", "", 0xaaaa, 0xbbbc, 5, 6, pair, o0, o1);
  SHOW("caspa fail s1", o1); SHOW("caspa fail m1", pair[1]);
  wpair[0] = 0x11; wpair[1] = 0x22;
  CASP("caspa", "w", 0xffffffff00000011ull, 0x22, 0x12345678, 0x9abcdef0, wpair, o0, o1);
  SHOW("caspa.w ok s0", o0); SHOW("caspa.w ok s1", o1); SHOW("caspa.w m0", wpair[0]); SHOW("caspa.w m1", wpair[1]);
  CASP("caspl", "w", ~0ull, ~0ull, 1, 2, wpair, o0, o1);
  SHOW("caspl.w fail s0", o0); SHOW("caspl.w fail s1", o1); SHOW("caspl.w m0", wpair[0]);
  u64 c = 0xffffffff00001234ull;
  w32 = 0x1234;
  __asm__ volatile("casal %w0, %w1, [%2]" : "+r"(c) : "r"(0x99), "r"(&w32) : "memory");
  SHOW("casal.w upper bits cleared", c); SHOW("casal.w mem", w32);
  u64 ch = 0x5;
  h16 = 0x8005;
  __asm__ volatile("caslh %w0, %w1, [%2]" : "+r"(ch) : "r"(0x77), "r"(&h16) : "memory");
  SHOW("caslh fail seen", ch); SHOW("caslh mem", h16);
  u64 cb = 0x80;
  b8 = 0x80;
  __asm__ volatile("casab %w0, %w1, [%2]" : "+r"(cb) : "r"(0x1ff), "r"(&b8) : "memory");
  SHOW("casab seen", cb); SHOW("casab mem", b8);
}

static void counter_loop(void) {
  /* many atomics in a hot loop: the JIT's blocks hand them to the interpreter */
  x64 = 0; w32 = 0;
  for (u64 i = 0; i < 20000; i++) {
    __atomic_fetch_add(&x64, i, __ATOMIC_RELAXED);
    __atomic_fetch_xor(&w32, (u32)(i * 2654435761u), __ATOMIC_RELAXED);
    u64 e = x64;
    __atomic_compare_exchange_n(&x64, &e, e + 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  }
  SHOW("loop x", x64); SHOW("loop w", w32);
}

int main(void) {
  builtins();
  maxmin();
  casp();
  counter_loop();
  return 0;
}
