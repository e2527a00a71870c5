// SPDX-License-Identifier: MIT
// The AxVisor TOML of a Linux guest, as `axvisor run --kernel ... --initrd ...` builds it: the
// command line is a short form of this file, never a second code path.

/** What a Linux guest VM is made of. */
export interface LinuxVmSpec {
  /** Path of the arm64 Image. */
  kernel: string;
  /** Path of the initramfs (a gzip'd newc cpio), if any. */
  initrd?: string | undefined;
  /** Path of a device tree blob; generated from the config when absent. */
  dtb?: string | undefined;
  /** vCPUs (default 1). */
  cpus?: number;
  /** Guest RAM in bytes (default 256 MiB), a multiple of 2 MiB. */
  memBytes?: number;
  /** Kernel command line (default `console=ttyAMA0`). */
  cmdline?: string;
  /** VM id (default 1). */
  id?: number;
  /** VM name (default `linux`). */
  name?: string;
  /** GIC version (default 2). */
  gic?: 2 | 3;
}

/** Guest RAM base (QEMU virt). */
export const LINUX_RAM_BASE = 0x4000_0000n;
/** Where the kernel goes: RAM base + 2 MiB (the DTB sits at the RAM base), text_offset 0. */
export const LINUX_KERNEL_ADDR = 0x4020_0000n;

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/**
 * The TOML configuration of a Linux guest in AxVisor's shape ([base], [kernel] with
 * kernel_path, kernel_load_addr, ramdisk_path, dtb_path, cmdline, memory_regions, [devices]
 * with the PL011 at 0x0900_0000 on SPI 1 = INTID 33, and the GICv3 devices when asked for).
 * @param spec - the guest.
 * @returns TOML text for `parseVmConfig`.
 */
export function linuxVmToml(spec: LinuxVmSpec): string {
  const cpus = spec.cpus ?? 1;
  const mem = spec.memBytes ?? 256 * 1024 * 1024;
  const q = (s: string) => JSON.stringify(s);
  const devices = [`["pl011", 0x9000000, 0x1000, 33, 1, []]`];
  if (spec.gic === 3)
    devices.push(
      `["gppt-gicd", 0x8000000, 0x10000, 0, 0x21, []]`,
      `["gppt-gicr", 0x80a0000, 0x20000, 0, 0x20, [${cpus}, 0x20000, 0]]`,
    );
  return [
    '# A Linux guest (arm64 Image boot protocol, generated device tree)',
    '[base]',
    `id = ${spec.id ?? 1}`,
    `name = ${q(spec.name ?? 'linux')}`,
    'vm_type = 1',
    `cpu_num = ${cpus}`,
    `phys_cpu_ids = [${Array.from({ length: cpus }, (_, i) => i).join(', ')}]`,
    '',
    '[kernel]',
    `entry_point = ${hex(LINUX_KERNEL_ADDR)}`,
    `kernel_path = ${q(spec.kernel)}`,
    `kernel_load_addr = ${hex(LINUX_KERNEL_ADDR)}`,
    ...(spec.initrd === undefined ? [] : [`ramdisk_path = ${q(spec.initrd)}`]),
    ...(spec.dtb === undefined ? [] : [`dtb_path = ${q(spec.dtb)}`]),
    `cmdline = ${q(spec.cmdline ?? 'console=ttyAMA0')}`,
    `memory_regions = [[${hex(LINUX_RAM_BASE)}, ${hex(mem)}, 0x7, 0]]`,
    '',
    '[devices]',
    `emu_devices = [${devices.join(', ')}]`,
    'passthrough_devices = []',
    '',
  ].join('\n');
}
