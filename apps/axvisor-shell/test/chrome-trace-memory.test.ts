// The Chrome trace collector keeps its events in typed-array columns (issue 25, item 2: the
// object-per-event version retained about 1.6 KB of RSS per exit in a long traced run). The
// memory figure itself is measured by scripts/traced-rss.ts; this checks what it depends on:
// bytes kept per event, and the JSON being what the object version wrote.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseVmConfig, bundledImage, Vmm } from '@axebpf/axvisor-vmm';
import { ChromeTrace } from '../src/chrome-trace.js';

const cluster = readFileSync(fileURLToPath(new URL('../../../packages/axvisor-vmm/configs/cluster.toml', import.meta.url)), 'utf8');

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
    expect(trace.eventCount).toBeGreaterThanOrEqual(2 * exits);
    expect(trace.storedBytes).toBeLessThanOrEqual(32 * trace.eventCount + 32 * 16384);

    trace.finish(vmm.timeNs);
    interface Ev { name: string; cat: string; ph: string; pid: number; args?: Record<string, unknown> }
    const json = JSON.parse(trace.toJson()) as { traceEvents: Ev[]; displayTimeUnit: string };
    expect(json.displayTimeUnit).toBe('ns');
    const events = json.traceEvents.filter((e) => e.ph !== 'M');
    expect(events.length).toBe(trace.eventCount);
    const slice = events.find((e) => e.cat === 'vcpu')!;
    expect(Object.keys(slice)).toEqual(['name', 'cat', 'ph', 'ts', 'dur', 'pid', 'tid', 'args']);
    expect(slice.name).toMatch(new RegExp(`^vm${vm.id} vcpu\\d$`));
    const exit = events.find((e) => e.cat === 'exit')!;
    expect(exit).toMatchObject({ ph: 'i', s: 't', pid: 0, args: { vm: vm.id, reason: expect.any(Number), pc: expect.stringMatching(/^0x[0-9a-f]+$/) } });
    expect(exit.name).toBe(`exit ${String(exit.args?.['reason'])}`);
    expect(events.some((e) => e.cat === 'vm' && e.name === 'vm_boot' && e.pid === vm.id)).toBe(true);
    expect(json.traceEvents.filter((e) => e.ph === 'M').map((e) => e.args?.['name'])).toEqual(['axvisor (physical CPUs)', `vm${vm.id}`]);
  });
});
