// The repository is formatted by prettier (prettier.config.js): `pnpm format:check`, run here so
// that `pnpm test` (and so CI) enforces it.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './repo.js';

describe('formatting', () => {
  it('every file is as prettier writes it', { timeout: 300_000 }, () => {
    const r = spawnSync(
      process.execPath,
      [path.join(root, 'node_modules/prettier/bin/prettier.cjs'), '--check', '.'],
      { cwd: root, encoding: 'utf8' },
    );
    const unformatted = r.stdout
      .split('\n')
      .filter((l) => l.startsWith('[warn] ') && !l.includes('Code style issues'));
    expect(unformatted).toEqual([]);
    expect(r.status).toBe(0);
  });
});
