// axebpf: the facade. The root entry exports createRuntime, the shared types and the errors;
// each feature plugin comes from its own subpath (axebpf/symbols, axebpf/tracepoints, ...).

/**
 * The root entry, `import { createRuntime } from 'axebpf'`: the runtime, the shared types and the
 * errors. Each feature plugin comes from its own subpath.
 * @module axebpf
 */

export { createRuntime } from './runtime.js';
export type { Runtime, RuntimeCore, RuntimeOptions, FeatureApis } from './runtime.js';
export { FEATURE_REQUIRES, FEATURE_IMPORTS, defineFeature } from './features.js';
export type { Feature, FeatureName, FeatureContext, FeatureSetup } from './features.js';
export { FeatureError } from './errors.js';
export type { FeatureErrorCode, FeatureErrorOptions } from './errors.js';
export { MockPlatform, HostPlatform, MOCK_INITIAL_TIME_NS } from './platform.js';
export type { Platform } from './platform.js';
export {
  EventRing,
  PROBE_TYPE,
  TRACE_EVENT_SIZE,
  encodeTraceEvent,
  decodeTraceEvent,
  matchesFilter,
} from './event.js';
export type {
  TraceEvent,
  EventInput,
  EventFilter,
  EventRingStats,
  OverflowMode,
  ProbeType,
} from './event.js';
export { StatsCollector } from './stats.js';
export type { EventStatsSnapshot } from './stats.js';
export { Log2Histogram, LOG2_BUCKETS, log2Bucket, bucketLow, bucketHigh } from './histogram.js';
export type { HistogramSnapshot } from './histogram.js';
export {
  renderHistogram,
  renderStats,
  renderTable,
  renderEvent,
  formatDuration,
  formatPowerOfTwo,
  toJsonValue,
} from './output.js';
export {
  TRACE_CONTEXT,
  TRACE_CONTEXT_SIZE,
  traceContextPlan,
  fillTraceContext,
} from './trace-context.js';
export type { ProgramContextKind } from './trace-context.js';
export {
  DECADE_BOUNDS,
  DECADE_LABELS,
  decadeBucket,
  decadePercentile,
  renderDecadeHistogram,
} from './decade-histogram.js';
