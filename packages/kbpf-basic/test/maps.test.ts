import { describe, expect, it } from 'vitest';
import type { HashMap } from '../src/index.js';
import {
  BPF_ANY,
  BPF_EXIST,
  BPF_F_LOCK,
  BPF_F_NO_PREALLOC,
  BPF_F_RDONLY,
  BPF_F_WRONLY,
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
  BPF_NOEXIST,
  BpfSystem,
  MapError,
  createMockPlatform,
} from '../src/index.js';
import { codeOf, readU32, readU64, u32, u64 } from './util.js';

const sys = (cpus = 1) => new BpfSystem({ platform: createMockPlatform({ cpus }) });

describe('map creation', () => {
  it.each([
    [
      'array key size',
      { mapType: BPF_MAP_TYPE_ARRAY, keySize: 8, valueSize: 4, maxEntries: 1 },
      'EINVAL',
    ],
    [
      'array zero value',
      { mapType: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 0, maxEntries: 1 },
      'EINVAL',
    ],
    [
      'array zero entries',
      { mapType: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 0 },
      'EINVAL',
    ],
    [
      'array no prealloc',
      {
        mapType: BPF_MAP_TYPE_ARRAY,
        keySize: 4,
        valueSize: 4,
        maxEntries: 1,
        mapFlags: BPF_F_NO_PREALLOC,
      },
      'EINVAL',
    ],
    [
      'hash zero key',
      { mapType: BPF_MAP_TYPE_HASH, keySize: 0, valueSize: 4, maxEntries: 1 },
      'EINVAL',
    ],
    [
      'hash huge key',
      { mapType: BPF_MAP_TYPE_HASH, keySize: 513, valueSize: 4, maxEntries: 1 },
      'E2BIG',
    ],
    [
      'percpu value too big',
      { mapType: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 40000, maxEntries: 1 },
      'E2BIG',
    ],
    [
      'lru no prealloc',
      {
        mapType: BPF_MAP_TYPE_LRU_HASH,
        keySize: 4,
        valueSize: 4,
        maxEntries: 1,
        mapFlags: BPF_F_NO_PREALLOC,
      },
      'ENOTSUPP',
    ],
    [
      'rdonly+wronly',
      {
        mapType: BPF_MAP_TYPE_HASH,
        keySize: 4,
        valueSize: 4,
        maxEntries: 1,
        mapFlags: BPF_F_RDONLY | BPF_F_WRONLY,
      },
      'EINVAL',
    ],
    [
      'queue with key',
      { mapType: BPF_MAP_TYPE_QUEUE, keySize: 4, valueSize: 4, maxEntries: 1 },
      'EINVAL',
    ],
    [
      'ringbuf not power of 2',
      { mapType: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 3 * 4096 },
      'EINVAL',
    ],
    [
      'ringbuf not page multiple',
      { mapType: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1024 },
      'EINVAL',
    ],
    [
      'ringbuf with value',
      { mapType: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 4, maxEntries: 4096 },
      'EINVAL',
    ],
    [
      'perf array value',
      { mapType: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1 },
      'EINVAL',
    ],
    ['unknown type', { mapType: 999, keySize: 4, valueSize: 4, maxEntries: 1 }, 'EINVAL'],
    [
      'bad name',
      { mapType: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 1, name: 'has space' },
      'EINVAL',
    ],
    [
      'long name',
      { mapType: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 1, name: 'a'.repeat(16) },
      'EINVAL',
    ],
    [
      'huge storage',
      { mapType: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 1 << 20, maxEntries: 1 << 12 },
      'ENOMEM',
    ],
    [
      'fractional size',
      { mapType: BPF_MAP_TYPE_HASH, keySize: 4.5, valueSize: 4, maxEntries: 1 },
      'EINVAL',
    ],
  ])('rejects %s', (_name, attr, code) => {
    const bpf = sys();
    let err: unknown;
    try {
      bpf.mapCreate(attr);
    } catch (e) {
      err = e;
    }
    expect(MapError.isInstance(err)).toBe(true);
    expect((err as MapError).code).toBe(code);
    expect((err as MapError).errno).toBeGreaterThan(0);
  });

  it('accepts NO_PREALLOC on hash maps and hands out fds from 3', () => {
    const bpf = sys();
    expect(
      bpf.mapCreate({
        mapType: BPF_MAP_TYPE_HASH,
        keySize: 4,
        valueSize: 4,
        maxEntries: 4,
        mapFlags: BPF_F_NO_PREALLOC,
      }),
    ).toBe(3);
    expect(
      bpf.mapCreate({ mapType: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }),
    ).toBe(4);
  });
});

describe('array', () => {
  const make = () => {
    const bpf = sys();
    return {
      bpf,
      fd: bpf.mapCreate({
        mapType: BPF_MAP_TYPE_ARRAY,
        keySize: 4,
        valueSize: 6,
        maxEntries: 3,
        name: 'arr',
      }),
    };
  };
  it('is zero-filled and updates in place', () => {
    const { bpf, fd } = make();
    expect([...bpf.mapLookupElem(fd, u32(2))]).toEqual([0, 0, 0, 0, 0, 0]);
    bpf.mapUpdateElem(fd, u32(2), new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect([...bpf.mapLookupElem(fd, u32(2))]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(bpf.mapLookupElem(fd, u32(1)).every((b) => b === 0)).toBe(true);
  });
  it('gives the Linux errors', () => {
    const { bpf, fd } = make();
    expect(codeOf(() => bpf.mapLookupElem(fd, u32(3)))).toBe('ENOENT');
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(3), new Uint8Array(6)))).toBe('E2BIG');
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(0), new Uint8Array(6), BPF_NOEXIST))).toBe(
      'EEXIST',
    );
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(0), new Uint8Array(6), BPF_F_LOCK))).toBe(
      'EINVAL',
    );
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(0), new Uint8Array(6), 8))).toBe('EINVAL');
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(0), new Uint8Array(5)))).toBe('EINVAL');
    expect(codeOf(() => bpf.mapLookupElem(fd, new Uint8Array(8)))).toBe('EINVAL');
    expect(codeOf(() => bpf.mapDeleteElem(fd, u32(0)))).toBe('EINVAL');
    expect(codeOf(() => bpf.mapLookupAndDeleteElem(fd, u32(0)))).toBe('ENOTSUPP');
    bpf.mapUpdateElem(fd, u32(0), new Uint8Array(6), BPF_EXIST);
  });
  it('iterates 0..max-1 and restarts after an out-of-range key', () => {
    const { bpf, fd } = make();
    expect([...bpf.mapKeys(fd)].map((k) => readU32(k))).toEqual([0, 1, 2]);
    expect(readU32(bpf.mapGetNextKey(fd, u32(99)))).toBe(0);
    expect(codeOf(() => bpf.mapGetNextKey(fd, u32(2)))).toBe('ENOENT');
  });
  it('freezes for user space only once', () => {
    const { bpf, fd } = make();
    bpf.mapFreeze(fd);
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(0), new Uint8Array(6)))).toBe('EPERM');
    expect(codeOf(() => bpf.mapFreeze(fd))).toBe('EBUSY');
    expect(bpf.mapLookupElem(fd, u32(0)).length).toBe(6);
  });
  it('for_each counts the stopping element', () => {
    const { bpf, fd } = make();
    const seen: number[] = [];
    const n = bpf.map(fd).forEach((k) => {
      seen.push(readU32(k));
      return readU32(k) === 1;
    });
    expect(seen).toEqual([0, 1]);
    expect(n).toBe(2);
  });
});

describe('per-CPU array', () => {
  it('keeps one 8-aligned value per CPU', () => {
    const platform = createMockPlatform({ cpus: 3 });
    const bpf = new BpfSystem({ platform });
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_PERCPU_ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 2,
    });
    expect(bpf.map(fd).userValueSize).toBe(24);
    const v = new Uint8Array(24);
    v.set(u32(10), 0);
    v.set(u32(11), 8);
    v.set(u32(12), 16);
    bpf.mapUpdateElem(fd, u32(1), v);
    const got = bpf.mapLookupElem(fd, u32(1));
    expect([readU32(got, 0), readU32(got, 8), readU32(got, 16)]).toEqual([10, 11, 12]);
    platform.cpu = 2;
    const values: number[] = [];
    bpf.map(fd).forEach((k, val) => {
      if (readU32(k) === 1) values.push(readU32(val));
    });
    expect(values).toEqual([12]);
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(1), new Uint8Array(4)))).toBe('EINVAL');
  });
});

describe.each([
  ['hash', BPF_MAP_TYPE_HASH],
  ['percpu hash', BPF_MAP_TYPE_PERCPU_HASH],
])('%s', (_n, mapType) => {
  const make = (max = 3) => {
    const bpf = sys(2);
    const fd = bpf.mapCreate({ mapType, keySize: 8, valueSize: 4, maxEntries: max, name: 'h' });
    const vs = bpf.map(fd).userValueSize;
    const val = (n: number) => {
      const b = new Uint8Array(vs);
      for (let c = 0; c < vs / 8 || c < 1; c++) b.set(u32(n + c), c * 8);
      return b;
    };
    return { bpf, fd, val };
  };
  it('does CRUD with BPF_ANY/NOEXIST/EXIST', () => {
    const { bpf, fd, val } = make();
    expect(codeOf(() => bpf.mapLookupElem(fd, u64(1n)))).toBe('ENOENT');
    expect(codeOf(() => bpf.mapUpdateElem(fd, u64(1n), val(5), BPF_EXIST))).toBe('ENOENT');
    bpf.mapUpdateElem(fd, u64(1n), val(5), BPF_NOEXIST);
    expect(codeOf(() => bpf.mapUpdateElem(fd, u64(1n), val(6), BPF_NOEXIST))).toBe('EEXIST');
    bpf.mapUpdateElem(fd, u64(1n), val(7), BPF_EXIST);
    expect(readU32(bpf.mapLookupElem(fd, u64(1n)))).toBe(7);
    bpf.mapUpdateElem(fd, u64(2n), val(8), BPF_ANY);
    expect(bpf.map(fd).size).toBe(2);
    bpf.mapDeleteElem(fd, u64(1n));
    expect(codeOf(() => bpf.mapDeleteElem(fd, u64(1n)))).toBe('ENOENT');
    expect(readU32(bpf.mapLookupAndDeleteElem(fd, u64(2n)))).toBe(8);
    expect(bpf.map(fd).size).toBe(0);
    expect(codeOf(() => bpf.mapUpdateElem(fd, u64(1n), val(1), BPF_NOEXIST | BPF_EXIST))).toBe(
      'EINVAL',
    );
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(1), val(1)))).toBe('EINVAL');
  });
  it('fails with E2BIG when full, and accepts existing keys then', () => {
    const { bpf, fd, val } = make(2);
    bpf.mapUpdateElem(fd, u64(1n), val(1));
    bpf.mapUpdateElem(fd, u64(2n), val(2));
    expect(codeOf(() => bpf.mapUpdateElem(fd, u64(3n), val(3)))).toBe('E2BIG');
    bpf.mapUpdateElem(fd, u64(2n), val(22));
    bpf.mapDeleteElem(fd, u64(1n));
    bpf.mapUpdateElem(fd, u64(3n), val(3));
    expect(readU32(bpf.mapLookupElem(fd, u64(3n)))).toBe(3);
  });
  it('iterates, restarts from the first key for an unknown key, and survives deletes', () => {
    const { bpf, fd, val } = make(5);
    for (const k of [10n, 20n, 30n, 40n]) bpf.mapUpdateElem(fd, u64(k), val(Number(k)));
    expect([...bpf.mapKeys(fd)].map((k) => readU64(k))).toEqual([10n, 20n, 30n, 40n]);
    expect(readU64(bpf.mapGetNextKey(fd, u64(99n)))).toBe(10n);
    // Delete the current key during iteration: get_next_key of a deleted key restarts (Linux).
    const k2 = bpf.mapGetNextKey(fd, u64(10n));
    bpf.mapDeleteElem(fd, u64(30n));
    expect(readU64(bpf.mapGetNextKey(fd, k2))).toBe(40n);
    bpf.mapDeleteElem(fd, k2);
    expect(readU64(bpf.mapGetNextKey(fd, k2))).toBe(10n);
    expect(codeOf(() => bpf.mapGetNextKey(fd, u64(40n)))).toBe('ENOENT');
  });
  it('for_each may delete the visited entry', () => {
    const { bpf, fd, val } = make(5);
    for (const k of [1n, 2n, 3n]) bpf.mapUpdateElem(fd, u64(k), val(Number(k)));
    const map = bpf.map(fd);
    const seen: bigint[] = [];
    expect(
      map.forEach((k) => {
        seen.push(readU64(k));
        map.delete(k);
      }),
    ).toBe(3);
    expect(seen).toEqual([1n, 2n, 3n]);
    expect(map.size).toBe(0);
  });
});

describe.each([
  ['lru hash', BPF_MAP_TYPE_LRU_HASH],
  ['lru percpu hash', BPF_MAP_TYPE_LRU_PERCPU_HASH],
])('%s', (_n, mapType) => {
  it('evicts the least recently used entry instead of failing', () => {
    const bpf = sys();
    const fd = bpf.mapCreate({ mapType, keySize: 4, valueSize: 4, maxEntries: 3 });
    const map = bpf.map(fd) as HashMap;
    const vs = map.userValueSize;
    for (const k of [1, 2, 3]) bpf.mapUpdateElem(fd, u32(k), new Uint8Array(vs));
    expect(map.lruOrder().map((k) => readU32(k))).toEqual([1, 2, 3]);
    // A program-side lookup (helper path) counts as a use; a user-space lookup does not.
    const s = bpf.space;
    const scratch = s.map('k', 4, true);
    s.bytes.set(u32(1), scratch.offset);
    expect(map.progLookup(scratch.offset)).toBeGreaterThan(0);
    bpf.mapLookupElem(fd, u32(2));
    expect(map.lruOrder().map((k) => readU32(k))).toEqual([2, 3, 1]);
    bpf.mapUpdateElem(fd, u32(4), new Uint8Array(vs));
    expect(codeOf(() => bpf.mapLookupElem(fd, u32(2)))).toBe('ENOENT');
    expect([...bpf.mapKeys(fd)].map((k) => readU32(k)).sort()).toEqual([1, 3, 4]);
    expect(map.evictions).toBe(1);
    expect(map.size).toBe(3);
  });
});

describe.each([
  ['queue', BPF_MAP_TYPE_QUEUE, [1, 2, 3], [2, 3, 4]],
  ['stack', BPF_MAP_TYPE_STACK, [3, 2, 1], [4, 3, 2]],
])('%s', (_n, mapType, order, afterOverwrite) => {
  it('pushes, peeks and pops in order; full needs BPF_EXIST', () => {
    const bpf = sys();
    const fd = bpf.mapCreate({ mapType, keySize: 0, valueSize: 4, maxEntries: 3 });
    const map = bpf.map(fd);
    const empty = new Uint8Array(0);
    expect(codeOf(() => map.pop())).toBe('ENOENT');
    expect(codeOf(() => bpf.mapLookupElem(fd, empty))).toBe('ENOENT');
    for (const v of [1, 2, 3]) bpf.mapUpdateElem(fd, empty, u32(v));
    expect(codeOf(() => map.push(u32(4)))).toBe('E2BIG');
    expect(codeOf(() => map.push(u32(4), BPF_NOEXIST))).toBe('EINVAL');
    expect(readU32(bpf.mapLookupElem(fd, empty))).toBe(order[0]);
    expect([0, 1, 2].map(() => readU32(bpf.mapLookupAndDeleteElem(fd, empty)))).toEqual(order);
    for (const v of [1, 2, 3]) map.push(u32(v));
    map.push(u32(4), BPF_EXIST); // overwrites the oldest (1)
    expect([0, 1, 2].map(() => readU32(map.pop()))).toEqual(afterOverwrite);
    expect(codeOf(() => bpf.mapDeleteElem(fd, empty))).toBe('EINVAL');
    expect(codeOf(() => bpf.mapGetNextKey(fd, undefined))).toBe('EINVAL');
    expect(codeOf(() => bpf.mapLookupElem(fd, u32(0)))).toBe('EINVAL');
  });
});

describe('ring buffer map', () => {
  it('rejects key-based operations', () => {
    const bpf = sys();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_RINGBUF,
      keySize: 0,
      valueSize: 0,
      maxEntries: 4096,
    });
    expect(codeOf(() => bpf.mapLookupElem(fd, new Uint8Array(0)))).toBe('ENOTSUPP');
    expect(codeOf(() => bpf.mapUpdateElem(fd, new Uint8Array(0), new Uint8Array(0)))).toBe(
      'ENOTSUPP',
    );
  });
});

describe('perf event array', () => {
  it('stores perf event fds and rejects others', () => {
    const bpf = sys(2);
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_PERF_EVENT_ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 2,
    });
    const ev = bpf.perfEventOpen(1);
    bpf.mapUpdateElem(fd, u32(1), u32(ev));
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(0), u32(fd)))).toBe('EBADF');
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(2), u32(ev)))).toBe('E2BIG');
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(0), u32(ev), BPF_NOEXIST))).toBe('EINVAL');
    expect(codeOf(() => bpf.mapLookupElem(fd, u32(1)))).toBe('ENOTSUPP');
    bpf.mapDeleteElem(fd, u32(1));
    expect(codeOf(() => bpf.mapDeleteElem(fd, u32(1)))).toBe('ENOENT');
  });
});

describe('command layer handles', () => {
  it('reports EBADF and reuses the lowest fd', () => {
    const bpf = sys();
    const a = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
    });
    const b = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 1,
    });
    bpf.close(a);
    expect(codeOf(() => bpf.mapLookupElem(a, u32(0)))).toBe('EBADF');
    expect(
      bpf.mapCreate({ mapType: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }),
    ).toBe(a);
    expect(codeOf(() => bpf.close(99))).toBe('EBADF');
    const ev = bpf.perfEventOpen(0);
    expect(codeOf(() => bpf.mapLookupElem(ev, u32(0)))).toBe('EINVAL');
    expect(b).toBe(4);
  });
});
