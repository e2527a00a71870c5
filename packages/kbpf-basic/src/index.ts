// SPDX-License-Identifier: MIT
// @axebpf/kbpf-basic: eBPF maps, helpers and a bpf()-style command layer with Linux numbering.
export { MapError, BpfCommandError } from './errors.js';
export type { ErrnoName } from './errors.js';
export {
  ERRNO,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BPF_MAP_TYPE_QUEUE,
  BPF_MAP_TYPE_STACK,
  BPF_MAP_TYPE_RINGBUF,
  BPF_F_NO_PREALLOC,
  BPF_F_NO_COMMON_LRU,
  BPF_F_NUMA_NODE,
  BPF_F_RDONLY,
  BPF_F_WRONLY,
  BPF_F_ZERO_SEED,
  BPF_F_RDONLY_PROG,
  BPF_F_WRONLY_PROG,
  BPF_F_MMAPABLE,
  BPF_F_ACCESS_MASK,
  BPF_ANY,
  BPF_NOEXIST,
  BPF_EXIST,
  BPF_F_LOCK,
  BPF_F_INDEX_MASK,
  BPF_F_CURRENT_CPU,
  BPF_F_CTXLEN_MASK,
  BPF_MAX_LOOPS,
  BPF_RB_NO_WAKEUP,
  BPF_RB_FORCE_WAKEUP,
  BPF_RB_AVAIL_DATA,
  BPF_RB_RING_SIZE,
  BPF_RB_CONS_POS,
  BPF_RB_PROD_POS,
  BPF_RINGBUF_BUSY_BIT,
  BPF_RINGBUF_DISCARD_BIT,
  BPF_RINGBUF_HDR_SZ,
  BPF_PSEUDO_MAP_FD,
  BPF_PSEUDO_MAP_VALUE,
  BPF_PSEUDO_FUNC,
  BPF_MAP_CREATE,
  BPF_MAP_LOOKUP_ELEM,
  BPF_MAP_UPDATE_ELEM,
  BPF_MAP_DELETE_ELEM,
  BPF_MAP_GET_NEXT_KEY,
  BPF_PROG_LOAD,
  BPF_MAP_LOOKUP_AND_DELETE_ELEM,
  BPF_MAP_FREEZE,
  BPF_FUNC,
} from './constants.js';
export { checkedCurrentCpu, createMockPlatform } from './platform.js';
export type { Platform, MockPlatform, MockPlatformOptions } from './platform.js';
export { BpfMap } from './maps/base.js';
export type { MapAttr, MapContext } from './maps/base.js';
export { ArrayMap } from './maps/array.js';
export { HashMap } from './maps/hash.js';
export { QueueStackMap } from './maps/queue.js';
export { RingBufMap } from './maps/ringbuf.js';
export { PerfEventArrayMap, PerfEventBuffer } from './maps/perf.js';
export type { PerfRecord } from './maps/perf.js';
export { createMap } from './maps/create.js';
export type { CreateMapOptions } from './maps/create.js';
export { MapRegistry } from './registry.js';
export { formatPrintk, MAX_PRINTK_OUTPUT, MAX_PRINTK_ARGS } from './printf.js';
export type { PrintkResult } from './printf.js';
export { registerStandardHelpers, readCString } from './helpers.js';
export type { StandardHelperOptions } from './helpers.js';
export {
  BpfSystem,
  PERF_EVENT_MAX_CAPACITY,
  PERF_EVENT_MIN_CAPACITY,
  VERIFIED_HELPERS,
} from './bpf.js';
export type { BpfSystemOptions, ProgLoadAttr, BpfObject } from './bpf.js';
export { RingBufConsumer, PerfBufferConsumer } from './consumers.js';
export type { PollResult } from './consumers.js';
