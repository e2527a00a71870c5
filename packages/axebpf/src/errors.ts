// SPDX-License-Identifier: MIT
// Error family of the axebpf facade.

const BRAND = Symbol.for('axebpf.error');
const FEATURE_BRAND = Symbol.for('axebpf.error.FeatureError');

/** Codes a {@link FeatureError} can carry. */
export type FeatureErrorCode =
  | 'MISSING_FEATURE'
  | 'DUPLICATE_FEATURE'
  | 'UNKNOWN_FEATURE'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'VERIFIER_REJECTED'
  | 'DISPOSED'
  /** An operation needs something set up first (a guest kprobe needs a bound hypervisor). */
  | 'BAD_STATE';

/** Options of the {@link FeatureError} constructor. */
export interface FeatureErrorOptions {
  /** Machine-readable reason. */
  code: FeatureErrorCode;
  /** Human-readable message (lower case, values in backticks). */
  message: string;
  /** The feature that raised or needs something, if any. */
  feature?: string;
  /** Features that are required but were not passed. */
  missing?: readonly string[];
  /** Wrapped cause. */
  cause?: unknown;
}

/**
 * Error raised by `createRuntime` and the runtime's feature wiring.
 *
 * @remarks Use {@link FeatureError.isInstance} rather than `instanceof`: it also recognises
 * errors thrown by a second copy of the package.
 */
export class FeatureError extends Error {
  /** Machine-readable reason. */
  readonly code: FeatureErrorCode;
  /** The feature concerned, if any. */
  readonly feature: string | undefined;
  /** Required features that were not passed (for `MISSING_FEATURE`). */
  readonly missing: readonly string[];
  readonly [BRAND] = true;
  readonly [FEATURE_BRAND] = true;

  /** @param options - code, message and structured fields. */
  constructor(options: FeatureErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeatureError';
    this.code = options.code;
    this.feature = options.feature;
    this.missing = options.missing ?? [];
  }

  /**
   * Tells whether a value is a FeatureError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for a FeatureError.
   */
  static isInstance(value: unknown): value is FeatureError {
    return typeof value === 'object' && value !== null && FEATURE_BRAND in value;
  }
}
