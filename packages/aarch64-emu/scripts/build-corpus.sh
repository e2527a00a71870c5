#!/bin/sh
# Rebuilds the test corpus: every test/programs/*.c at -O0, -O2 and -Os as a static
# freestanding AArch64 Linux executable (test/programs/bin/<name>-<opt>.elf), then records
# qemu-aarch64's stdout, exit code and exact instruction count as golden results
# (test/programs/golden.json) when qemu-aarch64 is installed.
# Needs: gcc-aarch64-linux-gnu (aarch64-linux-gnu-gcc 12), qemu-user (qemu-aarch64 7.2).
set -eu
cd "$(dirname "$0")/../test/programs"
mkdir -p bin
CC=${CC:-aarch64-linux-gnu-gcc}
for src in *.c; do
  name=${src%.c}
  for opt in O0 O2 Os; do
    $CC -$opt -static -nostdlib -ffreestanding -fno-builtin -mgeneral-regs-only -fno-stack-protector \
      -mno-outline-atomics -march=armv8-a -fno-pie -no-pie -Wl,--build-id=none \
      -o "bin/$name-$opt.elf" "$src" -lgcc
  done
done
if command -v qemu-aarch64 >/dev/null 2>&1; then
  node ../../scripts/record-golden.mjs bin/*.elf > golden.json
else
  echo "qemu-aarch64 missing: golden.json not refreshed" >&2
fi
