// A stage-2 guest kprobe on a hot function (issue 25, item 1): the smp guest's guest_main holds
// the loops of both vCPUs, so with its page execute-protected every instruction there is an
// abort and a step. The probe must not change what the other VMs see, and its own guest must
// finish: the page's probes move to injected BRKs once the page is hot, and blocked vCPUs of
// other VMs wake on time while a VM takes exit after exit.
import { describe, expect, it } from 'vitest';
import { parseElf } from '@axebpf/obj/elf';
import {
  BUNDLED_VMS,
  bundledConfig,
  bundledImage,
  GuestProbeManager,
  parseVmConfig,
  Vmm,
} from '../src/index.js';

const SMP = 5;

function guestMain(): bigint {
  const cfg = parseVmConfig(bundledConfig('smp'), 'smp.toml');
  return parseElf(bundledImage(cfg.kernelPath))
    .symbols()
    .find((s) => s.name === 'guest_main')!.value;
}

/** The shell's bundled VMs, run for 1 s of virtual time, optionally with a stage-2 kprobe on vm5:guest_main. */
function run(probe: { hotPageSteps?: number } | undefined, ns = 1_000_000_000n) {
  const vmm = new Vmm({ loadImage: bundledImage });
  for (const name of BUNDLED_VMS) vmm.createVm(parseVmConfig(bundledConfig(name), `${name}.toml`));
  let hits = 0;
  const probes = probe === undefined ? undefined : new GuestProbeManager(vmm, probe);
  probes?.attach(SMP, guestMain(), { mode: 'Stage2Fault', onHit: () => hits++ });
  for (const vm of vmm.vms()) vmm.startVm(vm.id);
  vmm.run(ns);
  const exits = (id: number) =>
    vmm.vm(id).vcpus.reduce((n, v) => n + v.exitCounts.reduce((a, b) => a + b, 0), 0);
  return {
    vmm,
    hits,
    probes,
    exits,
    consoles: Object.fromEntries(vmm.vms().map((vm) => [vm.id, vm.console])),
  };
}

describe('a stage-2 kprobe on a hot function (smp guest_main)', () => {
  it("leaves the other VMs' consoles identical to an unprobed run, and the probed guest finishes", () => {
    const plain = run(undefined);
    const probed = run({});
    expect(plain.consoles[4]).toMatch(/tick/); // the ticker printed during the second
    for (const id of [1, 2, 4, 6]) expect(probed.consoles[id], `vm${id}`).toBe(plain.consoles[id]);
    expect(probed.consoles[SMP]).toBe(plain.consoles[SMP]);
    expect(probed.vmm.vm(SMP).status).toBe('Stopped');
    expect(probed.hits).toBe(1); // guest_main runs on vCPU 0 only (vCPU 1 runs secondary_main, on the same page)
    const info = probed.probes!.list(SMP)[0]!;
    expect(info).toMatchObject({ mode: 'Stage2Fault', brkFallback: true, hits: 1 });
    const stats = probed.probes!.stats(SMP);
    expect(stats.hotPageSwitches).toBe(1);
    // bounded: the page-steps before the switch, then two exits per hit
    expect(stats.pageSteps).toBeLessThan(4 * 64 + 64);
    expect(probed.exits(SMP) - plain.exits(SMP)).toBeLessThan(2 * (4 * 64 + 64) + 2 * 2 + 16);
  });

  it('without the switch (hotPageSteps: Infinity) the guest does not finish in 100 ms, and the ticker still wakes on time', () => {
    const plain = run(undefined, 100_000_000n);
    const starved = run({ hotPageSteps: Infinity }, 100_000_000n);
    expect(starved.vmm.vm(SMP).status).toBe('Running');
    expect(starved.exits(SMP)).toBeGreaterThan(50_000);
    expect(starved.consoles[4]).toBe(plain.consoles[4]);
    expect(starved.exits(4)).toBe(plain.exits(4));
  });
});
