import type { Insn } from '@axebpf/rbpf';
import { Program, ProgramBuilder, VmError, reg } from '@axebpf/rbpf';
import { describe, expect, it } from 'vitest';
import type { RingBufMap } from '../src/index.js';
import {
  BPF_FUNC as F,
  BPF_EXIST,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_QUEUE,
  BPF_MAP_TYPE_RINGBUF,
  BPF_NOEXIST,
  BpfSystem,
  PerfBufferConsumer,
  RingBufConsumer,
  createMockPlatform,
} from '../src/index.js';
import { engines, readU32, readU64, u32, u64 } from './util.js';

/** Stores bytes at r10+off one byte at a time. */
function putBytes(b: ProgramBuilder, off: number, bytes: Uint8Array | string): ProgramBuilder {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  data.forEach((v, i) => b.store('b', 10, off + i, v));
  return b;
}
/** r{dst} = r10 + off. */
const fp = (b: ProgramBuilder, dst: number, off: number) =>
  b.alu64('mov', dst, reg(10)).alu64('add', dst, off);
const s64 = (v: bigint) => BigInt.asIntN(64, v);

describe.each(engines)('helpers on the $name', (engine) => {
  const setup = (cpus = 1) => {
    const platform = createMockPlatform({ cpus, pid: 42, tgid: 7, comm: 'a-very-long-task-name' });
    const bpf = new BpfSystem({ platform });
    return {
      bpf,
      platform,
      load: (p: Program | ProgramBuilder) =>
        engine.load(bpf, p instanceof ProgramBuilder ? p.build() : p),
    };
  };

  it('map_lookup_elem returns a pointer into the map: stores through it update the map, shared by two programs', () => {
    const { bpf, load } = setup();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    bpf.mapUpdateElem(fd, u32(5), u64(100n));
    // key 5 on the stack; v = lookup; if v: *v += 1; return v != 0
    const prog = () => {
      const b = new ProgramBuilder().store('w', 10, -4, 5).lddw(1, fd, 1);
      fp(b, 2, -4)
        .call(F.map_lookup_elem)
        .alu64('mov', 6, reg(0))
        .alu64('mov', 0, 0)
        .jump('jeq', 6, 0, 'out');
      return b
        .load('dw', 7, 6, 0)
        .alu64('add', 7, 1)
        .store('dw', 6, 0, reg(7))
        .alu64('mov', 0, 1)
        .label('out')
        .exit();
    };
    const a = load(prog());
    const c = load(prog());
    expect(a.run()).toBe(1n);
    expect(c.run()).toBe(1n);
    expect(a.run()).toBe(1n);
    expect(readU64(bpf.mapLookupElem(fd, u32(5)))).toBe(103n);
  });

  it('map_lookup_elem returns NULL for a missing key and an out-of-range array index', () => {
    const { bpf, load } = setup();
    const h = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    const arr = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    for (const [fd, key] of [
      [h, 1],
      [arr, 4],
    ] as const) {
      const b = new ProgramBuilder().store('w', 10, -4, key).lddw(1, fd, 1);
      expect(load(fp(b, 2, -4).call(F.map_lookup_elem).exit()).run()).toBe(0n);
    }
  });

  it('map_update_elem / map_delete_elem return 0 or -errno', () => {
    const { bpf, load } = setup();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
    });
    const update = (key: number, value: number, flags: number) => {
      const b = new ProgramBuilder()
        .store('w', 10, -4, key)
        .store('dw', 10, -16, value)
        .lddw(1, fd, 1);
      fp(b, 2, -4);
      fp(b, 3, -16);
      return s64(load(b.alu64('mov', 4, flags).call(F.map_update_elem).exit()).run());
    };
    const del = (key: number) => {
      const b = new ProgramBuilder().store('w', 10, -4, key).lddw(1, fd, 1);
      return s64(load(fp(b, 2, -4).call(F.map_delete_elem).exit()).run());
    };
    expect(update(1, 10, BPF_EXIST)).toBe(-2n);
    expect(update(1, 10, BPF_NOEXIST)).toBe(0n);
    expect(update(1, 11, BPF_NOEXIST)).toBe(-17n);
    expect(update(2, 12, 0)).toBe(-7n); // full: E2BIG
    expect(update(1, 13, 9)).toBe(-22n);
    expect(readU64(bpf.mapLookupElem(fd, u32(1)))).toBe(10n);
    expect(del(1)).toBe(0n);
    expect(del(1)).toBe(-2n);
  });

  it('a pointer that is not a map stops the program with HELPER_ERROR naming the pc', () => {
    const { load } = setup();
    const b = new ProgramBuilder().alu64('mov', 1, 0);
    fp(b, 2, -4).call(F.map_lookup_elem).exit();
    let err: unknown;
    try {
      load(b).run();
    } catch (e) {
      err = e;
    }
    expect(VmError.isInstance(err)).toBe(true);
    expect((err as VmError).code).toBe('HELPER_ERROR');
  });

  it('probe_read copies, and on a bad source zeroes the destination and returns -EFAULT', () => {
    const { load } = setup();
    const b = new ProgramBuilder().store('dw', 10, -8, 0x11223344).store('dw', 10, -16, -1);
    fp(b, 1, -16).alu64('mov', 2, 8);
    fp(b, 3, -8).call(F.probe_read).alu64('mov', 6, reg(0)).load('dw', 7, 10, -16);
    // Now a bad source (address 8): returns -EFAULT, destination zeroed.
    b.store('dw', 10, -24, -1);
    fp(b, 1, -24)
      .alu64('mov', 2, 8)
      .alu64('mov', 3, 8)
      .call(F.probe_read)
      .alu64('mov', 8, reg(0))
      .load('dw', 9, 10, -24);
    // r0 = (r6 == 0 && r7 == 0x11223344 && r8 == -14 && r9 == 0)
    b.alu64('mov', 0, 0)
      .jump('jne', 6, 0, 'out')
      .jump('jne', 7, 0x11223344, 'out')
      .jump('jne', 8, -14, 'out')
      .jump('jne', 9, 0, 'out')
      .alu64('mov', 0, 1)
      .label('out')
      .exit();
    expect(load(b).run()).toBe(1n);
  });

  it('probe_read with a bad destination faults', () => {
    const { load } = setup();
    const b = new ProgramBuilder().alu64('mov', 1, 16).alu64('mov', 2, 8);
    fp(b, 3, -8).call(F.probe_read).exit();
    expect(() => load(b).run()).toThrow(/invalid store/);
  });

  it('time, CPU, pid/tgid, comm and random come from the platform', () => {
    const { load, platform } = setup(4);
    platform.nowNs = 5000n;
    expect(load(new ProgramBuilder().call(F.ktime_get_ns).exit()).run()).toBe(5000n);
    platform.cpu = 3;
    expect(load(new ProgramBuilder().call(F.get_smp_processor_id).exit()).run()).toBe(3n);
    expect(load(new ProgramBuilder().call(F.get_current_pid_tgid).exit()).run()).toBe(
      (7n << 32n) | 42n,
    );
    const r = load(new ProgramBuilder().call(F.get_prandom_u32).exit());
    const draws = new Set([r.run(), r.run(), r.run()]);
    expect(draws.size).toBe(3);
    for (const d of draws) expect(d < 1n << 32n).toBe(true);
    // comm into a 16-byte buffer: 15 characters and a NUL.
    const b = new ProgramBuilder().store('dw', 10, -16, -1).store('dw', 10, -8, -1);
    fp(b, 1, -16).alu64('mov', 2, 16).call(F.get_current_comm).exit();
    const c = load(b);
    expect(c.run()).toBe(0n);
    const stack = c.vm.memory.bytesOf(c.vm.stack);
    expect(new TextDecoder().decode(stack.subarray(stack.length - 16, stack.length - 1))).toBe(
      'a-very-long-tas',
    );
    expect(stack[stack.length - 1]).toBe(0);
  });

  it('trace_printk formats its three arguments as values and %s safely', () => {
    const { load, platform } = setup();
    const fmtText = 'x=%d u=%05u h=%#llx s=[%s]\n';
    const b = putBytes(new ProgramBuilder(), -64, fmtText + '\0');
    putBytes(b, -16, 'hi\0');
    fp(b, 1, -64)
      .alu64('mov', 2, fmtText.length + 1)
      .alu64('mov', 3, -5)
      .alu64('mov', 4, 42)
      .lddw(5, 0xdeadbeef00n);
    // Only 3 arguments: the %s has none left -> refused.
    const refused = load(b.call(F.trace_printk).exit());
    expect(s64(refused.run())).toBe(-22n);
    expect(platform.lines).toEqual([]);

    const fmt2 = '%d %5s|%-4c|%p\n';
    const b2 = putBytes(new ProgramBuilder(), -64, fmt2 + '\0');
    putBytes(b2, -16, 'hi\0');
    fp(b2, 1, -64)
      .alu64('mov', 2, fmt2.length + 1)
      .alu64('mov', 3, -5);
    fp(b2, 4, -16).alu64('mov', 5, 65).call(F.trace_printk).exit();
    // 4 conversions > 3 args -> -EINVAL too; fix to three.
    expect(s64(load(b2).run())).toBe(-22n);

    const fmt3 = '%d %5s|%-4c|\n';
    const b3 = putBytes(new ProgramBuilder(), -64, fmt3 + '\0');
    putBytes(b3, -16, 'hi\0');
    fp(b3, 1, -64)
      .alu64('mov', 2, fmt3.length + 1)
      .alu64('mov', 3, -5);
    fp(b3, 4, -16).alu64('mov', 5, 65).call(F.trace_printk).exit();
    const expected = '-5    hi|A   |\n';
    expect(load(b3).run()).toBe(BigInt(expected.length));
    expect(platform.lines).toEqual([expected]);

    // %s on an unreadable pointer prints an empty string (Linux behaviour).
    const fmt4 = '[%s]\0';
    const b4 = putBytes(new ProgramBuilder(), -8, fmt4);
    fp(b4, 1, -8).alu64('mov', 2, fmt4.length).alu64('mov', 3, 123).call(F.trace_printk).exit();
    expect(load(b4).run()).toBe(2n);
    expect(platform.lines[1]).toBe('[]');

    // A format without NUL inside fmt_size is refused.
    const b5 = putBytes(new ProgramBuilder(), -8, 'abcd');
    fp(b5, 1, -8).alu64('mov', 2, 4).call(F.trace_printk).exit();
    expect(s64(load(b5).run())).toBe(-22n);
  });

  it('map_push/pop/peek_elem on a queue', () => {
    const { bpf, load } = setup();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_QUEUE,
      keySize: 0,
      valueSize: 8,
      maxEntries: 2,
    });
    const push = (v: number, flags = 0) => {
      const b = new ProgramBuilder().store('dw', 10, -8, v).lddw(1, fd, 1);
      return s64(load(fp(b, 2, -8).alu64('mov', 3, flags).call(F.map_push_elem).exit()).run());
    };
    const take = (id: number) => {
      const b = new ProgramBuilder().lddw(1, fd, 1);
      fp(b, 2, -8).call(id).jump('jne', 0, 0, 'out').load('dw', 0, 10, -8).label('out').exit();
      return s64(load(b).run());
    };
    expect(take(F.map_pop_elem)).toBe(-2n);
    expect(push(1)).toBe(0n);
    expect(push(2)).toBe(0n);
    expect(push(3)).toBe(-7n);
    expect(push(3, BPF_EXIST)).toBe(0n);
    expect(take(F.map_peek_elem)).toBe(2n);
    expect(take(F.map_pop_elem)).toBe(2n);
    expect(take(F.map_pop_elem)).toBe(3n);
  });

  it('perf_event_output writes to the current CPU and reports losses', () => {
    const { bpf, load, platform } = setup(2);
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_PERF_EVENT_ARRAY,
      keySize: 4,
      valueSize: 4,
      maxEntries: 2,
    });
    const events = [bpf.perfEventOpen(0, 32), bpf.perfEventOpen(1, 32)];
    events.forEach((ev, cpu) => bpf.mapUpdateElem(fd, u32(cpu), u32(ev)));
    const out = (flags: bigint) => {
      const b = new ProgramBuilder().store('dw', 10, -8, 0x5a).lddw(2, fd, 1).lddw(3, flags);
      fp(b, 4, -8).alu64('mov', 5, 8).call(F.perf_event_output).exit();
      return s64(load(b).run());
    };
    platform.cpu = 1;
    expect(out(0xffffffffn)).toBe(0n);
    expect(out(0xffffffffn)).toBe(-28n); // 32 bytes hold one 8-byte sample (20 bytes): ENOSPC
    expect(out(0n)).toBe(-95n); // event of CPU 0 from CPU 1: EOPNOTSUPP
    expect(out(5n)).toBe(-7n);
    expect(out(1n << 40n)).toBe(-22n);
    const samples: [number, bigint][] = [];
    const lost: [number, number][] = [];
    const consumer = new PerfBufferConsumer(events.map((e) => bpf.perfEvent(e)));
    expect(
      consumer.poll(
        (cpu, d) => samples.push([cpu, readU64(d)]),
        (cpu, n) => lost.push([cpu, n]),
      ),
    ).toEqual({ records: 1, lost: 1 });
    expect(samples).toEqual([[1, 0x5an]]);
    expect(lost).toEqual([[1, 1]]);
  });

  it('ringbuf reserve/submit/discard/output/query, read by the consumer with drops reported', () => {
    const { bpf, load } = setup();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_RINGBUF,
      keySize: 0,
      valueSize: 0,
      maxEntries: 4096,
    });
    const rb = bpf.map(fd) as RingBufMap;
    // reserve 16 bytes, write two u64 through the pointer, submit; then reserve + discard; then output.
    const b = new ProgramBuilder()
      .lddw(1, fd, 1)
      .alu64('mov', 2, 16)
      .alu64('mov', 3, 0)
      .call(F.ringbuf_reserve)
      .jump('jeq', 0, 0, 'fail');
    b.store('dw', 0, 0, 0x1111)
      .store('dw', 0, 8, 0x2222)
      .alu64('mov', 1, reg(0))
      .alu64('mov', 2, 0)
      .call(F.ringbuf_submit);
    b.lddw(1, fd, 1)
      .alu64('mov', 2, 8)
      .alu64('mov', 3, 0)
      .call(F.ringbuf_reserve)
      .jump('jeq', 0, 0, 'fail');
    b.alu64('mov', 1, reg(0)).alu64('mov', 2, 0).call(F.ringbuf_discard);
    b.store('dw', 10, -8, 0x3333).lddw(1, fd, 1);
    fp(b, 2, -8).alu64('mov', 3, 8).alu64('mov', 4, 0).call(F.ringbuf_output);
    b.lddw(1, fd, 1)
      .alu64('mov', 2, 0)
      .call(F.ringbuf_query)
      .exit()
      .label('fail')
      .alu64('mov', 0, -1)
      .exit();
    const p = load(b);
    expect(p.run()).toBe(BigInt(24 + 16 + 16)); // available data: three records (headers included)
    const got: bigint[][] = [];
    const lostReports: number[] = [];
    const consumer = new RingBufConsumer(rb, (k) => lostReports.push(k));
    expect(
      consumer.poll((d) =>
        got.push(Array.from({ length: d.length / 8 }, (_, i) => readU64(d, i * 8))),
      ),
    ).toEqual({ records: 2, lost: 0 });
    expect(got).toEqual([[0x1111n, 0x2222n], [0x3333n]]);
    // Fill the ring: 4096 bytes hold 170 records of 16+8 bytes; the rest are dropped and reported.
    const out = new ProgramBuilder().store('dw', 10, -8, 7).store('dw', 10, -16, 9).lddw(1, fd, 1);
    fp(out, 2, -16).alu64('mov', 3, 16).alu64('mov', 4, 0).call(F.ringbuf_output).exit();
    const o = load(out);
    const results = Array.from({ length: 200 }, () => s64(o.run()));
    expect(results.filter((r) => r === 0n).length).toBe(170);
    expect(results.filter((r) => r === -11n).length).toBe(30);
    let n = 0;
    expect(consumer.poll(() => n++)).toEqual({ records: 170, lost: 30 });
    expect(n).toBe(170);
    expect(lostReports).toEqual([30]);
    expect(consumer.lostTotal).toBe(30);
  });

  it('ringbuf records that wrap around the end are read back intact', () => {
    const { bpf, load } = setup();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_RINGBUF,
      keySize: 0,
      valueSize: 0,
      maxEntries: 4096,
    });
    const rb = bpf.map(fd) as RingBufMap;
    // Reserve 1000 bytes, fill with the byte index pattern via a loop, submit.
    const b = new ProgramBuilder()
      .lddw(1, fd, 1)
      .alu64('mov', 2, 1000)
      .alu64('mov', 3, 0)
      .call(F.ringbuf_reserve)
      .jump('jeq', 0, 0, 'out');
    b.alu64('mov', 6, 0)
      .label('loop')
      .alu64('mov', 7, reg(0))
      .alu64('add', 7, reg(6))
      .alu64('mov', 8, reg(6))
      .alu64('add', 8, 3)
      .store('b', 7, 0, reg(8))
      .alu64('add', 6, 1)
      .jump('jlt', 6, 1000, 'loop');
    b.alu64('mov', 1, reg(0))
      .alu64('mov', 2, 0)
      .call(F.ringbuf_submit)
      .alu64('mov', 0, 1)
      .label('out')
      .exit();
    const p = load(b);
    const c = new RingBufConsumer(rb);
    const seen: Uint8Array[] = [];
    for (let i = 0; i < 12; i++) {
      expect(p.run()).toBe(1n);
      c.poll((d) => seen.push(d));
    }
    expect(rb.consumerPos).toBeGreaterThan(4096 * 2);
    expect(seen.length).toBe(12);
    for (const d of seen) expect(d.every((v, i) => v === ((i + 3) & 0xff))).toBe(true);
  });

  it('for_each_map_elem calls a BPF callback per element; a non-zero return stops', () => {
    const { bpf, load } = setup();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 8,
    });
    for (const k of [1, 2, 3, 4]) bpf.mapUpdateElem(fd, u32(k), u64(BigInt(k * 10)));
    // main: ctx (a u64 sum on the stack) = 0; n = for_each(map, cb, &sum, 0); return sum * 100 + n
    // cb(map, key, value, ctx): *ctx += *value; *value += 1; return *key == 3
    const main = new ProgramBuilder().store('dw', 10, -8, 0).lddw(1, fd, 1).lddw(2, 0, 4);
    fp(main, 3, -8)
      .alu64('mov', 4, 0)
      .call(F.for_each_map_elem)
      .load('dw', 6, 10, -8)
      .alu64('mul', 6, 100)
      .alu64('add', 0, reg(6))
      .exit();
    const mainInsns = main.insns();
    const cbPc = mainInsns.reduce((n, i) => n + (i.opcode === 0x18 ? 2 : 1), 0);
    const cb = new ProgramBuilder()
      .load('dw', 5, 3, 0)
      .load('dw', 6, 4, 0)
      .alu64('add', 6, reg(5))
      .store('dw', 4, 0, reg(6))
      .alu64('add', 5, 1)
      .store('dw', 3, 0, reg(5));
    cb.load('w', 0, 2, 0)
      .alu64('mov', 7, 0)
      .jump('jne', 0, 3, 'cont')
      .alu64('mov', 7, 1)
      .label('cont')
      .alu64('mov', 0, reg(7))
      .exit();
    // Patch the BPF_PSEUDO_FUNC lddw: imm = target - (lddw pc + 1); the lddw is at slot 3.
    const insns: Omit<Insn, 'pc'>[] = [...mainInsns, ...cb.insns()];
    const funcLddw = insns.findIndex((i) => i.opcode === 0x18 && i.src === 4);
    expect(funcLddw).toBe(2);
    insns[funcLddw] = { ...insns[funcLddw]!, imm: cbPc - (3 + 1) };
    const p = load(Program.fromInsns(insns));
    expect(p.run()).toBe(BigInt((10 + 20 + 30) * 100 + 3));
    expect([1, 2, 3, 4].map((k) => readU64(bpf.mapLookupElem(fd, u32(k))))).toEqual([
      11n,
      21n,
      31n,
      40n,
    ]);
  });

  it('map_lookup_percpu_elem reads another CPU copy; lookups use the current CPU', () => {
    const { bpf, load, platform } = setup(2);
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_PERCPU_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
    });
    const v = new Uint8Array(16);
    v.set(u64(5n), 0);
    v.set(u64(6n), 8);
    bpf.mapUpdateElem(fd, u32(0), v);
    const percpu = (cpu: number) => {
      const b = new ProgramBuilder().store('w', 10, -4, 0).lddw(1, fd, 1);
      fp(b, 2, -4)
        .alu64('mov', 3, cpu)
        .call(F.map_lookup_percpu_elem)
        .jump('jeq', 0, 0, 'out')
        .load('dw', 0, 0, 0)
        .label('out')
        .exit();
      return load(b).run();
    };
    expect(percpu(1)).toBe(6n);
    expect(percpu(0)).toBe(5n);
    expect(percpu(2)).toBe(0n);
    platform.cpu = 1;
    const b = new ProgramBuilder().store('w', 10, -4, 0).lddw(1, fd, 1);
    fp(b, 2, -4)
      .call(F.map_lookup_elem)
      .load('dw', 6, 0, 0)
      .alu64('add', 6, 100)
      .store('dw', 0, 0, reg(6))
      .alu64('mov', 0, reg(6))
      .exit();
    expect(load(b).run()).toBe(106n);
    const after = bpf.mapLookupElem(fd, u32(0));
    expect([readU64(after, 0), readU64(after, 8)]).toEqual([5n, 106n]);
  });

  it('lddw BPF_PSEUDO_MAP_VALUE loads the address of a single-entry array value', () => {
    const { bpf, load } = setup();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 16,
      maxEntries: 1,
    });
    bpf.mapUpdateElem(fd, u32(0), new Uint8Array([...u64(1n), ...u64(41n)]));
    const insns = new ProgramBuilder()
      .lddw(1, fd, 2)
      .load('dw', 0, 1, 0)
      .alu64('add', 0, 1)
      .store('dw', 1, 0, reg(0))
      .exit()
      .insns();
    insns[0] = { ...insns[0]!, imm2: 8 };
    expect(load(Program.fromInsns(insns)).run()).toBe(42n);
    expect(readU64(bpf.mapLookupElem(fd, u32(0)), 8)).toBe(42n);
    expect(readU32(bpf.mapLookupElem(fd, u32(0)), 0)).toBe(1);
  });
});
