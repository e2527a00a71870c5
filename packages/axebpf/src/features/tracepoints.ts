// SPDX-License-Identifier: MIT
// The `tracepoints` feature (Rust: axebpf src/tracepoint.rs, trace_ops.rs): a tracepoint manager
// per runtime whose clock, CPU and task come from the runtime's platform.

/**
 * `import { tracepoints } from 'axebpf/tracepoints'`: a tracepoint manager per runtime, clocked by
 * the runtime's platform.
 * @module axebpf/tracepoints
 */

import type { TracePipeOptions, TraceRecord } from '@axebpf/tracepoint';
import { TracepointManager } from '@axebpf/tracepoint';
import type { EventRing } from '../event.js';
import { defineFeature } from '../features.js';
import type { StatsCollector } from '../stats.js';

/** Options of {@link tracepoints}. */
export interface TracepointsOptions {
  /** Trace pipe settings (per-CPU ring size, overwrite or drop-newest). */
  pipe?: TracePipeOptions;
}

/**
 * The `tracepoints` feature plugin: `runtime.tracepoints` is a `TracepointManager` from
 * `@axebpf/tracepoint`. Whoever fires events (the VMM's `vmm:*`, the shell's `shell:*`) defines
 * them and registers them on it; the runtime attaches programs to them by name.
 * @param options - trace pipe settings.
 * @returns the plugin.
 */
export function tracepoints(options: TracepointsOptions = {}) {
  return defineFeature({
    name: 'tracepoints',
    key: 'tracepoints',
    requires: ['symbols'],
    setup(context) {
      const p = context.platform;
      const manager = new TracepointManager({
        host: {
          timeNs: () => p.timeNs(),
          cpuId: () => p.cpuId(),
          pid: () => Number(p.pidTgid() & 0xffffffffn),
          comm: () => p.comm(),
        },
        ...(options.pipe === undefined ? {} : { pipe: options.pipe }),
      });
      return { api: manager };
    },
  });
}

/** Fields read as the duration of an event when present (virtual ns). */
const DURATION_FIELDS = ['guest_ns', 'duration_ns'];

/**
 * Feeds tracepoint records into the runtime's event ring and statistics: each record of an
 * enabled tracepoint becomes a 64-byte `TraceEvent` (probe type `tracepoint`, the record's
 * `vm_id` as VM, its first four other integer fields as args, `guest_ns`/`duration_ns` as the
 * duration) and a statistics sample. Tracepoints registered later are not followed: call it again.
 * @param manager - the tracepoints (`runtime.tracepoints`).
 * @param sink - the runtime's `events` and `stats`.
 * @param names - the tracepoints to follow (default: every registered one).
 * @returns a function that detaches the bridge.
 */
export function bridgeTracepointEvents(
  manager: TracepointManager,
  sink: { events: EventRing; stats: StatsCollector },
  names: readonly string[] = manager.list().map((t) => t.name),
): () => void {
  const detach: (() => void)[] = [];
  for (const name of names) {
    const tp = manager.get(name);
    if (tp === undefined) continue;
    const fields = tp.event.fields.filter((f) => f.kind === 'integer').map((f) => f.name);
    const argFields = fields
      .filter((f) => f !== 'vm_id' && !DURATION_FIELDS.includes(f))
      .slice(0, 4);
    const durationField = DURATION_FIELDS.find((f) => fields.includes(f));
    const hasVm = fields.includes('vm_id');
    const callback = (r: TraceRecord) => {
      const duration =
        durationField === undefined ? 0n : BigInt(r.field(durationField) as number | bigint);
      sink.events.emit({
        timestampNs: r.timeNs,
        probeType: 'tracepoint',
        cpuId: r.cpu,
        vmId: hasVm ? Number(r.field('vm_id')) : 0,
        eventId: r.id,
        name,
        args: argFields.map((f) =>
          BigInt.asUintN(64, BigInt(r.field(f) as number | bigint | boolean)),
        ),
        durationNs: duration,
      });
      sink.stats.record(name, r.timeNs, duration);
    };
    manager.attach(name, callback);
    detach.push(() => manager.detach(name, callback));
  }
  return () => {
    for (const d of detach) d();
  };
}
