// SPDX-License-Identifier: MIT
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasTool } from '@axebpf/test-utils/tools';

const haveToolchain = hasTool('aarch64-linux-gnu-gcc') && hasTool('aarch64-linux-gnu-objcopy');
const script = fileURLToPath(new URL('../scripts/build-programs.sh', import.meta.url));
const committed = fileURLToPath(new URL('./programs/', import.meta.url));

describe('committed test program', () => {
  it.skipIf(!haveToolchain)(
    'is what scripts/build-programs.sh builds from probes.S (needs aarch64-linux-gnu-gcc)',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'kprobe-programs-'));
      try {
        execFileSync('sh', [script], { env: { ...process.env, OUT: out }, stdio: 'pipe' });
        expect(
          readFileSync(join(out, 'probes.bin')).equals(readFileSync(join(committed, 'probes.bin'))),
        ).toBe(true);
        expect(readFileSync(join(out, 'probes.syms.json'), 'utf8')).toBe(
          readFileSync(join(committed, 'probes.syms.json'), 'utf8'),
        );
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );
});
