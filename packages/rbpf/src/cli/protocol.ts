// SPDX-License-Identifier: MIT
// Pieces of the bpf_conformance plugin protocol shared by the plugins of this workspace.

/** Exit status and text of one plugin run. */
export interface PluginOutcome {
  /** Process exit status. */
  status: number;
  /** Text for stdout. */
  stdout: string;
  /** Text for stderr. */
  stderr: string;
}

/**
 * Parses hex bytes as the protocol sends them: two-digit bytes separated by whitespace; longer
 * even-length runs of hex digits (`b700000001000000`) are accepted too.
 * @param text - the text.
 * @param what - what it is, for the error (`memory`, `program`).
 * @returns the bytes.
 * @throws {Error} naming the first piece that is not hex bytes and its byte position.
 */
export function parseHexBytes(text: string, what: string): Uint8Array {
  const parts = text.split(/\s+/).filter((p) => p !== '');
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^[0-9a-fA-F]+$/.test(p) || (p.length > 2 && p.length % 2 !== 0)) {
      throw new Error(`${what}: \`${p}\` at byte ${bytes.length} is not hex bytes`);
    }
    if (p.length <= 2) bytes.push(parseInt(p, 16));
    else for (let i = 0; i < p.length; i += 2) bytes.push(parseInt(p.slice(i, i + 2), 16));
  }
  return Uint8Array.from(bytes);
}
