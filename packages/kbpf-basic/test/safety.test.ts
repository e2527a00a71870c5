// Reproducers of the differential fuzz campaign (issue 26): each failed before its fix.
import { Program, ProgramBuilder, reg, VerifierError, VmError } from '@axebpf/rbpf';
import { describe, expect, it } from 'vitest';
import type { RingBufMap } from '../src/index.js';
import {
  BPF_F_RDONLY_PROG,
  BPF_FUNC as F,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  MapError,
  BPF_MAP_TYPE_RINGBUF,
  BpfCommandError,
  BpfSystem,
  RingBufConsumer,
  createMockPlatform,
} from '../src/index.js';
import { codeOf, engines, u32 } from './util.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

// lddw r1, ring(fd 3); r2 = 16; r3 = 0; r0 = ringbuf_reserve; if r0 == 0 exit;
// *(u32 *)(r0 - 8) = 0x80008000 (the header: BUSY | length 32768); ringbuf_submit(r0, 0); r0 = 7.
// *(u64 *)(r10 - 8) = 0; r0 = map_lookup_elem(percpu array fd 3, &key 0); if r0: *(u64 *)r0 = 0x5a5a; r0 = 1.
const PERCPU_ESCAPE =
  '7a0af8ff0000000018110000030000000000000000000000bfa200000000000007020000f8ffffff850000000100000015000200000000007a0000005a5a0000b7000000010000009500000000000000';

// for_each_map_elem(hash fd 3, callback, 0, 0) whose callback calls ktime_get_ns and returns 0.
const FOR_EACH_HELPER_IN_CALLBACK =
  '1811000003000000000000000000000018420000050000000000000000000000b703000000000000b70400000000000085000000a400000095000000000000008500000005000000b7000000000000009500000000000000';

const RINGBUF_ESCAPE =
  '18110000030000000000000000000000b702000010000000b7030000000000008500000083000000550001000000000095000000000000006200f8ff00800080bf01000000000000b7020000000000008500000084000000b7000000070000009500000000000000';

describe.each(engines)('safety reproducers on the $name', (engine) => {
  it('a program that rewrites its record header cannot make submit or the consumer leave the ring', () => {
    const bpf = new BpfSystem({ platform: createMockPlatform() });
    const ringFd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_RINGBUF,
      keySize: 0,
      valueSize: 0,
      maxEntries: 4096,
    });
    const victimFd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 32,
      maxEntries: 1024,
    });
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
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_RINGBUF,
      keySize: 0,
      valueSize: 0,
      maxEntries: 4096,
    });
    const rb = bpf.map(fd) as RingBufMap;
    const reserve = (size: bigint, flags: number) =>
      new ProgramBuilder()
        .lddw(1, fd, 1)
        .lddw(2, size)
        .alu64('mov', 3, flags)
        .call(F.ringbuf_reserve)
        .exit();
    const lost: number[] = [];
    const consumer = new RingBufConsumer(rb, (n) => lost.push(n));
    expect(engine.load(bpf, reserve(16n, 1).build()).run()).toBe(0n);
    expect(engine.load(bpf, reserve(1n << 32n, 0).build()).run()).toBe(0n);
    expect(engine.load(bpf, reserve(0x40000000n, 0).build()).run()).toBe(0n);
    expect(rb.dropped).toBe(3);
    expect(consumer.poll(() => undefined)).toEqual({ records: 0, lost: 3 });
    expect(lost).toEqual([3]);
  });

  it('per-CPU maps refuse a current CPU outside the CPU count instead of touching another key', () => {
    const platform = createMockPlatform({ cpus: 2 });
    const bpf = new BpfSystem({ platform });
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_PERCPU_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    expect(fd).toBe(3);
    const p = engine.load(bpf, Program.fromBytes(hex(PERCPU_ESCAPE)));
    platform.cpu = 1;
    expect(p.run()).toBe(1n);
    platform.cpu = 3;
    const e = (() => {
      try {
        p.run();
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(VmError.isInstance(e) && e.code).toBe('HELPER_ERROR');
    expect(
      MapError.isInstance((e as VmError).cause) && ((e as VmError).cause as MapError).code,
    ).toBe('EINVAL');
    const values = [0, 1, 2, 3].map((k) => bpf.mapLookupElem(fd, u32(k)));
    // Key 0, CPU 1 holds the legitimate store; every other copy of every key is untouched.
    expect(values[0]!.subarray(8)).toEqual(new Uint8Array([0x5a, 0x5a, 0, 0, 0, 0, 0, 0]));
    expect(
      [values[0]!.subarray(0, 8), values[1], values[2], values[3]].every((v) =>
        v!.every((b) => b === 0),
      ),
    ).toBe(true);
    const cpuId = engine.load(
      bpf,
      new ProgramBuilder().call(F.get_smp_processor_id).exit().build(),
    );
    expect(() => cpuId.run()).toThrow(VmError);
  });
  it('for_each_map_elem keeps its arguments after a callback that calls a helper', () => {
    const bpf = new BpfSystem();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 8,
    });
    for (const k of [1, 2, 3]) bpf.mapUpdateElem(fd, u32(k), new Uint8Array(8));
    const p = engine.load(bpf, Program.fromBytes(hex(FOR_EACH_HELPER_IN_CALLBACK)));
    expect(p.run()).toBe(3n);
    expect(p.run()).toBe(3n);
  });

  it('an invalid callback pointer reports the pc of the helper call', () => {
    const bpf = new BpfSystem();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 8,
    });
    bpf.mapUpdateElem(fd, u32(1), new Uint8Array(8));
    // r2 = 1234 (not a function pointer); the call is at pc 5.
    const p = engine.load(
      bpf,
      new ProgramBuilder()
        .lddw(1, fd, 1)
        .alu64('mov', 2, 1234)
        .alu64('mov', 3, 0)
        .alu64('mov', 4, 0)
        .call(F.for_each_map_elem)
        .exit()
        .build(),
    );
    let err: unknown;
    try {
      p.run();
    } catch (e) {
      err = e;
    }
    expect(VmError.isInstance(err) && [err.code, err.pc]).toEqual(['INVALID_CALLBACK', 5]);
  });
  it('bpf_loop runs its callback (which may call helpers) under one budget per run', () => {
    const bpf = new BpfSystem();
    // sum = 0; n = loop(N, cb, &sum, 0); return n * 1000 + sum.  cb(i, ctx): ktime; *ctx += i; return i == STOP
    const prog = (n: number, stop: number) => {
      const main = new ProgramBuilder()
        .store('dw', 10, -8, 0)
        .alu64('mov', 1, n)
        .lddw(2, 0, 4)
        .alu64('mov', 3, reg(10))
        .alu64('add', 3, -8)
        .alu64('mov', 4, 0)
        .call(F.loop);
      main.load('dw', 1, 10, -8).alu64('mul', 0, 1000).alu64('add', 0, reg(1)).exit();
      const cbPc = main.insns().reduce((k, x) => k + (x.opcode === 0x18 ? 2 : 1), 0);
      main
        .alu64('mov', 6, reg(1))
        .alu64('mov', 7, reg(2))
        .call(F.ktime_get_ns)
        .load('dw', 8, 7, 0)
        .alu64('add', 8, reg(6))
        .store('dw', 7, 0, reg(8));
      main.alu64('mov', 0, 0).jump('jne', 6, stop, 'out').alu64('mov', 0, 1).label('out').exit();
      const insns = main.insns();
      insns[2] = { ...insns[2]!, imm: cbPc - 2 - 1 };
      return Program.fromInsns(insns);
    };
    expect(engine.load(bpf, prog(10, -1)).run()).toBe(10n * 1000n + 45n);
    expect(engine.load(bpf, prog(10, 3)).run()).toBe(4n * 1000n + 6n);
    // 8 M iterations do not fit a 10,000-instruction budget: the run stops inside the callback.
    const fd = bpf.progLoad({
      insns: prog(1 << 23, -1),
      engine: engine.name as 'interpreter' | 'wasm',
      verify: false,
      maxInstructions: 10_000,
    });
    let err: unknown;
    try {
      bpf.progRun(fd);
    } catch (e) {
      err = e;
    }
    expect(VmError.isInstance(err) && err.code).toBe('BUDGET_EXHAUSTED');
    expect(codeOf(() => engine.load(bpf, prog((1 << 23) + 1, -1)).run())).toBeUndefined();
    expect(engine.load(bpf, prog((1 << 23) + 1, -1)).run()).toBe(BigInt.asUintN(64, -7n * 1000n));
  });
});

describe('BPF_PROG_LOAD verifies by default', () => {
  it('rejects the ring buffer escape with EACCES (cause: the VerifierError) and leaks no region', () => {
    const bpf = new BpfSystem();
    bpf.mapCreate({ mapType: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
    const regions = bpf.space.regions().length;
    let err: unknown;
    try {
      bpf.progLoad({ insns: hex(RINGBUF_ESCAPE) });
    } catch (e) {
      err = e;
    }
    expect(BpfCommandError.isInstance(err) && err.code).toBe('EACCES');
    expect(VerifierError.isInstance((err as BpfCommandError).cause)).toBe(true);
    expect(bpf.space.regions().length).toBe(regions);
    // The explicit opt-out loads it (and the run-time checks keep it inside its ring).
    expect(bpf.progRun(bpf.progLoad({ insns: hex(RINGBUF_ESCAPE), verify: false })).value).toBe(7n);
  });

  it('loads a safe program, and reads of the context need contextSize', () => {
    const bpf = new BpfSystem();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_PERCPU_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    expect(bpf.progRun(bpf.progLoad({ insns: hex(PERCPU_ESCAPE) })).value).toBe(1n);
    expect(bpf.mapLookupElem(fd, u32(0))[0]).toBe(0x5a);
    const readCtx = new ProgramBuilder().load('dw', 0, 1, 8).exit().build();
    expect(codeOf(() => bpf.progLoad({ insns: readCtx }))).toBe('EACCES');
    const ctx = new Uint8Array(16);
    ctx[8] = 9;
    expect(bpf.progRun(bpf.progLoad({ insns: readCtx, contextSize: 16 }), ctx).value).toBe(9n);
  });

  it('rejects stores into a BPF_F_RDONLY_PROG map value (.rodata) at load', () => {
    const bpf = new BpfSystem();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
      mapFlags: BPF_F_RDONLY_PROG,
    });
    const store = new ProgramBuilder()
      .lddw(1, fd, 2)
      .store('dw', 1, 0, 1)
      .alu64('mov', 0, 0)
      .exit()
      .build();
    let err: unknown;
    try {
      bpf.progLoad({ insns: store });
    } catch (e) {
      err = e;
    }
    expect(BpfCommandError.isInstance(err) && (err.cause as VerifierError).code).toBe('READ_ONLY');
    const load = new ProgramBuilder().lddw(1, fd, 2).load('dw', 0, 1, 0).exit().build();
    expect(bpf.progRun(bpf.progLoad({ insns: load })).value).toBe(0n);
  });
});
