#include "tiny.h"
static char buf[512];
static int cmp(const char *a, const char *b) { while (*a && *a == *b) { a++; b++; } return (u8)*a - (u8)*b; }
static void rev(char *s, u64 n) { for (u64 i = 0; i < n / 2; i++) { char t = s[i]; s[i] = s[n - 1 - i]; s[n - 1 - i] = t; } }
static u64 atou(const char *s) { u64 v = 0; while (*s >= '0' && *s <= '9') v = v * 10 + (u64)(*s++ - '0'); return v; }
int main(void) {
  const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "elderberry"};
  int n = 7;
  for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) if (cmp(words[j], words[i]) < 0) { const char *t = words[i]; words[i] = words[j]; words[j] = t; }
  u64 pos = 0;
  for (int i = 0; i < n; i++) { u64 l = slen(words[i]); memcpy(buf + pos, words[i], l); pos += l; buf[pos++] = ','; }
  buf[pos - 1] = '\n'; buf[pos] = 0; puts_(buf);
  rev(buf, pos - 1); puts_(buf);
  memset(buf, 'z', 40); buf[40] = '\n'; buf[41] = 0; puts_(buf);
  putu(atou("18446744073709551615") + 1); puts_(" "); putu(atou("4294967296") * 3); puts_("\n");
  return 0;
}
