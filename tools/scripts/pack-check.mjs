#!/usr/bin/env node
// Packs every published workspace package (`pnpm pack`, which rewrites workspace: ranges), then
// for each one installs its tarball (plus the tarballs of the sibling packages it depends on)
// into a fresh temporary npm project and imports every subpath of its `exports` map in Node.
// This shows each package installs and loads on its own, from what would be published.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'axebpf-pack-'));
const only = process.argv.slice(2);

const pkgs = new Map();
for (const dir of fs.readdirSync(path.join(root, 'packages'))) {
  const pj = JSON.parse(fs.readFileSync(path.join(root, 'packages', dir, 'package.json'), 'utf8'));
  if (!pj.private) pkgs.set(pj.name, { dir: path.join(root, 'packages', dir), pj });
}
for (const { dir } of pkgs.values()) {
  execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: dir, stdio: 'ignore' });
}
const tarballOf = (name) =>
  path.join(work, `${name.replace('@', '').replace('/', '-')}-${pkgs.get(name).pj.version}.tgz`);

function siblingClosure(name, seen = new Set()) {
  if (seen.has(name)) return seen;
  seen.add(name);
  const { pj } = pkgs.get(name);
  // optional peers too: a subpath that needs one (axebpf/hprobe needs @axebpf/kprobe) is
  // checked with it installed
  for (const dep of [...Object.keys(pj.dependencies ?? {}), ...Object.keys(pj.peerDependencies ?? {})]) if (pkgs.has(dep)) siblingClosure(dep, seen);
  return seen;
}

let passed = 0;
let failed = 0;
for (const [name, { pj }] of pkgs) {
  if (only.length > 0 && !only.includes(name)) continue;
  const project = fs.mkdtempSync(path.join(work, 'install-'));
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'pack-check', private: true, type: 'module' }));
  const subpaths = Object.keys(pj.exports ?? { '.': {} }).filter((s) => !s.endsWith('package.json'));
  try {
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...[...siblingClosure(name)].map(tarballOf)], { cwd: project, stdio: 'pipe' });
    const specs = subpaths.map((s) => (s === '.' ? name : `${name}/${s.slice(2)}`));
    const script = specs.map((s) => `await import(${JSON.stringify(s)});`).join('\n');
    execFileSync('node', ['--input-type=module', '-e', script], { cwd: project, stdio: 'pipe' });
    console.log(`ok   ${name} (${specs.join(', ')})`);
    passed++;
  } catch (error) {
    console.log(`FAIL ${name}: ${String(error.stderr ?? error.message).trim().split('\n').slice(0, 5).join('\n     ')}`);
    failed++;
  }
}
fs.rmSync(work, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
