#!/usr/bin/env node
// Records qemu-aarch64's results for each ELF given: stdout (base64), exit status and the exact
// number of executed instructions (one `Trace` line per instruction with
// `-singlestep -d exec,nochain`, the final svc included). Prints JSON keyed by file name.
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';

const out = {};
for (const file of process.argv.slice(2)) {
  const run = spawnSync('qemu-aarch64', [file]);
  // stream the log through grep: it is far too large to hold in memory for long programs
  const count = spawnSync('sh', [
    '-c',
    `qemu-aarch64 -singlestep -d exec,nochain -D /dev/fd/3 "$1" 3>&1 1>/dev/null 2>/dev/null | grep -c '^Trace' || true`,
    'sh',
    file,
  ]);
  const insns = Number(count.stdout.toString().trim());
  out[basename(file)] = { stdout: run.stdout.toString('base64'), status: run.status, insns };
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
