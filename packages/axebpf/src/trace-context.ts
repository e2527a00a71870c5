// SPDX-License-Identifier: MIT
// The Rust original's program context for tracepoints (Iscreamx/axebpf src/context.rs): a
// 64-byte `TraceContext`. Programs built for the original (aya `#[tracepoint]`, section
// `tracepoint`) read it; programs built for Linux (`SEC("tracepoint/<sys>/<name>")`) read the
// ftrace record instead. This file fills it from a tracepoint record.

import type { TraceRecord } from '@axebpf/tracepoint';

/** Offsets of the `TraceContext` fields (little-endian, `repr(C)`, 64 bytes). */
export const TRACE_CONTEXT = {
  /** u32: the tracepoint's id (`vmm:vm_destroy` 4, `vmm:vmm_init` 50, `shell:shell_command` 100...). */
  tracepointId: 0,
  /** u64: when it fired, in platform ns. */
  timestampNs: 8,
  /** u32: the record's `vm_id` (0 when it has none). */
  vmId: 16,
  /** u32: the record's `vcpu_id` (0 when it has none). */
  vcpuId: 20,
  /** u64 arg0: the event's duration (`guest_ns` or `duration_ns`; 0 when it has none), as the original passes it. */
  arg0: 24,
  /** u64 arg1..arg3: the record's first three other integer fields, in declaration order. */
  arg1: 32,
  /** u64 arg2. */
  arg2: 40,
  /** u64 arg3. */
  arg3: 48,
  /** u32: 0 tracepoint (2 guest kprobe, 3 guest kretprobe in the original's context numbering). */
  probeType: 56,
} as const;

/** Size of a `TraceContext` in bytes. */
export const TRACE_CONTEXT_SIZE = 64;

/** Which context a tracepoint program reads. */
export type ProgramContextKind = 'record' | 'trace-context';

/** Fields read as the event's duration, in order of preference. */
const DURATION_FIELDS = ['guest_ns', 'duration_ns'];

/**
 * Where the `TraceContext` of one tracepoint takes its values from, decided once per attachment.
 * @param fields - the tracepoint's integer field names, in declaration order.
 * @returns the field names for vm_id, vcpu_id, arg0 (duration) and arg1..arg3.
 */
export function traceContextPlan(fields: readonly string[]): {
  vm?: string;
  vcpu?: string;
  args: (string | undefined)[];
} {
  const duration = DURATION_FIELDS.find((f) => fields.includes(f));
  const rest = fields.filter((f) => f !== 'vm_id' && f !== 'vcpu_id' && f !== duration).slice(0, 3);
  return {
    ...(fields.includes('vm_id') ? { vm: 'vm_id' } : {}),
    ...(fields.includes('vcpu_id') ? { vcpu: 'vcpu_id' } : {}),
    args: [duration, rest[0], rest[1], rest[2]],
  };
}

const asU64 = (v: unknown): bigint =>
  typeof v === 'bigint'
    ? BigInt.asUintN(64, v)
    : typeof v === 'number'
      ? BigInt.asUintN(64, BigInt(Math.trunc(v)))
      : v === true
        ? 1n
        : 0n;

/**
 * Fills a `TraceContext` from a tracepoint record.
 * @param out - 64 bytes (reused between runs).
 * @param record - the record.
 * @param plan - from {@link traceContextPlan}.
 * @returns `out`.
 */
export function fillTraceContext(
  out: Uint8Array,
  record: TraceRecord,
  plan: ReturnType<typeof traceContextPlan>,
): Uint8Array {
  const v = new DataView(out.buffer, out.byteOffset, TRACE_CONTEXT_SIZE);
  v.setUint32(TRACE_CONTEXT.tracepointId, record.id >>> 0, true);
  v.setUint32(4, 0, true);
  v.setBigUint64(TRACE_CONTEXT.timestampNs, BigInt.asUintN(64, record.timeNs), true);
  v.setUint32(
    TRACE_CONTEXT.vmId,
    plan.vm === undefined ? 0 : Number(asU64(record.field(plan.vm)) & 0xffffffffn),
    true,
  );
  v.setUint32(
    TRACE_CONTEXT.vcpuId,
    plan.vcpu === undefined ? 0 : Number(asU64(record.field(plan.vcpu)) & 0xffffffffn),
    true,
  );
  for (let i = 0; i < 4; i++) {
    const f = plan.args[i];
    v.setBigUint64(TRACE_CONTEXT.arg0 + 8 * i, f === undefined ? 0n : asU64(record.field(f)), true);
  }
  v.setUint32(TRACE_CONTEXT.probeType, 0, true);
  v.setUint32(60, 0, true);
  return out;
}
