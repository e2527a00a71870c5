#include "tiny.h"
static u64 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static u64 ack(u64 m, u64 n) { if (m == 0) return n + 1; if (n == 0) return ack(m - 1, 1); return ack(m - 1, ack(m, n - 1)); }
static u64 moves;
static void hanoi(int n, int a, int b, int c) { if (!n) return; hanoi(n - 1, a, c, b); moves++; hanoi(n - 1, c, b, a); }
static int queens(int row, int n, u32 cols, u32 d1, u32 d2) {
  if (row == n) return 1;
  int count = 0;
  for (int c = 0; c < n; c++) {
    if ((cols >> c & 1) || (d1 >> (row + c) & 1) || (d2 >> (row - c + n) & 1)) continue;
    count += queens(row + 1, n, cols | 1u << c, d1 | 1u << (row + c), d2 | 1u << (row - c + n));
  }
  return count;
}
int main(void) {
  puts_("fib(20)="); putu(fib(20)); puts_("\n");
  puts_("ack(2,3)="); putu(ack(2, 3)); puts_("\n");
  hanoi(10, 1, 2, 3); puts_("hanoi(10)="); putu(moves); puts_("\n");
  puts_("queens(6)="); putu((u64)queens(0, 6, 0, 0, 0)); puts_("\n");
  return 3;
}
