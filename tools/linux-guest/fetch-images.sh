#!/usr/bin/env bash
# Gets Debian's arm64 kernel and static busybox with apt-get and builds the test initramfs:
#   out/Image       the kernel (Debian's vmlinuz is a plain arm64 Image)
#   out/busybox     static arm64 busybox
#   out/initrd.gz   gzip'd newc initramfs with busybox and /init (src/initramfs.ts), when the
#                   workspace is installed (tsx); the tests build the same archive in memory
# Needs root for `dpkg --add-architecture` and `apt-get update` (skipped when arm64 is known).
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p out/deb
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq
fi
# The current ABI: linux-image-arm64 depends on linux-image-6.1.0-NN-arm64 (or -unsigned)
meta_dep=$(apt-cache depends linux-image-arm64:arm64 | sed -n 's/^ *Depends: \(linux-image-[0-9][^ :]*-arm64\).*/\1/p' | head -1)
if [ -z "$meta_dep" ]; then
  echo "fetch-images: cannot resolve the kernel package from linux-image-arm64:arm64" >&2
  exit 1
fi
pkg=${meta_dep%-unsigned}
echo "fetch-images: kernel package $pkg"
( cd out/deb && rm -f ./*.deb && apt-get download "$pkg:arm64" busybox-static:arm64 )
rm -rf out/x && mkdir -p out/x
for deb in out/deb/*.deb; do dpkg-deb -x "$deb" out/x; done
cp "$(ls out/x/boot/vmlinuz-* | head -1)" out/Image
cp out/x/bin/busybox out/busybox
rm -rf out/x
if [ -x ../../node_modules/.bin/tsx ]; then
  ../../node_modules/.bin/tsx src/make-initramfs.ts out/busybox out/initrd.gz
else
  echo "fetch-images: workspace not installed yet; run 'pnpm --filter @axebpf/linux-guest initramfs out/busybox out/initrd.gz' later"
fi
echo "fetch-images: out/Image and out/busybox ready"
