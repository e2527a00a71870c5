// SPDX-License-Identifier: MIT
// Fuzz harness of @axebpf/ksym: mutated kallsyms blobs (read and queried) and mutated nm text.
// Every failure must be a KsymError.
import { readFileSync } from 'node:fs';
import { buildBlob, KsymError, KsymTable, parseNmText } from '../../../packages/ksym/dist/index.js';
import { below, mutateBytes, pick, rng } from './rng.mjs';

/**
 * @param {{ count: number, deadline: number, seed: number }} options
 * @returns {{ runs: number, finding?: string, summary: string }}
 */
export function fuzz({ count, deadline, seed }) {
  const r = rng(seed);
  const nm = readFileSync(
    new URL('../../../packages/ksym/test/fixtures/kernel-aarch64.elf.nm.txt', import.meta.url),
    'utf8',
  );
  const blob = buildBlob(parseNmText(nm)).blob;
  const lines = nm.split('\n');
  let runs = 0;
  let ok = 0;
  let bad = 0;
  for (; runs < count && performance.now() < deadline; runs++) {
    let input = '';
    try {
      if (r() < 0.7) {
        const bytes = mutateBytes(r, blob, [
          [0, Math.min(blob.length, 256)],
          [Math.max(0, blob.length - 256), blob.length],
        ]);
        input = `blob bytes differing from the built one at ${[...bytes.keys()]
          .filter((i) => bytes[i] !== blob[i])
          .slice(0, 8)
          .join(',')}`;
        const t = KsymTable.fromBlob(bytes);
        for (let k = 0; k < 8; k++)
          t.lookupAddress(BigInt(below(r, 2 ** 31)) | 0xffff800080000000n);
        t.search(pick(r, ['do', 'f', '']), { limit: 5 });
        for (let k = 0; k < Math.min(t.length ?? 0, 4); k++) t.lookupNameAll?.(`sym${k}`);
      } else {
        const text = [...lines];
        for (let k = 0; k < 1 + below(r, 4); k++) {
          const i = below(r, text.length);
          text[i] = pick(r, [
            `${text[i]} extra`,
            text[i].slice(0, below(r, text[i].length + 1)),
            `ffffffffffffffffff T big`,
            `zz T bad`,
            `${text[i]}\u0000`,
            '',
            `0 ? odd`,
            `1 T ${'x'.repeat(600)}`,
          ]);
        }
        input = `nm text: ${JSON.stringify(text.join('\n').slice(0, 400))}`;
        buildBlob(parseNmText(text.join('\n')));
      }
      ok++;
    } catch (e) {
      if (KsymError.isInstance(e)) {
        bad++;
        continue;
      }
      return {
        runs: runs + 1,
        finding: `${input}\n${e instanceof Error ? e.stack : String(e)}`,
        summary: '',
      };
    }
  }
  return { runs, summary: `${ok} accepted, ${bad} refused with KsymError` };
}
