#!/usr/bin/env node
// `pnpm fuzz <target> [args]`: runs one fuzz target by name. Each target is a script in a
// package (run with tsx, from that package's directory); add a target by adding a row here.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** target name -> [package directory, script, what it does] */
const TARGETS = {
  ebpf: ['packages/kbpf-basic', 'fuzz/ebpf-cli.ts', 'random eBPF programs on both engines and the verifier (--count N --seed S --verify-every K)'],
};

const [target, ...args] = process.argv.slice(2);
if (target === undefined || !(target in TARGETS)) {
  console.error(`usage: pnpm fuzz <target> [options]\ntargets:\n${Object.entries(TARGETS).map(([name, [, , what]]) => `  ${name.padEnd(10)} ${what}`).join('\n')}`);
  process.exit(target === undefined || target === '--help' ? 0 : 2);
}
const [dir, script] = TARGETS[target];
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const r = spawnSync(tsx, [script, ...args], { cwd: join(root, dir), stdio: 'inherit' });
process.exit(r.status ?? 1);
