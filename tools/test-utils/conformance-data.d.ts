/** One test of the bpf_conformance `.data` format. */
export interface ConformanceCase {
  /** The `-- asm` section (comments kept out), if any. */
  asm: string | undefined;
  /** The `-- raw` section as bytecode, if any (it replaces `asm`). */
  raw: Uint8Array | undefined;
  /** Initial memory from `-- mem`. */
  mem: Uint8Array | undefined;
  /** Expected r0 from `-- result`, as an unsigned 64-bit value. */
  result: bigint | undefined;
  /** Expected error text from `-- error`. */
  error: string | undefined;
}
/** Parses the text of a `.data` file. */
export function parseConformanceData(text: string): ConformanceCase;
/** Parses pre-assembled bytecode written as hex digits. */
export function parseHexBytes(text: string): Uint8Array;
