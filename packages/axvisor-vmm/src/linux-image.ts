// SPDX-License-Identifier: MIT
// The arm64 Linux boot protocol (Documentation/arch/arm64/booting.rst): the 64-byte Image
// header (code0/code1, text_offset, image_size, flags, magic "ARM\x64" at 0x38), where the
// kernel, the device tree and the initramfs go in guest RAM, and the entry state.

import { HypervisorError } from './errors.js';

/** The magic at byte 0x38 of an arm64 Image ("ARM\x64", little-endian). */
export const ARM64_IMAGE_MAGIC = 0x644d5241;

/** The parsed header of an arm64 Linux `Image`. */
export interface LinuxImageHeader {
  /** Offset of the kernel from a 2 MiB-aligned base (0x80000 for images with image_size 0). */
  textOffset: bigint;
  /** Bytes the kernel occupies from its load address, BSS included (the file size when 0). */
  imageSize: bigint;
  /** Header flags: bit 0 big-endian, bits 1-2 page size (1 = 4K), bit 3 placement anywhere. */
  flags: bigint;
  /** Page size the kernel was built for (0 = unspecified). */
  pageSize: 0 | 4096 | 16384 | 65536;
}

/**
 * Whether the bytes are an arm64 Image (magic at 0x38).
 * @param bytes - a file.
 * @returns true for an Image.
 */
export function isLinuxImage(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 64 &&
    new DataView(bytes.buffer, bytes.byteOffset, 64).getUint32(0x38, true) === ARM64_IMAGE_MAGIC
  );
}

/**
 * Reads the header of an arm64 Image.
 * @param bytes - the Image file.
 * @param what - how messages name it.
 * @param vmId - the VM, for the error.
 * @returns the header.
 * @throws {HypervisorError} `BAD_IMAGE` for a short file, a wrong magic, a big-endian kernel,
 * or a kernel built for other than 4 KiB pages (the emulator's granule).
 */
export function parseLinuxImage(
  bytes: Uint8Array,
  what = 'kernel image',
  vmId?: number,
): LinuxImageHeader {
  const id = vmId === undefined ? {} : { vmId };
  if (bytes.length < 64)
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      ...id,
      message: `${what}: ${bytes.length} bytes, shorter than the 64-byte arm64 Image header`,
    });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, 64);
  const magic = dv.getUint32(0x38, true);
  if (magic !== ARM64_IMAGE_MAGIC)
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      ...id,
      message: `${what}: no arm64 Image magic at byte 0x38 (found 0x${magic.toString(16)}), not an ELF either`,
    });
  let textOffset = dv.getBigUint64(8, true);
  let imageSize = dv.getBigUint64(16, true);
  const flags = dv.getBigUint64(24, true);
  if (imageSize === 0n) {
    // kernels before 3.17: text_offset is unreliable and 0x80000 is assumed
    textOffset = 0x80000n;
    imageSize = BigInt(bytes.length);
  }
  if ((flags & 1n) !== 0n)
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      ...id,
      message: `${what}: a big-endian kernel (header flags bit 0); the emulator is little-endian`,
    });
  const ps = Number((flags >> 1n) & 3n);
  const pageSize = ([0, 4096, 16384, 65536] as const)[ps]!;
  if (pageSize !== 0 && pageSize !== 4096)
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      ...id,
      message: `${what}: built for ${pageSize / 1024} KiB pages; the emulator implements the 4 KiB granule only`,
    });
  if (imageSize < BigInt(bytes.length)) imageSize = BigInt(bytes.length);
  return { textOffset, imageSize, flags, pageSize };
}

/** Where the pieces of a Linux boot go in guest RAM. */
export interface LinuxLayout {
  /** Kernel load address (2 MiB-aligned base + text_offset): the entry point. */
  kernel: bigint;
  /** End of the kernel's image_size. */
  kernelEnd: bigint;
  /** Device tree blob address (8-byte aligned, below 512 MiB of RAM). */
  dtb: bigint;
  /** initramfs start (undefined without one). */
  initrd: bigint | undefined;
}

const MIB2 = 0x20_0000n;
const alignUp = (v: bigint, a: bigint) => (v + a - 1n) & ~(a - 1n);

/**
 * Places a Linux boot in guest RAM as QEMU's virt board does: the DTB at the start of RAM, the
 * kernel at the next 2 MiB boundary + text_offset (or at `kernelLoadAddr` when given), the
 * initramfs at the middle of RAM (at most 128 MiB in) or, when that collides, after the kernel.
 * @param ram - the guest RAM region the kernel boots from ([base, size]).
 * @param header - the Image header.
 * @param initrdSize - initramfs size in bytes (0 for none).
 * @param dtbSize - DTB size in bytes.
 * @param fixed - addresses from the config (kernel_load_addr, dtb_load_addr, ramdisk_load_addr).
 * @returns the layout.
 * @throws {HypervisorError} `BAD_IMAGE` when something does not fit in RAM or overlaps.
 */
export function linuxLayout(
  ram: { gpa: bigint; size: number },
  header: LinuxImageHeader,
  initrdSize: number,
  dtbSize: number,
  fixed: {
    kernel?: bigint | undefined;
    dtb?: bigint | undefined;
    initrd?: bigint | undefined;
  } = {},
): LinuxLayout {
  const end = ram.gpa + BigInt(ram.size);
  const dtb = fixed.dtb ?? ram.gpa;
  const kernel = fixed.kernel ?? alignUp(dtb + BigInt(dtbSize), MIB2) + header.textOffset;
  if ((kernel - header.textOffset) % MIB2 !== 0n)
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      message: `kernel load address 0x${kernel.toString(16)} is not a 2 MiB-aligned base + text_offset 0x${header.textOffset.toString(16)}`,
    });
  const kernelEnd = kernel + header.imageSize;
  let initrd: bigint | undefined;
  if (initrdSize > 0) {
    if (fixed.initrd !== undefined) initrd = fixed.initrd;
    else {
      const half =
        ram.gpa + (BigInt(ram.size) / 2n < 0x800_0000n ? BigInt(ram.size) / 2n : 0x800_0000n);
      initrd = half >= alignUp(kernelEnd, MIB2) ? half : alignUp(kernelEnd, MIB2);
    }
  }
  const pieces: [string, bigint, bigint][] = [
    ['device tree', dtb, BigInt(dtbSize)],
    ['kernel', kernel, header.imageSize],
  ];
  if (initrd !== undefined) pieces.push(['initramfs', initrd, BigInt(initrdSize)]);
  for (const [name, at, size] of pieces) {
    if (at < ram.gpa || at + size > end)
      throw new HypervisorError({
        code: 'BAD_IMAGE',
        message: `the ${name} (0x${at.toString(16)}, ${size} bytes) does not fit in guest RAM 0x${ram.gpa.toString(16)}..0x${end.toString(16)}`,
      });
  }
  for (let i = 0; i < pieces.length; i++) {
    for (let j = i + 1; j < pieces.length; j++) {
      const a = pieces[i]!,
        b = pieces[j]!;
      if (a[1] < b[1] + b[2] && b[1] < a[1] + a[2])
        throw new HypervisorError({
          code: 'BAD_IMAGE',
          message: `the ${a[0]} and the ${b[0]} overlap in guest RAM`,
        });
    }
  }
  if (dtb % 8n !== 0n)
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      message: `device tree address 0x${dtb.toString(16)} is not 8-byte aligned`,
    });
  return { kernel, kernelEnd, dtb, initrd };
}
