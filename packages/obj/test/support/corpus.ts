// SPDX-License-Identifier: MIT
// The committed C corpus (test/programs/*.bpf.o).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const programsDir = fileURLToPath(new URL('../programs/', import.meta.url));
export const corpus = [
  'globals',
  'maps',
  'legacy',
  'loops',
  'callbacks',
  'shared-globals',
] as const;
/** Every committed object, the conformance-plugin one included. */
export const allObjects = [...corpus, 'conformance-main'] as const;
export const objectBytes = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(`${programsDir}${name}.bpf.o`));
