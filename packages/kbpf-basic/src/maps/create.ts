// SPDX-License-Identifier: MIT
// Map creation with the attribute checks and errnos of Linux (kernel/bpf/syscall.c map_create and
// each type's map_alloc_check); role of Starry-OS/kbpf-basic src/map/mod.rs bpf_map_create.

import {
  BPF_F_ACCESS_MASK,
  BPF_F_MMAPABLE,
  BPF_F_NO_COMMON_LRU,
  BPF_F_NO_PREALLOC,
  BPF_F_NUMA_NODE,
  BPF_F_RDONLY,
  BPF_F_RDONLY_PROG,
  BPF_F_WRONLY,
  BPF_F_WRONLY_PROG,
  BPF_F_ZERO_SEED,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERCPU_HASH,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_QUEUE,
  BPF_MAP_TYPE_RINGBUF,
  BPF_MAP_TYPE_STACK,
} from '../constants.js';
import { VmError } from '@axebpf/rbpf';
import type { ErrnoName } from '../errors.js';
import { MapError } from '../errors.js';
import { ArrayMap } from './array.js';
import type { BpfMap, MapAttr, MapContext } from './base.js';
import { HashMap } from './hash.js';
import type { PerfEventBuffer } from './perf.js';
import { PerfEventArrayMap } from './perf.js';
import { QueueStackMap } from './queue.js';
import { RingBufMap } from './ringbuf.js';

/** Largest value size accepted (Linux: KMALLOC_MAX_SIZE; per-CPU: PCPU_MIN_UNIT_SIZE = 32 KiB). */
const MAX_VALUE = 1 << 20;
const MAX_PERCPU_VALUE = 32768;
/** Largest total storage one map may take here (Linux would fail the allocation with ENOMEM). */
const MAX_STORAGE = 256 << 20;
/** Largest hash key (Linux: MAX_BPF_STACK). */
const MAX_KEY = 512;

/** Options of {@link createMap} beyond the address space and platform. */
export interface CreateMapOptions extends MapContext {
  /** Resolves perf event fds written into a PERF_EVENT_ARRAY through bpf(). */
  resolvePerfEvent?: (fd: number) => PerfEventBuffer | undefined;
}

const fail = (code: ErrnoName, message: string) => new MapError({ code, message });

function check(cond: boolean, code: ErrnoName, message: string): void {
  if (cond) throw fail(code, message);
}

function isU32(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff;
}

/**
 * Runs a map constructor; address-space exhaustion becomes `ENOMEM` (as Linux's allocation
 * failures), and the regions a half-built map mapped are unmapped again.
 */
function build(options: CreateMapOptions, make: () => BpfMap): BpfMap {
  const before = new Set(options.space.regions());
  try {
    return make();
  } catch (e) {
    if (VmError.isInstance(e) && e.code === 'OUT_OF_MEMORY') {
      for (const r of options.space.regions()) if (!before.has(r)) options.space.unmap(r);
      throw fail('ENOMEM', `no address space left for the map: ${e.message}`);
    }
    throw e;
  }
}

/**
 * Validates map attributes the way Linux does and creates the map.
 * @param attr - type, sizes, capacity, flags, name.
 * @param options - address space, platform, perf event resolver.
 * @returns the map.
 * @throws {MapError} `EINVAL` for bad attributes (sizes, flags, name), `E2BIG` for values or
 * keys larger than Linux allows, `ENOMEM` when the storage is too large, `ENOTSUPP` for
 * LRU with `BPF_F_NO_PREALLOC`, `EINVAL` for unknown types.
 */
export function createMap(attr: MapAttr, options: CreateMapOptions): BpfMap {
  const { mapType, keySize, valueSize, maxEntries } = attr;
  const flags = attr.mapFlags ?? 0;
  const name = attr.name ?? '';
  check(
    !isU32(mapType) || !isU32(keySize) || !isU32(valueSize) || !isU32(maxEntries) || !isU32(flags),
    'EINVAL',
    'map attributes must be unsigned 32-bit integers',
  );
  check(
    name.length > 15 || !/^[A-Za-z0-9_.]*$/.test(name),
    'EINVAL',
    `map name \`${name}\` must be at most 15 characters of [A-Za-z0-9_.]`,
  );
  check(
    (flags & (BPF_F_RDONLY | BPF_F_WRONLY)) === (BPF_F_RDONLY | BPF_F_WRONLY),
    'EINVAL',
    'BPF_F_RDONLY and BPF_F_WRONLY are exclusive',
  );
  check(
    (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) === (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG),
    'EINVAL',
    'BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG are exclusive',
  );
  const cpus = options.platform.cpuCount();
  const storage = (copies: number) => {
    const bytes = maxEntries * copies * ((valueSize + 7) & ~7);
    check(
      bytes > MAX_STORAGE,
      'ENOMEM',
      `map needs ${bytes} bytes of value storage (limit ${MAX_STORAGE})`,
    );
  };
  switch (mapType) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY: {
      const percpu = mapType === BPF_MAP_TYPE_PERCPU_ARRAY;
      check(
        keySize !== 4 || valueSize === 0 || maxEntries === 0,
        'EINVAL',
        'array maps need key_size 4, value_size > 0, max_entries > 0',
      );
      check(
        (flags & ~(BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK)) !== 0,
        'EINVAL',
        `unsupported flags 0x${flags.toString(16)} for an array map`,
      );
      check(
        percpu && (flags & BPF_F_MMAPABLE) !== 0,
        'EINVAL',
        'per-CPU arrays cannot be mmapable',
      );
      check(
        valueSize > (percpu ? MAX_PERCPU_VALUE : MAX_VALUE),
        'E2BIG',
        `value_size ${valueSize} is too large`,
      );
      storage(percpu ? cpus : 1);
      return build(options, () => new ArrayMap(attr, options));
    }
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH: {
      const lru = mapType === BPF_MAP_TYPE_LRU_HASH || mapType === BPF_MAP_TYPE_LRU_PERCPU_HASH;
      const percpu =
        mapType === BPF_MAP_TYPE_PERCPU_HASH || mapType === BPF_MAP_TYPE_LRU_PERCPU_HASH;
      check(
        (flags &
          ~(
            BPF_F_NO_PREALLOC |
            BPF_F_NO_COMMON_LRU |
            BPF_F_NUMA_NODE |
            BPF_F_ACCESS_MASK |
            BPF_F_ZERO_SEED
          )) !==
          0,
        'EINVAL',
        `unsupported flags 0x${flags.toString(16)} for a hash map`,
      );
      check(
        !lru && (flags & BPF_F_NO_COMMON_LRU) !== 0,
        'EINVAL',
        'BPF_F_NO_COMMON_LRU is only for LRU maps',
      );
      check(
        lru && (flags & BPF_F_NO_PREALLOC) !== 0,
        'ENOTSUPP',
        'LRU maps are always preallocated',
      );
      check(
        keySize === 0 || valueSize === 0 || maxEntries === 0,
        'EINVAL',
        'hash maps need key_size, value_size and max_entries > 0',
      );
      check(keySize > MAX_KEY, 'E2BIG', `key_size ${keySize} is larger than ${MAX_KEY}`);
      check(
        valueSize > (percpu ? MAX_PERCPU_VALUE : MAX_VALUE),
        'E2BIG',
        `value_size ${valueSize} is too large`,
      );
      storage(percpu ? cpus : 1);
      check(maxEntries * keySize > MAX_STORAGE, 'ENOMEM', 'key storage too large');
      return build(options, () => new HashMap(attr, options));
    }
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      check(
        keySize !== 0 || valueSize === 0 || maxEntries === 0,
        'EINVAL',
        'queue/stack maps need key_size 0, value_size > 0, max_entries > 0',
      );
      check(
        (flags & ~(BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK)) !== 0,
        'EINVAL',
        `unsupported flags 0x${flags.toString(16)} for a queue/stack map`,
      );
      check(valueSize > MAX_VALUE, 'E2BIG', `value_size ${valueSize} is too large`);
      storage(1);
      return build(options, () => new QueueStackMap(attr, options));
    case BPF_MAP_TYPE_RINGBUF:
      check((flags & ~BPF_F_NUMA_NODE) !== 0, 'EINVAL', 'ring buffers only accept BPF_F_NUMA_NODE');
      check(
        keySize !== 0 || valueSize !== 0,
        'EINVAL',
        'ring buffers need key_size 0 and value_size 0',
      );
      check(
        maxEntries === 0 || (maxEntries & (maxEntries - 1)) !== 0 || maxEntries % 4096 !== 0,
        'EINVAL',
        `ring buffer size ${maxEntries} must be a power of 2 and a multiple of 4096`,
      );
      check(maxEntries * 2 > MAX_STORAGE, 'ENOMEM', `ring buffer size ${maxEntries} is too large`);
      return build(options, () => new RingBufMap(attr, options));
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      check(
        keySize !== 4 || valueSize !== 4 || maxEntries === 0,
        'EINVAL',
        'perf event arrays need key_size 4, value_size 4, max_entries > 0',
      );
      check(
        (flags & ~(BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK)) !== 0,
        'EINVAL',
        `unsupported flags 0x${flags.toString(16)} for a perf event array`,
      );
      return build(options, () => new PerfEventArrayMap(attr, options, options.resolvePerfEvent));
    default:
      throw fail('EINVAL', `unknown or unsupported map type ${mapType}`);
  }
}
