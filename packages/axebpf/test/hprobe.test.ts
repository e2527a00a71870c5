// hprobe on the simulated AxVisor's EL2 image: probing each function leaves the guests
// unchanged and counts exactly the calls the C code counts itself; hprobe_entry sees the
// arguments the caller passed; return probes see the return value; registry rules.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RingBufMap } from '@axebpf/kbpf-basic';
import { bundledImage, HYP_FUNCTIONS, parseVmConfig, PT_REGS, Vmm } from '@axebpf/axvisor-vmm';
import { PT_REGS_MIN_SIZE, PT_REGS_OFFSET } from '@axebpf/kprobe';
import type { Vm } from '@axebpf/axvisor-vmm';
import { createRuntime } from '../src/index.js';
import type { Platform } from '../src/index.js';
import { ebpfRuntime } from '../src/features/ebpf-runtime.js';
import { hprobe, HPROBE_CONTEXT_SIZE } from '../src/features/hprobe.js';
import { precompiled } from '../src/features/precompiled.js';
import { symbols } from '../src/features/symbols.js';
import { tracepoints } from '../src/features/tracepoints.js';

const configs = fileURLToPath(new URL('../../axvisor-vmm/configs/', import.meta.url));

function setup(guest = 'smp') {
  const ref: { vmm?: Vmm } = {};
  const platform: Platform = {
    timeNs: () => ref.vmm!.platform.timeNs(),
    cpuId: () => ref.vmm!.platform.cpuId(),
    currentVmId: () => ref.vmm!.platform.currentVmId(),
    currentVcpuId: () => ref.vmm!.platform.currentVcpuId(),
    exitReason: () => ref.vmm!.platform.exitReason(),
    pidTgid: () => ref.vmm!.platform.pidTgid(),
    comm: () => ref.vmm!.platform.comm(),
  };
  const rt = createRuntime({
    features: [symbols(), tracepoints(), ebpfRuntime(), precompiled(), hprobe()] as const,
    platform,
  });
  const vmm = new Vmm({ tracepoints: rt.tracepoints, loadImage: bundledImage });
  ref.vmm = vmm;
  rt.symbols.load('axvisor', vmm.hypImage!.kallsyms);
  rt.hprobe.install(vmm.hprobeHost());
  // with these on, the image also calls hyp_trace (probed like every other function)
  rt.tracepoints.enable('vmm:vcpu_run_exit');
  rt.tracepoints.enable('vmm:hypercall');
  const vm = vmm.createVm(
    parseVmConfig(readFileSync(`${configs}${guest}.toml`, 'utf8'), `${guest}.toml`),
  );
  return { rt, vmm, vm };
}

function run(vmm: Vmm, vm: Vm) {
  vmm.startVm(vm.id);
  vmm.runUntilIdle();
  return {
    console: vm.console,
    stop: vm.stopReason,
    time: vmm.timeNs,
    vcpus: vm.vcpus.map((v) => ({
      insns: v.insns,
      exits: Object.fromEntries(v.exits),
      state: v.state,
    })),
    calls: Object.fromEntries(vm.hypCalls()),
  };
}

const NOP_PROG = { asm: 'mov %r0, 0\nexit' };

describe('hprobe on the EL2 image', () => {
  const baseline = (() => {
    const { vmm, vm } = setup();
    return run(vmm, vm);
  })();

  it('the EL2 image saves the frame in the layout the kprobe manager reads', () => {
    expect(PT_REGS).toEqual({
      X: PT_REGS_OFFSET.REGS,
      SP: PT_REGS_OFFSET.SP,
      PC: PT_REGS_OFFSET.PC,
      PSTATE: PT_REGS_OFFSET.PSTATE,
      SIZE: PT_REGS_MIN_SIZE,
    });
    expect(HPROBE_CONTEXT_SIZE).toBe(PT_REGS.SIZE);
  });

  it('probing each function in turn (entry and return probe together) changes nothing and counts every call', () => {
    expect(baseline.stop).toBe('system off');
    let probedCalls = 0;
    for (const fn of HYP_FUNCTIONS) {
      const { rt, vmm, vm } = setup();
      rt.ebpf.load('p', NOP_PROG, { contextSize: HPROBE_CONTEXT_SIZE });
      const addr = vmm.hypImage!.address(fn)!;
      const original = vmm.readHyp(addr, 4);
      expect(rt.hprobe.attach(fn, 'p')).toBe(addr);
      expect(vmm.readHyp(addr, 4)).toEqual(new Uint8Array([0x80, 0x00, 0x20, 0xd4])); // brk #4
      if (fn !== 'vcpu_run') rt.hprobe.attach(fn, 'p', { ret: true }); // vcpu_run never returns
      const after = run(vmm, vm);
      expect([fn, after]).toEqual([fn, baseline]);
      const rows = rt.hprobe.list();
      const calls = baseline.calls[fn]!;
      expect([fn, rows.map((r) => [r.ret, r.hits])]).toEqual([
        fn,
        fn === 'vcpu_run'
          ? [[false, calls]]
          : [
              [false, calls],
              [true, calls],
            ],
      ]);
      expect(rt.ebpf.program('p').stats.runs).toBe(fn === 'vcpu_run' ? calls : 2 * calls);
      probedCalls += calls;
      expect(rt.hprobe.detach(fn)).toBe(fn === 'vcpu_run' ? 1 : 2);
      expect(vmm.readHyp(addr, 4)).toEqual(original);
    }
    expect(probedCalls).toBeGreaterThan(100);
  }, 120_000);

  it('hprobe_entry reads x0-x3 as handle_exit(ctx, vector, esr, elr) got them; hprobe_exit sees the returned exit code', () => {
    const { rt, vmm, vm } = setup('hello');
    rt.tracepoints.enable('vmm:vcpu_run_exit');
    rt.ebpf.loadObject('hprobe_entry', rt.precompiled.object('hprobe_entry'));
    rt.ebpf.loadObject('hprobe_exit', rt.precompiled.object('hprobe_exit'));
    const entry = rt.hprobe.attach('handle_exit', 'hprobe_entry');
    rt.hprobe.attach('axvisor:handle_exit', 'hprobe_exit', { ret: true });
    const events = rt.events;
    const r = run(vmm, vm);
    expect(r.console).toBe(
      readFileSync(
        fileURLToPath(new URL('../../axvisor-vmm/guests/hello/qemu.console.txt', import.meta.url)),
        'utf8',
      ),
    );
    const exits = [
      ...rt.tracepoints.pipe
        .readText()
        .matchAll(/vcpu_run_exit: vm_id=\d+ vcpu_id=0 reason=(\d+) pc=(0x[0-9a-f]+)/g),
    ].map((m) => ({ reason: BigInt(m[1]!), pc: BigInt(m[2]!) }));
    expect(exits.length).toBe(r.calls['handle_exit']);
    expect(exits.filter((e) => e.reason === 8n).length).toBeGreaterThan(0);
    const ring = (name: string) =>
      rt.ebpf.maps().find((m) => m.name.endsWith(name))!.map as RingBufMap;
    const args: bigint[][] = [];
    ring('probe_events').consume((d) => {
      const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
      args.push([0, 8, 16, 24, 32].map((o) => dv.getBigUint64(o, true)));
    });
    expect(args.length).toBe(exits.length);
    const ec: Record<string, bigint> = { '1': 0x16n, '3': 0x24n, '13': 0x16n };
    args.forEach(([pc, x0, x1, x2, x3], i) => {
      expect(pc).toBe(entry);
      expect(x0).toBe(vm.vcpus[0]!.hypContext);
      // the host's scheduler tick (ExternalInterrupt, code 8) comes through the IRQ vector
      const irq = exits[i]!.reason === 8n;
      expect(x1).toBe(irq ? 0x480n : 0x400n);
      if (!irq) expect(x2! >> 26n).toBe(ec[String(exits[i]!.reason)]);
      expect(x3).toBe(exits[i]!.pc);
    });
    const rets: bigint[] = [];
    ring('probe_returns').consume((d) =>
      rets.push(new DataView(d.buffer, d.byteOffset, d.byteLength).getBigUint64(8, true)),
    );
    expect(rets).toEqual(exits.map((e) => e.reason));
    // the event pipeline: hprobe events with x0-x3, hretprobe events with the value and a duration
    const all = events.drain({ filter: { probeTypes: ['hprobe', 'hretprobe'] } });
    const hp = all.filter((e) => e.probeType === 'hprobe');
    const hr = all.filter((e) => e.probeType === 'hretprobe');
    expect(hp.length).toBe(exits.length);
    expect(hp[0]).toMatchObject({
      name: 'handle_exit',
      eventId: Number(entry & 0xffffffffn),
      vmId: vm.id,
      args: args[0]!.slice(1),
    });
    expect(hr.map((e) => e.args[0])).toEqual(rets);
    expect(hr.every((e) => e.durationNs > 10n)).toBe(true);
  });

  it('probes each class of displaced instruction in the C code (stepped from a slot, simulated) without changing the run', () => {
    const bits = (w: number, mask: number, value: number) => (w & mask) >>> 0 === value;
    // one probe point per kind of instruction found in the image's code
    const kinds: [string, (w: number) => boolean][] = [
      ['bl (simulated)', (w) => w >>> 26 === 0x25],
      ['b (simulated)', (w) => w >>> 26 === 0x05],
      ['b.cond (simulated)', (w) => bits(w, 0xff000010, 0x54000000)],
      ['tbz/tbnz (simulated)', (w) => bits(w, 0x7e000000, 0x36000000)],
      ['ret (simulated)', (w) => w === 0xd65f03c0],
      ['adrp (simulated)', (w) => bits(w, 0x9f000000, 0x90000000)],
      ['ldr (stepped)', (w) => bits(w, 0xffc00000, 0xf9400000)],
      ['cmp (stepped)', (w) => bits(w, 0x7f20001f, 0x6b00001f) || bits(w, 0x7f80001f, 0x7100001f)],
      ['mov (stepped)', (w) => bits(w, 0x7f800000, 0x52800000) || bits(w, 0x7fe0ffe0, 0x2a0003e0)],
      ['stp (stepped)', (w) => bits(w, 0x7fc00000, 0x29800000) || bits(w, 0x7fc00000, 0x29000000)],
    ];
    const probe = setup();
    const img = probe.vmm.hypImage!;
    // the C functions: from the end of the no-probe entry code to the slots
    const start = img.noProbe[1];
    const size = Number(img.slots - start);
    const words = new DataView(probe.vmm.readHyp(start, size).buffer);
    let hit = 0;
    for (const [kind, match] of kinds) {
      let at: bigint | undefined;
      for (let off = 0; off < size; off += 4)
        if (match(words.getUint32(off, true))) {
          at = start + BigInt(off);
          break;
        }
      expect([kind, at === undefined]).toEqual([kind, false]);
      const { rt, vmm, vm } = setup();
      rt.ebpf.load('p', NOP_PROG, { contextSize: HPROBE_CONTEXT_SIZE });
      rt.hprobe.attach(at!, 'p');
      const mode = rt.hprobe.manager!.list()[0]!.mode;
      expect([kind, mode]).toEqual([kind, kind.endsWith('(stepped)') ? 'slot' : 'simulated']);
      expect([kind, run(vmm, vm)]).toEqual([kind, baseline]);
      hit += rt.hprobe.list()[0]!.hits;
    }
    expect(hit).toBeGreaterThan(100);
  }, 120_000);

  it('gives the same hprobe/hretprobe events, timestamps and durations on every run (virtual time)', () => {
    const once = () => {
      const { rt, vmm, vm } = setup('hello');
      rt.ebpf.load('p', NOP_PROG, { contextSize: HPROBE_CONTEXT_SIZE });
      rt.hprobe.attach('handle_data_abort', 'p');
      rt.hprobe.attach('handle_exit', 'p', { ret: true });
      run(vmm, vm);
      return rt.events.drain({ filter: { probeTypes: ['hprobe', 'hretprobe'] } });
    };
    const a = once();
    expect(a.length).toBeGreaterThan(50);
    expect(
      new Set(a.filter((e) => e.probeType === 'hretprobe').map((e) => e.durationNs)).size,
    ).toBeGreaterThan(1); // MMIO and hypercall exits take different paths
    expect(once()).toEqual(a);
  });

  it('counts a program that faults on every hit and lets the hypervisor go on unchanged', () => {
    const { rt, vmm, vm } = setup();
    rt.ebpf.load('bad', { asm: 'ldxdw %r0, [%r1+4000]\nexit' }, { trusted: true });
    rt.hprobe.attach('handle_exit', 'bad');
    expect(run(vmm, vm)).toEqual(baseline);
    const stats = rt.ebpf.program('bad').stats;
    expect(stats.runs).toBe(baseline.calls['handle_exit']);
    expect(stats.errors).toBe(stats.runs);
  });

  it('applies the registry rules and refuses what cannot be probed, with typed errors', () => {
    const { rt, vmm } = setup('hello');
    rt.ebpf.load('p', NOP_PROG, { contextSize: HPROBE_CONTEXT_SIZE });
    rt.hprobe.attach('handle_hvc', 'p');
    rt.hprobe.attach('handle_hvc', 'p', { ret: true }); // entry + return coexist
    expect(() => rt.hprobe.attach('handle_hvc', 'p')).toThrowError(
      expect.objectContaining({
        code: 'ALREADY_EXISTS',
        message: 'kprobe already registered at this address',
      }),
    );
    expect(() => rt.hprobe.attach(vmm.hypImage!.address('handle_hvc')! + 4n, 'p')).not.toThrow();
    expect(() => rt.hprobe.attach('nope_fn', 'p')).toThrowError(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(() => rt.hprobe.attach(0x4000_0000n, 'p')).toThrowError(
      expect.objectContaining({
        code: 'NOT_FOUND',
        cause: expect.objectContaining({ code: 'UNKNOWN_ADDRESS' }),
      }),
    );
    expect(() => rt.hprobe.attach(vmm.hypImage!.address('handle_wfi')! + 2n, 'p')).toThrowError(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        cause: expect.objectContaining({ code: 'UNALIGNED_ADDRESS' }),
      }),
    );
    expect(() => rt.hprobe.attach('handle_wfi', 'no_such_prog')).toThrowError(
      expect.objectContaining({ code: 'NOT_FOUND' }),
    );
    expect(() => rt.hprobe.attach('__guest_enter', 'p')).toThrowError(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('exception entry'),
      }),
    );
    // a HLT (a host call) cannot run out of line: the kprobe decoder rejects it
    const img = vmm.hypImage!;
    const start = img.address('host_exit')!;
    let hltAt = start;
    while (new DataView(vmm.readHyp(hltAt, 4).buffer).getUint32(0, true) >>> 21 !== 0x6a2)
      hltAt += 4n;
    expect(() => rt.hprobe.attach(hltAt, 'p')).toThrowError(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        cause: expect.objectContaining({ code: 'REJECTED_INSN' }),
      }),
    );
    expect(rt.hprobe.list().map((r) => [r.name, r.ret])).toEqual([
      ['handle_hvc', false],
      ['handle_hvc', true],
      [`0x${(img.address('handle_hvc')! + 4n).toString(16)}`, false],
    ]);
    rt.hprobe.setEnabled('handle_hvc', false);
    expect(rt.hprobe.list()[0]!.enabled).toBe(false);
    expect(rt.hprobe.detach('handle_hvc')).toBe(2);
    expect(rt.hprobe.detach('handle_hvc')).toBe(0);
  });
});
