// Runs the README's usage example (kept in sync by extracting the first ```ts block).
import { readFileSync } from 'node:fs';
import * as rbpf from '@axebpf/rbpf';
import { expect, it } from 'vitest';
import * as kbpf from '../src/index.js';

it('the README usage example runs and counts to 2', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const block = /```ts[^\n]*\n([\s\S]*?)```/.exec(readme)![1]!;
  const body = block
    .split('\n')
    .filter((l) => !l.startsWith('import '))
    .join('\n')
    .replace(/\n([^\n]*)\/\/ 2n\s*$/, '\nreturn $1');
  const fn = new Function(
    'rbpf',
    'kbpf',
    `const { ProgramBuilder, reg } = rbpf; const { BPF_FUNC, BPF_MAP_TYPE_HASH, BpfSystem, createMockPlatform } = kbpf;\n${body}`,
  );
  expect(fn(rbpf, kbpf)).toBe(2n);
});
