// Reproducers of the differential fuzz campaign (issue 26): each failed before its fix.
import { Program, ProgramBuilder } from '@axebpf/rbpf';
import { describe, expect, it } from 'vitest';
import type { RingBufMap } from '../src/index.js';
import { BPF_FUNC as F, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_RINGBUF, BpfSystem, RingBufConsumer, createMockPlatform } from '../src/index.js';
import { engines, u32 } from './util.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

// lddw r1, ring(fd 3); r2 = 16; r3 = 0; r0 = ringbuf_reserve; if r0 == 0 exit;
// *(u32 *)(r0 - 8) = 0x80008000 (the header: BUSY | length 32768); ringbuf_submit(r0, 0); r0 = 7.
const RINGBUF_ESCAPE =
  '18110000030000000000000000000000b702000010000000b7030000000000008500000083000000550001000000000095000000000000006200f8ff00800080bf01000000000000b7020000000000008500000084000000b7000000070000009500000000000000';

describe.each(engines)('safety reproducers on the $name', (engine) => {
  it('a program that rewrites its record header cannot make submit or the consumer leave the ring', () => {
    const bpf = new BpfSystem({ platform: createMockPlatform() });
    const ringFd = bpf.mapCreate({ mapType: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const victimFd = bpf.mapCreate({ mapType: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 32, maxEntries: 1024 });
    expect([ringFd, victimFd]).toEqual([3, 4]);
    const pattern = new Uint8Array(32).map((_, i) => 0xa0 + i);
    for (let k = 0; k < 1024; k++) bpf.mapUpdateElem(victimFd, u32(k), pattern);
    const rb = bpf.map(ringFd) as RingBufMap;
    const victim = bpf.map(victimFd);

    const p = engine.load(bpf, Program.fromBytes(hex(RINGBUF_ESCAPE)));
    expect(p.run()).toBe(7n);

    for (let k = 0; k < 1024; k++) expect(bpf.mapLookupElem(victimFd, u32(k))).toEqual(pattern);
    expect(victim.maxEntries).toBe(1024);
    const records: Uint8Array[] = [];
    expect(new RingBufConsumer(rb).poll((d) => records.push(d))).toEqual({ records: 1, lost: 0 });
    expect(records.map((r) => r.length)).toEqual([16]);
    expect(rb.producerPos).toBe(24);
    expect(rb.consumerPos).toBe(24);
    // The header the consumer sees again is the map's own (length 16, not busy).
    expect(bpf.space.view.getUint32(rb.data.offset, true)).toBe(16);
    // A second run reuses the ring normally.
    expect(p.run()).toBe(7n);
    expect(new RingBufConsumer(rb).poll((d) => records.push(d))).toEqual({ records: 1, lost: 0 });
    expect(rb.consumerPos).toBe(rb.producerPos);
  });

  it('ringbuf_reserve with non-zero flags or above the largest record returns NULL and counts a drop', () => {
    const bpf = new BpfSystem({ platform: createMockPlatform() });
    const fd = bpf.mapCreate({ mapType: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const rb = bpf.map(fd) as RingBufMap;
    const reserve = (size: bigint, flags: number) =>
      new ProgramBuilder().lddw(1, fd, 1).lddw(2, size).alu64('mov', 3, flags).call(F.ringbuf_reserve).exit();
    const lost: number[] = [];
    const consumer = new RingBufConsumer(rb, (n) => lost.push(n));
    expect(engine.load(bpf, reserve(16n, 1).build()).run()).toBe(0n);
    expect(engine.load(bpf, reserve(1n << 32n, 0).build()).run()).toBe(0n);
    expect(engine.load(bpf, reserve(0x40000000n, 0).build()).run()).toBe(0n);
    expect(rb.dropped).toBe(3);
    expect(consumer.poll(() => undefined)).toEqual({ records: 0, lost: 3 });
    expect(lost).toEqual([3]);
  });
});
