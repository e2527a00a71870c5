#!/bin/sh
# Rebuilds test/programs/probes.bin and probes.syms.json from probes.S with the Debian
# cross toolchain (gcc-aarch64-linux-gnu / binutils-aarch64-linux-gnu). The outputs are
# committed so the tests need no toolchain.
set -eu
cd "$(dirname "$0")/../test/programs"
CC=${CC:-aarch64-linux-gnu-gcc}
$CC -nostdlib -static -march=armv8-a -Wl,--build-id=none -Wl,-T,link.ld -o probes.elf probes.S
aarch64-linux-gnu-objcopy -O binary probes.elf probes.bin
aarch64-linux-gnu-nm probes.elf | awk 'BEGIN { printf "{" } { if (n++) printf ","; printf "\n  \"%s\": \"0x%s\"", $3, $1 } END { print "\n}" }' > probes.syms.json
rm -f probes.elf
echo "built probes.bin ($(wc -c < probes.bin) bytes)"
