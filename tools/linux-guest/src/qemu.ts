// The QEMU machine the simulated AxVisor's Linux VM is compared with (the oracle test, the boot
// bench): qemu-system-aarch64 -M virt with the Cortex-A57, 256 MiB, no network, the serial console
// on stdio, single-threaded TCG.

/** What to boot. */
export interface QemuLinuxOptions {
  /** The arm64 `Image`. */
  kernel: string;
  /** The gzip'd initramfs. */
  initrd: string;
  /** vCPUs. */
  cpus: number;
  /** GIC version (default 2). */
  gic?: 2 | 3;
  /** Kernel command line (default `console=ttyAMA0`). */
  append?: string;
}

/**
 * @param o - kernel, initramfs, vCPUs, GIC, command line.
 * @returns the arguments of qemu-system-aarch64.
 */
export function qemuLinuxArgs(o: QemuLinuxOptions): string[] {
  return [
    ...['-M', `virt,gic-version=${o.gic ?? 2}`, '-cpu', 'cortex-a57', '-smp', String(o.cpus)],
    ...['-m', '256M', '-nographic', '-nic', 'none', '-accel', 'tcg,thread=single'],
    ...['-kernel', o.kernel, '-initrd', o.initrd, '-append', o.append ?? 'console=ttyAMA0'],
  ];
}
