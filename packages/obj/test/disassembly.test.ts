// SPDX-License-Identifier: MIT
// llvm-objdump's disassembly (golden files written by scripts/build-programs.sh, or a live
// llvm-objdump when installed) equals rbpf's llvm-style disassembly of the linked programs,
// except for the immediates the loader patches (map fds, data offsets, call offsets).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { disassemble, Program } from '@axebpf/rbpf';
import { EbpfObject, loadObject } from '../src/index.js';
import { corpus, objectBytes, programsDir } from './support/corpus.js';
import { hasTool } from '@axebpf/test-utils/tools';

const hasObjdump = hasTool('llvm-objdump');

/** section → slot → instruction text, from `llvm-objdump -d --no-show-raw-insn`. */
function parseObjdump(text: string): Map<string, Map<number, string>> {
  const out = new Map<string, Map<number, string>>();
  let current: Map<number, string> | undefined;
  for (const line of text.split('\n')) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) {
      current = new Map();
      out.set(sec[1]!, current);
      continue;
    }
    const insn = /^\s+(\d+):\t(.*)$/.exec(line);
    if (insn && current) current.set(Number(insn[1]), insn[2]!.replace(/ <[^>]*>$/, '').trim());
  }
  return out;
}

function compare(name: string, objdump: string): number {
  const golden = parseObjdump(objdump);
  const obj = EbpfObject.parse(objectBytes(name));
  const loaded = loadObject(
    objectBytes(name),
    (d) => 100 + obj.maps.indexOf(obj.maps.find((m) => m.name === d.name)!),
  );
  let compared = 0;
  for (const p of loaded.programs) {
    const program = Program.fromBytes(p.bytecode);
    const lines = disassemble(program, { style: 'llvm' });
    const insns = program.insns();
    for (const placed of p.functions) {
      const fn = obj.functions.find((f) => f.name === placed.name)!;
      const sectionLines = golden.get(fn.section)!;
      for (let i = 0; i < insns.length; i++) {
        const insn = insns[i]!;
        if (insn.pc < placed.start || insn.pc >= placed.start + fn.length) continue;
        const slot = fn.start + insn.pc - placed.start;
        let ours = lines[i]!;
        let theirs = sectionLines.get(slot);
        const patched =
          (insn.opcode === 0x18 && insn.src !== 0) || (insn.opcode === 0x85 && insn.src === 1);
        if (patched) {
          ours = ours.replace(/-?\d+( ll)?$/, 'IMM$1');
          theirs = theirs?.replace(/-?\d+( ll)?$/, 'IMM$1');
        }
        expect({ at: `${name} ${p.name} ${fn.section}+${slot}`, insn: ours }).toEqual({
          at: `${name} ${p.name} ${fn.section}+${slot}`,
          insn: theirs,
        });
        compared++;
      }
    }
  }
  return compared;
}

describe('disassembly matches llvm-objdump', () => {
  it.each(corpus)('%s (golden llvm-objdump output)', (name) => {
    expect(
      compare(name, readFileSync(`${programsDir}${name}.bpf.objdump.txt`, 'utf8')),
    ).toBeGreaterThan(10);
  });

  it.skipIf(!hasObjdump).each(corpus)('%s (live llvm-objdump)', (name) => {
    const text = execFileSync(
      'llvm-objdump',
      ['-d', '--no-show-raw-insn', `${programsDir}${name}.bpf.o`],
      { encoding: 'utf8' },
    );
    expect(compare(name, text)).toBeGreaterThan(10);
  });
  if (!hasObjdump) console.log('llvm-objdump not installed: live disassembly comparison skipped');
});
