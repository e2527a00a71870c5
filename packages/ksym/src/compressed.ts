// SPDX-License-Identifier: MIT
// The compressed container: this package's own addition, not an upstream format. It wraps a
// Starry-OS/ksym-layout blob in raw DEFLATE (node:zlib) for storage and transfer.

import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { KsymError } from './errors.js';

/** First 8 bytes of a compressed container: `KSYMZ`, format version 1, two zero bytes. */
export const COMPRESSED_MAGIC = Uint8Array.from([0x4b, 0x53, 0x59, 0x4d, 0x5a, 0x01, 0x00, 0x00]);
const HEADER_SIZE = 16;
/** Largest blob a container may announce (1 GiB). */
const MAX_RAW = 1 << 30;

/**
 * Tells whether bytes start with the compressed-container magic.
 * @param bytes - a blob or container.
 * @returns true for a compressed container.
 */
export function isCompressedBlob(bytes: Uint8Array): boolean {
  if (bytes.length < COMPRESSED_MAGIC.length) return false;
  for (let i = 0; i < COMPRESSED_MAGIC.length; i++)
    if (bytes[i] !== COMPRESSED_MAGIC[i]) return false;
  return true;
}

/**
 * Wraps a blob in the compressed container: magic (8 bytes), the blob's length (u64 LE), then
 * the blob as raw DEFLATE. A valid upstream blob can never start with the magic (its first u64
 * is the symbol count, which would not fit the blob).
 *
 * @param blob - a blob made by `buildBlob`.
 * @param level - zlib level 0..9 (default 9).
 * @returns the container.
 * @remarks Not readable by the Rust Starry-OS/ksym crate; {@link KsymTable.fromBlob} reads
 *   both forms.
 */
export function compressBlob(blob: Uint8Array, level = 9): Uint8Array {
  const body = deflateRawSync(blob, { level });
  const out = new Uint8Array(HEADER_SIZE + body.length);
  out.set(COMPRESSED_MAGIC, 0);
  new DataView(out.buffer).setBigUint64(8, BigInt(blob.length), true);
  out.set(body, HEADER_SIZE);
  return out;
}

/**
 * Unwraps a compressed container.
 * @param bytes - the container.
 * @returns the blob.
 * @throws {KsymError} `TRUNCATED` for a short header, `TOO_LARGE` for an announced size above
 *   1 GiB, `BAD_COMPRESSION` when the data does not inflate to exactly the announced size.
 */
export function decompressBlob(bytes: Uint8Array): Uint8Array {
  if (bytes.length < HEADER_SIZE || !isCompressedBlob(bytes)) {
    throw new KsymError({
      code: 'TRUNCATED',
      message: 'compressed container header is incomplete',
      offset: Math.min(bytes.length, HEADER_SIZE),
    });
  }
  const raw = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(8, true);
  if (raw > BigInt(MAX_RAW)) {
    throw new KsymError({
      code: 'TOO_LARGE',
      message: `compressed container announces ${raw} bytes`,
      offset: 8,
    });
  }
  let out: Buffer;
  try {
    out = inflateRawSync(bytes.subarray(HEADER_SIZE), {
      maxOutputLength: Math.max(1, Number(raw)),
    });
  } catch (err) {
    throw new KsymError({
      code: 'BAD_COMPRESSION',
      message: `compressed data does not inflate: ${(err as Error).message}`,
      offset: HEADER_SIZE,
      cause: err,
    });
  }
  if (out.length !== Number(raw)) {
    throw new KsymError({
      code: 'BAD_COMPRESSION',
      message: `compressed data inflates to ${out.length} bytes, not ${raw}`,
      offset: 8,
    });
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}
