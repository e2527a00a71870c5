#!/usr/bin/env node
// Packs every published workspace package (`pnpm pack`, which rewrites workspace: ranges), then
// for each one installs its tarball (plus the tarballs of the sibling packages it depends on)
// into a fresh temporary npm project and imports (and require()s) every subpath of its `exports`
// map in Node. This shows each package installs and loads on its own, from what would be published.
//
// Then the README examples: every ```ts block of every package README is a complete file a
// reader can paste. All tarballs are installed into one more project, each block is written there
// as a file, and `tsc --strict --module nodenext` compiles them all; blocks whose info string says
// `ts run` are run with node as well (from the project directory). A block marked `ts fragment`
// is an excerpt and is skipped. Errors are reported at the README line.
//
// Usage: node tools/scripts/pack-check.mjs [--no-readme] [package names...]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'axebpf-pack-'));
const args = process.argv.slice(2);
const readmes = !args.includes('--no-readme');
const only = args.filter((a) => !a.startsWith('--'));

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
  for (const dep of [
    ...Object.keys(pj.dependencies ?? {}),
    ...Object.keys(pj.peerDependencies ?? {}),
  ])
    if (pkgs.has(dep)) siblingClosure(dep, seen);
  return seen;
}

/**
 * The ```ts blocks of a README: `{ line, info, code }`, line = the README line of the block's
 * first code line (1-based).
 */
function tsBlocks(text) {
  const blocks = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|typescript)\b(.*)$/.exec(lines[i]);
    if (open === null) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    blocks.push({
      line: start + 1,
      info: open[2].trim().split(/\s+/).filter(Boolean),
      code: lines.slice(start, end).join('\n') + '\n',
    });
    i = end;
  }
  return blocks;
}

/** Type-checks (and runs, where marked) every README block against the installed tarballs. */
function checkReadmes() {
  let ok = 0;
  let bad = 0;
  const project = fs.mkdtempSync(path.join(work, 'readmes-'));
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'readme-check', private: true, type: 'module' }),
  );
  const wanted = [...pkgs.keys()].filter((n) => only.length === 0 || only.includes(n));
  const all = new Set(wanted.flatMap((n) => [...siblingClosure(n)]));
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...[...all].map(tarballOf)],
    { cwd: project, stdio: 'pipe' },
  );
  const files = [];
  for (const name of wanted) {
    const { dir } = pkgs.get(name);
    const readme = path.join(dir, 'README.md');
    if (!fs.existsSync(readme)) continue;
    for (const [k, b] of tsBlocks(fs.readFileSync(readme, 'utf8')).entries()) {
      if (b.info.includes('fragment')) continue;
      const file = `${path.basename(dir)}-${k + 1}.ts`;
      fs.writeFileSync(path.join(project, file), b.code);
      files.push({
        file,
        readme: path.relative(root, readme),
        line: b.line,
        run: b.info.includes('run'),
        name,
      });
    }
  }
  // the settings of a fresh `tsc --init` that matter here, with Node's own module rules
  const tsconfig = {
    compilerOptions: {
      strict: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: true,
      outDir: 'out',
      types: ['node'],
      typeRoots: [path.join(root, 'node_modules/@types')],
      noEmitOnError: false,
    },
    files: files.map((f) => f.file),
  };
  fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  let diagnostics = '';
  try {
    execFileSync('node', [tsc, '-p', '.', '--pretty', 'false'], {
      cwd: project,
      stdio: 'pipe',
      encoding: 'utf8',
    });
  } catch (error) {
    diagnostics = String(error.stdout ?? '') + String(error.stderr ?? '');
  }
  for (const f of files) {
    const errors = diagnostics
      .split('\n')
      .map((l) => /^(.+?)\((\d+),(\d+)\): (error .*)$/.exec(l))
      .filter((m) => m !== null && m[1] === f.file)
      .map((m) => `${f.readme}:${f.line + Number(m[2]) - 1}:${m[3]}: ${m[4]}`);
    let runError;
    if (errors.length === 0 && f.run) {
      try {
        execFileSync('node', [path.join('out', f.file.replace(/\.ts$/, '.js'))], {
          cwd: project,
          stdio: 'pipe',
          encoding: 'utf8',
          timeout: 120_000,
        });
      } catch (error) {
        runError = String(error.stderr || error.message)
          .trim()
          .split('\n')
          .slice(0, 5)
          .join('\n     ');
      }
    }
    const what = `README block at ${f.readme}:${f.line}${f.run ? ' (compiled and run)' : ' (compiled)'}`;
    if (errors.length === 0 && runError === undefined) {
      console.log(`ok   ${what}`);
      ok++;
    } else {
      console.log(
        `FAIL ${what}\n     ${[...errors, ...(runError === undefined ? [] : [runError])].join('\n     ')}`,
      );
      bad++;
    }
  }
  return { passed: ok, failed: bad };
}

let passed = 0;
let failed = 0;
for (const [name, { pj }] of pkgs) {
  if (only.length > 0 && !only.includes(name)) continue;
  const project = fs.mkdtempSync(path.join(work, 'install-'));
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'pack-check', private: true, type: 'module' }),
  );
  const subpaths = Object.keys(pj.exports ?? { '.': {} }).filter(
    (s) => !s.endsWith('package.json'),
  );
  try {
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...[...siblingClosure(name)].map(tarballOf),
      ],
      { cwd: project, stdio: 'pipe' },
    );
    const specs = subpaths.map((s) => (s === '.' ? name : `${name}/${s.slice(2)}`));
    const script = specs.map((s) => `await import(${JSON.stringify(s)});`).join('\n');
    execFileSync('node', ['--input-type=module', '-e', script], { cwd: project, stdio: 'pipe' });
    // CommonJS consumers: the `default` condition lets require() load the ES modules (Node >= 20.19)
    const cjs = specs.map((s) => `require(${JSON.stringify(s)});`).join('\n');
    execFileSync('node', ['--input-type=commonjs', '-e', cjs], { cwd: project, stdio: 'pipe' });
    console.log(`ok   ${name} (${specs.join(', ')})`);
    passed++;
  } catch (error) {
    console.log(
      `FAIL ${name}: ${String(error.stderr ?? error.message)
        .trim()
        .split('\n')
        .slice(0, 5)
        .join('\n     ')}`,
    );
    failed++;
  }
}
if (readmes) {
  const r = checkReadmes();
  passed += r.passed;
  failed += r.failed;
}
fs.rmSync(work, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
