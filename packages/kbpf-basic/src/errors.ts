// SPDX-License-Identifier: MIT
// Error families of @axebpf/kbpf-basic. Role of Starry-OS/kbpf-basic's BpfError / LinuxError.

import { ERRNO } from './constants.js';

const BRAND = Symbol.for('axebpf.error');
const MAP_BRAND = Symbol.for('axebpf.error.MapError');
const COMMAND_BRAND = Symbol.for('axebpf.error.BpfCommandError');

/** Linux errno names this package reports. */
export type ErrnoName = keyof typeof ERRNO;

/**
 * A map operation failed. `code` is the Linux errno name (`ENOENT`, `EEXIST`, `E2BIG`, ...),
 * `errno` its positive number; helpers return `-errno` to programs.
 */
export class MapError extends Error {
  /** Linux errno name. */
  readonly code: ErrnoName;
  /** Linux errno value (positive). */
  readonly errno: number;
  /** Name of the map, when known. */
  readonly map: string | undefined;
  readonly [BRAND] = true;
  readonly [MAP_BRAND] = true;

  /** @param o - errno name, message and optional map name. */
  constructor(o: { code: ErrnoName; message: string; map?: string | undefined }) {
    super(o.map === undefined ? o.message : `map \`${o.map}\`: ${o.message}`);
    this.name = 'MapError';
    this.code = o.code;
    this.errno = ERRNO[o.code];
    this.map = o.map;
  }

  /** @returns true for a MapError from any copy of this package. */
  static isInstance(value: unknown): value is MapError {
    return typeof value === 'object' && value !== null && MAP_BRAND in value;
  }
}

/**
 * A bpf() command failed outside a map operation (bad fd, bad attribute, program load).
 * `code` is the Linux errno name; `field` names the attribute at fault when there is one.
 */
export class BpfCommandError extends Error {
  /** Linux errno name. */
  readonly code: ErrnoName;
  /** Linux errno value (positive). */
  readonly errno: number;
  /** Attribute or argument at fault (`map_fd`, `insns`, ...). */
  readonly field: string | undefined;
  readonly [BRAND] = true;
  readonly [COMMAND_BRAND] = true;

  /** @param o - errno name, message, optional field and cause. */
  constructor(o: { code: ErrnoName; message: string; field?: string; cause?: unknown }) {
    super(o.message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = 'BpfCommandError';
    this.code = o.code;
    this.errno = ERRNO[o.code];
    this.field = o.field;
  }

  /** @returns true for a BpfCommandError from any copy of this package. */
  static isInstance(value: unknown): value is BpfCommandError {
    return typeof value === 'object' && value !== null && COMMAND_BRAND in value;
  }
}
