#!/usr/bin/env node
// Records `aarch64-linux-gnu-objdump -d` for every instruction of the ELFs given, as JSON
// [[addressHex, wordHex, text], ...] (deduplicated by word and text), with objdump's
// ` <symbol>` suffixes and `// comments` removed. Lines objdump shows as data (.word) are skipped.
import { execFileSync } from 'node:child_process';

const seen = new Set();
const rows = [];
for (const file of process.argv.slice(2)) {
  const out = execFileSync('aarch64-linux-gnu-objdump', ['-d', file], {
    maxBuffer: 1 << 28,
  }).toString();
  for (const line of out.split('\n')) {
    const m = /^\s+([0-9a-f]+):\t([0-9a-f]{8}) \t(.*)$/.exec(line);
    if (!m) continue;
    let text = m[3]
      .replace(/\s*\/\/.*$/, '')
      .replace(/ <[^>]*>$/, '')
      .trimEnd();
    if (text.startsWith('.word')) continue;
    const k = `${m[2]}|${text}`;
    if (seen.has(k)) continue;
    seen.add(k);
    rows.push([m[1], m[2], text]);
  }
}
process.stdout.write('[\n' + rows.map((r) => JSON.stringify(r)).join(',\n') + '\n]\n');
