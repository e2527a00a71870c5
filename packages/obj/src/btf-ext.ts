// SPDX-License-Identifier: MIT
// `.BTF.ext` line info: instruction offsets of each program section mapped to C source lines.
// Layout facts: Linux Documentation/bpf/btf.rst §4.2 (struct btf_ext_header, bpf_line_info).
import type { Btf } from './btf.js';
import { BTF_MAGIC } from './btf.js';
import { ObjError } from './errors.js';

/** One `bpf_line_info` record. */
export interface SourceLine {
  /** Byte offset of the instruction in its section. */
  insnOffset: number;
  /** Source file name. */
  file: string;
  /** Source line text (as clang recorded it). */
  text: string;
  /** 1-based line number. */
  line: number;
  /** 1-based column (0 when unknown). */
  column: number;
}

/**
 * Parses the line info of a `.BTF.ext` section.
 * @param data - the section bytes.
 * @param btf - the object's `.BTF` (its string table names sections, files and lines).
 * @returns section name → records sorted by instruction offset.
 * @throws {ObjError} `INVALID_BTF` (section `.BTF.ext`) for malformed data.
 */
export function parseLineInfo(data: Uint8Array, btf: Btf): Map<string, SourceLine[]> {
  const fail = (offset: number, message: string): never => {
    throw new ObjError({ code: 'INVALID_BTF', message, section: '.BTF.ext', offset });
  };
  if (data.length < 24) fail(0, 'btf.ext header truncated');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (view.getUint16(0, true) !== BTF_MAGIC) fail(0, 'bad btf.ext magic');
  const hdrLen = view.getUint32(4, true);
  const lineOff = view.getUint32(16, true);
  const lineLen = view.getUint32(20, true);
  const out = new Map<string, SourceLine[]>();
  if (lineLen === 0) return out;
  const start = hdrLen + lineOff;
  const end = start + lineLen;
  if (hdrLen < 24 || end > data.length || lineLen < 4)
    fail(16, 'btf.ext line info outside the section');
  const recSize = view.getUint32(start, true);
  if (recSize < 16) fail(start, `btf.ext line info record size \`${recSize}\` is below 16`);
  let p = start + 4;
  while (p < end) {
    if (p + 8 > end) fail(p, 'btf.ext line info section header truncated');
    const section = btf.stringAt(view.getUint32(p, true));
    const count = view.getUint32(p + 4, true);
    p += 8;
    if (count * recSize > end - p) fail(p, `btf.ext line info of \`${section}\` truncated`);
    const records: SourceLine[] = [];
    for (let i = 0; i < count; i++, p += recSize) {
      const lineCol = view.getUint32(p + 12, true);
      records.push({
        insnOffset: view.getUint32(p, true),
        file: btf.stringAt(view.getUint32(p + 4, true)),
        text: btf.stringAt(view.getUint32(p + 8, true)).trim(),
        line: lineCol >>> 10,
        column: lineCol & 0x3ff,
      });
    }
    records.sort((a, b) => a.insnOffset - b.insnOffset);
    out.set(section, records);
  }
  return out;
}
