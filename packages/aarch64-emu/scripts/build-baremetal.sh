#!/bin/sh
# Rebuilds the bare-metal test image (test/baremetal/guest.elf) and records the oracle:
# qemu-system-aarch64 -M virt[,virtualization=on] console output and `-d int` exception log,
# booted at EL2 and at EL1. Needs gcc-aarch64-linux-gnu and qemu-system-arm (qemu 7.2).
set -eu
cd "$(dirname "$0")/../test/baremetal"
aarch64-linux-gnu-gcc -O2 -ffreestanding -nostdlib -nostartfiles -fno-pie -no-pie -static -mgeneral-regs-only \
  -fno-stack-protector -mno-outline-atomics -T link.ld -Wl,--build-id=none -Wl,--no-warn-rwx-segments \
  -o guest.elf start.S guest.c
if command -v qemu-system-aarch64 >/dev/null 2>&1; then
  timeout 20 qemu-system-aarch64 -machine virt,virtualization=on -cpu cortex-a57 -m 128M -nographic -nic none \
    -kernel guest.elf -d int -D qemu-el2.int.log > qemu-el2.console.txt
  timeout 20 qemu-system-aarch64 -machine virt -cpu cortex-a57 -m 128M -nographic -nic none \
    -kernel guest.elf -d int -D qemu-el1.int.log > qemu-el1.console.txt
fi
