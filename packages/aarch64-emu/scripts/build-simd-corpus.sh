#!/bin/sh
# Rebuilds the FP/SIMD test corpus (test/simd-programs/bin): the integer corpus
# (test/programs/*.c) at -O3 without -mgeneral-regs-only, so gcc auto-vectorises it, and the FP
# and vector programs of test/simd-programs at -O2 and -O3 (crypto.c with -march=armv8-a+crypto); then records qemu-aarch64's stdout,
# exit code and exact instruction count (test/simd-programs/golden.json).
# Needs: gcc-aarch64-linux-gnu (aarch64-linux-gnu-gcc 12), qemu-user (qemu-aarch64 7.2).
set -eu
cd "$(dirname "$0")/../test/simd-programs"
mkdir -p bin
CC=${CC:-aarch64-linux-gnu-gcc}
FLAGS="-static -nostdlib -ffreestanding -fno-stack-protector -mno-outline-atomics -march=armv8-a -fno-pie -no-pie -Wl,--build-id=none -Wl,-z,max-page-size=4096"
for src in ../programs/*.c; do
  name=$(basename "${src%.c}")
  $CC -O3 -fno-builtin $FLAGS -o "bin/$name-O3.elf" "$src" -lgcc
done
for src in fp.c vec.c vec2.c crypto.c; do
  # crypto.c: the ACLE intrinsics of the Cryptographic Extension (AES, SHA1, SHA2, PMULL)
  case $src in crypto.c) march="-march=armv8-a+crypto" ;; *) march= ;; esac
  for opt in O2 O3; do
    $CC -$opt -fno-math-errno -fno-builtin-memcpy -fno-builtin-memset $FLAGS $march -o "bin/${src%.c}-$opt.elf" "$src" -lgcc
  done
done
if command -v qemu-aarch64 >/dev/null 2>&1; then
  node ../../scripts/record-golden.mjs bin/*.elf > golden.json
else
  echo "qemu-aarch64 missing: golden.json not refreshed" >&2
fi
