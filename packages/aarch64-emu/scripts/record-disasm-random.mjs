#!/usr/bin/env node
// Records objdump's disassembly of 5000 seed-reproducible random words in the integer
// encoding groups (data processing immediate/register, branches/system, general-register
// loads/stores) as JSON [[addressHex, wordHex, text], ...] for test/disasm.test.ts.
// objdump prints PC-relative targets of a raw binary with a `0x` prefix; it is removed here
// to match its ELF output style. Needs binutils-aarch64-linux-gnu.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const N = 5000;
const M = (1n << 64n) - 1n;
let s = 7n;
const buf = Buffer.alloc(4 * N);
for (let i = 0; i < N; i++) {
  s = (s * 6364136223846793005n + 1442695040888963407n) & M;
  let w = Number(s >> 32n) >>> 0;
  const cls = i % 4;
  if (cls === 0) w = (w & ~(0b1110 << 25)) | (0b1000 << 25);
  else if (cls === 1) w = (w & ~(0b1110 << 25)) | (0b1010 << 25);
  else if (cls === 2) w = ((w & ~(0b0101 << 25)) | (0b0100 << 25)) & ~(1 << 26);
  else w = (w & ~(0b0111 << 25)) | (0b0101 << 25);
  buf.writeUInt32LE(w >>> 0, i * 4);
}
const dir = mkdtempSync(join(tmpdir(), 'disasm-'));
writeFileSync(join(dir, 'r.bin'), buf);
const out = execFileSync(
  'aarch64-linux-gnu-objdump',
  ['-D', '-b', 'binary', '-m', 'aarch64', join(dir, 'r.bin')],
  { maxBuffer: 1 << 26 },
).toString();
rmSync(dir, { recursive: true });
const rows = [];
for (const line of out.split('\n')) {
  const m = /^\s+([0-9a-f]+):\t([0-9a-f]{8}) \t(.*)$/.exec(line);
  if (!m) continue;
  let t = m[3]
    .replace(/\s*\/\/.*$/, '')
    .replace(/ <[^>]*>$/, '')
    .trimEnd();
  if (
    /^(b\.|b\t|bl\t|cbn?z|tbn?z|adrp?\t|ldr\t[wx](?:\d+|zr), 0x|ldrsw\t[wx](?:\d+|zr), 0x|prfm\t[#a-z0-9]+, 0x)/.test(
      t,
    )
  )
    t = t.replace(/0x([0-9a-f]+)$/, '$1');
  rows.push([m[1], m[2], t]);
}
process.stdout.write('[\n' + rows.map((r) => JSON.stringify(r)).join(',\n') + '\n]\n');
