#!/bin/sh
# Rebuilds test/programs/probes.bin and probes.syms.json from probes.S with the Debian
# cross toolchain (gcc-aarch64-linux-gnu / binutils-aarch64-linux-gnu). The outputs are
# committed so the tests need no toolchain. OUT=<dir> writes them elsewhere (the tests use
# that to check the committed files are up to date).
set -eu
SRC="$(cd "$(dirname "$0")/../test/programs" && pwd)"
OUT=${OUT:-$SRC}
CC=${CC:-aarch64-linux-gnu-gcc}
$CC -nostdlib -static -march=armv8-a -Wl,--build-id=none -Wl,-T,"$SRC/link.ld" -o "$OUT/probes.elf" "$SRC/probes.S"
aarch64-linux-gnu-objcopy -O binary "$OUT/probes.elf" "$OUT/probes.bin"
aarch64-linux-gnu-nm "$OUT/probes.elf" | awk 'BEGIN { printf "{" } { if (n++) printf ","; printf "\n  \"%s\": \"0x%s\"", $3, $1 } END { print "\n}" }' > "$OUT/probes.syms.json"
rm -f "$OUT/probes.elf"
echo "built $OUT/probes.bin ($(wc -c < "$OUT/probes.bin") bytes)"
