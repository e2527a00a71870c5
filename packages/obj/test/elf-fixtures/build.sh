#!/bin/sh
# Rebuilds the ELF fixtures of the @axebpf/obj/elf tests and their readelf golden outputs.
# Needs gcc, readelf and (for the AArch64 image) aarch64-linux-gnu-gcc.
set -eu
cd "$(dirname "$0")"
gcc -O1 -fno-asynchronous-unwind-tables -c sample.c -o sample-x86_64.o
gcc -O1 -fno-asynchronous-unwind-tables -DWITH_START -nostdlib -static -Wl,--build-id=none -Wl,-z,max-page-size=4096 -o sample-x86_64.elf sample.c
aarch64-linux-gnu-gcc -O1 -fno-asynchronous-unwind-tables -DWITH_START -nostdlib -static -Wl,--build-id=none -Wl,-z,max-page-size=4096 -o sample-aarch64.elf sample.c
for f in sample-x86_64.o sample-x86_64.elf sample-aarch64.elf; do
  LC_ALL=C readelf -h -S -s -r -l --wide "$f" > "$f.readelf.txt"
done
