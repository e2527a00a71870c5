// SPDX-License-Identifier: MIT
// Loading cost of the corpus objects: parseElf alone (the baseline) against EbpfObject.parse
// (BTF, maps, relocation tables) and loadObject (parse + map creation + linking every program).
import { readFileSync } from 'node:fs';
import { parseElf } from '../src/elf/index.js';
import { EbpfObject, loadObject } from '../src/index.js';

const names = ['globals', 'maps', 'legacy'];
const objects = names.map(
  (n) => new Uint8Array(readFileSync(new URL(`../test/programs/${n}.bpf.o`, import.meta.url))),
);

function time(label: string, fn: () => void, iterations = 2000): number {
  for (let i = 0; i < 200; i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const us = Number(process.hrtime.bigint() - start) / 1000 / iterations;
  console.log(`${label.padEnd(44)} ${us.toFixed(1).padStart(7)} µs/op`);
  return us;
}

const base = time('parseElf + symbols + relocations (baseline)', () => {
  for (const o of objects) {
    const e = parseElf(o);
    e.symbols();
    e.relocationSections();
  }
});
const parse = time('EbpfObject.parse', () => {
  for (const o of objects) EbpfObject.parse(o);
});
let fd = 3;
const load = time('loadObject (maps + link every program)', () => {
  for (const o of objects) loadObject(o, () => fd++);
});
console.log(
  `ratios vs baseline: parse ${(parse / base).toFixed(2)}x, load ${(load / base).toFixed(2)}x (3 objects, ${objects.reduce((s, o) => s + o.length, 0)} bytes)`,
);
