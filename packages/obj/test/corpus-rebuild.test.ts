// SPDX-License-Identifier: MIT
// The committed objects are what scripts/build-programs.sh produces from the committed C
// sources (when clang is installed): every non-DWARF section is byte-identical.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseElf } from '../src/elf/index.js';
import { allObjects, objectBytes } from './support/corpus.js';

const hasClang = (() => {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    execFileSync('gcc', ['-dumpmachine'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasClang) console.log('clang not installed: corpus rebuild comparison skipped');

describe.skipIf(!hasClang)('corpus rebuild', () => {
  const out = mkdtempSync(join(tmpdir(), 'obj-corpus-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('rebuilds with clang -O2 -g -target bpf and matches the committed objects', () => {
    execFileSync(
      'sh',
      [fileURLToPath(new URL('../scripts/build-programs.sh', import.meta.url)), out],
      { stdio: 'pipe' },
    );
    for (const name of allObjects) {
      const committed = parseElf(objectBytes(name));
      const rebuilt = parseElf(new Uint8Array(readFileSync(join(out, `${name}.bpf.o`))));
      const names = (e: typeof committed): string[] =>
        e.sections.map((s) => s.name).filter((n) => !n.includes('.debug_'));
      expect({ name, sections: names(rebuilt) }).toEqual({ name, sections: names(committed) });
      for (const n of names(committed)) {
        if (n === '') continue;
        const same = Buffer.from(rebuilt.sectionByName(n)!.data).equals(
          Buffer.from(committed.sectionByName(n)!.data),
        );
        expect({ section: `${name} ${n}`, same }).toEqual({ section: `${name} ${n}`, same: true });
      }
    }
  });
});
