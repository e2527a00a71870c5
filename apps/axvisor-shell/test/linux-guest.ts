// What the opt-in Linux trace tests share: Debian's images in tools/linux-guest/out (fetched by
// tools/linux-guest/fetch-images.sh, never committed), the opt-in switch, and the VM they boot.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LinuxTracing } from '../src/linux-trace.js';
import { linuxVmSource } from '../src/repl.js';

/** The images' folder (with a trailing slash). */
export const LINUX_OUT = fileURLToPath(new URL('../../../tools/linux-guest/out/', import.meta.url));
/** Image and initrd.gz are there. */
export const haveLinuxImages =
  existsSync(`${LINUX_OUT}Image`) && existsSync(`${LINUX_OUT}initrd.gz`);
/** The tests run only with AXEBPF_LINUX_TRACE=1 (whole boots, minutes each). */
export const linuxTraceOptIn = process.env['AXEBPF_LINUX_TRACE'] === '1';

/**
 * @param boots - what the test costs, e.g. `three whole boots`.
 * @returns why the test is skipped (when it is).
 */
export function linuxSkipReason(boots: string): string {
  return haveLinuxImages
    ? `${boots}, set AXEBPF_LINUX_TRACE=1 to run it`
    : 'no Image/initrd.gz in tools/linux-guest/out: run tools/linux-guest/fetch-images.sh';
}

/**
 * @param cpus - vCPUs.
 * @returns the Linux VM of the tests: 256 MiB, console on ttyAMA0, GICv2.
 */
export function linuxTestSource(cpus: number): ReturnType<typeof linuxVmSource> {
  return linuxVmSource({
    kernel: `${LINUX_OUT}Image`,
    initrd: `${LINUX_OUT}initrd.gz`,
    cpus,
    memBytes: 256 * 1024 * 1024,
    cmdline: 'console=ttyAMA0',
    gic: 2,
  });
}

/**
 * @param tracing - the Linux tracing of a boot.
 * @param nr - a system call number.
 * @param comm - only the calls of this command, when given.
 * @returns how many of those calls the `syscalls` program counted.
 */
export function syscallCount(tracing: LinuxTracing, nr: number, comm?: string): number {
  return tracing
    .syscalls()
    .filter((r) => r.nr === nr && (comm === undefined || r.comm === comm))
    .reduce((n, r) => n + r.count, 0);
}

/**
 * @param tracing - the Linux tracing of a boot.
 * @returns the calls entered, the returns the program timed, and the calls still in flight
 *   other than exit and exit_group (which never return), as `comm name`, sorted.
 */
export function callBalance(tracing: LinuxTracing): {
  total: number;
  returned: number;
  stuck: string[];
} {
  return {
    total: tracing.syscalls().reduce((n, r) => n + r.count, 0),
    returned: [...tracing.latencies().values()].flat().reduce((n, c) => n + c, 0),
    stuck: tracing
      .inFlight()
      .filter((r) => r.nr !== 93 && r.nr !== 94)
      .map((r) => `${r.comm} ${r.name}`)
      .sort(),
  };
}
