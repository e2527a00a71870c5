// SPDX-License-Identifier: MIT
// @axebpf/tracepoint: Linux-style static tracepoints (role of Starry-OS/tracepoint).

export { TracepointError } from './errors.js';
export type { TracepointErrorCode, TracepointErrorOptions } from './errors.js';
export { COMMON_FIELDS, COMMON_HEADER_SIZE, defineEvent } from './event.js';
export type {
  EmitArgs,
  EventDefinition,
  EventSpec,
  FieldLayout,
  FieldSpec,
  FieldType,
  FieldValue,
  PrintSpec,
  ScalarType,
} from './event.js';
export { parsePrintFormat } from './print-format.js';
export type { PrintFormat, PrintValue } from './print-format.js';
export { ManualTraceHost, wallClockHost } from './host.js';
export type { TraceHost } from './host.js';
export { TracePipe, formatEntry, latencyFlags } from './trace-pipe.js';
export type { RingMode, TraceEntry, TracePipeOptions } from './trace-pipe.js';
export { Tracepoint } from './tracepoint.js';
export type {
  ProgramConsumer,
  TraceCallback,
  TraceConsumer,
  TraceRecord,
  TracepointCounters,
} from './tracepoint.js';
export { TracepointManager, splitName } from './manager.js';
export type { Attachment, EventFile, TracepointInfo, TracepointManagerOptions } from './manager.js';
export { generateCHeader, recordStructName } from './c-header.js';
export type { CHeaderOptions } from './c-header.js';
