// SPDX-License-Identifier: MIT
// Linux UAPI numbers (include/uapi/linux/bpf.h, asm-generic/errno*.h) used by kbpf-basic.

/** Linux errno values (positive) this package reports. `ENOTSUPP` is the kernel-internal 524 that bpf() leaks to user space. */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EINVAL: 22,
  ENOSPC: 28,
  EOPNOTSUPP: 95,
  ENOTSUPP: 524,
} as const;

/** Map types with their Linux UAPI numbers (`enum bpf_map_type`). */
export const BPF_MAP_TYPE_HASH = 1;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_ARRAY = 2;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_PERCPU_HASH = 5;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_PERCPU_ARRAY = 6;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_LRU_HASH = 9;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_LRU_PERCPU_HASH = 10;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_QUEUE = 22;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_STACK = 23;
/** @see BPF_MAP_TYPE_HASH */
export const BPF_MAP_TYPE_RINGBUF = 27;

/** Map create flags (`map_flags`). */
export const BPF_F_NO_PREALLOC = 1 << 0;
/** @see BPF_F_NO_PREALLOC */
export const BPF_F_NO_COMMON_LRU = 1 << 1;
/** @see BPF_F_NO_PREALLOC */
export const BPF_F_NUMA_NODE = 1 << 2;
/** @see BPF_F_NO_PREALLOC */
export const BPF_F_RDONLY = 1 << 3;
/** @see BPF_F_NO_PREALLOC */
export const BPF_F_WRONLY = 1 << 4;
/** @see BPF_F_NO_PREALLOC */
export const BPF_F_ZERO_SEED = 1 << 6;
/** @see BPF_F_NO_PREALLOC */
export const BPF_F_RDONLY_PROG = 1 << 7;
/** @see BPF_F_NO_PREALLOC */
export const BPF_F_WRONLY_PROG = 1 << 8;
/** @see BPF_F_NO_PREALLOC */
export const BPF_F_MMAPABLE = 1 << 10;

/** Update flags. */
export const BPF_ANY = 0;
/** @see BPF_ANY */
export const BPF_NOEXIST = 1;
/** @see BPF_ANY */
export const BPF_EXIST = 2;
/** @see BPF_ANY */
export const BPF_F_LOCK = 4;

/** `perf_event_output` flags: the index mask and "current CPU". */
export const BPF_F_INDEX_MASK = 0xffffffffn;
/** @see BPF_F_INDEX_MASK */
export const BPF_F_CURRENT_CPU = 0xffffffffn;
/** @see BPF_F_INDEX_MASK */
export const BPF_F_CTXLEN_MASK = 0xfffffn << 32n;

/** Ring buffer flags and query selectors. */
export const BPF_RB_NO_WAKEUP = 1;
/** @see BPF_RB_NO_WAKEUP */
export const BPF_RB_FORCE_WAKEUP = 2;
/** @see BPF_RB_NO_WAKEUP */
export const BPF_RB_AVAIL_DATA = 0;
/** @see BPF_RB_NO_WAKEUP */
export const BPF_RB_RING_SIZE = 1;
/** @see BPF_RB_NO_WAKEUP */
export const BPF_RB_CONS_POS = 2;
/** @see BPF_RB_NO_WAKEUP */
export const BPF_RB_PROD_POS = 3;
/** Ring buffer record header bits (in the `len` word). */
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
/** @see BPF_RINGBUF_BUSY_BIT */
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
/** @see BPF_RINGBUF_BUSY_BIT */
export const BPF_RINGBUF_HDR_SZ = 8;

/** Pseudo sources of `lddw` (`BPF_PSEUDO_*`). */
export const BPF_PSEUDO_MAP_FD = 1;
/** @see BPF_PSEUDO_MAP_FD */
export const BPF_PSEUDO_MAP_VALUE = 2;
/** @see BPF_PSEUDO_MAP_FD */
export const BPF_PSEUDO_FUNC = 4;

/** bpf() command numbers (`enum bpf_cmd`). */
export const BPF_MAP_CREATE = 0;
/** @see BPF_MAP_CREATE */
export const BPF_MAP_LOOKUP_ELEM = 1;
/** @see BPF_MAP_CREATE */
export const BPF_MAP_UPDATE_ELEM = 2;
/** @see BPF_MAP_CREATE */
export const BPF_MAP_DELETE_ELEM = 3;
/** @see BPF_MAP_CREATE */
export const BPF_MAP_GET_NEXT_KEY = 4;
/** @see BPF_MAP_CREATE */
export const BPF_PROG_LOAD = 5;
/** @see BPF_MAP_CREATE */
export const BPF_MAP_LOOKUP_AND_DELETE_ELEM = 21;
/** @see BPF_MAP_CREATE */
export const BPF_MAP_FREEZE = 22;

/** Helper ids (`enum bpf_func_id`) implemented by {@link registerStandardHelpers}. */
export const BPF_FUNC = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  probe_read: 4,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  get_current_pid_tgid: 14,
  get_current_comm: 16,
  perf_event_output: 25,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  ringbuf_query: 134,
  for_each_map_elem: 164,
  loop: 181,
  map_lookup_percpu_elem: 195,
} as const;

/** Most iterations `bpf_loop` accepts (Linux's `BPF_MAX_LOOPS`, 8 M). */
export const BPF_MAX_LOOPS = 1 << 23;
/** Linux's access flags: `BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG`. */
export const BPF_F_ACCESS_MASK =
  BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
