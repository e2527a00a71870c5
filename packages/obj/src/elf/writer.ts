// SPDX-License-Identifier: MIT
// In-place section content replacement (used by `ksym-gen inject`).

import { SHT_NOBITS, SHT_NULL } from './constants.js';
import { ElfError } from './errors.js';
import { parseElf } from './reader.js';
import type { ElfSection } from './types.js';

/** Options of {@link replaceSectionData}. */
export interface ReplaceSectionDataOptions {
  /** Byte written after the new content up to the section's end (default 0). */
  fill?: number;
  /**
   * When true, `sh_size` is rewritten to the new content's length (which may only shrink it);
   * when false (default) the section keeps its size and the tail is filled with `fill`.
   */
  setSize?: boolean;
}

/** What {@link replaceSectionData} changed. */
export interface ReplaceSectionDataResult {
  /** The section as it was before the change. */
  readonly section: ElfSection;
  /** Bytes of new content written. */
  readonly written: number;
  /** Bytes filled after the content. */
  readonly filled: number;
  /** The section's size after the change. */
  readonly size: number;
}

/**
 * Replaces a section's content inside an ELF64 file, in place: the file keeps its length and
 * layout, so nothing else moves. The new content must fit the space the section has in the file.
 *
 * @param bytes - the whole file; modified in place.
 * @param section - the section's name (first match) or index.
 * @param content - the new content.
 * @param options - fill byte and whether to shrink `sh_size`.
 * @returns what was written.
 * @throws {ElfError} `SECTION_NOT_FOUND`, `CONTENT_TOO_LARGE` (also for `SHT_NOBITS` sections,
 *   which have no file space), and any parse error of {@link parseElf}.
 * @example
 * ```ts
 * const image = new Uint8Array(readFileSync('kernel.elf'));
 * replaceSectionData(image, '.ksym', blob);
 * ```
 */
export function replaceSectionData(
  bytes: Uint8Array,
  section: string | number,
  content: Uint8Array,
  options: ReplaceSectionDataOptions = {},
): ReplaceSectionDataResult {
  const elf = parseElf(bytes);
  const target = typeof section === 'number' ? elf.sections[section] : elf.sectionByName(section);
  if (target === undefined || target.index === 0) {
    throw new ElfError({
      code: 'SECTION_NOT_FOUND',
      message: `no section \`${String(section)}\``,
      offset: elf.header.shoff,
      ...(typeof section === 'number' ? { section } : {}),
    });
  }
  const room = target.type === SHT_NOBITS || target.type === SHT_NULL ? 0 : target.size;
  if (content.length > room) {
    throw new ElfError({
      code: 'CONTENT_TOO_LARGE',
      message: `${content.length} byte(s) do not fit section \`${target.name}\` (${room} byte(s) in the file)`,
      offset: target.offset,
      section: target.index,
    });
  }
  const fill = options.fill ?? 0;
  bytes.set(content, target.offset);
  const filled = room - content.length;
  bytes.fill(fill, target.offset + content.length, target.offset + room);
  let size = target.size;
  if (options.setSize === true) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    view.setBigUint64(target.headerOffset + 32, BigInt(content.length), true);
    size = content.length;
  }
  return { section: target, written: content.length, filled, size };
}
