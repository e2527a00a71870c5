// Whether a command-line tool (a Debian package the oracle tests use: gcc, clang, nm, readelf,
// llvm-objdump, qemu-*) is installed. Tests that need one skip when it is missing and say so.
import { spawnSync } from 'node:child_process';

const cache = new Map();

/**
 * @param {string} tool - the command, e.g. `aarch64-linux-gnu-gcc`.
 * @returns {boolean} true when `<tool> --version` runs and exits 0.
 */
export function hasTool(tool) {
  let found = cache.get(tool);
  if (found === undefined) {
    found = spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
    cache.set(tool, found);
  }
  return found;
}
