// SPDX-License-Identifier: MIT
// Facts of the Starry-OS/ksym blob layout (src/lib.rs, src/bin/gen_ksym.rs), see README.

/** Byte that opens and closes a token reference in a name record. */
export const TOKEN_MARKER = 0xff;
/** Token ids the upstream record format can express (1-byte ids 0..255, 2-byte ids 256..511). */
export const MAX_TOKENS_UPSTREAM = 512;
/**
 * Token ids this builder uses at most: id 511 encodes as `FF 01 FF FF`, which upstream's
 * decoder reads as id 1, so it is never emitted (crates.md §9 item 9).
 */
export const MAX_TOKENS = 511;
/** Bytes before each record's payload: type (u8) and payload length (u16 LE). */
export const RECORD_HEADER_SIZE = 3;
