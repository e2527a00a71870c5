#!/bin/sh
# Builds the guest images (guests/*/guest.elf, each from its guest.c and the shared
# guests/common/start.s and link.ld) with the aarch64 cross compiler and records each
# guest's console output on qemu-system-aarch64 -M virt (guests/*/qemu.console.txt), the oracle
# the tests compare with. Needs gcc-aarch64-linux-gnu; the QEMU step needs qemu-system-arm.
set -eu
cd "$(dirname "$0")/../guests"
for g in */; do
  g=${g%/}
  [ "$g" = common ] && continue
  ( cd "$g"
    # Objects get fixed names (a temporary name would end up in the symbol table and make the
    # image differ from build to build).
    CFLAGS="-O2 -g -ffreestanding -fno-pie -mgeneral-regs-only -fno-stack-protector -mno-outline-atomics -fdebug-prefix-map=$(pwd)=/guests/$g"
    aarch64-linux-gnu-gcc $CFLAGS -c ../common/start.s -o start.o
    aarch64-linux-gnu-gcc $CFLAGS -c guest.c -o guest.o
    aarch64-linux-gnu-gcc -nostdlib -nostartfiles -no-pie -static -T ../common/link.ld \
      -Wl,--build-id=none -Wl,--no-warn-rwx-segments -o guest.elf start.o guest.o
    rm -f start.o guest.o
    if command -v qemu-system-aarch64 >/dev/null 2>&1; then
      # guests that name a CPU count in cpus.txt run with that many (-smp); qemu.args replaces the
      # default machine and CPU (the cluster guest: -machine virt,gic-version=3 -cpu cortex-a53)
      SMP=$( [ -f cpus.txt ] && cat cpus.txt || echo 1 )
      MACHINE=$( [ -f qemu.args ] && cat qemu.args || echo "-machine virt -cpu cortex-a57" )
      if [ -f marker.txt ]; then
        # a guest that runs until stopped: record its output up to the line holding the marker
        MARKER=$(cat marker.txt)
        # shellcheck disable=SC2086
        qemu-system-aarch64 $MACHINE -accel tcg,thread=single -smp "$SMP" -m 128M -nographic -nic none -kernel guest.elf > qemu.full.txt &
        QEMU=$!
        n=0
        while ! grep -q "$MARKER" qemu.full.txt && [ $n -lt 300 ]; do sleep 0.1; n=$((n + 1)); done
        kill $QEMU 2>/dev/null || true
        wait $QEMU 2>/dev/null || true
        sed "/$MARKER/q" qemu.full.txt > qemu.console.txt
        rm -f qemu.full.txt
      else
        # shellcheck disable=SC2086
        timeout 30 qemu-system-aarch64 $MACHINE -accel tcg,thread=single -smp "$SMP" -m 128M -nographic -nic none \
          -kernel guest.elf > qemu.console.txt
      fi
    fi
  )
done
