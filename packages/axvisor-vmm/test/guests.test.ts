import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasTool } from '@axebpf/test-utils/tools';

const root = fileURLToPath(new URL('..', import.meta.url));
const guests = ['hello', 'worker', 'hcall', 'ticker', 'smp', 'mmu', 'kprobe'];
const hasGcc = hasTool('aarch64-linux-gnu-gcc');
const hasQemu = hasTool('qemu-system-aarch64');

describe('guest images', () => {
  it.skipIf(!hasGcc)('rebuild byte for byte from their sources (skipped without aarch64-linux-gnu-gcc)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'axvisor-guests-'));
    cpSync(join(root, 'guests'), join(dir, 'guests'), { recursive: true });
    cpSync(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true });
    execFileSync('sh', [join(dir, 'scripts/build-guests.sh')], { stdio: 'pipe', env: { ...process.env, PATH: `${process.env['PATH']}` } });
    for (const g of guests) {
      expect([g, Buffer.compare(readFileSync(join(dir, 'guests', g, 'guest.elf')), readFileSync(join(root, 'guests', g, 'guest.elf')))]).toEqual([g, 0]);
    }
  }, 120_000);

  it.skipIf(!hasQemu)('print the recorded console output on qemu-system-aarch64 -M virt (skipped without qemu-system-arm)', () => {
    for (const g of guests) {
      const cpus = existsSync(join(root, 'guests', g, 'cpus.txt')) ? readFileSync(join(root, 'guests', g, 'cpus.txt'), 'utf8').trim() : '1';
      const out = execFileSync('qemu-system-aarch64', ['-machine', 'virt', '-cpu', 'cortex-a57', '-smp', cpus, '-m', '128M', '-nographic', '-nic', 'none', '-kernel', join(root, 'guests', g, 'guest.elf')], { timeout: 30_000, encoding: 'utf8' });
      expect([g, out]).toEqual([g, readFileSync(join(root, 'guests', g, 'qemu.console.txt'), 'utf8')]);
    }
  }, 120_000);
});
