// The `ksym` fuzz harness (tools/scripts/fuzz/ksym.mjs), run briefly on the built package
// through the root dispatcher as `pnpm fuzz ksym --count N` would (longer: `--time 600`).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dispatcher = fileURLToPath(new URL('../../../tools/scripts/fuzz.mjs', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)));

describe.skipIf(!built)('pnpm fuzz ksym (skipped before `pnpm build`)', () => {
  it('finds nothing in 1000 mutated inputs from two seeds', () => {
    for (const seed of ['1', '2']) {
      const r = spawnSync(
        process.execPath,
        [dispatcher, 'ksym', '--count', '1000', '--seed', seed],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^fuzz ksym: 1000 inputs/);
    }
  }, 180_000);

  it('refuses an unknown target and a bad count with exit 2', () => {
    expect(spawnSync(process.execPath, [dispatcher, 'nosuch'], { encoding: 'utf8' }).status).toBe(
      2,
    );
    expect(
      spawnSync(process.execPath, [dispatcher, 'ksym', '--count', '-5'], { encoding: 'utf8' })
        .status,
    ).toBe(2);
  });
});
