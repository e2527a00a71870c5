#!/usr/bin/env bash
# Records /proc/kallsyms of a Linux arm64 kernel Image booted under qemu-system-aarch64, the
# oracle of the Linux kallsyms decoder (src/linux-kallsyms.ts).
#
# Usage: scripts/record-kallsyms.sh IMAGE BUSYBOX OUT.txt [nokaslr|kaslr]
#   IMAGE    plain arm64 Image (Debian: /boot/vmlinuz-*-arm64 of linux-image-*-arm64)
#   BUSYBOX  static arm64 busybox (Debian busybox-static)
#   OUT.txt  the serial console: `uname -r`, `cat /proc/version`, then /proc/kallsyms between
#            the markers `--- kallsyms begin ---` / `--- kallsyms end ---`
#   mode     `nokaslr` (default) or `kaslr` (kaslr-seed from a fixed DT value is not settable
#            on -M virt; the kernel takes its seed from the EFI/DT rng node qemu fills in)
# Needs: qemu-system-aarch64, cpio (GNU, newc format). Takes about a minute under TCG.
set -euo pipefail
image=$1 busybox=$2 out=$3 mode=${4:-nokaslr}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/bin" "$work/root/proc" "$work/root/dev"
cp "$busybox" "$work/root/bin/busybox"
for t in sh mount cat uname poweroff echo; do ln -s busybox "$work/root/bin/$t"; done
cat > "$work/root/init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
echo "--- uname ---"
uname -r
cat /proc/version
echo "--- kallsyms begin ---"
cat /proc/kallsyms
echo "--- kallsyms end ---"
poweroff -f
INIT
chmod +x "$work/root/init"
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) > "$work/initrd.cpio"
append="console=ttyAMA0 panic=-1"
[ "$mode" = nokaslr ] && append="$append nokaslr"
timeout 600 qemu-system-aarch64 -M virt -cpu cortex-a57 -m 512M -nographic -nic none -no-reboot \
  -kernel "$image" -initrd "$work/initrd.cpio" -append "$append" | tr -d '\r' > "$out"
grep -q -- '--- kallsyms end ---' "$out" || { echo "no kallsyms end marker in $out" >&2; exit 1; }
