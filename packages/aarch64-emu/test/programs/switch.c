#include "tiny.h"
static int classify(u32 x) {
  switch (x % 13) {
    case 0: return 7; case 1: return 11; case 2: return 3; case 3: return 19; case 4: return 5;
    case 5: return 23; case 6: return 2; case 7: return 29; case 8: return 31; case 9: return 1;
    case 10: return 41; case 11: return 43; default: return 47;
  }
}
static const char *name(int op) {
  switch (op) { case 'a': return "add"; case 'b': return "branch"; case 'c': return "call"; case 'd': return "div";
    case 'e': return "eor"; case 'f': return "fence"; case 'g': return "gather"; default: return "?"; }
}
static i64 interp(const u8 *code, i64 x) {
  for (;;) {
    switch (*code++) {
      case 0: return x;
      case 1: x += *code++; break;
      case 2: x -= *code++; break;
      case 3: x *= *code++; break;
      case 4: x = x / (*code++ | 1); break;
      case 5: x ^= x << 3; break;
      case 6: x = -x; break;
      case 7: x = x > 1000 ? x - 1000 : x + 77; break;
      default: return -1;
    }
  }
}
int main(void) {
  u64 s = 0;
  for (u32 i = 0; i < 500; i++) s = s * 3 + (u64)classify(i * 2654435761u);
  kv("s", s);
  for (int c = 'a'; c <= 'h'; c++) { puts_(name(c)); puts_(" "); }
  puts_("\n");
  static const u8 prog[] = {1, 5, 3, 7, 5, 2, 9, 6, 7, 4, 3, 5, 1, 200, 7, 0};
  i64 r = 0; for (int k = 0; k < 50; k++) r += interp(prog, k);
  puti(r); puts_("\n");
  return (int)(s % 200);
}
