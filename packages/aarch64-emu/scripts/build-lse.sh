#!/bin/sh
# Rebuilds the FEAT_LSE test programs (test/programs-lse/*.c at -O0, -O2 and -Os, built with
# -march=armv8.1-a -mno-outline-atomics so the atomics are inline LSE instructions) and records
# qemu-aarch64's stdout, exit code and instruction count (test/programs-lse/golden.json).
# Needs: gcc-aarch64-linux-gnu, qemu-user.
set -eu
cd "$(dirname "$0")/../test/programs-lse"
mkdir -p bin
CC=${CC:-aarch64-linux-gnu-gcc}
for src in *.c; do
  name=${src%.c}
  for opt in O0 O2 Os; do
    $CC -$opt -static -nostdlib -ffreestanding -fno-builtin -mgeneral-regs-only -fno-stack-protector \
      -mno-outline-atomics -march=armv8.1-a -fno-pie -no-pie -Wl,--build-id=none \
      -o "bin/$name-$opt.elf" "$src" -lgcc
  done
done
if command -v qemu-aarch64 >/dev/null 2>&1; then
  node ../../scripts/record-golden.mjs bin/*.elf > golden.json
else
  echo "qemu-aarch64 missing: golden.json not refreshed" >&2
fi
