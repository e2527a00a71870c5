// SPDX-License-Identifier: MIT
// The error family of @axebpf/axvisor-vmm.

const BRAND = Symbol.for('axebpf.error');
const HYPERVISOR_BRAND = Symbol.for('axebpf.error.HypervisorError');

/** Codes of {@link HypervisorError}. */
export type HypervisorErrorCode = 'BAD_CONFIG' | 'BAD_IMAGE' | 'BAD_STATE' | 'NO_SUCH_VM' | 'GUEST_FAULT';

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
  readonly [BRAND] = true;
  readonly [HYPERVISOR_BRAND] = true;

  /** @param o - code, message and context. */
  constructor(o: { code: HypervisorErrorCode; message: string; file?: string; key?: string; vmId?: number; cause?: unknown }) {
    super(o.message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'HypervisorError';
    this.code = o.code;
    this.file = o.file;
    this.key = o.key;
    this.vmId = o.vmId;
  }

  /** @returns true for a HypervisorError from any copy of this package. @param value - anything. */
  static isInstance(value: unknown): value is HypervisorError {
    return typeof value === 'object' && value !== null && HYPERVISOR_BRAND in value;
  }
}
