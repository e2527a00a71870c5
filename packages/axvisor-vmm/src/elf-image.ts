// SPDX-License-Identifier: MIT
// Reading an AArch64 ELF image, as the VMM does for guest kernels and for its own EL2 image:
// parse it (through @axebpf/obj/elf), check the machine, list what is loaded where.

import type { ElfFile } from '@axebpf/obj/elf';
import { ElfError, parseElf, PT_LOAD } from '@axebpf/obj/elf';
import { HypervisorError } from './errors.js';

/** One loadable piece of an image. */
export interface HypSegment {
  /** Physical address. */
  addr: bigint;
  /** Size in memory (file bytes then zeros). */
  memsz: number;
  /** Bytes from the file. */
  data: Uint8Array;
}

/**
 * Parses an AArch64 ELF image and lists its non-empty PT_LOAD segments.
 * @param bytes - the ELF file.
 * @param what - how messages name the image (`VM 3: image`, `EL2 image`).
 * @param vmId - the VM the image belongs to, for the error.
 * @returns the parsed file and its segments.
 * @throws {HypervisorError} `BAD_IMAGE` when it is not a valid ELF or not for aarch64 (183).
 */
export function readAarch64Image(
  bytes: Uint8Array,
  what: string,
  vmId?: number,
): { elf: ElfFile; segments: HypSegment[] } {
  const id = vmId === undefined ? {} : { vmId };
  let elf: ElfFile;
  try {
    elf = parseElf(bytes);
  } catch (e) {
    throw imageError(e, what, vmId);
  }
  if (elf.header.machine !== 183)
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      ...id,
      message: `${what} is for machine ${elf.header.machine}, not aarch64 (183)`,
    });
  const segments: HypSegment[] = [];
  for (const p of elf.loadSegments()) {
    if (p.type !== PT_LOAD || p.memsz === 0) continue;
    segments.push({
      addr: p.paddr,
      memsz: Number(p.memsz),
      data: p.data.subarray(0, Number(p.filesz)),
    });
  }
  return { elf, segments };
}

/**
 * Turns an {@link ElfError} met while reading an image into `BAD_IMAGE`; anything else is
 * returned unchanged (to be rethrown).
 * @param e - what was thrown.
 * @param what - how the message names the image.
 * @param vmId - the VM the image belongs to.
 * @returns the error to throw.
 * @internal
 */
export function imageError(e: unknown, what: string, vmId?: number): unknown {
  if (!ElfError.isInstance(e)) return e;
  return new HypervisorError({
    code: 'BAD_IMAGE',
    ...(vmId === undefined ? {} : { vmId }),
    cause: e,
    message: `${what} is not a valid ELF: ${e.message}`,
  });
}
