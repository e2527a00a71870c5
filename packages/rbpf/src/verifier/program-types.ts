// SPDX-License-Identifier: MIT
// Program types, helper signatures and map descriptions the verifier checks against.

/**
 * What a helper argument must be.
 * - `anything`: any initialised value.
 * - `scalar`: a number, not a pointer.
 * - `ctx`: the context pointer, unmodified.
 * - `map`: a map pointer loaded with `lddw rX, map` (pseudo `src=1`).
 * - `map_key` / `map_value`: a pointer to initialised memory of the map's key/value size, the
 *   map being the nearest earlier `map` argument.
 * - `mem`: a pointer to initialised memory whose size is the next argument.
 * - `uninit_mem`: a pointer to writable memory whose size is the next argument; the helper
 *   fills it (stack bytes become initialised).
 * - `size` / `size_or_zero`: the size of the previous memory argument, bounded (and non-zero for
 *   `size`).
 */
export type HelperArgType =
  | 'anything'
  | 'scalar'
  | 'ctx'
  | 'map'
  | 'map_key'
  | 'map_value'
  | 'mem'
  | 'uninit_mem'
  | 'size'
  | 'size_or_zero';

/** What a helper returns in r0: a number, or a map value pointer that may be null. */
export type HelperReturnType = 'scalar' | 'map_value_or_null';

/** The signature of one helper. */
export interface HelperSignature {
  /** Name, for messages (`map_lookup_elem`). */
  readonly name: string;
  /** Argument types of r1, r2, ... (at most 5). */
  readonly args: readonly HelperArgType[];
  /** Type of r0 after the call. */
  readonly ret: HelperReturnType;
}

/** A map the program may use, by the fd its pseudo `lddw` names. */
export interface MapInfo {
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Name, for messages. */
  readonly name?: string;
  /** Programs may read but not write its values (`BPF_F_RDONLY_PROG`, `.rodata`). Default false. */
  readonly readOnly?: boolean;
}

/** A field of a context layout. */
export interface ContextField {
  /** Byte offset. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Whether programs may write it. Default false. */
  readonly writable?: boolean;
}

/**
 * The context a tracepoint program gets in r1: a record of `size` bytes (the tracepoint's
 * format). Reads are allowed anywhere inside it; writes only inside `writable` fields.
 */
export interface ContextLayout {
  /** Record size in bytes. */
  readonly size: number;
  /** Fields; only needed to allow writes. */
  readonly fields?: readonly ContextField[];
}

/**
 * Program types:
 * - `raw-memory`: the bpf_conformance/uBPF convention. r1 = pointer to a memory block, r2 = its
 *   length. With `memorySize` the length is known and accesses are checked against it; without
 *   it the program must prove its accesses against r2 (e.g. `if r2 < 8 goto out`). The memory
 *   is writable. Helpers: the conformance suite's (0 `gather_bytes`, 5 `identity`).
 * - `tracepoint`: r1 = pointer to a read-only tracepoint record laid out as `context` says;
 *   helpers: the Linux tracing subset in {@link LINUX_TRACING_HELPERS}.
 */
export type ProgramType = 'raw-memory' | 'tracepoint';

/* prettier-ignore */
export const BPF_FUNC_map_lookup_elem = 1, BPF_FUNC_map_update_elem = 2, BPF_FUNC_map_delete_elem = 3,
  BPF_FUNC_probe_read = 4, BPF_FUNC_ktime_get_ns = 5, BPF_FUNC_trace_printk = 6,
  BPF_FUNC_get_prandom_u32 = 7, BPF_FUNC_get_smp_processor_id = 8, BPF_FUNC_get_current_pid_tgid = 14,
  BPF_FUNC_get_current_uid_gid = 15, BPF_FUNC_get_current_comm = 16, BPF_FUNC_perf_event_output = 25,
  BPF_FUNC_probe_read_user = 112, BPF_FUNC_probe_read_kernel = 113;

/** Helper signatures of the Linux tracing helpers the tracepoint type allows (by id). */
export const LINUX_TRACING_HELPERS: ReadonlyMap<number, HelperSignature> = new Map<
  number,
  HelperSignature
>([
  [
    BPF_FUNC_map_lookup_elem,
    { name: 'map_lookup_elem', args: ['map', 'map_key'], ret: 'map_value_or_null' },
  ],
  [
    BPF_FUNC_map_update_elem,
    { name: 'map_update_elem', args: ['map', 'map_key', 'map_value', 'scalar'], ret: 'scalar' },
  ],
  [BPF_FUNC_map_delete_elem, { name: 'map_delete_elem', args: ['map', 'map_key'], ret: 'scalar' }],
  [
    BPF_FUNC_probe_read,
    { name: 'probe_read', args: ['uninit_mem', 'size_or_zero', 'anything'], ret: 'scalar' },
  ],
  [BPF_FUNC_ktime_get_ns, { name: 'ktime_get_ns', args: [], ret: 'scalar' }],
  [BPF_FUNC_trace_printk, { name: 'trace_printk', args: ['mem', 'size'], ret: 'scalar' }],
  [BPF_FUNC_get_prandom_u32, { name: 'get_prandom_u32', args: [], ret: 'scalar' }],
  [BPF_FUNC_get_smp_processor_id, { name: 'get_smp_processor_id', args: [], ret: 'scalar' }],
  [BPF_FUNC_get_current_pid_tgid, { name: 'get_current_pid_tgid', args: [], ret: 'scalar' }],
  [BPF_FUNC_get_current_uid_gid, { name: 'get_current_uid_gid', args: [], ret: 'scalar' }],
  [
    BPF_FUNC_get_current_comm,
    { name: 'get_current_comm', args: ['uninit_mem', 'size'], ret: 'scalar' },
  ],
  [
    BPF_FUNC_perf_event_output,
    { name: 'perf_event_output', args: ['ctx', 'map', 'scalar', 'mem', 'size'], ret: 'scalar' },
  ],
  [
    BPF_FUNC_probe_read_user,
    { name: 'probe_read_user', args: ['uninit_mem', 'size_or_zero', 'anything'], ret: 'scalar' },
  ],
  [
    BPF_FUNC_probe_read_kernel,
    { name: 'probe_read_kernel', args: ['uninit_mem', 'size_or_zero', 'anything'], ret: 'scalar' },
  ],
]);

/** Helper signatures of the bpf_conformance suite's helpers (the raw-memory type's default). */
export const CONFORMANCE_HELPERS: ReadonlyMap<number, HelperSignature> = new Map<
  number,
  HelperSignature
>([
  [
    0,
    {
      name: 'gather_bytes',
      args: ['scalar', 'scalar', 'scalar', 'scalar', 'scalar'],
      ret: 'scalar',
    },
  ],
  [5, { name: 'identity', args: ['anything'], ret: 'scalar' }],
]);
