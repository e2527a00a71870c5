// SPDX-License-Identifier: MIT
// Fuzz harness of the EL2 image reader (issue 25, item 4): mutants of the bundled hyp.elf,
// most mutations aimed at the ELF header, section headers and `.symtab`. `new HypImage(bytes)`
// must succeed or throw HypervisorError BAD_IMAGE; an ElfError, TypeError or RangeError is a
// finding.
import {
  bundledHypImage,
  HypervisorError,
  HypImage,
} from '../../../packages/axvisor-vmm/dist/index.js';
import { parseElf } from '../../../packages/obj/dist/elf.js';
import { mutateBytes, rng } from './rng.mjs';

/**
 * @param {{ count: number, deadline: number, seed: number }} options
 * @returns {{ runs: number, finding?: string, summary: string }}
 */
export function fuzz({ count, deadline, seed }) {
  const r = rng(seed);
  const good = bundledHypImage().bytes;
  const elf = parseElf(good);
  const hot = [[0, 64]];
  for (const s of elf.sections) {
    hot.push([s.headerOffset, s.headerOffset + 64]);
    if (s.name === '.symtab' || s.name === '.strtab' || s.name === '.shstrtab')
      hot.push([s.offset, s.offset + Math.min(s.size, 2048)]);
  }
  let runs = 0;
  let ok = 0;
  let bad = 0;
  for (; runs < count && performance.now() < deadline; runs++) {
    const bytes = mutateBytes(r, good, hot);
    try {
      new HypImage(bytes);
      ok++;
    } catch (e) {
      if (HypervisorError.isInstance(e) && e.code === 'BAD_IMAGE') {
        bad++;
        continue;
      }
      const diff = [];
      for (let i = 0; i < bytes.length && diff.length < 16; i++)
        if (bytes[i] !== good[i]) diff.push(`0x${i.toString(16)}: ${good[i]} -> ${bytes[i]}`);
      return {
        runs: runs + 1,
        finding: `mutant of hyp.elf (${diff.join(', ')}):\n${e instanceof Error ? e.stack : String(e)}`,
        summary: '',
      };
    }
  }
  return { runs, summary: `${ok} parsed, ${bad} refused with BAD_IMAGE` };
}
