import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasTool } from '@axebpf/test-utils/tools';

const root = fileURLToPath(new URL('..', import.meta.url));
const guests = ['hello', 'worker', 'hcall', 'ticker', 'smp', 'mmu', 'kprobe', 'cluster'];
const guestFile = (g: string, f: string) =>
  existsSync(join(root, 'guests', g, f))
    ? readFileSync(join(root, 'guests', g, f), 'utf8').trim()
    : undefined;

/**
 * Runs a guest on qemu-system-aarch64 as scripts/build-guests.sh does: -smp from cpus.txt, the
 * machine and CPU from qemu.args; a guest that runs until stopped (marker.txt) is killed once
 * the marker line is out, and its output is kept up to that line.
 */
function qemu(g: string): Promise<{ out: string; timedOut: boolean }> {
  const machine = (guestFile(g, 'qemu.args') ?? '-machine virt -cpu cortex-a57').split(/\s+/);
  const marker = guestFile(g, 'marker.txt');
  // One host thread for all vCPUs (as scripts/build-guests.sh records the goldens): with QEMU's
  // multi-threaded TCG the cluster guest stopped making progress in 2 of 16 stress runs (ten
  // QEMUs at once, about 1 in 20,000 rounds), never in 10 single-threaded ones nor under the
  // deterministic VMM; the cause is not found yet (unfinished).
  const args = [
    ...machine,
    '-accel',
    'tcg,thread=single',
    '-smp',
    guestFile(g, 'cpus.txt') ?? '1',
    '-m',
    '128M',
    '-nographic',
    '-nic',
    'none',
    '-kernel',
    join(root, 'guests', g, 'guest.elf'),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('qemu-system-aarch64', args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill();
    }, 20_000);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      const at = marker === undefined ? -1 : out.indexOf(marker);
      if (at >= 0 && out.indexOf('\n', at) >= 0) {
        out = out.slice(0, out.indexOf('\n', at) + 1);
        child.kill();
      }
    });
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({ out, timedOut });
    });
  });
}
const hasGcc = hasTool('aarch64-linux-gnu-gcc');
const hasQemu = hasTool('qemu-system-aarch64');

describe('guest images', () => {
  it.skipIf(!hasGcc)(
    'rebuild byte for byte from their sources (skipped without aarch64-linux-gnu-gcc)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'axvisor-guests-'));
      cpSync(join(root, 'guests'), join(dir, 'guests'), { recursive: true });
      cpSync(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true });
      execFileSync('sh', [join(dir, 'scripts/build-guests.sh')], {
        stdio: 'pipe',
        env: { ...process.env, PATH: `${process.env['PATH']}` },
      });
      for (const g of guests) {
        expect([
          g,
          Buffer.compare(
            readFileSync(join(dir, 'guests', g, 'guest.elf')),
            readFileSync(join(root, 'guests', g, 'guest.elf')),
          ),
        ]).toEqual([g, 0]);
      }
    },
    120_000,
  );

  it.skipIf(!hasQemu)(
    'print the recorded console output on qemu-system-aarch64 -M virt (skipped without qemu-system-arm)',
    async () => {
      for (const g of guests) {
        let run = await qemu(g);
        // a run that times out (see above) is tried once more, and the test says which guest it was
        if (run.timedOut) run = await qemu(g);
        expect([g, run.timedOut]).toEqual([g, false]);
        expect([g, run.out]).toEqual([
          g,
          readFileSync(join(root, 'guests', g, 'qemu.console.txt'), 'utf8'),
        ]);
      }
    },
    150_000,
  );
});
