/* A static glibc program: glibc's string functions (memcpy, memset, strlen, strchr, memchr,
   strcmp use Advanced SIMD on AArch64), printf/strtod of doubles, qsort of floats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
int main(void) {
  static char buf[4096], dst[4096];
  for (int i = 0; i < 4095; i++) buf[i] = (char)('a' + (i * 7) % 26);
  buf[4095] = 0;
  unsigned long h = 0;
  for (int off = 0; off < 64; off++) {
    for (int len = 0; len < 300; len += 17) {
      memset(dst, 0, sizeof dst);
      memcpy(dst + off, buf + (off * 3) % 64, len);
      h = h * 31 + strlen(dst + off) + (unsigned long)(strchr(dst + off, 'q') ? strchr(dst + off, 'q') - dst : 0);
      h = h * 31 + (unsigned long)(memchr(buf + off, 'z', len) ? 1 : 0) + (unsigned long)(strcmp(dst + off, buf) > 0);
      memmove(dst + off + 1, dst + off, len);
      h ^= (unsigned long)dst[off + len / 2];
    }
  }
  printf("strings %lx len %zu\n", h, strlen(buf));
  double v[50];
  for (int i = 0; i < 50; i++) v[i] = sin(i * 0.7) * 1000.0 + sqrt((double)i) - exp(i * 0.01);
  qsort(v, 50, sizeof v[0], cmp);
  for (int i = 0; i < 50; i += 7) printf("%.6f %g %e\n", v[i], v[i] / 3.0, v[i] * 1e10);
  char text[64];
  snprintf(text, sizeof text, "%.17g", M_PI);
  printf("%s %.10f %a\n", text, strtod("2.718281828459045", NULL), 0.1);
  printf("%f %f %ld %f\n", floor(-2.5), round(2.5), lround(-3.5), fmod(10.0, 3.3));
  return 0;
}
