// SPDX-License-Identifier: MIT
// Features of the runtime: the Cargo features of Iscreamx/axebpf as plugin values.

import type { EventRing } from './event.js';
import type { Platform } from './platform.js';
import type { StatsCollector } from './stats.js';

/** Names of the runtime's features (the Rust crate's Cargo features). */
export type FeatureName =
  | 'symbols'
  | 'tracepoints'
  | 'runtime'
  | 'precompiled'
  | 'hprobe'
  | 'guest-kprobe'
  | 'testing';

/**
 * Which features each feature needs, as data. From the Rust `Cargo.toml`:
 * `tracepoint-support ⇒ symbols`, `hprobe ⇒ tracepoint-support (+ the kprobe crate)`,
 * `guest-kprobe ⇒ hprobe`.
 *
 * @remarks Differences: `precompiled` needs `runtime` here (the precompiled objects are only
 * useful to a runtime that loads them; in Rust it only embedded bytes), and the Rust `axhal`
 * feature is the `platform` option of `createRuntime`, not a feature.
 */
export const FEATURE_REQUIRES: Readonly<Record<FeatureName, readonly FeatureName[]>> = {
  symbols: [],
  tracepoints: ['symbols'],
  runtime: [],
  precompiled: ['runtime'],
  hprobe: ['tracepoints'],
  'guest-kprobe': ['hprobe'],
  testing: [],
};

/** Where each feature's plugin is imported from, and the call that makes it. */
export const FEATURE_IMPORTS: Readonly<Record<FeatureName, { subpath: string; factory: string }>> =
  {
    symbols: { subpath: 'axebpf/symbols', factory: 'symbols()' },
    tracepoints: { subpath: 'axebpf/tracepoints', factory: 'tracepoints()' },
    runtime: { subpath: 'axebpf/runtime', factory: 'ebpfRuntime()' },
    precompiled: { subpath: 'axebpf/precompiled', factory: 'precompiled()' },
    hprobe: { subpath: 'axebpf/hprobe', factory: 'hprobe()' },
    'guest-kprobe': { subpath: 'axebpf/guest-kprobe', factory: 'guestKprobe()' },
    testing: { subpath: 'axebpf/testing', factory: 'testing()' },
  };

/** What a feature's `setup` receives: the runtime's shared parts and earlier features. */
export interface FeatureContext {
  /** The platform (time, CPU, hypervisor context). */
  readonly platform: Platform;
  /** The runtime's event ring. */
  readonly events: EventRing;
  /** The runtime's per-event statistics. */
  readonly stats: StatsCollector;
  /**
   * The API of a feature set up before this one (every required feature is).
   * @param name - feature name.
   * @returns its API.
   * @throws {FeatureError} `MISSING_FEATURE` when it is not part of the runtime.
   */
  use(name: FeatureName): unknown;
}

/** What a feature's `setup` returns. */
export interface FeatureSetup<Api> {
  /** The API exposed on the runtime under the feature's key. */
  api: Api;
  /** Releases what setup acquired; called in reverse order by `runtime.dispose()`. */
  dispose?: () => void;
}

/**
 * A feature plugin: a small object naming the feature, the runtime property its API appears
 * under, what it requires, and how to set it up.
 *
 * @typeParam N - the feature name.
 * @typeParam K - the runtime property holding the API.
 * @typeParam Api - the API type.
 */
export interface Feature<
  N extends FeatureName = FeatureName,
  K extends string = string,
  Api = unknown,
> {
  /** Feature name. */
  readonly name: N;
  /** Runtime property that holds the API. */
  readonly key: K;
  /** Features that must also be passed (merged with {@link FEATURE_REQUIRES}). */
  readonly requires: readonly FeatureName[];
  /**
   * Builds the feature's state for one runtime.
   * @param context - the runtime's shared parts.
   * @returns the API and an optional dispose.
   */
  setup(context: FeatureContext): FeatureSetup<Api>;
}

/**
 * Defines a feature plugin with precise types.
 * @param feature - the plugin.
 * @returns the same object, typed.
 */
export function defineFeature<N extends FeatureName, K extends string, Api>(
  feature: Feature<N, K, Api>,
): Feature<N, K, Api> {
  return feature;
}
