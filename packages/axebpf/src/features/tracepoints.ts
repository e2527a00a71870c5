// SPDX-License-Identifier: MIT
// The `tracepoints` feature (Rust: axebpf src/tracepoint.rs, trace_ops.rs): a tracepoint manager
// per runtime whose clock, CPU and task come from the runtime's platform.

import type { TracePipeOptions } from '@axebpf/tracepoint';
import { TracepointManager } from '@axebpf/tracepoint';
import { defineFeature } from '../features.js';

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
