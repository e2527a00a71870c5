#!/usr/bin/env node
// `pnpm start`: the main job, `axvisor demo` (after `turbo run build`).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const r = spawnSync(
  process.execPath,
  [path.join(root, 'apps/axvisor-shell/bin/axvisor.js'), 'demo', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
