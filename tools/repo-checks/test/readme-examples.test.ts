// The README examples and the packed packages, as a user gets them: tools/scripts/pack-check.mjs
// packs every published package, installs each tarball into a fresh project and imports and
// require()s every subpath, then compiles every README `ts` block with tsc --strict --module
// nodenext against the installed tarballs and runs the `ts run` ones.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishedPackages, root } from './repo.js';

const built = publishedPackages().every((p) => fs.existsSync(path.join(p.dir, 'dist')));

describe.skipIf(!built)('pack-check: packed packages and README examples', () => {
  it(
    'installs and loads every package and compiles (and runs) every README example',
    { timeout: 600_000 },
    () => {
      const r = spawnSync(process.execPath, [path.join(root, 'tools/scripts/pack-check.mjs')], {
        cwd: root,
        encoding: 'utf8',
        timeout: 590_000,
      });
      const out = r.stdout;
      const failures = out.split('\n').filter((l) => l.startsWith('FAIL') || l.startsWith('     '));
      expect(failures).toEqual([]);
      expect(r.status).toBe(0);
      for (const p of publishedPackages()) {
        expect(out).toContain(`ok   ${p.pj.name} (`);
        // each README has at least one example, and it is checked
        const readme = path.relative(root, path.join(p.dir, 'README.md'));
        expect(out).toMatch(
          new RegExp(`^ok   README block at ${readme.replace(/[.]/g, '\\.')}:\\d+`, 'm'),
        );
      }
      expect(out).toMatch(/\(compiled and run\)/);
    },
  );
});
