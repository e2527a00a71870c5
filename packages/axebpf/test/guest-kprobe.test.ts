import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH } from '@axebpf/kbpf-basic';
import type { BpfMap } from '@axebpf/kbpf-basic';
import {
  bundledConfig,
  bundledImage,
  GuestProbeManager,
  parseVmConfig,
  Vmm,
} from '@axebpf/axvisor-vmm';
import { describe, expect, it } from 'vitest';
import { createRuntime, defineFeature, FeatureError } from '../src/index.js';
import type { Platform } from '../src/index.js';
import { ebpfRuntime } from '../src/features/ebpf-runtime.js';
import {
  GUEST_KPROBE_CONTEXT,
  GUEST_KPROBE_CONTEXT_SIZE,
  guestKprobe,
} from '../src/features/guest-kprobe.js';
import type { GuestProbeHitInfo, GuestProbeHost } from '../src/features/guest-kprobe.js';
import { symbols } from '../src/features/symbols.js';
import { tracepoints } from '../src/features/tracepoints.js';

// TEST-ONLY stand-in for the `hprobe` feature (built separately): guest-kprobe implies hprobe,
// and this test only needs the implication satisfied, not hprobe's API.
const hprobeStandIn = () =>
  defineFeature({ name: 'hprobe', key: 'hprobeStandIn', requires: [], setup: () => ({ api: {} }) });

function setup() {
  const vmm = new Vmm({ pcpus: 2, loadImage: (p) => bundledImage(p) });
  const vm = vmm.createVm(parseVmConfig(bundledConfig('kprobe'), 'kprobe.toml'));
  const platform: Platform = vmm.platform;
  const rt = createRuntime({
    features: [symbols(), tracepoints(), hprobeStandIn(), ebpfRuntime(), guestKprobe()] as const,
    platform,
  });
  rt.guestKprobes.bind(new GuestProbeManager(vmm));
  rt.guestKprobes.loadSymbols(vm.id, vm.image!);
  return { vmm, vm, rt };
}

/** Counts hits per 32-byte key built from four u64 context fields starting at `offset`. */
function countingProgram(fd: number, fields: number[]): string {
  const loads = fields
    .map((off, i) => `ldxdw %r2, [%r1+${off}]\nstxdw [%r10-${32 - 8 * i}], %r2`)
    .join('\n');
  return `
    ${loads}
    lddw %r1, map[${fd}]
    mov %r2, %r10
    add %r2, -32
    call 1
    jeq %r0, 0, fresh
    ldxdw %r3, [%r0]
    add %r3, 1
    stxdw [%r0], %r3
    mov %r0, 0
    exit
  fresh:
    stdw [%r10-40], 1
    lddw %r1, map[${fd}]
    mov %r2, %r10
    add %r2, -32
    mov %r3, %r10
    add %r3, -40
    mov %r4, 0
    call 2
    mov %r0, 0
    exit`;
}

function entries(map: BpfMap): Map<string, bigint> {
  const out = new Map<string, bigint>();
  let key: Uint8Array | undefined;
  for (;;) {
    try {
      key = map.getNextKey(key);
    } catch {
      return out;
    }
    const k = new DataView(key.buffer, key.byteOffset, 32);
    const v = map.lookup(key);
    out.set(
      [0, 8, 16, 24].map((o) => k.getBigUint64(o, true)).join(','),
      new DataView(v.buffer, v.byteOffset, 8).getBigUint64(0, true),
    );
  }
}

describe('guest-kprobe feature', () => {
  it('requires hprobe, as the Rust feature table says', () => {
    try {
      createRuntime({
        features: [symbols(), tracepoints(), ebpfRuntime(), guestKprobe()] as const,
      });
      expect.unreachable();
    } catch (e) {
      expect(FeatureError.isInstance(e) && [e.code, e.missing]).toEqual([
        'MISSING_FEATURE',
        ['hprobe'],
      ]);
    }
  });

  it('resolves vm<id>:<symbol>[+off] and vm<id>:0x<addr> through the guest ELF symbols', () => {
    const { rt } = setup();
    const g = rt.guestKprobes;
    expect(g.resolve('vm7:kp_add')).toEqual({ vmId: 7, gva: 0x4008_2000n, symbol: 'kp_add+0x0' });
    expect(g.resolve('vm7:kp_add+0x8')).toEqual({
      vmId: 7,
      gva: 0x4008_2008n,
      symbol: 'kp_add+0x8',
    });
    expect(g.resolve('vm7:0x40082064')).toEqual({
      vmId: 7,
      gva: 0x4008_2064n,
      symbol: 'kp_mul+0x4',
    });
    expect(g.symbolAt(7, 0x4008_20a4n)).toMatchObject({
      name: 'kp_fact',
      offset: 4n,
      address: 0x4008_20a0n,
    });
    expect(g.addressOf(7, 'kp_sum')).toBe(0x4008_1070n);
    expect(g.search(7, 'kp_').map((s) => s.name)).toEqual([
      'kp_sum',
      'kp_add',
      'kp_helper',
      'kp_mul',
      'kp_fact',
    ]);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return FeatureError.isInstance(e) ? e.code : e;
      }
      return 'none';
    };
    expect(code(() => g.resolve('kp_add'))).toBe('INVALID_ARGUMENT');
    expect(code(() => g.resolve('vm7:no_such_fn'))).toBe('NOT_FOUND');
    // System.map text replaces the table: upper-half addresses as a kernel's map has them
    g.loadSymbols(7, 'ffffff8040082000 T kp_add\nffffff8040082060 T kp_mul\n');
    expect(g.resolve('vm7:kp_mul+4').gva).toBe(0xffff_ff80_4008_2064n);
  });

  it("runs a kprobe_args program with the guest's arguments and a return probe program with the return values", () => {
    const { vmm, vm, rt } = setup();
    const argsFd = rt.ebpf.createMap('args', {
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 32,
      valueSize: 8,
      maxEntries: 256,
    });
    const x = GUEST_KPROBE_CONTEXT.x0;
    rt.ebpf.load(
      'kprobe_args',
      { asm: countingProgram(argsFd, [x, x + 8, x + 16, x + 24]) },
      { contextSize: GUEST_KPROBE_CONTEXT_SIZE },
    );
    const retFd = rt.ebpf.createMap('rets', {
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 32,
      valueSize: 8,
      maxEntries: 64,
    });
    const c = GUEST_KPROBE_CONTEXT;
    rt.ebpf.load(
      'kretprobe_rets',
      { asm: countingProgram(retFd, [c.gva, c.retval, c.vmId, c.probeType]) },
      { contextSize: GUEST_KPROBE_CONTEXT_SIZE },
    );
    const add = rt.guestKprobes.attach('vm7:kp_add', 'kprobe_args', { mode: 'BrkInject' });
    expect(add).toMatchObject({
      vmId: 7,
      gva: 0x4008_2000n,
      symbol: 'kp_add+0x0',
      mode: 'BrkInject',
      enabled: true,
      hits: 0,
    });
    rt.guestKprobes.attach('vm7:kp_fact', 'kretprobe_rets', { mode: 'Stage2Fault', ret: true });
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toContain('calls kp_add 81\n');
    expect(vm.console).toContain('kprobe: done\n');
    // kp_add(1, 2, 3, 4) once, (i, i+1, i+2, cpu) for i < 40 on each CPU
    const want = new Map<string, bigint>([['1,2,3,4', 1n]]);
    for (const cpu of [0n, 1n])
      for (let i = 0n; i < 40n; i++) want.set([i, i + 1n, i + 2n, cpu].join(','), 1n);
    expect(entries(rt.ebpf.map('args'))).toEqual(want);
    // (gva, retval, vm_id | vcpu_id << 32, probe_type 3 | reserved << 32)
    const rets = entries(rt.ebpf.map('rets'));
    const retvals = new Map<string, bigint>();
    for (const [k, n] of rets)
      retvals.set(k.split(',')[1]!, (retvals.get(k.split(',')[1]!) ?? 0n) + n);
    expect(retvals).toEqual(
      new Map([
        ['1', 3n],
        ['2', 3n],
        ['6', 3n],
        ['24', 3n],
        ['120', 3n],
        ['720', 2n],
      ]),
    );
    for (const k of rets.keys()) {
      const [gva, , vmVcpu, type] = k.split(',').map(BigInt);
      expect([gva, vmVcpu! & 0xffffffffn, type]).toEqual([0x4008_20a0n, 7n, 3n]);
    }
    const list = rt.guestKprobes.list();
    expect(list.map((e) => [e.symbol, e.hits, e.ret, e.errors])).toEqual([
      ['kp_add+0x0', 81, false, 0],
      ['kp_fact+0x0', 17, true, 0],
    ]);
    // events: kprobe/kretprobe with the VM id; entry args gva, gpa, x0, x1
    const events = rt.events.drain();
    const kp = events.filter((e) => e.probeType === 'kprobe');
    const kr = events.filter((e) => e.probeType === 'kretprobe');
    expect([kp.length, kr.length]).toEqual([81, 17]);
    expect(new Set(events.filter((e) => e.probeType !== 'tracepoint').map((e) => e.vmId))).toEqual(
      new Set([7]),
    );
    expect(kp[0]).toMatchObject({
      name: 'vm7:kp_add+0x0',
      args: [0x4008_2000n, 0x4008_2000n, 1n, 2n],
    });
    expect(kr.every((e) => e.durationNs > 0n && e.name === 'vm7:kp_fact+0x0')).toBe(true);
    expect(rt.stats.all().find((s) => s.name === 'vm7:kp_fact+0x0')).toMatchObject({ count: 17 });
    rt.guestKprobes.detach('vm7:kp_add');
    rt.guestKprobes.detach('vm7:0x400820a0');
    expect(rt.guestKprobes.list()).toEqual([]);
  });
});

describe('guest memory helpers (probe_read_kernel and friends) in guest kprobe programs', () => {
  /** A host that records the hit callback; the test plays the hypervisor. */
  function fakeHost() {
    let onHit: ((hit: GuestProbeHitInfo) => void) | undefined;
    const host: GuestProbeHost = {
      attach: (vmId, gva, options) => {
        onHit = options.onHit;
        return {
          vmId,
          gva,
          mode: options.mode ?? 'Stage2Fault',
          ret: options.ret ?? false,
          state: 'active',
          hits: 0,
          retHits: 0,
        };
      },
      detach: () => undefined,
      get: () => undefined,
    };
    return { host, fire: (hit: GuestProbeHitInfo) => onHit!(hit) };
  }
  /** Guest "virtual memory": one mapped page at 0xffff000000100000 holding "init\0" + 0x11.. */
  const PAGE = 0xffff_0000_0010_0000n;
  const page = new Uint8Array(4096).map((_, i) => (i + 0x11) & 0xff);
  page.set([0x69, 0x6e, 0x69, 0x74, 0], 0x800); // "init\0"
  const readVirtual = (gva: bigint, length: number): Uint8Array | undefined => {
    if (gva < PAGE || gva + BigInt(length) > PAGE + 4096n) return undefined;
    return page.slice(Number(gva - PAGE), Number(gva - PAGE) + length);
  };
  function run(helper: number, address: bigint) {
    const rt = createRuntime({
      features: [symbols(), tracepoints(), hprobeStandIn(), ebpfRuntime(), guestKprobe()] as const,
    });
    const { host, fire } = fakeHost();
    rt.guestKprobes.bind(host);
    rt.guestKprobes.loadSymbols(1, 'ffff000000001000 T probed\n');
    const fd = rt.ebpf.createMap('out', {
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 24,
      maxEntries: 1,
    });
    rt.ebpf.load(
      'reader',
      {
        asm: `
      ldxdw %r3, [%r1+64]
      stdw [%r10-24], -1
      stdw [%r10-16], -1
      mov %r1, %r10
      add %r1, -24
      mov %r2, 16
      call ${helper}
      stxdw [%r10-8], %r0
      stw [%r10-32], 0
      lddw %r1, map[${fd}]
      mov %r2, %r10
      add %r2, -32
      mov %r3, %r10
      add %r3, -24
      mov %r4, 0
      call 2
      mov %r0, 0
      exit`,
      },
      { contextSize: GUEST_KPROBE_CONTEXT_SIZE },
    );
    rt.guestKprobes.attach('vm1:probed', 'reader', { mode: 'BrkInject' });
    const regs = { x: (i: number) => (i === 0 ? address : 0n), spsr: () => 0x3c5n };
    fire({
      kind: 'kprobe',
      vmId: 1,
      vcpuId: 0,
      pc: 0xffff_0000_0000_1000n,
      gpa: 0x4000_1000n,
      regs,
      timeNs: 1n,
      readVirtual,
      sysReg: () => 0xffff_0000_0aaa_0000n,
    });
    const v = rt.ebpf.map('out').lookup(new Uint8Array(4));
    return {
      bytes: [...v.subarray(0, 16)],
      ret: new DataView(v.buffer, v.byteOffset).getBigInt64(16, true),
    };
  }

  it('probe_read_kernel (113) copies mapped guest memory and returns 0', () => {
    expect(run(113, PAGE + 0x10n)).toEqual({ bytes: [...page.subarray(0x10, 0x20)], ret: 0n });
  });

  it('returns -EFAULT and zero-fills the destination on an unmapped address, also when the read crosses into one', () => {
    expect(run(113, 0xffff_0000_dead_0000n)).toEqual({ bytes: new Array(16).fill(0), ret: -14n });
    expect(run(112, PAGE + 4096n - 8n)).toEqual({ bytes: new Array(16).fill(0), ret: -14n });
  });

  it('probe_read_kernel_str (115) stops at the NUL and returns the length with it; -EFAULT when unmapped', () => {
    const r = run(115, PAGE + 0x800n);
    expect(r.ret).toBe(5n);
    expect(r.bytes.slice(0, 5)).toEqual([0x69, 0x6e, 0x69, 0x74, 0]);
    expect(r.bytes.slice(5)).toEqual(new Array(11).fill(0xff)); // the rest untouched, as Linux
    expect(run(115, 0x1000n)).toEqual({ bytes: new Array(16).fill(0), ret: -14n });
    // a string running into an unmapped page ends there, NUL-terminated
    const tail = run(114, PAGE + 4096n - 4n);
    expect(tail.ret).toBe(5n);
    expect(tail.bytes.slice(0, 5)).toEqual([...page.subarray(4092, 4096), 0]);
  });

  it('get_current_task (35) gives the guest SP_EL0 of the hit', () => {
    expect(BigInt.asUintN(64, run(35, 0n).ret)).toBe(0xffff_0000_0aaa_0000n);
  });
});
