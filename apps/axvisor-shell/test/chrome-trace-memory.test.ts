// The Chrome trace collector keeps its events in typed-array columns (issue 25, item 2: the
// object-per-event version retained about 1.6 KB of RSS per exit in a long traced run). The
// memory figure itself is measured by scripts/traced-rss.ts; this checks what it depends on:
// bytes kept per event, and the JSON built from the columns keeping the format's shape (the
// kept format: a process per VM, a thread per vCPU, the hypervisor's EL2 tracks).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseVmConfig, bundledImage, Vmm } from '@axebpf/axvisor-vmm';
import { EventRing } from 'axebpf';
import { ChromeTrace, HYPERVISOR_PID, VM_PID_BASE } from '../src/chrome-trace.js';
import { formatProblems } from './trace-format.js';

const cluster = readFileSync(
  fileURLToPath(new URL('../../../packages/axvisor-vmm/configs/cluster.toml', import.meta.url)),
  'utf8',
);

describe('ChromeTrace', () => {
  it('keeps at most 32 bytes per event (plus one 16k-event chunk), however long the run', () => {
    const vmm = new Vmm({ loadImage: bundledImage });
    vmm.tracepoints.enableAll();
    const trace = new ChromeTrace(vmm.tracepoints);
    const vm = vmm.createVm(parseVmConfig(cluster, 'cluster.toml'));
    vmm.startVm(vm.id);
    vmm.run(2_000_000_000n);
    const exits = vm.vcpus.reduce((n, v) => n + v.exitCounts.reduce((a, b) => a + b, 0), 0);
    expect(exits).toBeGreaterThan(4000);
    // each exit is a guest run slice, an exit instant and the hypervisor's EL2 slice
    expect(trace.eventCount).toBeGreaterThanOrEqual(3 * exits);
    expect(trace.storedBytes).toBeLessThanOrEqual(32 * trace.eventCount + 32 * 16384);

    trace.finish(vmm.timeNs);
    interface Ev {
      name: string;
      cat?: string;
      ph: string;
      s?: string;
      ts?: number;
      dur?: number;
      pid: number;
      tid: number;
      args?: Record<string, unknown>;
    }
    const json = JSON.parse(trace.toJson()) as { traceEvents: Ev[]; displayTimeUnit: string };
    expect(json.displayTimeUnit).toBe('ns');
    const events = json.traceEvents.filter((e) => e.ph !== 'M' && e.ph !== 'C');
    expect(events.length).toBe(trace.eventCount);
    const pid = VM_PID_BASE + vm.id;
    const threadName = new Map(
      json.traceEvents
        .filter((e) => e.name === 'thread_name')
        .map((e) => [e.tid, e.args?.['name']]),
    );

    const slice = events.find((e) => e.cat === 'vcpu' && e.ph === 'X')!;
    expect(Object.keys(slice)).toEqual(['name', 'cat', 'ph', 'ts', 'dur', 'pid', 'tid', 'args']);
    expect(slice.name).toMatch(/^guest on pcpu\d+$/);
    expect(slice.pid).toBe(pid);
    expect(threadName.get(slice.tid)).toMatch(new RegExp(`^vm${vm.id} vcpu\\d$`));
    expect(slice.args).toEqual({
      pcpu: expect.any(Number),
      entry_pc: expect.stringMatching(/^0x[0-9a-f]+$/),
    });

    const exitAt = events.findIndex((e) => e.cat === 'exit');
    const exit = events[exitAt]!;
    expect(Object.keys(exit)).toEqual(['name', 'cat', 'ph', 's', 'ts', 'pid', 'tid', 'args']);
    expect(exit).toMatchObject({
      ph: 'i',
      s: 't',
      pid,
      args: {
        vm_id: vm.id,
        exit_reason: expect.any(Number),
        pc: expect.stringMatching(/^0x[0-9a-f]+$/),
        guest_ns: expect.any(Number),
      },
    });
    expect(Object.keys(exit.args!)).toEqual([
      'vm_id',
      'vcpu_id',
      'exit_reason',
      'pc',
      'guest_ns',
      'pcpu',
    ]);
    expect(exit.name).not.toMatch(/^exit /); // named by AxVisor's reason
    // the hypervisor's EL2 slice follows its exit, with the same args, ending at the exit
    const handle = events[exitAt + 1]!;
    expect(handle).toMatchObject({
      name: `handle ${exit.name}`,
      cat: 'el2',
      ph: 'X',
      pid: HYPERVISOR_PID,
      args: exit.args,
    });
    expect(handle.ts! + handle.dur!).toBeCloseTo(exit.ts!, 6);

    expect(events.some((e) => e.cat === 'vm' && e.name === 'vm_boot' && e.pid === pid)).toBe(true);
    const processes = json.traceEvents
      .filter((e) => e.name === 'process_name')
      .map((e) => [e.pid, e.args?.['name']]);
    expect(processes).toEqual([
      [HYPERVISOR_PID, 'axvisor hypervisor (EL2)'],
      [pid, `vm${vm.id}`],
    ]);
    expect(json.traceEvents.filter((e) => e.ph === 'C' && e.pid === pid).length).toBeGreaterThan(0);
  });

  it('puts return-probe slices of interleaved tasks on further lanes of the vCPU track, each nested', () => {
    const vmm = new Vmm({ loadImage: bundledImage });
    const events = new EventRing();
    const trace = new ChromeTrace(vmm.tracepoints, {
      events,
      current: () => ({ vmId: 1, vcpuId: 0 }),
    });
    // [start, end] in ns, in order of their end (a return probe reports at the return):
    // task A in 100..1000, task B enters at 200 and returns at 500 (nested: lane 0), task C
    // enters at 600, A returns at 1000 while C still sleeps, C returns at 1200 (overlaps A:
    // lane 1); D 1100..1150, reported before C, comes after A on lane 0; E 50..1300 contains
    // everything (lane 0)
    const slices: [number, number][] = [
      [200, 500],
      [100, 1000],
      [1100, 1150],
      [600, 1200],
      [50, 1300],
    ];
    for (const [start, end] of slices)
      events.emit({
        timestampNs: BigInt(end),
        probeType: 'kretprobe',
        cpuId: 0,
        vmId: 1,
        eventId: 1,
        name: 'vm1:f+0x0',
        durationNs: BigInt(end - start),
      });
    trace.finish(2000n);
    const json = { traceEvents: trace.traceEvents() };
    expect(formatProblems(json)).toEqual([]);
    const names = new Map(
      json.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args!['name']]),
    );
    const laneOf = json.traceEvents
      .filter((e) => e.cat === 'kretprobe')
      .map((e) => [e.ts! * 1000, names.get(e.tid)]);
    expect(laneOf).toEqual([
      [200, 'vm1 vcpu0 kretprobe'],
      [100, 'vm1 vcpu0 kretprobe'],
      [1100, 'vm1 vcpu0 kretprobe'],
      [600, 'vm1 vcpu0 kretprobe (2)'],
      [50, 'vm1 vcpu0 kretprobe'],
    ]);
  });
});
