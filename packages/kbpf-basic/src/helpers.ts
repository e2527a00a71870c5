// SPDX-License-Identifier: MIT
// The standard helpers with Linux ids and semantics (include/uapi/linux/bpf.h, kernel/bpf/
// helpers.c, kernel/trace/bpf_trace.c, kernel/bpf/ringbuf.c); role of Starry-OS/kbpf-basic
// src/helper/mod.rs and Iscreamx/axebpf src/helpers.rs. Errors are returned as -errno.

import type { HelperCall, HelperTable } from '@axebpf/rbpf';
import {
  BPF_FUNC,
  BPF_MAX_LOOPS,
  BPF_RB_FORCE_WAKEUP,
  BPF_RB_NO_WAKEUP,
  ERRNO,
} from './constants.js';
import { MapError } from './errors.js';
import type { BpfMap } from './maps/base.js';
import { PerfEventArrayMap } from './maps/perf.js';
import { RingBufMap } from './maps/ringbuf.js';
import { formatPrintk } from './printf.js';
import type { Platform } from './platform.js';
import { checkedCurrentCpu } from './platform.js';
import type { MapRegistry } from './registry.js';

/** Options of {@link registerStandardHelpers}. */
export interface StandardHelperOptions {
  /** The maps programs may pass to helpers. */
  maps: MapRegistry;
  /** Time, CPU, task and printk sink. Default: the registry's platform. */
  platform?: Platform;
  /** Longest string `%s` reads. Default 256. */
  maxStringLength?: number;
}

const SEG = 4294967296;

function mapArg(maps: MapRegistry, call: HelperCall, i: number): BpfMap {
  const map = maps.fromPointer(call.hi(i), call.u32(i));
  if (map === undefined)
    throw new MapError({
      code: 'EBADF',
      message: `helper ${call.id} at insn #${call.pc}: argument ${i} (0x${call.u64(i).toString(16)}) is not a map pointer`,
    });
  return map;
}

/**
 * Reads a NUL-terminated string from program memory without faulting.
 * @param call - the helper call (for its memory).
 * @param address - the string's address.
 * @param max - most characters to read.
 * @returns the string ('' when the address is not readable).
 */
export function readCString(call: HelperCall, address: bigint, max: number): string {
  const a = BigInt.asUintN(64, address);
  const hi = Number(a >> 32n) | 0;
  const lo = Number(a & 0xffffffffn);
  const at = call.memory.offsetOf(hi, lo, 1, false);
  if (at < 0) return '';
  const limit = Math.min(max, call.memory.segmentSize[hi]! - lo);
  const b = call.memory.bytes;
  let s = '';
  for (let i = 0; i < limit && b[at + i] !== 0; i++) s += String.fromCharCode(b[at + i]!);
  return s;
}

/**
 * Registers the standard helpers on a table: ids 1–8, 14, 16, 25, 87–89, 130–134, 164, 181 and 195
 * (see {@link BPF_FUNC}). Map arguments are map pointers (`lddw src=1`, resolved by the
 * command layer to {@link BpfMap.address}).
 * @param table - the helper table of the VMs.
 * @param options - maps and platform.
 * @returns the table.
 */
export function registerStandardHelpers(
  table: HelperTable,
  options: StandardHelperOptions,
): HelperTable {
  const maps = options.maps;
  const platform = options.platform ?? maps.platform;
  const maxString = options.maxStringLength ?? 256;
  const F = BPF_FUNC;

  table.register(F.map_lookup_elem, 'map_lookup_elem', (call) => {
    const map = mapArg(maps, call, 1);
    return map.progLookup(call.pointer(2, map.keySize, 'load'));
  });
  table.register(F.map_update_elem, 'map_update_elem', (call) => {
    const map = mapArg(maps, call, 1);
    if (call.hi(4) !== 0) return -ERRNO.EINVAL;
    const key = call.pointer(2, map.keySize, 'load');
    return map.progUpdate(key, call.pointer(3, map.valueSize, 'load'), call.u32(4));
  });
  table.register(F.map_delete_elem, 'map_delete_elem', (call) => {
    const map = mapArg(maps, call, 1);
    return map.progDelete(call.pointer(2, map.keySize, 'load'));
  });
  table.register(F.probe_read, 'probe_read', (call) => {
    const size = call.u32(2);
    if (call.hi(2) !== 0) return -ERRNO.EINVAL;
    if (size === 0) return 0;
    const dst = call.pointer(1, size, 'store');
    const src = call.memory.offsetOf(call.hi(3), call.u32(3), size, false);
    const b = call.memory.bytes;
    if (src < 0) {
      b.fill(0, dst, dst + size);
      return -ERRNO.EFAULT;
    }
    b.copyWithin(dst, src, src + size);
    return 0;
  });
  table.register(F.ktime_get_ns, 'ktime_get_ns', () => platform.timeNs());
  table.register(F.trace_printk, 'trace_printk', (call) => {
    const size = call.u32(2);
    if (size === 0 || call.hi(2) !== 0) return -ERRNO.EINVAL;
    const at = call.pointer(1, size, 'load');
    const b = call.memory.bytes;
    const nul = b.subarray(at, at + size).indexOf(0);
    if (nul < 0) return -ERRNO.EINVAL;
    let fmt = '';
    for (let i = 0; i < nul; i++) fmt += String.fromCharCode(b[at + i]!);
    const r = formatPrintk(fmt, [call.u64(3), call.u64(4), call.u64(5)], (address) =>
      readCString(call, address, maxString),
    );
    if (!r.ok) return -ERRNO.EINVAL;
    platform.printk(r.text);
    return r.text.length;
  });
  table.register(F.get_prandom_u32, 'get_prandom_u32', () =>
    platform.random32 !== undefined
      ? platform.random32() >>> 0
      : Math.floor(Math.random() * 4294967296),
  );
  table.register(F.get_smp_processor_id, 'get_smp_processor_id', () => checkedCurrentCpu(platform));
  table.register(F.get_current_pid_tgid, 'get_current_pid_tgid', () => platform.pidTgid());
  table.register(F.get_current_comm, 'get_current_comm', (call) => {
    const size = call.u32(2);
    if (size === 0) return -ERRNO.EINVAL;
    const dst = call.pointer(1, size, 'store');
    const comm = platform.comm();
    const b = call.memory.bytes;
    b.fill(0, dst, dst + size);
    const n = Math.min(comm.length, size - 1, 15);
    for (let i = 0; i < n; i++) b[dst + i] = comm.charCodeAt(i) & 0xff;
    return 0;
  });
  table.register(F.perf_event_output, 'perf_event_output', (call) => {
    const map = mapArg(maps, call, 2);
    if (!(map instanceof PerfEventArrayMap)) return -ERRNO.EINVAL;
    const size = call.u32(5);
    const at = call.pointer(4, size, 'load');
    return map.output(call.u64(3), call.memory.bytes.slice(at, at + size));
  });
  table.register(F.map_push_elem, 'map_push_elem', (call) => {
    const map = mapArg(maps, call, 1);
    if (call.hi(3) !== 0) return -ERRNO.EINVAL;
    return map.progPush(call.pointer(2, map.valueSize, 'load'), call.u32(3));
  });
  table.register(F.map_pop_elem, 'map_pop_elem', (call) => {
    const map = mapArg(maps, call, 1);
    return map.progPop(call.pointer(2, map.valueSize, 'store'), true);
  });
  table.register(F.map_peek_elem, 'map_peek_elem', (call) => {
    const map = mapArg(maps, call, 1);
    return map.progPop(call.pointer(2, map.valueSize, 'store'), false);
  });

  const ringArg = (call: HelperCall): RingBufMap | undefined => {
    const map = mapArg(maps, call, 1);
    return map instanceof RingBufMap ? map : undefined;
  };
  const wakeFlags = BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP;
  table.register(F.ringbuf_output, 'ringbuf_output', (call) => {
    const rb = ringArg(call);
    if (rb === undefined) return -ERRNO.EINVAL;
    const flags = call.u64(4);
    if ((flags & ~BigInt(wakeFlags)) !== 0n) return -ERRNO.EINVAL;
    const size = call.u32(3);
    if (call.hi(3) !== 0) return -ERRNO.E2BIG;
    const at = call.pointer(2, size, 'load');
    if (!rb.output(call.memory.bytes, at, size)) return -ERRNO.EAGAIN;
    if ((Number(flags) & BPF_RB_NO_WAKEUP) === 0) rb.wake();
    return 0;
  });
  table.register(F.ringbuf_reserve, 'ringbuf_reserve', (call) => {
    const rb = ringArg(call);
    if (rb === undefined) return 0;
    if (call.u64(3) !== 0n || call.hi(2) !== 0) {
      // Linux refuses unknown flags and sizes above 2^32 with NULL; count it so it is not silent.
      rb.drop();
      return 0;
    }
    const payload = rb.reserve(call.u32(2));
    return payload < 0 ? 0 : rb.data.segment * SEG + payload;
  });
  const commit = (discard: boolean) => (call: HelperCall) => {
    const rb = maps.ringFromDataPointer(call.hi(1));
    if (rb === undefined || !rb.commit(call.u32(1), discard)) {
      throw new MapError({
        code: 'EINVAL',
        message: `ringbuf_${discard ? 'discard' : 'submit'} at insn #${call.pc}: 0x${call.u64(1).toString(16)} is not a reserved ring buffer record`,
      });
    }
    if ((call.u32(2) & BPF_RB_NO_WAKEUP) === 0) rb.wake();
    return 0;
  };
  table.register(F.ringbuf_submit, 'ringbuf_submit', commit(false));
  table.register(F.ringbuf_discard, 'ringbuf_discard', commit(true));
  table.register(F.ringbuf_query, 'ringbuf_query', (call) => {
    const rb = ringArg(call);
    return rb === undefined ? 0 : rb.query(call.u32(2));
  });
  table.register(F.for_each_map_elem, 'for_each_map_elem', (call) => {
    const map = mapArg(maps, call, 1);
    if (call.u64(4) !== 0n) return -ERRNO.EINVAL;
    const ctx = call.u64(3);
    const address = Number(map.address);
    try {
      // The callback (r2, a BPF_PSEUDO_FUNC pointer) runs through rbpf's HelperCall.invoke.
      return map.forEachEntry(
        (k, v) => (call.invoke(2, [address, k, v, ctx]) & 0xffffffffn) !== 0n,
      );
    } catch (e) {
      if (MapError.isInstance(e) && e.code === 'ENOTSUPP') return -ERRNO.EINVAL;
      throw e;
    }
  });
  table.register(F.loop, 'loop', (call) => {
    // bpf_loop(nr_loops, callback_fn, callback_ctx, flags): callback(i, ctx) until it returns 1.
    if (call.u64(4) !== 0n) return -ERRNO.EINVAL;
    if (call.hi(1) !== 0 || call.u32(1) > BPF_MAX_LOOPS) return -ERRNO.E2BIG;
    const n = call.u32(1);
    const ctx = call.u64(3);
    for (let i = 0; i < n; i++) {
      // Its instructions count against the run's one budget (rbpf), so a long loop ends there.
      if ((call.invoke(2, [i, ctx]) & 0xffffffffn) === 1n) return i + 1;
    }
    return n;
  });
  table.register(F.map_lookup_percpu_elem, 'map_lookup_percpu_elem', (call) => {
    const map = mapArg(maps, call, 1);
    return map.progLookupPercpu(call.pointer(2, map.keySize, 'load'), call.u32(3));
  });
  return table;
}
