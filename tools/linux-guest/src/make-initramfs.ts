// SPDX-License-Identifier: MIT
// `tsx src/make-initramfs.ts BUSYBOX OUT.cpio.gz`: writes the test initramfs.
import { readFileSync, writeFileSync } from 'node:fs';
import { buildInitramfs } from './initramfs.js';

const [busybox, out] = process.argv.slice(2);
if (busybox === undefined || out === undefined) {
  process.stderr.write('usage: make-initramfs BUSYBOX OUT.cpio.gz\n');
  process.exit(2);
}
const gz = buildInitramfs(readFileSync(busybox));
writeFileSync(out, gz);
process.stdout.write(`${out}: ${gz.length} bytes\n`);
