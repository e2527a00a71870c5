// `pnpm changeset version` must release what the pending changesets say: a package is bumped by
// the largest bump its changesets (or, in the `fixed` group, its group's changesets) name, and
// never by more — a dependency range that makes changesets escalate (a `workspace:*` peer, or a
// caret peer on a 0.x version) would release 1.0.0 from minor changesets.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, workspacePackages } from './repo.js';

type Bump = 'none' | 'patch' | 'minor' | 'major';
const order: Bump[] = ['none', 'patch', 'minor', 'major'];
const max = (a: Bump, b: Bump): Bump => (order.indexOf(a) >= order.indexOf(b) ? a : b);

/** Parses the frontmatter of every pending changeset into package → largest bump. */
function pendingBumps(): Map<string, Bump> {
  const dir = path.join(root, '.changeset');
  const bumps = new Map<string, Bump>();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.md') && n !== 'README.md')) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const front = /^---\n([\s\S]*?)\n---/.exec(text);
    if (front === null) throw new Error(`${f}: no frontmatter`);
    for (const line of front[1]!.split('\n')) {
      const m = /^\s*["']?([^"':]+)["']?\s*:\s*(patch|minor|major)\s*$/.exec(line);
      if (m === null) continue;
      bumps.set(m[1]!, max(bumps.get(m[1]!) ?? 'none', m[2] as Bump));
    }
  }
  return bumps;
}

function inc(version: string, bump: Bump): string {
  const [a, b, c] = version.split('.').map(Number) as [number, number, number];
  if (bump === 'major') return `${a + 1}.0.0`;
  if (bump === 'minor') return `${a}.${b + 1}.0`;
  if (bump === 'patch') return `${a}.${b}.${c + 1}`;
  return version;
}

interface StatusOutput {
  releases: { name: string; type: Bump; oldVersion: string; newVersion: string }[];
}

describe('release plan', () => {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'axebpf-cs-')), 'status.json');
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/@changesets/cli/bin.js'), 'status', '--output', out],
    { cwd: root, stdio: 'pipe' },
  );
  const plan = JSON.parse(fs.readFileSync(out, 'utf8')) as StatusOutput;
  const config = JSON.parse(fs.readFileSync(path.join(root, '.changeset/config.json'), 'utf8')) as {
    fixed: string[][];
  };
  const bumps = pendingBumps();
  const published = workspacePackages().filter((p) => p.pj.private !== true);

  // The bump each package may get: its own changesets, raised to its fixed group's largest.
  const allowed = (name: string): Bump => {
    let b = bumps.get(name) ?? 'none';
    for (const group of config.fixed) {
      const inGroup = (n: string): boolean =>
        group.some((g) => (g.endsWith('/*') ? n.startsWith(g.slice(0, -1)) : g === n));
      if (!inGroup(name)) continue;
      for (const [n, x] of bumps) if (inGroup(n)) b = max(b, x);
    }
    return b;
  };

  it('the pending changesets name packages of this workspace and never a major bump', () => {
    const names = new Set(workspacePackages().map((p) => p.pj.name));
    for (const [name, bump] of bumps) {
      expect({ name, known: names.has(name) }).toEqual({ name, known: true });
      expect({ name, bump }).not.toEqual({ name, bump: 'major' });
    }
  });

  it.each(published.map((p) => [p.pj.name]))(
    '%s is bumped by no more than its changesets say',
    (name) => {
      const release = plan.releases.find((r) => r.name === name);
      const want = allowed(name);
      const got: Bump = release?.type ?? 'none';
      expect({ name, bump: got }).toEqual({ name, bump: want });
      if (release !== undefined) expect(release.newVersion).toBe(inc(release.oldVersion, want));
    },
  );
});
