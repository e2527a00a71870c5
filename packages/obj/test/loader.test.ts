// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { EbpfVm } from '@axebpf/rbpf';
import type { EngineKind } from '@axebpf/rbpf';
import {
  BPF_F_MMAPABLE,
  BPF_F_RDONLY_PROG,
  EbpfObject,
  loadObject,
  sectionKind,
} from '../src/index.js';
import type { LoadedObject } from '../src/index.js';
import { TestMaps } from './support/test-maps.js';
import { objectBytes } from './support/corpus.js';

function load(name: string): {
  t: TestMaps;
  o: LoadedObject;
  vm: (prog: string, engine: EngineKind) => EbpfVm;
} {
  const t = new TestMaps();
  const o = loadObject(objectBytes(name), t.create);
  const helpers = t.helpers();
  const vm = (prog: string, engine: EngineKind): EbpfVm => {
    const p = o.programs.find((x) => x.name === prog)!;
    return new EbpfVm(p.bytecode, {
      memory: t.memory,
      helpers,
      resolveLddw: t.resolveLddw,
      engine,
    });
  };
  return { t, o, vm };
}

const u64 = (b: Uint8Array | undefined, at = 0): bigint =>
  new DataView(b!.buffer, b!.byteOffset).getBigUint64(at, true);
const u32 = (b: Uint8Array | undefined, at = 0): number =>
  new DataView(b!.buffer, b!.byteOffset).getUint32(at, true);

describe('discovery', () => {
  it('finds programs, kinds, attach targets and licences by libbpf section rules', () => {
    const g = EbpfObject.parse(objectBytes('globals'));
    expect(g.license).toBe('Dual MIT/GPL');
    expect(g.programs.map((p) => [p.name, p.kind, p.attachTo])).toEqual([
      ['on_exit', 'tracepoint', 'vmm/vcpu_run_exit'],
    ]);
    expect(g.functions.map((f) => `${f.section}:${f.name}`)).toEqual([
      '.text:mix',
      'tracepoint/vmm/vcpu_run_exit:on_exit',
    ]);
    const m = EbpfObject.parse(objectBytes('maps'));
    expect(m.programs.map((p) => [p.name, p.kind, p.attachTo])).toEqual([
      ['on_hvc', 'kprobe', 'vmm_handle_hvc'],
      ['on_hvc_ret', 'kretprobe', 'vmm_handle_hvc'],
    ]);
    const l = EbpfObject.parse(objectBytes('legacy'));
    expect(l.license).toBe('MIT');
    // Two programs in one section, found from their function symbols.
    expect(l.programs.map((p) => [p.name, p.section, p.kind])).toEqual([
      ['xdp_first', 'xdp', 'xdp'],
      ['xdp_second', 'xdp', 'xdp'],
      ['sock_filter', 'socket', 'socket_filter'],
    ]);
  });

  it('classifies section names', () => {
    expect(sectionKind('tp/sched/sched_switch')).toEqual({
      kind: 'tracepoint',
      attachTo: 'sched/sched_switch',
    });
    expect(sectionKind('raw_tp/sys_enter')).toEqual({
      kind: 'raw_tracepoint',
      attachTo: 'sys_enter',
    });
    expect(sectionKind('kretprobe/do_exit')).toEqual({ kind: 'kretprobe', attachTo: 'do_exit' });
    expect(sectionKind('socket')).toEqual({ kind: 'socket_filter', attachTo: '' });
    expect(sectionKind('kprobe')).toEqual({ kind: 'unspecified', attachTo: '' });
    expect(sectionKind('xdpfoo')).toEqual({ kind: 'unspecified', attachTo: '' });
  });

  it('reads BTF-defined maps, legacy maps and global data sections', () => {
    const m = EbpfObject.parse(objectBytes('maps'));
    expect(
      m.maps.map(({ name, mapType, keySize, valueSize, maxEntries, mapFlags, origin }) => ({
        name,
        mapType,
        keySize,
        valueSize,
        maxEntries,
        mapFlags,
        origin,
      })),
    ).toEqual([
      {
        name: 'counters',
        mapType: 2,
        keySize: 4,
        valueSize: 8,
        maxEntries: 4,
        mapFlags: 0,
        origin: 'btf',
      },
      {
        name: 'by_key',
        mapType: 1,
        keySize: 4,
        valueSize: 8,
        maxEntries: 128,
        mapFlags: 1,
        origin: 'btf',
      },
      {
        name: 'per_cpu',
        mapType: 6,
        keySize: 4,
        valueSize: 4,
        maxEntries: 2,
        mapFlags: 0,
        origin: 'btf',
      },
      {
        name: 'events',
        mapType: 27,
        keySize: 0,
        valueSize: 0,
        maxEntries: 4096,
        mapFlags: 0,
        origin: 'btf',
      },
      {
        name: '.rodata',
        mapType: 2,
        keySize: 4,
        valueSize: 7,
        maxEntries: 1,
        mapFlags: BPF_F_MMAPABLE | BPF_F_RDONLY_PROG,
        origin: 'data',
      },
    ]);
    expect(new TextDecoder().decode(m.maps[4]!.initialValue)).toBe('hvc %d\0');
    const l = EbpfObject.parse(objectBytes('legacy'));
    expect(l.maps).toMatchObject([
      {
        name: 'legacy_array',
        mapType: 2,
        keySize: 4,
        valueSize: 8,
        maxEntries: 2,
        origin: 'legacy',
      },
    ]);
    const g = EbpfObject.parse(objectBytes('globals'));
    expect(g.maps.map((d) => [d.name, d.valueSize, d.frozen, Array.from(d.initialValue!)])).toEqual(
      [
        ['.data', 8, false, [5, 0, 0, 0, 0, 0, 0, 0]],
        ['.rodata', 4, true, [3, 0, 0, 0]],
        ['.bss', 12, false, new Array(12).fill(0)],
      ],
    );
  });

  it('fixes up DATASEC sizes and offsets from the symbol table', () => {
    const m = EbpfObject.parse(objectBytes('maps'));
    const maps = m.btf!.typeByName('.maps', 15)!;
    expect(maps.sizeOrType).toBe(120); // by_key has 5 fields (40 bytes), events 2 (16 bytes)
    expect(maps.members.map((v) => [v.name, v.offset])).toEqual([
      ['counters', 0],
      ['by_key', 32],
      ['per_cpu', 72],
      ['events', 104],
    ]);
    const g = EbpfObject.parse(objectBytes('globals'));
    const bss = g.btf!.typeByName('.bss', 15)!;
    expect(bss.sizeOrType).toBe(12);
    expect(Object.fromEntries(bss.members.map((v) => [v.name, v.offset]))).toEqual({
      total: 0,
      last_value: 8,
    });
    expect(g.btf!.typeName(g.btf!.typeByName('scale', 14)!.sizeOrType)).toBe(
      'const volatile __u32',
    );
  });
});

describe.each(['interpreter', 'wasm'] as const)('running on the %s engine', (engine) => {
  it('globals: .data/.bss/.rodata as array maps and a static subprogram', () => {
    const { t, o, vm } = load('globals');
    expect(o.programs[0]!.functions).toEqual([
      { name: 'on_exit', start: 0 },
      { name: 'mix', start: 21 },
    ]);
    const v = vm('on_exit', engine);
    expect(v.run().value).toBe(303n);
    expect(u64(t.value('.data', 0))).toBe(6n);
    expect(u64(t.value('.bss', 0))).toBe(BigInt((300 * 3) ^ 6));
    expect(u32(t.value('.bss', 0), 8)).toBe(300);
    expect(v.run().value).toBe(303n);
    expect(u64(t.value('.data', 0))).toBe(7n);
    expect(u64(t.value('.bss', 0))).toBe(BigInt(((300 * 3) ^ 6) + ((300 * 3) ^ 7)));
    expect(t.byName('.rodata').region!.writable).toBe(false);
  });

  it('maps: BTF array and hash maps through helpers, a global subprogram, bpf_printk', () => {
    const { t, vm } = load('maps');
    expect(vm('on_hvc', engine).run().value).toBe(0n);
    expect([0, 1, 2, 3].map((i) => u64(t.value('counters', i)))).toEqual([0n, 2n, 0n, 5n]);
    expect(u64(t.value('by_key', 7))).toBe(42n);
    expect(t.printed).toEqual(['hvc 7']);
    const ret = vm('on_hvc_ret', engine);
    expect(ret.run().value).toBe(0n);
    expect(u64(t.value('counters', 0))).toBe(42n);
    expect(t.value('by_key', 7)).toBeUndefined();
    expect(ret.run().value).toBe(1n);
  });

  it('legacy: a `maps` section map shared by two programs of one section', () => {
    const { t, vm } = load('legacy');
    expect(vm('xdp_first', engine).run().value).toBe(0n);
    expect(vm('xdp_second', engine).run().value).toBe(2n);
    expect(vm('xdp_second', engine).run().value).toBe(2n);
    expect([u64(t.value('legacy_array', 0)), u64(t.value('legacy_array', 1))]).toEqual([11n, 200n]);
    expect(vm('sock_filter', engine).run().value).toBe(64n);
  });

  it('callbacks: bpf_loop with a .text callback loaded by lddw (BPF_PSEUDO_FUNC)', () => {
    const { o, vm } = load('callbacks');
    const p = o.programs[0]!;
    expect([p.kind, p.attachTo]).toEqual(['tracepoint', 'vmm/vcpu_run_exit']);
    expect(p.functions).toEqual([
      { name: 'loop_sum', start: 0 },
      { name: 'step', start: 11 },
    ]);
    expect(p.bytecode[5 * 8 + 1]! >> 4).toBe(4); // src = BPF_PSEUDO_FUNC
    expect(new DataView(p.bytecode.buffer).getInt32(5 * 8 + 4, true)).toBe(11 - 5 - 1);
    expect(vm('loop_sum', engine).run().value).toBe(101n); // 1 + 10 + 20 + 30 + 40
  });

  it('loops: a real bounded loop over the context in a raw_tp program', () => {
    const { t, o, vm } = load('loops');
    expect(o.programs.map((p) => [p.kind, p.attachTo])).toEqual([['raw_tracepoint', 'vmm_tick']]);
    const ctx = Uint8Array.from({ length: 16 }, (_, i) => 3 * i + 1);
    const expected = ctx.reduce((sum, b, i) => sum + b * (i + 1), 0);
    const v = vm('weigh', engine);
    expect(v.run(ctx).value).toBe(BigInt(expected));
    expect(v.run(ctx).insnCount).toBeGreaterThan(16 * 9); // the loop body ran 16 times
    expect(u64(t.value('.bss', 0))).toBe(2n);
  });
});

describe('relocation', () => {
  it('marks map references pseudo src=1 with the fd and data references src=2 with fd and offset', () => {
    const t = new TestMaps();
    const o = loadObject(objectBytes('globals'), t.create);
    const code = o.programs[0]!.bytecode;
    const view = new DataView(code.buffer);
    const lddw = [];
    for (let pc = 0; pc < code.length / 8; pc++) {
      if (code[pc * 8] !== 0x18) continue;
      lddw.push([
        pc,
        code[pc * 8 + 1]! >> 4,
        view.getInt32(pc * 8 + 4, true),
        view.getInt32(pc * 8 + 12, true),
      ]);
      pc++;
    }
    const fd = (n: string): number => t.byName(n).fd;
    expect(lddw).toEqual([
      [0, 2, fd('.data'), 0],
      [8, 2, fd('.bss'), 8],
      [11, 2, fd('.bss'), 0],
      [16, 2, fd('.rodata'), 0],
      [21, 2, fd('.rodata'), 0],
    ]);
  });
});
