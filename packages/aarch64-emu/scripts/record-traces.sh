#!/bin/sh
# Records qemu-aarch64's per-instruction register trace (-singlestep -d cpu,nochain) of a few
# corpus programs as gzipped golden files for test/trace.test.ts. Needs qemu-user.
set -eu
cd "$(dirname "$0")/../test/programs"
for p in strings-O2 int128-O2; do
  qemu-aarch64 -singlestep -d cpu,nochain -D "traces/$p.cpu.log" "bin/$p.elf" > /dev/null || true  # the exit status is the program's
  gzip -9nf "traces/$p.cpu.log"
done
