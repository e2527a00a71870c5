import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  bundledConfig,
  bundledImage,
  GuestProbeManager,
  HypervisorError,
  parseVmConfig,
  Vmm,
} from '../src/index.js';
import type { GuestProbeHit, GuestProbeMode, Vm } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const KPROBE_CONSOLE = readFileSync(`${root}guests/kprobe/qemu.console.txt`, 'utf8');
// Symbols of guests/kprobe/guest.elf (aarch64-linux-gnu-nm -n).
const SYM = {
  kp_sum: 0x4008_1070n,
  kp_add: 0x4008_2000n,
  kp_helper: 0x4008_2030n,
  kp_mul: 0x4008_2060n,
  kp_fact: 0x4008_20a0n,
};
const STAGE2 = 0x1_0000_0000n;

/** The kprobe guest on two pCPUs; `hyp` chooses who handles exits (the EL2 image by default). */
function kprobeVm(hyp: 'el2' | 'ts' = 'el2') {
  const vmm = new Vmm({ pcpus: 2, loadImage: (p) => bundledImage(p), hypervisor: hyp });
  const vm = vmm.createVm(parseVmConfig(bundledConfig('kprobe'), 'kprobe.toml'));
  return { vmm, vm };
}

/** The guest's own call counters, as it prints them. */
function counters(console: string): Record<string, number> {
  return Object.fromEntries(
    [...console.matchAll(/^calls (\w+) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
  );
}

/** Guest RAM and the stage-2 tables, as (region, offset) of the first differing byte. */
function snapshot(vm: Vm): Uint8Array[] {
  return [
    ...vm.config.memoryRegions.map((r) => vm.memory.read(r.gpa, r.size)),
    vm.memory.read(STAGE2, 5 * 4096),
  ];
}
function firstDifference(a: Uint8Array[], b: Uint8Array[]): [number, number] | undefined {
  for (let i = 0; i < a.length; i++) {
    if (Buffer.compare(a[i]!, b[i]!) === 0) continue;
    const j = a[i]!.findIndex((v, k) => v !== b[i]![k]);
    return [i, j];
  }
  return undefined;
}

interface Seen {
  kind: string;
  vcpu: number;
  pc: bigint;
  args: bigint[];
  retval?: bigint | undefined;
  dur?: bigint | undefined;
  t: bigint;
}
const record = (into: Seen[]) => (h: GuestProbeHit) =>
  into.push({
    kind: h.kind,
    vcpu: h.vcpuId,
    pc: h.pc,
    args: [0, 1, 2, 3].map((i) => h.regs.x(i)),
    retval: h.retval,
    dur: h.durationNs,
    t: h.timeNs,
  });

describe('the kprobe guest without probes', () => {
  it('prints what it prints on qemu-system-aarch64 -M virt -smp 2', () => {
    const { vmm, vm } = kprobeVm();
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(KPROBE_CONSOLE);
    expect(counters(vm.console)).toEqual({
      kp_add: 81,
      kp_mul: 81,
      kp_helper: 81,
      kp_fact: 17,
      kp_sum: 3,
    });
  });
});

describe.each<[GuestProbeMode, GuestProbeMode, 'el2' | 'ts']>([
  ['Stage2Fault', 'BrkInject', 'el2'],
  ['BrkInject', 'Stage2Fault', 'el2'],
  ['Stage2Fault', 'BrkInject', 'ts'],
  ['BrkInject', 'Stage2Fault', 'ts'],
])(
  'entry probes (%s on the probed page, %s on kp_sum), two vCPUs, exits handled by %s',
  (pageMode, otherMode, hyp) => {
    it("leave the console unchanged and count exactly the guest's own calls; kprobe_args sees the arguments", () => {
      const { vmm, vm } = kprobeVm(hyp);
      const probes = new GuestProbeManager(vmm);
      const seen: Record<string, Seen[]> = { kp_add: [], kp_mul: [], kp_fact: [], kp_sum: [] };
      for (const name of ['kp_add', 'kp_mul', 'kp_fact'] as const)
        probes.attach(vm.id, SYM[name], { mode: pageMode, onHit: record(seen[name]!) });
      probes.attach(vm.id, SYM.kp_sum, { mode: otherMode, onHit: record(seen['kp_sum']!) });
      vmm.startVm(vm.id);
      vmm.runUntilIdle();
      expect(vm.console).toBe(KPROBE_CONSOLE);
      const calls = counters(vm.console);
      for (const name of ['kp_add', 'kp_mul', 'kp_fact', 'kp_sum'] as const) {
        expect([name, seen[name]!.length, probes.get(vm.id, SYM[name])!.hits]).toEqual([
          name,
          calls[name],
          calls[name],
        ]);
      }
      // kp_add(a, b, c, d): once (1, 2, 3, 4), then (i, i+1, i+2, cpu) on each CPU
      const want = [[1n, 2n, 3n, 4n]];
      for (const cpu of [0n, 1n])
        for (let i = 0n; i < 40n; i++) want.push([i, i + 1n, i + 2n, cpu]);
      const key = (a: bigint[]) => a.join(',');
      expect(seen['kp_add']!.map((s) => key(s.args)).sort()).toEqual(want.map(key).sort());
      // work(cpu) passes its own CPU number: the hit is reported on that vCPU
      for (const s of seen['kp_add']!.filter((s) => s.args[0] !== 1n || s.args[3] !== 4n))
        expect(s.vcpu).toBe(Number(s.args[3]));
      expect(new Set(seen['kp_add']!.map((s) => s.vcpu))).toEqual(new Set([0, 1]));
      const st = probes.stats(vm.id);
      expect(st.reinjected).toBe(1); // the guest's own brk #0x42 went back to the guest
      expect(vm.console).toContain('own brk imm 66');
      if (pageMode === 'Stage2Fault') expect(st.pageSteps).toBeGreaterThan(0); // kp_helper and friends
    });
  },
);

describe('return probes', () => {
  it.each<[GuestProbeMode, 'el2' | 'ts']>([
    ['Stage2Fault', 'el2'],
    ['BrkInject', 'el2'],
    ['Stage2Fault', 'ts'],
    ['BrkInject', 'ts'],
  ])(
    'report the return values the guest printed and the durations (%s, exits handled by %s)',
    (mode, hyp) => {
      const { vmm, vm } = kprobeVm(hyp);
      const probes = new GuestProbeManager(vmm);
      const fact: Seen[] = [];
      const add: Seen[] = [];
      probes.attach(vm.id, SYM.kp_fact, { mode, ret: true, onHit: record(fact) });
      probes.attach(vm.id, SYM.kp_add, { mode, ret: true, onHit: record(add) });
      vmm.startVm(vm.id);
      vmm.runUntilIdle();
      expect(vm.console).toBe(KPROBE_CONSOLE);
      expect(fact.every((s) => s.kind === 'kretprobe')).toBe(true);
      // kp_fact(6) on CPU 0, kp_fact(5) in work(0), kp_fact(6) in work(1): 17 returns
      expect(fact.map((s) => s.retval!).sort((a, b) => Number(a - b))).toEqual([
        1n,
        1n,
        1n,
        2n,
        2n,
        2n,
        6n,
        6n,
        6n,
        24n,
        24n,
        24n,
        120n,
        120n,
        120n,
        720n,
        720n,
      ]);
      expect(vm.console).toContain('kp_fact(6) = 720');
      const first = fact.slice(0, 6); // the recursion of kp_fact(6): innermost returns first
      expect(first.map((s) => s.retval)).toEqual([1n, 2n, 6n, 24n, 120n, 720n]);
      for (let i = 1; i < 6; i++) expect(first[i]!.dur! > first[i - 1]!.dur!).toBe(true);
      expect(add[0]!.retval).toBe(30n); // kp_add(1, 2, 3, 4) = 30, as printed
      expect(add.length).toBe(81);
      expect(probes.get(vm.id, SYM.kp_fact)).toMatchObject({ hits: 17, retHits: 17 });
    },
  );
});

describe('probes on the mmu guest (upper-half kernel)', () => {
  it('become active once the guest turns its MMU on, and hit in the upper half', () => {
    const vmm = new Vmm({ loadImage: (p) => bundledImage(p) });
    const vm = vmm.createVm(parseVmConfig(bundledConfig('mmu'), 'mmu.toml'));
    const probes = new GuestProbeManager(vmm);
    const hits: Seen[] = [];
    const upper = 0xffff_ff80_4008_0050n; // upper_main through TTBR1
    const p = probes.attach(vm.id, upper, {
      mode: 'Stage2Fault',
      symbol: 'upper_main',
      onHit: record(hits),
    });
    expect(p.state).toBe('pending');
    expect(probes.get(vm.id, upper)!.lastError).toMatch(/MMU is off/);
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(readFileSync(`${root}guests/mmu/qemu.console.txt`, 'utf8'));
    expect(probes.get(vm.id, upper)).toMatchObject({ state: 'active', gpa: 0x4008_0050n, hits: 1 });
    expect(hits.map((h) => h.pc)).toEqual([upper]);
  });

  it('report once per return probe when two return probes watch one function through two aliases', () => {
    const vmm = new Vmm({ loadImage: (p) => bundledImage(p) });
    const vm = vmm.createVm(parseVmConfig(bundledConfig('mmu'), 'mmu.toml'));
    const probes = new GuestProbeManager(vmm);
    const seen: Seen[] = [];
    probes.attach(vm.id, 0x4008_0050n, { mode: 'Stage2Fault', ret: true, onHit: record(seen) }); // identity alias, active at once
    probes.attach(vm.id, 0xffff_ff80_4008_0050n, {
      mode: 'BrkInject',
      ret: true,
      onHit: record(seen),
    }); // pending until the MMU is on
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(readFileSync(`${root}guests/mmu/qemu.console.txt`, 'utf8'));
    expect(seen.map((s) => s.kind)).toEqual(['kretprobe', 'kretprobe']);
    expect(seen[0]!.dur).toBe(seen[1]!.dur);
    expect(probes.list().map((p) => [p.hits, p.retHits])).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });
});

describe('detaching', () => {
  it('leaves guest memory and the stage-2 tables byte for byte as before, even in the middle of a run', () => {
    const { vmm, vm } = kprobeVm();
    const before = snapshot(vm);
    const probes = new GuestProbeManager(vmm);
    probes.attach(vm.id, SYM.kp_add, { mode: 'Stage2Fault' });
    probes.attach(vm.id, SYM.kp_mul, { mode: 'BrkInject' });
    probes.attach(vm.id, SYM.kp_fact, { mode: 'BrkInject', ret: true });
    probes.attach(vm.id, SYM.kp_sum, { mode: 'Stage2Fault', ret: true });
    expect(firstDifference(snapshot(vm), before)).toBeDefined();
    for (const a of [SYM.kp_add, SYM.kp_mul, SYM.kp_fact, SYM.kp_sum]) probes.detach(vm.id, a);
    expect(firstDifference(snapshot(vm), before)).toBeUndefined();
    // attached again, run part of the way, detached with return frames in flight, then finished
    for (const [a, mode] of [
      [SYM.kp_add, 'Stage2Fault'],
      [SYM.kp_fact, 'BrkInject'],
    ] as const)
      probes.attach(vm.id, a, { mode, ret: true });
    vmm.startVm(vm.id);
    vmm.run(200_000n);
    // inside the recursion of kp_fact(6): entries seen whose returns have not come yet
    expect(probes.get(vm.id, SYM.kp_fact)).toMatchObject({ hits: 6, retHits: 3 });
    for (const a of [SYM.kp_add, SYM.kp_fact]) probes.detach(vm.id, a);
    expect(probes.list()).toEqual([]);
    vmm.runUntilIdle();
    expect(vm.console).toBe(KPROBE_CONSOLE);
  });
});

describe('determinism', () => {
  it('two runs give the same hits at the same virtual times', () => {
    const once = () => {
      const { vmm, vm } = kprobeVm();
      const probes = new GuestProbeManager(vmm);
      const seen: Seen[] = [];
      probes.attach(vm.id, SYM.kp_add, { mode: 'Stage2Fault', onHit: record(seen) });
      probes.attach(vm.id, SYM.kp_fact, { mode: 'BrkInject', ret: true, onHit: record(seen) });
      vmm.startVm(vm.id);
      vmm.runUntilIdle();
      return seen;
    };
    const a = once();
    expect(a.length).toBe(81 + 17);
    expect(once()).toEqual(a);
  });
});

describe('errors', () => {
  it('are typed: misaligned, duplicate, unknown, a BRK instruction, no such VM', () => {
    const { vmm, vm } = kprobeVm();
    const probes = new GuestProbeManager(vmm);
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return HypervisorError.isInstance(e) ? [e.code, e.address] : e;
      }
      return 'no error';
    };
    expect(code(() => probes.attach(vm.id, SYM.kp_add + 2n))).toEqual([
      'BAD_PROBE',
      SYM.kp_add + 2n,
    ]);
    probes.attach(vm.id, SYM.kp_add);
    expect(code(() => probes.attach(vm.id, SYM.kp_add))).toEqual(['PROBE_EXISTS', SYM.kp_add]);
    expect(code(() => probes.detach(vm.id, SYM.kp_mul))).toEqual(['NO_SUCH_PROBE', SYM.kp_mul]);
    // the guest's own `brk #0x42` (0xd4200840) in guest_main
    const text = vm.memory.read(0x4008_0000n, 0x3000);
    const at = new DataView(text.buffer);
    let brk = -1;
    for (let o = 0; o < text.length; o += 4) if (at.getUint32(o, true) === 0xd420_0840) brk = o;
    expect(brk).toBeGreaterThan(0);
    expect(code(() => probes.attach(vm.id, 0x4008_0000n + BigInt(brk)))).toEqual([
      'BAD_PROBE',
      0x4008_0000n + BigInt(brk),
    ]);
    expect(code(() => probes.attach(99, SYM.kp_add))).toEqual(['NO_SUCH_VM', undefined]);
    expect(probes.list().map((p) => p.gva)).toEqual([SYM.kp_add]);
  });
});
