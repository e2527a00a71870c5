import { describe, expect, it } from 'vitest';
import {
  decodeTraceEvent,
  encodeTraceEvent,
  EventRing,
  TRACE_EVENT_SIZE,
  type EventInput,
} from '../src/index.js';

const ev = (i: number, over: Partial<EventInput> = {}): EventInput => ({
  timestampNs: BigInt(1000 + i),
  probeType: 'tracepoint',
  cpuId: i % 2,
  vmId: 1 + (i % 3),
  eventId: 7,
  name: 'vmm:vcpu_run_exit',
  args: [BigInt(i)],
  durationNs: BigInt(i * 10),
  ...over,
});

describe('TraceEvent encoding', () => {
  it('lays the record out as the Rust repr(C) struct: 64 bytes, fields at their offsets', () => {
    const bytes = encodeTraceEvent(
      {
        timestampNs: 0x0102030405060708n,
        probeType: 'kretprobe',
        cpuId: 0x1ff,
        vmId: 0x1234,
        eventId: 0xdeadbeef,
        name: 'x',
        args: [1n, 2n, 3n, 0xffffffffffffffffn],
        durationNs: 99n,
      },
      5,
    );
    expect(bytes.length).toBe(TRACE_EVENT_SIZE);
    const v = new DataView(bytes.buffer);
    expect(v.getBigUint64(0, true)).toBe(0x0102030405060708n);
    expect(v.getUint8(8)).toBe(4);
    expect(v.getUint8(9)).toBe(0xff); // truncated to u8
    expect(v.getUint16(10, true)).toBe(0x1234);
    expect(v.getUint32(12, true)).toBe(0xdeadbeef);
    expect(v.getUint16(16, true)).toBe(5);
    expect(v.getUint8(18)).toBe(4);
    expect(v.getBigUint64(24 + 3 * 8, true)).toBe(0xffffffffffffffffn);
    expect(v.getBigUint64(56, true)).toBe(99n);
  });

  it('round-trips through decode with the name table', () => {
    const input = ev(3);
    const decoded = decodeTraceEvent(encodeTraceEvent(input, 1), ['a', 'vmm:vcpu_run_exit']);
    expect(decoded).toEqual({ ...input, args: [3n] });
  });

  it('refuses short records and more than four args', () => {
    expect(() => decodeTraceEvent(new Uint8Array(63))).toThrow(RangeError);
    expect(() => encodeTraceEvent(ev(0, { args: [1n, 2n, 3n, 4n, 5n] }), 0)).toThrow(RangeError);
  });
});

describe('EventRing', () => {
  it('drops the newest event when full and counts it as lost', () => {
    const ring = new EventRing({ capacity: 4 });
    const kept = [0, 1, 2, 3, 4, 5].map((i) => ring.emit(ev(i)));
    expect(kept).toEqual([true, true, true, true, false, false]);
    expect(ring.stats()).toEqual({
      emitted: 6,
      lost: 2,
      pending: 4,
      capacity: 4,
      mode: 'drop-newest',
    });
    expect(ring.drain().map((e) => e.args[0])).toEqual([0n, 1n, 2n, 3n]);
    expect(ring.stats().pending).toBe(0);
  });

  it('overwrites the oldest event in overwrite mode, still counting the loss', () => {
    const ring = new EventRing({ capacity: 3, mode: 'overwrite-oldest' });
    for (let i = 0; i < 5; i++) ring.emit(ev(i));
    expect(ring.stats().lost).toBe(2);
    expect(ring.drain().map((e) => e.args[0])).toEqual([2n, 3n, 4n]);
  });

  it('changes size and mode at run time, keeping the newest pending events', () => {
    const ring = new EventRing({ capacity: 4 });
    for (let i = 0; i < 4; i++) ring.emit(ev(i));
    ring.configure({ capacity: 2 });
    expect(ring.stats()).toMatchObject({ capacity: 2, pending: 2, lost: 2 });
    ring.configure({ capacity: 8, mode: 'overwrite-oldest' });
    for (let i = 4; i < 12; i++) ring.emit(ev(i));
    expect(ring.stats()).toMatchObject({
      capacity: 8,
      pending: 8,
      lost: 4,
      mode: 'overwrite-oldest',
    });
    expect(ring.drain().map((e) => e.args[0])).toEqual([4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n]);
    expect(() => ring.configure({ capacity: 0 })).toThrow(RangeError);
  });

  it('drains at most max events, oldest first, and filters by probe type and VM', () => {
    const ring = new EventRing({ capacity: 16 });
    for (let i = 0; i < 6; i++)
      ring.emit(ev(i, i === 4 ? { probeType: 'hprobe', name: 'hprobe' } : {}));
    expect(ring.peek({ vmId: 2 }).map((e) => e.args[0])).toEqual([1n, 4n]);
    expect(ring.peek({ probeTypes: ['hprobe'] }).map((e) => e.name)).toEqual(['hprobe']);
    expect(ring.drain({ max: 2 }).map((e) => e.args[0])).toEqual([0n, 1n]);
    expect(ring.drain({ filter: { name: /run_exit/ } }).map((e) => e.args[0])).toEqual([
      2n,
      3n,
      5n,
    ]);
  });

  it('lets followers see every event, even ones the full ring drops', () => {
    const ring = new EventRing({ capacity: 1 });
    const seen: bigint[] = [];
    const stop = ring.follow((e) => seen.push(e.args[0]!), { vmId: 1 });
    for (let i = 0; i < 4; i++) ring.emit(ev(i));
    stop();
    ring.emit(ev(6));
    expect(seen).toEqual([0n, 3n]);
  });

  it('registers each name once', () => {
    const ring = new EventRing();
    expect(ring.registerName('a')).toBe(0);
    expect(ring.registerName('b')).toBe(1);
    expect(ring.registerName('a')).toBe(0);
    expect(ring.names).toEqual(['a', 'b']);
  });
});
