// SPDX-License-Identifier: MIT
// The error family of @axebpf/axvisor-vmm.

const BRAND = Symbol.for('axebpf.error');
const HYPERVISOR_BRAND = Symbol.for('axebpf.error.HypervisorError');

/** Codes of {@link HypervisorError}. */
export type HypervisorErrorCode =
  | 'BAD_CONFIG'
  | 'BAD_IMAGE'
  | 'BAD_STATE'
  | 'NO_SUCH_VM'
  | 'GUEST_FAULT'
  /** A guest virtual address has no stage-1 translation (`address`, `level`, `descriptor`). */
  | 'TRANSLATION_FAULT'
  /** A guest physical address is not guest RAM (`address`). */
  | 'NOT_GUEST_RAM'
  /** A guest probe exists already at that address (`address`). */
  | 'PROBE_EXISTS'
  /** No guest probe at that address (`address`). */
  | 'NO_SUCH_PROBE'
  /** A guest probe cannot be placed (`address`; misaligned, out of probe resources). */
  | 'BAD_PROBE';

/** An error of the simulated hypervisor, with the config file and key where one applies. */
export class HypervisorError extends Error {
  /** Reason. */
  readonly code: HypervisorErrorCode;
  /** Config file, for `BAD_CONFIG`. */
  readonly file: string | undefined;
  /** Config key (`kernel.memory_regions[0]`), for `BAD_CONFIG`. */
  readonly key: string | undefined;
  /** VM id, where one applies. */
  readonly vmId: number | undefined;
  /** Guest address (virtual or physical, per code), for the translation and probe codes. */
  readonly address: bigint | undefined;
  /** Translation table level (0..3) where a walk stopped, for `TRANSLATION_FAULT`. */
  readonly level: number | undefined;
  /** The descriptor that stopped the walk, for `TRANSLATION_FAULT` (undefined: no TTBR/region). */
  readonly descriptor: bigint | undefined;
  readonly [BRAND] = true;
  readonly [HYPERVISOR_BRAND] = true;

  /** @param o - code, message and context. */
  constructor(o: {
    code: HypervisorErrorCode;
    message: string;
    file?: string;
    key?: string;
    vmId?: number;
    address?: bigint | undefined;
    level?: number | undefined;
    descriptor?: bigint | undefined;
    cause?: unknown;
  }) {
    super(o.message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'HypervisorError';
    this.code = o.code;
    this.file = o.file;
    this.key = o.key;
    this.vmId = o.vmId;
    this.address = o.address;
    this.level = o.level;
    this.descriptor = o.descriptor;
  }

  /** @returns true for a HypervisorError from any copy of this package. @param value - anything. */
  static isInstance(value: unknown): value is HypervisorError {
    return typeof value === 'object' && value !== null && HYPERVISOR_BRAND in value;
  }
}
