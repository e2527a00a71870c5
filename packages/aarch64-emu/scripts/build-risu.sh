#!/bin/sh
# Builds the risu-style random instruction programs (test/risu/*.c, from gen-risu.mjs) and
# records qemu-aarch64's per-instruction register trace of each (gzipped).
# `scripts/build-risu.sh [class...]`: only those classes (default: all).
set -eu
cd "$(dirname "$0")/../test/risu"
if [ $# -eq 0 ]; then set -- *.c; fi
for src in "$@"; do
  src=${src%.c}.c
  n=${src%.c}
  aarch64-linux-gnu-gcc -O0 -static -nostdlib -ffreestanding -fno-pie -no-pie -Wl,--build-id=none -o "$n.elf" "$src"
  if command -v qemu-aarch64 >/dev/null 2>&1; then
    case $n in
      # FP/SIMD (CRC32, crypto) streams: a Cortex-A57 (ARMv8.0 with CRC32 and the Cryptographic Extension) and the FP registers
      simd-*) qemu-aarch64 -cpu cortex-a57 -singlestep -d cpu,fpu,nochain -D "$n.cpu.log" "./$n.elf" > /dev/null || true ;;
      *) qemu-aarch64 -singlestep -d cpu,nochain -D "$n.cpu.log" "./$n.elf" > /dev/null || true ;;
    esac
    gzip -9nf "$n.cpu.log"
  fi
done
