// `trace stream` in the interactive shell stops on q or Enter (a pseudo-terminal driven by
// test/fixtures/stream-key.py; skipped without python3).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/axvisor.js', import.meta.url));
const driver = fileURLToPath(new URL('./fixtures/stream-key.py', import.meta.url));
const hasPython = spawnSync('python3', ['--version']).status === 0;
const built = existsSync(fileURLToPath(new URL('../dist/cli.js', import.meta.url)));

describe.skipIf(!built || !hasPython)(
  'trace stream in the interactive shell (needs python3 for a pty)',
  () => {
    it.each(['q', 'enter'])(
      'stops on %s long before its 1000 s of virtual time, and the shell goes on',
      (key) => {
        const r = spawnSync('python3', [driver, bin, key], { encoding: 'utf8', timeout: 240_000 });
        expect(r.stdout).toMatch(/Stream stopped\. \d+ events displayed\./);
        expect(r.stdout).not.toContain('Reached limit');
        expect(r.stdout).toMatch(/vm1\s+hello\s+Running/); // stopped early: the hello guest still runs
        expect(r.stdout).not.toMatch(/unknown command `q`/);
      },
      250_000,
    );
  },
);
