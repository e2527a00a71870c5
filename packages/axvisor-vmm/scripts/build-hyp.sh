#!/bin/sh
# Builds the EL2 image of the simulated AxVisor (hyp/hyp.elf) from hyp/entry.S and hyp/hyp.c
# with the aarch64 cross compiler, then generates its kallsyms blob with tools/ksym-gen and
# injects it in place into the reserved .kallsyms section (as AxVisor's `cargo xtask symbols`).
# Needs gcc-aarch64-linux-gnu and a built tools/ksym-gen (pnpm build).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
KSYM_GEN=${KSYM_GEN:-$HERE/../../../tools/ksym-gen/bin/ksym-gen.js}
cd "$HERE/../hyp"
CFLAGS="-O2 -mgeneral-regs-only -ffreestanding -nostdlib -fno-pie -fno-stack-protector -mno-outline-atomics -fno-asynchronous-unwind-tables -fno-unwind-tables -Wall -Wextra -Werror"
aarch64-linux-gnu-gcc $CFLAGS -c entry.S -o entry.o
aarch64-linux-gnu-gcc $CFLAGS -c hyp.c -o hyp.o
aarch64-linux-gnu-gcc -nostdlib -nostartfiles -no-pie -static -T link.ld \
  -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o hyp.elf entry.o hyp.o
rm -f entry.o hyp.o
node "$KSYM_GEN" inject hyp.elf
