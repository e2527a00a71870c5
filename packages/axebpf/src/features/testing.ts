// SPDX-License-Identifier: MIT
// The `testing` feature (Rust: the `test-utils` Cargo feature's hooks): drive a runtime from
// tests without a hypervisor — set mock time and context, define and fire tracepoints, run
// assembled programs.

/**
 * `import { testing } from 'axebpf/testing'`: drive a runtime from tests without a hypervisor (mock
 * time and context, tracepoints defined and fired by hand).
 * @module axebpf/testing
 */

import type { FieldSpec, Tracepoint, TracepointManager } from '@axebpf/tracepoint';
import { defineEvent } from '@axebpf/tracepoint';
import { FeatureError } from '../errors.js';
import { defineFeature } from '../features.js';
import type { FeatureContext } from '../features.js';
import { MockPlatform } from '../platform.js';
import type { EbpfRuntimeApi } from './ebpf-runtime.js';

/** The API of the `testing` feature (`runtime.testing`). */
export interface TestingApi {
  /**
   * The runtime's mock platform (`set_mock_time`, `set_mock_cpu_id`, VM context).
   * @throws {FeatureError} `INVALID_ARGUMENT` when the runtime runs on another platform.
   */
  readonly platform: MockPlatform;
  /**
   * Defines and registers a tracepoint (needs the `tracepoints` feature), enabled at once.
   * @param system - subsystem.
   * @param name - event name.
   * @param fields - `[name, type]` pairs.
   * @returns the registered tracepoint.
   */
  tracepoint<const F extends readonly FieldSpec[]>(
    system: string,
    name: string,
    fields: F,
  ): Tracepoint<F>;
  /**
   * Fires a registered tracepoint by name with field values, enabling it first.
   * @param name - `system:name`.
   * @param values - one value per field.
   * @throws {FeatureError} `NOT_FOUND` for an unknown tracepoint.
   */
  fire(name: string, ...values: (number | bigint | boolean | string)[]): void;
  /**
   * Assembles, loads (trusted), runs once and unloads a program.
   * @param source - assembly text.
   * @param ctx - context bytes.
   * @returns r0.
   */
  runAsm(source: string, ctx?: Uint8Array): bigint;
}

function setup(context: FeatureContext): TestingApi {
  let scratch = 0;
  const tracepoints = (): TracepointManager => {
    try {
      return context.use('tracepoints') as TracepointManager;
    } catch {
      throw new FeatureError({
        code: 'MISSING_FEATURE',
        feature: 'testing',
        missing: ['tracepoints'],
        message:
          'tracepoint hooks need the `tracepoints` feature: add `tracepoints()` from `axebpf/tracepoints`',
      });
    }
  };
  return {
    get platform(): MockPlatform {
      if (!(context.platform instanceof MockPlatform)) {
        throw new FeatureError({
          code: 'INVALID_ARGUMENT',
          feature: 'testing',
          message:
            'the runtime does not run on a MockPlatform: pass `platform: new MockPlatform()`',
        });
      }
      return context.platform;
    },
    tracepoint(system, name, fields) {
      const manager = tracepoints();
      const tp = manager.register(defineEvent({ system, name, fields }));
      manager.enable(`${system}:${name}`);
      return tp;
    },
    fire(name, ...values) {
      const manager = tracepoints();
      const tp = manager.get(name) as Tracepoint<readonly FieldSpec[]> | undefined;
      if (tp === undefined)
        throw new FeatureError({
          code: 'NOT_FOUND',
          feature: 'testing',
          message: `no tracepoint \`${name}\``,
        });
      if (!manager.isEnabled(name)) manager.enable(name);
      (tp.emit as (...args: unknown[]) => void)(...values);
    },
    runAsm(source, ctx) {
      let ebpf: EbpfRuntimeApi;
      try {
        ebpf = context.use('runtime') as EbpfRuntimeApi;
      } catch {
        throw new FeatureError({
          code: 'MISSING_FEATURE',
          feature: 'testing',
          missing: ['runtime'],
          message:
            'running programs needs the `runtime` feature: add `ebpfRuntime()` from `axebpf/runtime`',
        });
      }
      const name = `__testing_${scratch++}`;
      ebpf.load(name, { asm: source }, { trusted: true });
      try {
        return ebpf.run(name, ctx).value;
      } finally {
        ebpf.unload(name);
      }
    },
  };
}

/**
 * The `testing` feature plugin (the Rust `test-utils` feature).
 * @returns the plugin.
 * @example
 * ```ts
 * const rt = createRuntime({ features: [symbols(), tracepoints(), ebpfRuntime(), testing()] as const });
 * rt.testing.platform.setContext({ vmId: 3 });
 * rt.testing.runAsm('call 100\nexit'); // 3n
 * ```
 */
export function testing() {
  return defineFeature({
    name: 'testing',
    key: 'testing',
    requires: [],
    setup: (context) => ({ api: setup(context) }),
  });
}
