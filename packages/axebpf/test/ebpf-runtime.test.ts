import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH } from '@axebpf/kbpf-basic';
import { defineEvent } from '@axebpf/tracepoint';
import { describe, expect, it } from 'vitest';
import { countPerKeyAsm } from '@axebpf/test-utils/ebpf-programs';
import { assemble } from '@axebpf/rbpf';
import { createRuntime, FeatureError, MockPlatform } from '../src/index.js';
import { ebpfRuntime, HYPERVISOR_HELPERS } from '../src/features/ebpf-runtime.js';
import type { ObjectMapDefinition } from '../src/features/ebpf-runtime.js';
import { symbols } from '../src/features/symbols.js';
import { tracepoints } from '../src/features/tracepoints.js';

const exitEvent = defineEvent({
  system: 'vmm',
  name: 'vcpu_run_exit',
  fields: [
    ['vm_id', 'u32'],
    ['vcpu_id', 'u32'],
    ['exit_reason', 'u32'],
    ['pc', 'u64'],
  ],
});

function runtime(platform = new MockPlatform()) {
  return createRuntime({ features: [symbols(), tracepoints(), ebpfRuntime()] as const, platform });
}

const u32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
const u64le = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);

describe('ebpfRuntime', () => {
  it('counts tracepoint hits per exit reason into a hash map, reading the record as context', () => {
    const rt = runtime();
    const tp = rt.tracepoints.register(exitEvent);
    const fd = rt.ebpf.createMap('by_reason', {
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 16,
    });
    // exit_reason is at offset 16 (8-byte common header, vm_id, vcpu_id)
    rt.ebpf.load('count', {
      asm: countPerKeyAsm(fd, 16),
    });
    rt.ebpf.attach('count', 'vmm:vcpu_run_exit');
    // attached but disabled: the program does not run
    tp.emit(1, 0, 7, 0x40000000n);
    expect(rt.ebpf.program('count').stats.runs).toBe(0);
    rt.tracepoints.enable('vmm:vcpu_run_exit');
    for (const reason of [7, 7, 3, 7, 3, 9]) tp.emit(1, 0, reason, 0x40000000n);
    const map = rt.ebpf.map('by_reason');
    const count = (reason: number) => u64le(rt.ebpf.bpf.mapLookupElem(fd, u32(reason)));
    expect([count(7), count(3), count(9)]).toEqual([3n, 2n, 1n]);
    expect(map.maxEntries).toBe(16);
    expect(rt.ebpf.program('count').stats).toMatchObject({ runs: 6, errors: 0 });
  });

  it('gives every program the hypervisor helpers 100-102 from the platform', () => {
    const platform = new MockPlatform();
    const rt = runtime(platform);
    rt.ebpf.load('ctx', {
      asm: `call ${HYPERVISOR_HELPERS.get_current_vm_id}
        mov %r6, %r0
        lsh %r6, 16
        call ${HYPERVISOR_HELPERS.get_current_vcpu_id}
        lsh %r0, 8
        or %r6, %r0
        call ${HYPERVISOR_HELPERS.get_exit_reason}
        or %r0, %r6
        exit`,
    });
    platform.setContext({ vmId: 2, vcpuId: 1, exitReason: 5 });
    expect(rt.ebpf.run('ctx').value).toBe(0x020105n);
  });

  it('keeps bpf_trace_printk output', () => {
    const rt = runtime();
    const fd = rt.ebpf.createMap('fmt', {
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 16,
      maxEntries: 1,
    });
    rt.ebpf.bpf.mapUpdateElem(fd, u32(0), new TextEncoder().encode('hits=%d\0\0\0\0\0\0\0\0\0'));
    rt.ebpf.load('print', {
      asm: `lddw %r1, map_value[${fd}]+0\nmov %r2, 8\nmov %r3, 42\ncall 6\nmov %r0, 0\nexit`,
    });
    rt.ebpf.run('print');
    expect(rt.ebpf.printk.at(-1)).toContain('hits=42');
  });

  it('counts faults of attached programs without stopping the event source', () => {
    const rt = runtime();
    const tp = rt.tracepoints.register(exitEvent);
    // trusted: skips the verifier, which would reject this program (see below)
    rt.ebpf.load('bad', { asm: 'ldxdw %r0, [%r1+4096]\nexit' }, { trusted: true });
    rt.ebpf.attach('bad', 'vmm:vcpu_run_exit');
    rt.tracepoints.enable('vmm:vcpu_run_exit');
    tp.emit(1, 0, 1, 0n);
    tp.emit(1, 0, 1, 0n);
    const stats = rt.ebpf.program('bad').stats;
    expect(stats.errors).toBe(2);
    expect(stats.lastError?.code).toBe('ACCESS_VIOLATION');
  });

  it('verifies programs by default: out-of-record reads, unchecked map values and unknown helpers are rejected', () => {
    const rt = runtime();
    const fd = rt.ebpf.createMap('m', {
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    const rejected = (name: string, asm: string, contextSize?: number) => {
      try {
        rt.ebpf.load(name, { asm }, contextSize === undefined ? {} : { contextSize });
      } catch (e) {
        expect(FeatureError.isInstance(e) && e.code === 'VERIFIER_REJECTED').toBe(true);
        return (e as FeatureError).cause as { code: string; pc: number };
      }
      throw new Error(`${name} was accepted`);
    };
    expect(rejected('oob', 'ldxdw %r0, [%r1+40]\nexit', 40)).toMatchObject({ pc: 0 });
    expect(
      rejected(
        'null',
        `stw [%r10-4], 0\nlddw %r1, map[${fd}]\nmov %r2, %r10\nadd %r2, -4\ncall 1\nldxdw %r0, [%r0]\nexit`,
      ),
    ).toMatchObject({ pc: 6 });
    expect(rejected('helper', 'call 999\nexit')).toMatchObject({ pc: 0 });
    // the safe variants load
    rt.ebpf.load('ok', {
      asm: `stw [%r10-4], 0\nlddw %r1, map[${fd}]\nmov %r2, %r10\nadd %r2, -4\ncall 1\njeq %r0, 0, +1\nldxdw %r0, [%r0]\nmov %r0, 0\nexit`,
    });
    rt.ebpf.load('vm', { asm: `call ${HYPERVISOR_HELPERS.get_current_vm_id}\nexit` });
    expect(rt.ebpf.programs().map((p) => p.name)).toEqual(['ok', 'vm']);
  });

  it('runs several programs on one tracepoint and detaches on unload', () => {
    const rt = runtime();
    const tp = rt.tracepoints.register(exitEvent);
    rt.ebpf.load('a', { asm: 'mov %r0, 0\nexit' });
    rt.ebpf.load('b', { asm: 'mov %r0, 1\nexit' });
    rt.ebpf.attach('a', 'vmm:vcpu_run_exit');
    rt.ebpf.attach('b', 'vmm:vcpu_run_exit');
    rt.tracepoints.enable('vmm:vcpu_run_exit');
    tp.emit(1, 0, 1, 0n);
    expect(rt.ebpf.unload('a')).toBe(true);
    tp.emit(1, 0, 1, 0n);
    expect(rt.ebpf.program('b').stats.runs).toBe(2);
    expect(rt.ebpf.programs().map((p) => p.name)).toEqual(['b']);
    expect(() => rt.ebpf.program('a')).toThrowError(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('rejects a program through the verifier hook unless trusted, and duplicate names', () => {
    const rt = createRuntime({
      features: [
        ebpfRuntime({
          verify: (bytes) => {
            if (bytes.length > 16) throw new Error('too long');
          },
        }),
      ] as const,
    });
    expect(() => rt.ebpf.load('long', { asm: 'mov %r0, 0\nmov %r0, 1\nexit' })).toThrowError(
      expect.objectContaining({ code: 'VERIFIER_REJECTED' }),
    );
    expect(
      rt.ebpf.load('long', { asm: 'mov %r0, 0\nmov %r0, 1\nexit' }, { trusted: true }).trusted,
    ).toBe(true);
    expect(() => rt.ebpf.load('long', { asm: 'exit' })).toThrowError(
      expect.objectContaining({ code: 'ALREADY_EXISTS' }),
    );
  });

  it('needs the tracepoints feature to attach', () => {
    const rt = createRuntime({ features: [ebpfRuntime()] as const });
    rt.ebpf.load('p', { asm: 'mov %r0, 0\nexit' });
    let err: unknown;
    try {
      rt.ebpf.attach('p', 'vmm:vcpu_run_exit');
    } catch (e) {
      err = e;
    }
    expect(FeatureError.isInstance(err) && err.code === 'MISSING_FEATURE').toBe(true);
  });
});

describe('symbols', () => {
  it('loads nm text and answers lookups across tables', () => {
    const rt = createRuntime({ features: [symbols()] as const });
    rt.symbols.load(
      'axvisor',
      'ffff000040080000 T _start\nffff000040080100 T vcpu_run\nffff000040080200 T handle_hvc\n',
    );
    rt.symbols.load(
      'vm1',
      '0000000040000000 T guest_main\n0000000040000080 t do_work\n0000000040000100 T _etext\n',
    );
    expect(rt.symbols.lookup(0xffff000040080134n)).toMatchObject({
      table: 'axvisor',
      name: 'vcpu_run',
      offset: 0x34,
    });
    expect(rt.symbols.lookup(0x40000090n)).toMatchObject({
      table: 'vm1',
      name: 'do_work',
      offset: 0x10,
    });
    expect(rt.symbols.addressOf('vm1:guest_main')).toBe(0x40000000n);
    expect(rt.symbols.search('handle').map((e) => e.name)).toEqual(['handle_hvc']);
  });
});

describe('bridgeTracepointEvents', () => {
  it('turns enabled tracepoint records into TraceEvents and statistics', async () => {
    const { bridgeTracepointEvents } = await import('../src/features/tracepoints.js');
    const rt = runtime();
    const tp = rt.tracepoints.register(
      defineEvent({
        system: 'vmm',
        name: 'vcpu_run_exit',
        fields: [
          ['vm_id', 'u32'],
          ['vcpu_id', 'u32'],
          ['exit_reason', 'u32'],
          ['pc', 'u64'],
          ['guest_ns', 'u64'],
        ],
      }),
    );
    const stop = bridgeTracepointEvents(rt.tracepoints, rt);
    tp.emit(1, 0, 1, 0x40000000n, 100n); // disabled: nothing
    rt.tracepoints.enable('vmm:vcpu_run_exit');
    tp.emit(2, 1, 3, 0x40001000n, 250n);
    tp.emit(2, 1, 1, 0x40002000n, 750n);
    const events = rt.events.drain();
    expect(events.map((e) => [e.vmId, e.args, e.durationNs])).toEqual([
      [2, [1n, 3n, 0x40001000n], 250n],
      [2, [1n, 1n, 0x40002000n], 750n],
    ]);
    expect(events[0]!.name).toBe('vmm:vcpu_run_exit');
    expect(rt.stats.get('vmm:vcpu_run_exit')).toMatchObject({ count: 2, minNs: 250, maxNs: 750 });
    stop();
    tp.emit(2, 1, 1, 0n, 1n);
    expect(rt.events.drain()).toHaveLength(0);
  });
});

describe('loadObject', () => {
  // A stand-in for @axebpf/obj: one global-data map and one program reading it through
  // `lddw map_value[fd]`, as a relocated clang object would.
  const fakeLoader =
    (fail = false) =>
    (object: Uint8Array, createMap: (d: ObjectMapDefinition) => number) => {
      const fd = createMap({
        name: '.rodata',
        mapType: BPF_MAP_TYPE_ARRAY,
        keySize: 4,
        valueSize: 8,
        maxEntries: 1,
        mapFlags: 0,
        initialValue: object.slice(0, 8),
        frozen: true,
        origin: 'data',
        section: '.rodata',
      });
      if (fail) throw new Error('bad relocation');
      return {
        programs: [
          {
            name: 'main',
            section: 'tracepoint/vmm/vcpu_run_exit',
            bytecode: assemble(`lddw %r1, map_value[${fd}]+0\nldxdw %r0, [%r1]\nexit`),
          },
        ],
      };
    };

  it('creates the object maps as <name>:<map>, loads the program, and frees the maps on unload', () => {
    const rt = createRuntime({ features: [ebpfRuntime({ objectLoader: fakeLoader() })] as const });
    const p = rt.ebpf.loadObject('reader', new Uint8Array([42, 0, 0, 0, 0, 0, 0, 0]));
    expect(p.description).toBe('tracepoint/vmm/vcpu_run_exit (main)');
    expect(rt.ebpf.run('reader').value).toBe(42n);
    expect(rt.ebpf.maps().map((m) => m.name)).toEqual(['reader:.rodata']);
    expect(() =>
      rt.ebpf.bpf.mapUpdateElem(rt.ebpf.maps()[0]!.fd, new Uint8Array(4), new Uint8Array(8)),
    ).toThrow(); // frozen
    expect(() => rt.ebpf.loadObject('reader', new Uint8Array(8), { program: 'nope' })).toThrowError(
      expect.objectContaining({ code: 'ALREADY_EXISTS' }),
    );
    rt.ebpf.unload('reader');
    expect(rt.ebpf.maps()).toEqual([]);
  });

  it('drops the maps it created when loading fails, and names a missing program', () => {
    const rt = createRuntime({
      features: [ebpfRuntime({ objectLoader: fakeLoader(true) })] as const,
    });
    expect(() => rt.ebpf.loadObject('x', new Uint8Array(8))).toThrowError('bad relocation');
    expect(rt.ebpf.maps()).toEqual([]);
    const ok = createRuntime({ features: [ebpfRuntime({ objectLoader: fakeLoader() })] as const });
    expect(() => ok.ebpf.loadObject('x', new Uint8Array(8), { program: 'other' })).toThrowError(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(ok.ebpf.maps()).toEqual([]);
  });

  it('loads the precompiled clang objects with the default loader of @axebpf/obj', async () => {
    const { precompiled } = await import('../src/features/precompiled.js');
    const rt = createRuntime({
      features: [symbols(), tracepoints(), ebpfRuntime(), precompiled()] as const,
    });
    const tp = rt.tracepoints.register(
      defineEvent({
        system: 'vmm',
        name: 'vcpu_run_exit',
        fields: [
          ['vm_id', 'u32'],
          ['vcpu_id', 'u32'],
          ['exit_reason', 'u32'],
          ['pc', 'u64'],
          ['guest_ns', 'u64'],
        ],
      }),
    );
    for (const name of ['vmexit_stats', 'latency_hist']) {
      rt.ebpf.loadObject(name, rt.precompiled.object(name));
      rt.ebpf.attach(name, 'vmm:vcpu_run_exit');
    }
    rt.tracepoints.enable('vmm:vcpu_run_exit');
    for (const [vm, reason, ns] of [
      [1, 1, 100],
      [1, 1, 300],
      [2, 3, 5000],
      [1, 2, 40],
    ] as const)
      tp.emit(vm, 0, reason, 0x40080000n, BigInt(ns));
    const stats = rt.ebpf.map('vmexit_stats:exit_stats');
    const v = new DataView(stats.lookup(new Uint8Array(new Uint32Array([1, 1]).buffer)).buffer);
    expect([
      v.getBigUint64(0, true),
      v.getBigUint64(8, true),
      v.getBigUint64(16, true),
      v.getBigUint64(24, true),
    ]).toEqual([2n, 400n, 100n, 300n]);
    const hist = rt.ebpf.map('latency_hist:latency_hist');
    const bucket = (i: number) =>
      new DataView(hist.lookup(new Uint8Array(new Uint32Array([i]).buffer)).buffer).getBigUint64(
        0,
        true,
      );
    // floor(log2): 40 -> 5, 100 -> 6, 300 -> 8, 5000 -> 12
    expect([bucket(5), bucket(6), bucket(8), bucket(12), bucket(7)]).toEqual([1n, 1n, 1n, 1n, 0n]);
    expect(rt.ebpf.program('vmexit_stats').stats).toMatchObject({ runs: 4, errors: 0 });
  });
});
