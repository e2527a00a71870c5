// SPDX-License-Identifier: MIT
// createRuntime: checks the feature implication table and builds a runtime whose type has
// exactly the APIs of the chosen features. Nothing is global: runtimes are independent.

import { FeatureError } from './errors.js';
import { EventRing, type OverflowMode } from './event.js';
import {
  FEATURE_IMPORTS,
  FEATURE_REQUIRES,
  type Feature,
  type FeatureContext,
  type FeatureName,
} from './features.js';
import { MockPlatform, type Platform } from './platform.js';
import { StatsCollector } from './stats.js';

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;

/** The APIs contributed by a list of features, keyed by each feature's `key`. */
export type FeatureApis<F extends readonly Feature[]> = UnionToIntersection<
  {
    [I in keyof F]: F[I] extends Feature<FeatureName, infer K, infer A>
      ? { readonly [P in K]: A }
      : never;
  }[number]
>;

/** What every runtime has, whatever its features. */
export interface RuntimeCore {
  /** The platform the runtime observes. */
  readonly platform: Platform;
  /** The bounded event ring (tracepoint and probe events). */
  readonly events: EventRing;
  /** Per-event statistics. */
  readonly stats: StatsCollector;
  /** Names of the enabled features, in setup order. */
  readonly features: readonly FeatureName[];
  /**
   * Tells whether a feature is enabled.
   * @param name - feature name.
   * @returns true when it was passed to createRuntime.
   */
  has(name: FeatureName): boolean;
  /** Disposes every feature, last set up first. Further use of feature APIs is undefined. */
  dispose(): void;
}

/** A runtime with the APIs of features `F`. */
export type Runtime<F extends readonly Feature[]> = RuntimeCore & FeatureApis<F>;

/** Options of {@link createRuntime}. */
export interface RuntimeOptions<F extends readonly Feature[]> {
  /** The feature plugins; every implication must be satisfied explicitly. */
  features: F;
  /** The platform; a fresh {@link MockPlatform} when omitted. */
  platform?: Platform;
  /** Event ring size in events (default 4096) and overflow mode (default `drop-newest`). */
  events?: { capacity?: number; mode?: OverflowMode };
}

/**
 * Builds a runtime from feature plugins.
 *
 * @param options - features, platform and event ring settings.
 * @returns the runtime; `runtime.<key>` exists exactly for the features passed.
 * @throws {FeatureError} `DUPLICATE_FEATURE` when a feature is passed twice, `MISSING_FEATURE`
 * (with `feature` and `missing`) when an implication of the Rust feature table is not
 * satisfied. Dependencies are never enabled silently.
 *
 * @example
 * ```ts
 * import { createRuntime } from 'axebpf';
 * import { symbols } from 'axebpf/symbols';
 * import { tracepoints } from 'axebpf/tracepoints';
 * const rt = createRuntime({ features: [symbols(), tracepoints()] as const });
 * rt.tracepoints; // typed
 * ```
 */
export function createRuntime<const F extends readonly Feature[]>(
  options: RuntimeOptions<F>,
): Runtime<F> {
  const byName = new Map<FeatureName, Feature>();
  for (const feature of options.features) {
    if (!(feature.name in FEATURE_REQUIRES)) {
      throw new FeatureError({
        code: 'UNKNOWN_FEATURE',
        feature: feature.name,
        message: `unknown feature \`${String(feature.name)}\``,
      });
    }
    if (byName.has(feature.name)) {
      throw new FeatureError({
        code: 'DUPLICATE_FEATURE',
        feature: feature.name,
        message: `feature \`${feature.name}\` was passed twice`,
      });
    }
    byName.set(feature.name, feature);
  }
  const requiresOf = (feature: Feature): FeatureName[] => [
    ...new Set([...FEATURE_REQUIRES[feature.name], ...feature.requires]),
  ];
  for (const feature of options.features) {
    const missing = requiresOf(feature).filter((name) => !byName.has(name));
    if (missing.length > 0) {
      const how = missing
        .map((m) => `\`${FEATURE_IMPORTS[m].factory}\` from \`${FEATURE_IMPORTS[m].subpath}\``)
        .join(' and ');
      throw new FeatureError({
        code: 'MISSING_FEATURE',
        feature: feature.name,
        missing,
        message: `feature \`${feature.name}\` requires ${missing.map((m) => `\`${m}\``).join(', ')}: add ${how} to \`features\``,
      });
    }
  }

  // Set up in dependency order (the table is acyclic), keeping the caller's order otherwise.
  const order: Feature[] = [];
  const placed = new Set<FeatureName>();
  const place = (feature: Feature): void => {
    if (placed.has(feature.name)) return;
    for (const dep of requiresOf(feature)) place(byName.get(dep)!);
    placed.add(feature.name);
    order.push(feature);
  };
  options.features.forEach(place);

  const platform = options.platform ?? new MockPlatform();
  const events = new EventRing(options.events ?? {});
  const stats = new StatsCollector();
  const apis = new Map<FeatureName, unknown>();
  const disposers: (() => void)[] = [];
  const context: FeatureContext = {
    platform,
    events,
    stats,
    use(name) {
      if (!apis.has(name)) {
        throw new FeatureError({
          code: 'MISSING_FEATURE',
          feature: name,
          missing: [name],
          message: `feature \`${name}\` is not set up in this runtime`,
        });
      }
      return apis.get(name);
    },
  };

  const runtime: Record<string, unknown> = {};
  let disposed = false;
  try {
    for (const feature of order) {
      const { api, dispose } = feature.setup(context);
      apis.set(feature.name, api);
      if (dispose) disposers.push(dispose);
      runtime[feature.key] = api;
    }
  } catch (error) {
    for (const dispose of disposers.reverse()) dispose();
    throw error;
  }
  const core: RuntimeCore = {
    platform,
    events,
    stats,
    features: order.map((f) => f.name),
    has: (name) => byName.has(name),
    dispose() {
      if (disposed) return;
      disposed = true;
      for (const dispose of disposers.reverse()) dispose();
    },
  };
  return Object.assign(runtime, core) as Runtime<F>;
}
