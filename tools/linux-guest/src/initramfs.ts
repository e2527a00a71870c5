// SPDX-License-Identifier: MIT
// The initramfs of the Linux guest tests: busybox, its applet links, /dev/console, and an /init
// script whose output the simulated AxVisor and qemu-system-aarch64 must print alike.

import { gzipSync } from 'node:zlib';
import type { CpioEntry } from './cpio.js';
import { writeCpio } from './cpio.js';

/** The line /init prints before its workload (tests compare the lines between the markers). */
export const INIT_BEGIN = '=== axebpf init begin ===';
/** The line /init prints after its workload, before `poweroff -f`. */
export const INIT_END = '=== axebpf init end ===';

/** Busybox applets the init script uses (linked to /bin/busybox). */
export const APPLETS = [
  'sh',
  'mount',
  'uname',
  'cat',
  'echo',
  'sha256sum',
  'sort',
  'seq',
  'gzip',
  'gunzip',
  'poweroff',
  'head',
  'wc',
  'grep',
];

/** The /init script. */
export const INIT_SCRIPT = `#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
echo '${INIT_BEGIN}'
uname -a
cat /proc/cpuinfo
echo 'sha256 of a line:'
echo 'the quick brown fox jumps over the lazy dog' | sha256sum
echo 'sort -n -r of 1..3000, sha256 and head:'
seq 1 3000 | sort -n -r | sha256sum
seq 1 3000 | sort -n -r | head -3
echo 'gzip -c | gunzip round trip of 1..20000:'
seq 1 20000 | gzip -c | gunzip | sha256sum
seq 1 20000 | sha256sum
seq 1 20000 | gzip -c | wc -c
echo 'online cpus:'
cat /sys/devices/system/cpu/online
echo '${INIT_END}'
poweroff -f
`;

/**
 * Builds the gzip'd newc initramfs.
 * @param busybox - a static arm64 busybox binary.
 * @returns the compressed archive.
 */
export function buildInitramfs(busybox: Uint8Array): Uint8Array {
  const entries: CpioEntry[] = [
    ...['bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'etc'].map(
      (path): CpioEntry => ({ kind: 'dir', path }),
    ),
    { kind: 'chardev', path: 'dev/console', major: 5, minor: 1 },
    { kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
    ...APPLETS.map((a): CpioEntry => ({ kind: 'symlink', path: `bin/${a}`, target: 'busybox' })),
    { kind: 'file', path: 'init', data: new TextEncoder().encode(INIT_SCRIPT), mode: 0o755 },
  ];
  return gzipSync(writeCpio(entries), { level: 9 });
}
