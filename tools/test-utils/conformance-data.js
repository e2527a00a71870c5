// Parser for the bpf_conformance / uBPF `.data` test format: sections started by `-- name`
// (`asm`, `raw`, `mem`, `result`, `error`, ...), `#` comments, blank lines ignored.

/**
 * @param {string} text - contents of a `.data` file.
 * @returns {import('./conformance-data.d.ts').ConformanceCase}
 */
export function parseConformanceData(text) {
  /** @type {Record<string, string[]>} */
  const sections = {};
  let current = null;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/#.*/, '').trim();
    const m = /^--\s*(.*)$/.exec(line);
    if (m) {
      current = m[1].trim().toLowerCase();
      sections[current] ??= [];
    } else if (current !== null) {
      if (current === 'asm' ? rawLine.replace(/#.*/, '').trim() !== '' : line !== '')
        sections[current].push(current === 'asm' ? rawLine : line);
    }
  }
  const toU64 = (t) => {
    const s = t.trim();
    const neg = s.startsWith('-');
    const body = neg ? s.slice(1) : s;
    const v = /^0x/i.test(body) ? BigInt('0x' + body.slice(2)) : BigInt(body);
    return BigInt.asUintN(64, neg ? -v : v);
  };
  const mem = (sections.mem ?? [])
    .join(' ')
    .split(/\s+/)
    .filter(Boolean)
    .map((b) => parseInt(b, 16));
  let raw;
  if (sections.raw) {
    raw = new Uint8Array(sections.raw.length * 8);
    const view = new DataView(raw.buffer);
    sections.raw.forEach((w, i) => view.setBigUint64(i * 8, toU64(w), true));
  }
  return {
    asm: sections.asm ? sections.asm.join('\n') : undefined,
    raw,
    mem: sections.mem ? new Uint8Array(mem) : undefined,
    result: sections.result && sections.result.length > 0 ? toU64(sections.result[0]) : undefined,
    error: sections.error ? sections.error.join('\n') : undefined,
  };
}

/**
 * Parses a `.hex` file of pre-assembled bytecode (hex digits, whitespace ignored).
 * @param {string} text
 * @returns {Uint8Array}
 */
export function parseHexBytes(text) {
  const hex = text.replace(/\s+/g, '');
  if (hex.length % 2 !== 0 || /[^0-9a-fA-F]/.test(hex)) throw new Error('malformed hex bytes');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
