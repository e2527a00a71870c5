#!/usr/bin/env node
// Development aid for the FP/SIMD oracle: runs test/risu/<class>.elf in the emulator against
// qemu's -d cpu,fpu trace (test/risu/<class>.cpu.log.gz) record by record, and on every
// difference prints the instruction before it, then copies qemu's state into the emulator
// and goes on (so one run lists every differing instruction, not only the first).
// usage: node scripts/risu-diff.mjs simd-vec [more classes]   (needs the package built)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execSync } from 'node:child_process';
import { Cpu, formatCpuStateFp, runLinuxProgram } from '../dist/index.js';

const dir = join(import.meta.dirname, '..', 'test', 'risu');
for (const cls of process.argv.slice(2)) {
  const log = gunzipSync(readFileSync(join(dir, `${cls}.cpu.log.gz`))).toString();
  const lines = log.split('\n');
  const recs = [];
  for (let i = 0; i + 28 <= lines.length; i += 28)
    recs.push(lines.slice(i, i + 28).join('\n') + '\n');
  const dis = new Map();
  for (const l of execSync(`aarch64-linux-gnu-objdump -d ${join(dir, cls + '.elf')}`)
    .toString()
    .split('\n')) {
    const m = /^\s+([0-9a-f]+):\s+([0-9a-f]{8})\s+(.*)$/.exec(l);
    if (m) dis.set(parseInt(m[1], 16), `${m[2]} ${m[3]}`);
  }
  const sp = BigInt('0x' + /SP=([0-9a-f]{16})/.exec(log)[1]);
  let k = 0,
    prevPc = 0,
    bad = 0;
  Cpu.defaultJitThreshold = Infinity;
  runLinuxProgram(readFileSync(join(dir, `${cls}.elf`)), {
    initialSp: sp,
    initialNzcv: parseInt(/PSTATE=([0-9a-f]{8})/.exec(log)[1], 16) >>> 28,
    trace: (c) => {
      const want = recs[k++];
      if (want === undefined) return;
      const got = formatCpuStateFp(c);
      if (got !== want) {
        bad++;
        const g = got.split('\n'),
          w = want.split('\n');
        const diffs = g
          .map((x, i) => (x !== w[i] ? `    emu ${x}\n    qemu ${w[i]}` : ''))
          .filter(Boolean)
          .join('\n');
        console.log(`${cls} @${prevPc.toString(16)}: ${dis.get(prevPc)}\n${diffs}`);
        // resynchronise from qemu's record
        for (const m of want.matchAll(/X(\d\d)=([0-9a-f]{16})/g))
          c.setX(+m[1], BigInt('0x' + m[2]));
        for (const m of want.matchAll(/Q(\d\d)=([0-9a-f]{16}):([0-9a-f]{16})/g))
          c.setV(+m[1], (BigInt('0x' + m[2]) << 64n) | BigInt('0x' + m[3]));
        c.fpsr = parseInt(/FPSR=([0-9a-f]{8})/.exec(want)[1], 16);
        c.nzcv = parseInt(/PSTATE=([0-9a-f]{8})/.exec(want)[1], 16) >>> 28;
      }
      prevPc = Number(c.pc);
    },
  });
  console.log(`${cls}: ${recs.length} records, ${bad} differences`);
}
