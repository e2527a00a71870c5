// SPDX-License-Identifier: MIT
// The guests and VM configurations shipped with this package (guests/*, configs/*.toml).

import { readFileSync } from 'node:fs';
import { HypervisorError } from './errors.js';

/** Names of the bundled VMs (`configs/<name>.toml`, image `guests/<name>/guest.elf`). */
export const BUNDLED_VMS = ['hello', 'worker', 'ticker', 'smp', 'mmu'] as const;
/** Bundled VMs used only by benchmarks (`configs/hcall.toml`: 200,000 hypercalls). */
export const BENCHMARK_VMS = ['hcall'] as const;
/** Bundled VMs used by the guest kprobe tests (`configs/kprobe.toml`: two vCPUs calling probed functions). */
export const PROBE_VMS = ['kprobe'] as const;
/**
 * Bundled VMs that run until the host stops them (`configs/cluster.toml`: four vCPUs on a
 * GICv3). Kept out of {@link BUNDLED_VMS}, whose VMs all finish, so the default set of the
 * shell and the demo is unchanged.
 */
export const LONG_RUNNING_VMS = ['cluster'] as const;

function packageFile(rel: string): Uint8Array {
  // Built code is in dist/ (one level below the package root), sources in src/ (also one).
  try {
    return new Uint8Array(readFileSync(new URL(`../${rel}`, import.meta.url)));
  } catch (e) {
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      cause: e,
      message: `bundled file \`${rel}\` is missing from @axebpf/axvisor-vmm`,
    });
  }
}

/**
 * The configuration text of a bundled VM.
 * @param name - a name of {@link BUNDLED_VMS}, {@link LONG_RUNNING_VMS} or {@link BENCHMARK_VMS}.
 * @returns the TOML text.
 * @throws {HypervisorError} `BAD_CONFIG` for an unknown name.
 */
export function bundledConfig(name: string): string {
  const all = [...BUNDLED_VMS, ...LONG_RUNNING_VMS, ...BENCHMARK_VMS, ...PROBE_VMS];
  if (!all.includes(name as never)) {
    throw new HypervisorError({
      code: 'BAD_CONFIG',
      key: 'name',
      message: `no bundled VM \`${name}\` (have: ${all.join(', ')})`,
    });
  }
  return new TextDecoder().decode(packageFile(`configs/${name}.toml`));
}

/**
 * Reads a bundled image by the `kernel_path` of a bundled config (`../guests/hello/guest.elf`,
 * relative to the config file as every `kernel_path` is).
 * @param path - path relative to the package root.
 * @returns the image bytes.
 * @throws {HypervisorError} `BAD_IMAGE` when it does not exist.
 */
export function bundledImage(path: string): Uint8Array {
  const m = /^(?:\.\.\/)?(guests\/[a-z0-9_-]+\/guest\.elf)$/.exec(path);
  if (!m)
    throw new HypervisorError({
      code: 'BAD_IMAGE',
      message: `\`${path}\` is not a bundled guest image`,
    });
  return packageFile(m[1]!);
}
