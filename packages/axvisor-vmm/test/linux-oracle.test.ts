// The Linux oracle (issue 20): Debian's arm64 kernel with the busybox initramfs of
// tools/linux-guest prints the same /init lines on the simulated AxVisor (EL2 image, the
// default path) as on qemu-system-aarch64 -M virt -cpu cortex-a57, with 1 and 2 vCPUs, and
// `poweroff -f` ends the VM with SystemDown. Slow (a whole boot, about a billion guest
// instructions per run): opt-in (AXEBPF_LINUX_ORACLE=1), skipped without the images or QEMU.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildInitramfs, INIT_BEGIN, INIT_END } from '../../../tools/linux-guest/src/initramfs.js';
import { qemuLinuxArgs } from '../../../tools/linux-guest/src/qemu.js';
import { linuxVmToml, parseVmConfig, Vmm } from '../src/index.js';

const out = new URL('../../../tools/linux-guest/out/', import.meta.url).pathname;
const KERNEL = existsSync(`${out}Image`) ? `${out}Image` : undefined;
const BUSYBOX = existsSync(`${out}busybox`) ? `${out}busybox` : undefined;
/** Opt-in: two whole boots of about a billion guest instructions each (minutes of wall time). */
const OPT_IN = process.env['AXEBPF_LINUX_ORACLE'] === '1';
const hasQemu = (() => {
  try {
    execFileSync('qemu-system-aarch64', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const skip = !OPT_IN || KERNEL === undefined || BUSYBOX === undefined || !hasQemu;
const why = !OPT_IN
  ? 'slow, set AXEBPF_LINUX_ORACLE=1 to run it'
  : KERNEL === undefined || BUSYBOX === undefined
    ? 'no kernel/busybox in tools/linux-guest/out (run tools/linux-guest/fetch-images.sh)'
    : 'no qemu-system-aarch64';

/** The lines /init printed between its markers. */
function initLines(console: string): string[] {
  const text = console.replace(/\r/g, '');
  const a = text.indexOf(INIT_BEGIN),
    b = text.indexOf(INIT_END);
  if (a < 0 || b < 0) return [];
  return text.slice(a, b + INIT_END.length).split('\n');
}

describe.skipIf(skip)(
  `Linux /init on the simulated AxVisor against qemu-system-aarch64 (skipped: ${why})`,
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'linux-oracle-'));
    const initrd = join(dir, 'initrd.gz');
    if (!skip) writeFileSync(initrd, buildInitramfs(new Uint8Array(readFileSync(BUSYBOX!))));

    it.each([
      [1, 2],
      [2, 2],
      [2, 3],
    ] as const)(
      'prints the same /init lines with %i vCPU(s) on a GICv%i and powers off',
      (cpus, gic) => {
        const qemu = execFileSync(
          'qemu-system-aarch64',
          qemuLinuxArgs({ kernel: KERNEL!, initrd, cpus, gic }),
          { encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        const expected = initLines(qemu);
        expect(expected.length).toBeGreaterThan(10);

        const vmm = new Vmm({ loadImage: (p) => new Uint8Array(readFileSync(p)) });
        const vm = vmm.createVm(
          parseVmConfig(
            linuxVmToml({ kernel: KERNEL!, initrd, cpus, gic, cmdline: 'console=ttyAMA0' }),
            'linux.toml',
          ),
        );
        vmm.startVm(vm.id);
        while (vm.status === 'Running' && vmm.timeNs < 60_000_000_000n) vmm.run(100_000_000n);
        expect(vm.console).toContain(
          cpus === 1 ? 'smp: Brought up 1 node, 1 CPU' : 'smp: Brought up 1 node, 2 CPUs',
        );
        expect(initLines(vm.console)).toEqual(expected);
        expect(vm.status).toBe('Stopped');
        expect(vm.stopReason).toBe('system off');
        expect(vm.vcpus[0]!.exits.get('SystemDown')).toBe(1);
      },
      3_600_000,
    );
  },
);
