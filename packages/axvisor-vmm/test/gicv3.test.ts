// The GICv3 VM: the model on its own (redistributor and trapped ICC_* registers), the SendIPI
// decoding of ICC_SGI1R_EL1 writes, GICv3 configurations, and the cluster guest (four vCPUs,
// runs until stopped) against its qemu-system-aarch64 -M virt,gic-version=3 output.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SYS_REG_BY_NAME, sysRegTrapIss } from '@axebpf/aarch64-emu';
import type { GicCpuState } from '../src/index.js';
import {
  decodeExit,
  GIC_SPURIOUS_INTID,
  GICV3_TRAPPED_SYS_REGS,
  HypervisorError,
  ICC_SGI1R_EL1_ADDR,
  parseVmConfig,
  VGicV3,
  Vmm,
  VMM_EVENT_LIST,
} from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const loadImage = (p: string) => new Uint8Array(readFileSync(`${root}configs/${p}`));
const clusterToml = readFileSync(`${root}configs/cluster.toml`, 'utf8');
const addr = (name: string) => sysRegTrapIss(SYS_REG_BY_NAME.get(name)!, 0, false);
const ICC = {
  IAR1: addr('icc_iar1_el1'),
  EOIR1: addr('icc_eoir1_el1'),
  PMR: addr('icc_pmr_el1'),
  IGRPEN1: addr('icc_igrpen1_el1'),
  SRE: addr('icc_sre_el1'),
  CTLR: addr('icc_ctlr_el1'),
  DIR: addr('icc_dir_el1'),
  RPR: addr('icc_rpr_el1'),
  HPPIR1: addr('icc_hppir1_el1'),
};
const GICD = 0x0800_0000n;
const GICR = 0x080a_0000n;
const SGI_FRAME = 0x1_0000n;

function gic(cpus = 2) {
  const state: GicCpuState[] = Array.from({ length: cpus }, () => ({
    enabled: 0,
    pending: 0,
    active: 0,
    ackedAt: new Array<bigint>(32).fill(0n),
  }));
  const g = new VGicV3(
    { distributor: GICD, redistributor: GICR, redistributorStride: 0x2_0000 },
    state,
  );
  return { g, state };
}

/** Distributor on, every INTID of vCPU `cpu` in group 1 at priority 0x80 and enabled, PMR 0xf0, group 1 on. */
function ready(g: VGicV3, cpu: number) {
  const sgi = GICR + BigInt(cpu) * 0x2_0000n + SGI_FRAME;
  g.mmioWrite(GICD, 4, 0x12n);
  g.mmioWrite(sgi + 0x80n, 4, 0xffff_ffffn);
  for (let i = 0; i < 8; i++) g.mmioWrite(sgi + 0x400n + BigInt(4 * i), 4, 0x8080_8080n);
  g.mmioWrite(sgi + 0x100n, 4, 0xffff_ffffn);
  g.sysRegWrite(cpu, ICC.PMR, 0xf0n);
  g.sysRegWrite(cpu, ICC.IGRPEN1, 1n);
}

describe('the virtual GICv3 model', () => {
  it('traps every ICC_*_EL1 register, ICC_SGI1R_EL1 at AxVisor SysRegAddr 0x3A3016', () => {
    expect(ICC_SGI1R_EL1_ADDR).toBe(0x3a3016);
    expect(GICV3_TRAPPED_SYS_REGS.has(SYS_REG_BY_NAME.get('icc_iar1_el1')!)).toBe(true);
    // the active-priority registers Linux's GICv3 driver clears at CPU bring-up
    for (const r of ['icc_ap0r0_el1', 'icc_ap0r3_el1', 'icc_ap1r0_el1', 'icc_ap1r3_el1'])
      expect(GICV3_TRAPPED_SYS_REGS.has(SYS_REG_BY_NAME.get(r)!)).toBe(true);
    expect(GICV3_TRAPPED_SYS_REGS.has(SYS_REG_BY_NAME.get('cntv_ctl_el0')!)).toBe(false);
  });

  it('has the QEMU virt layout: distributor, then one redistributor per vCPU with its SGI frame', () => {
    const { g } = gic(2);
    expect([GICD, GICD + 0xffffn, GICR, GICR + 0x3_ffffn].map((a) => g.owns(a))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect([GICD + 0x1_0000n, GICR + 0x4_0000n, 0x0801_0000n].map((a) => g.owns(a))).toEqual([
      false,
      false,
      false,
    ]);
    expect(g.mmioRead(GICD + 0xffe8n, 4) >> 4n).toBe(3n); // GICD_PIDR2.ArchRev
    expect(g.mmioRead(GICD, 4) & 0x10n).toBe(0x10n); // ARE reads 1
    // GICR_TYPER: processor number and affinity, Last only on the last redistributor
    expect(g.mmioRead(GICR + 0x8n, 8)).toBe(0n);
    expect(g.mmioRead(GICR + 0x2_0008n, 8)).toBe((1n << 32n) | (1n << 8n) | (1n << 4n));
    // GICR_WAKER: asleep until ProcessorSleep is cleared, then ChildrenAsleep clears too
    expect(g.mmioRead(GICR + 0x14n, 4)).toBe(6n);
    g.mmioWrite(GICR + 0x14n, 4, 4n);
    expect(g.mmioRead(GICR + 0x14n, 4)).toBe(0n);
    expect(g.sysRegRead(0, ICC.SRE, 0n)).toBe(7n);
  });

  it('acknowledges the highest-priority pending interrupt, masks by PMR and running priority, and deactivates on EOI', () => {
    const { g, state } = gic(1);
    const sgi = GICR + SGI_FRAME;
    expect(g.sysRegRead(0, ICC.IAR1, 0n)).toBe(BigInt(GIC_SPURIOUS_INTID)); // nothing pending
    ready(g, 0);
    g.mmioWrite(sgi + 0x400n + 27n, 1, 0x40n); // PPI 27 at priority 0x40 (byte access)
    expect(g.mmioRead(sgi + 0x418n, 4)).toBe(0x4080_8080n);
    state[0]!.pending = (1 << 3) | (1 << 27) | (1 << 5);
    expect(g.signals(0)).toBe(true);
    expect(g.sysRegRead(0, ICC.HPPIR1, 0n)).toBe(27n);
    expect(g.sysRegRead(0, ICC.IAR1, 100n)).toBe(27n); // priority 0x40 beats the SGIs at 0x80
    expect(state[0]!.active).toBe(1 << 27);
    expect(state[0]!.ackedAt[27]).toBe(100n);
    expect(g.sysRegRead(0, ICC.RPR, 0n)).toBe(0x40n);
    // SGIs 3 and 5 (priority 0x80) cannot preempt the running priority 0x40
    expect(g.signals(0)).toBe(false);
    expect(g.sysRegRead(0, ICC.IAR1, 0n)).toBe(BigInt(GIC_SPURIOUS_INTID));
    expect(g.sysRegWrite(0, ICC.EOIR1, 27n)).toBe(27);
    expect(state[0]!.active).toBe(0);
    expect(g.sysRegRead(0, ICC.IAR1, 0n)).toBe(3n); // equal priorities: lowest INTID first
    expect(g.sysRegWrite(0, ICC.EOIR1, 3n)).toBe(3);
    // PMR 0x80 masks priority 0x80; group 1 off masks everything
    g.sysRegWrite(0, ICC.PMR, 0x80n);
    expect(g.signals(0)).toBe(false);
    g.sysRegWrite(0, ICC.PMR, 0xffn);
    expect(g.sysRegRead(0, ICC.PMR, 0n)).toBe(0xf8n); // five priority bits
    expect(g.signals(0)).toBe(true);
    g.sysRegWrite(0, ICC.IGRPEN1, 0n);
    expect(g.signals(0)).toBe(false);
    expect(g.sysRegRead(0, ICC.IAR1, 0n)).toBe(BigInt(GIC_SPURIOUS_INTID));
  });

  it('splits priority drop and deactivation with EOImode 1 (ICC_DIR_EL1)', () => {
    const { g, state } = gic(1);
    ready(g, 0);
    g.sysRegWrite(0, ICC.CTLR, 2n);
    state[0]!.pending = 1 << 9;
    expect(g.sysRegRead(0, ICC.IAR1, 0n)).toBe(9n);
    expect(g.sysRegWrite(0, ICC.EOIR1, 9n)).toBe(-1); // priority dropped, still active
    expect(state[0]!.active).toBe(1 << 9);
    expect(g.sysRegRead(0, ICC.RPR, 0n)).toBe(0xffn);
    expect(g.sysRegWrite(0, ICC.DIR, 9n)).toBe(9);
    expect(state[0]!.active).toBe(0);
  });

  it('routes SGIs as ICC_SGI1R_EL1 says: target list with Aff1-3, or IRM to every vCPU but the sender', () => {
    const { g } = gic(4);
    const req = (targetCpu: bigint, list: bigint, all = false) => ({
      targetCpu,
      targetCpuAux: list,
      sendToAll: all,
      sendToSelf: false,
    });
    expect(g.sgiTargets(req(0n, 0b1110n), 0)).toEqual([1, 2, 3]);
    expect(g.sgiTargets(req(0n, 0b0101n), 2)).toEqual([0, 2]);
    expect(g.sgiTargets(req(1n << 8n, 0b1111n), 0)).toEqual([]); // Aff1 = 1: no such vCPUs
    expect(g.sgiTargets(req(0n, 0n, true), 2)).toEqual([0, 1, 3]);
  });
});

describe('GICv3 SPIs (device lines, routed by GICD_IROUTER)', () => {
  /** SPI `intid` in group 1, priority `prio`, enabled, routed to `route` (GICD_IROUTER value). */
  function spi(g: VGicV3, intid: number, prio: number, route: bigint) {
    const n = BigInt(intid >> 5);
    const bit = BigInt(1 << (intid & 31)) & 0xffff_ffffn;
    g.mmioWrite(GICD + 0x80n + 4n * n, 4, g.mmioRead(GICD + 0x80n + 4n * n, 4) | bit);
    g.mmioWrite(GICD + 0x400n + BigInt(intid), 1, BigInt(prio));
    g.mmioWrite(GICD + 0x6000n + 8n * BigInt(intid), 8, route);
    g.mmioWrite(GICD + 0x100n + 4n * n, 4, bit);
  }

  it('says it has INTIDs up to 95 and keeps INTIDs 0-31 out of the distributor (affinity routing)', () => {
    const { g } = gic(1);
    expect(Number(g.mmioRead(GICD + 4n, 4)) & 0x1f).toBe(2); // ITLinesNumber: 96 INTIDs
    g.mmioWrite(GICD + 0x100n, 4, 0xffff_ffffn); // ISENABLER0: RAZ/WI with ARE
    expect(g.mmioRead(GICD + 0x100n, 4)).toBe(0n);
    g.mmioWrite(GICD + 0x104n, 4, 0x8000_0001n);
    expect(g.mmioRead(GICD + 0x104n, 4)).toBe(0x8000_0001n);
    g.mmioWrite(GICD + 0x184n, 4, 1n);
    expect(g.mmioRead(GICD + 0x104n, 4)).toBe(0x8000_0000n);
  });

  it('delivers a level-sensitive line to the vCPU its affinity names, re-pends it after EOI while the line is high', () => {
    const { g, state } = gic(2);
    ready(g, 0);
    ready(g, 1);
    spi(g, 33, 0xa0, 1n); // the PL011's SPI 1, to vCPU 1
    expect(g.spiTarget(33)).toBe(1);
    g.setSpiLevel(33, true);
    expect([g.signals(0), g.signals(1)]).toEqual([false, true]);
    expect(g.sysRegRead(0, ICC.IAR1, 5n)).toBe(BigInt(GIC_SPURIOUS_INTID));
    expect(g.sysRegRead(1, ICC.IAR1, 7n)).toBe(33n);
    expect(state[1]!.ackedAt[33]).toBe(7n);
    expect(g.signals(1)).toBe(false); // active
    expect(g.sysRegWrite(1, ICC.EOIR1, 33n)).toBe(33);
    expect(g.signals(1)).toBe(true); // line still asserted: pending again
    g.setSpiLevel(33, false);
    expect(g.signals(1)).toBe(false);
    // software pend (GICD_ISPENDR1), cleared by the acknowledge
    g.mmioWrite(GICD + 0x204n, 4, 2n);
    expect(g.mmioRead(GICD + 0x204n, 4)).toBe(2n);
    expect(g.sysRegRead(1, ICC.IAR1, 8n)).toBe(33n);
    expect(g.mmioRead(GICD + 0x204n, 4)).toBe(0n);
    expect(g.mmioRead(GICD + 0x304n, 4)).toBe(2n); // active
  });

  it('orders SPIs and PPIs by priority, and masks them by PMR and the running priority', () => {
    const { g } = gic(1);
    ready(g, 0); // PPIs/SGIs at 0x80
    spi(g, 40, 0x40, 0n);
    g.setSpiLevel(40, true);
    g.mmioWrite(GICR + SGI_FRAME + 0x200n, 4, 1n << 27n); // PPI 27 pending at 0x80
    expect(g.sysRegRead(0, ICC.HPPIR1, 0n)).toBe(40n);
    expect(g.sysRegRead(0, ICC.IAR1, 0n)).toBe(40n);
    expect(g.sysRegRead(0, ICC.RPR, 0n)).toBe(0x40n);
    expect(g.signals(0)).toBe(false); // 0x80 is not above the running 0x40
    expect(g.sysRegWrite(0, ICC.EOIR1, 40n)).toBe(40);
    g.setSpiLevel(40, false);
    expect(g.sysRegRead(0, ICC.IAR1, 0n)).toBe(27n);
    g.sysRegWrite(0, ICC.PMR, 0x40n);
    g.setSpiLevel(40, true);
    expect(g.signals(0)).toBe(false); // 0x40 is not below PMR 0x40
  });

  it('routes by IROUTER: Aff3/Aff2/Aff1 must match, IRM picks the lowest awake vCPU with group 1 on', () => {
    const { g } = gic(3);
    ready(g, 2);
    spi(g, 50, 0x80, 2n);
    expect(g.spiTarget(50)).toBe(2);
    g.mmioWrite(GICD + 0x6000n + 8n * 50n, 8, 0x1_0000_0002n); // Aff3 = 1: no such vCPU
    expect(g.spiTarget(50)).toBe(-1);
    expect(g.mmioRead(GICD + 0x6000n + 8n * 50n + 4n, 4)).toBe(1n); // high half
    g.mmioWrite(GICD + 0x6000n + 8n * 50n + 4n, 4, 0n);
    g.mmioWrite(GICD + 0x6000n + 8n * 50n, 4, 0x0000_0102n); // Aff1 = 1
    expect(g.spiTarget(50)).toBe(-1);
    g.mmioWrite(GICD + 0x6000n + 8n * 50n, 4, 0x8000_0000n); // IRM
    expect(g.spiTarget(50)).toBe(-1); // nobody awake with group 1 on
    g.mmioWrite(GICR + 2n * 0x2_0000n + 0x14n, 4, 0n); // vCPU 2 wakes (GICR_WAKER)
    expect(g.spiTarget(50)).toBe(2);
    expect(g.mmioRead(GICD + 0x6000n + 8n * 50n, 8)).toBe(0x8000_0000n);
  });

  it('splits priority drop and deactivation of an SPI with EOImode 1', () => {
    const { g } = gic(1);
    ready(g, 0);
    spi(g, 34, 0x80, 0n);
    g.sysRegWrite(0, ICC.CTLR, 2n);
    g.setSpiLevel(34, true);
    expect(g.sysRegRead(0, ICC.IAR1, 0n)).toBe(34n);
    expect(g.sysRegWrite(0, ICC.EOIR1, 34n)).toBe(-1);
    expect(g.mmioRead(GICD + 0x304n, 4)).toBe(4n); // still active
    expect(g.sysRegWrite(0, ICC.DIR, 34n)).toBe(34);
    expect(g.mmioRead(GICD + 0x304n, 4)).toBe(0n);
  });
});

describe('SendIPI exits', () => {
  const esr = (iss: number) => (0x18n << 26n) | (1n << 25n) | BigInt(iss);
  const x = (v: bigint) => (i: number) => (i === 4 ? v : 0n);
  const src = (iss: number, v: bigint) => ({
    esr: esr(iss),
    far: 0n,
    hpfar: 0n,
    vectorOffset: 0x400,
    x: x(v),
  });

  it('decode a trapped MSR ICC_SGI1R_EL1 as arm_vcpu does, and leave its read and other registers as SysReg exits', () => {
    const write = ICC_SGI1R_EL1_ADDR | (4 << 5);
    // INTID 5, Aff3 1, Aff2 2, Aff1 3, target list 0b1010
    const v = (1n << 48n) | (2n << 32n) | (5n << 24n) | (3n << 16n) | 0b1010n;
    expect(decodeExit(src(write, v))).toEqual({
      kind: 'SendIPI',
      targetCpu: 0x0102_0300n,
      targetCpuAux: 0b1010n,
      sendToAll: false,
      sendToSelf: false,
      vector: 5,
    });
    expect(decodeExit(src(write, (1n << 40n) | (1n << 24n) | 0xffffn))).toEqual({
      kind: 'SendIPI',
      targetCpu: 0n,
      targetCpuAux: 0n,
      sendToAll: true,
      sendToSelf: false,
      vector: 1,
    });
    expect(decodeExit(src(write | 1, 0n))).toEqual({
      kind: 'SysRegRead',
      addr: ICC_SGI1R_EL1_ADDR,
      reg: 4,
    });
    expect(decodeExit(src(ICC.PMR | (4 << 5), 0xf0n))).toEqual({
      kind: 'SysRegWrite',
      addr: ICC.PMR,
      value: 0xf0n,
    });
  });
});

describe('GICv3 configurations', () => {
  const bad = (text: string) => {
    try {
      parseVmConfig(text, 'bad.toml');
    } catch (e) {
      if (HypervisorError.isInstance(e)) return e;
      throw e;
    }
    throw new Error('expected a HypervisorError');
  };

  it('select the GICv3 with the gppt-gicd and gppt-gicr devices, and keep the GICv2 otherwise', () => {
    expect(parseVmConfig(clusterToml).gic).toEqual({
      version: 3,
      distributor: 0x0800_0000n,
      redistributor: 0x080a_0000n,
      redistributorStride: 0x2_0000,
    });
    expect(parseVmConfig(clusterToml).emuDevices.map((d) => d.name)).toEqual(['pl011']);
    expect(parseVmConfig(readFileSync(`${root}configs/smp.toml`, 'utf8')).gic).toEqual({
      version: 2,
    });
  });

  it('give a GICv3 VM no GICv2 CPU interface: an access to 0x0801_0000 is a guest fault', () => {
    const vmm = new Vmm({ loadImage });
    const vm = vmm.createVm(
      parseVmConfig(
        clusterToml
          .replace('cpu_num = 4', 'cpu_num = 1')
          .replace('phys_cpu_ids = [0, 1, 2, 3]', 'phys_cpu_ids = [0]')
          .replace('[4, 0x2_0000, 0]', '[1, 0x2_0000, 0]'),
      ),
      loadImage('../guests/smp/guest.elf'),
    );
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.stopReason).toMatch(/^guest fault: write to unmapped guest address 0x8010004 /);
  });

  it('reject a distributor without redistributors, a wrong redistributor count, too many vCPUs and overlaps', () => {
    expect(bad(clusterToml.replace(/ {2}\["gppt-gicr".*\n/, ''))).toMatchObject({
      code: 'BAD_CONFIG',
      file: 'bad.toml',
      key: 'devices.emu_devices',
    });
    expect(bad(clusterToml.replace('[4, 0x2_0000, 0]', '[2, 0x2_0000, 0]')).key).toBe(
      'devices.emu_devices[2][5][0]',
    );
    expect(bad(clusterToml.replace('[4, 0x2_0000, 0]', '[4, 0x2_0000]')).key).toBe(
      'devices.emu_devices[2][5]',
    );
    expect(
      bad(
        clusterToml
          .replace('cpu_num = 4', 'cpu_num = 17')
          .replace(
            'phys_cpu_ids = [0, 1, 2, 3]',
            'phys_cpu_ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]',
          )
          .replace('[4, 0x2_0000, 0]', '[17, 0x2_0000, 0]'),
      ).key,
    ).toBe('base.cpu_num');
    expect(bad(clusterToml.replace('0x080a_0000', '0x0800_8000')).message).toContain('overlap');
  });
});

describe('the cluster guest (four vCPUs on a GICv3, runs until stopped)', () => {
  const boot = (durationNs: bigint, pcpus = 1) => {
    const vmm = new Vmm({ loadImage, pcpus });
    vmm.tracepoints.enableAll();
    const events: string[] = [];
    for (const e of VMM_EVENT_LIST)
      vmm.tracepoints.attach(`vmm:${e.name}`, (r) =>
        events.push(`${r.timeNs} ${r.cpu} ${e.name}: ${e.render(r.toBytes())}`),
      );
    const vm = vmm.createVm(parseVmConfig(clusterToml, 'cluster.toml'));
    vmm.startVm(vm.id);
    vmm.run(durationNs);
    return { vmm, vm, events };
  };
  const golden = readFileSync(`${root}guests/cluster/qemu.console.txt`, 'utf8');

  it('prints what qemu-system-aarch64 -M virt,gic-version=3 -smp 4 prints, keeps running for a virtual second, and stops when the host says so', () => {
    const { vmm, vm } = boot(1_000_000_000n);
    expect(vm.console.startsWith(golden)).toBe(true);
    // one round per 10 ms tick: progress every 10 rounds, still going after a virtual second
    expect(vm.console.slice(golden.length)).toMatch(
      /^(cluster: round \d+0 checksum 0x[0-9a-f]{8}\n){4}$/,
    );
    expect(vm.status).toBe('Running');
    expect(vm.vcpus.map((v) => v.state)).toEqual(['Blocked', 'Blocked', 'Blocked', 'Blocked']);
    vmm.stopVm(vm.id);
    expect([vm.status, vm.stopReason]).toEqual(['Stopped', 'stopped by the host']);
    expect(vmm.run(1_000_000_000n)).toBe(vmm.timeNs); // nothing left to run
  });

  it('counts SendIPI exits per vCPU as the workload implies, one vmm:ipi_send per SGI delivered', () => {
    const { vmm, vm, events } = boot(1_000_000_000n);
    const sendIpi = vm.vcpus.map((v) => v.exits.get('SendIPI') ?? 0);
    const timerIrqs = events.filter((e) => / irq_handle: irq=27 /.test(e)).length;
    // vCPU 0 starts one round per timer tick with one ICC_SGI1R_EL1 write to CPUs 1-3
    expect(sendIpi[0]).toBe(timerIrqs);
    expect(sendIpi[0]).toBeGreaterThanOrEqual(95); // 100 ticks in the second, less the boot
    expect(sendIpi[0]).toBeLessThanOrEqual(100);
    // each worker announces itself once, then answers every round
    expect(sendIpi.slice(1)).toEqual([sendIpi[0]! + 1, sendIpi[0]! + 1, sendIpi[0]! + 1]);
    const ipis = events.filter((e) => e.includes(' ipi_send: '));
    expect(ipis).toHaveLength(3 * sendIpi[0]! + 3 * (sendIpi[0]! + 1));
    expect(
      new Set(
        ipis
          .filter((e) => / vcpu_id=0 /.test(e))
          .map((e) => /target=(\d+) sgi=(\d+)/.exec(e)!.slice(1).join('/')),
      ),
    ).toEqual(new Set(['1/1', '2/1', '3/1']));
    expect(
      new Set(
        ipis
          .filter((e) => !/ vcpu_id=0 /.test(e))
          .map((e) => /target=(\d+) sgi=(\d+)/.exec(e)!.slice(1).join('/')),
      ),
    ).toEqual(new Set(['0/2']));
    // every SendIPI exit is reported with trace code 16
    expect(events.filter((e) => / vcpu_run_exit: .* reason=16 /.test(e))).toHaveLength(
      sendIpi.reduce((a, b) => a + b, 0),
    );
    expect(vm.vcpus[0]!.exits.get('CpuUp')).toBe(3);
    // the workers sleep in WFI between rounds and acknowledge each SGI through ICC_IAR1_EL1
    for (const v of vm.vcpus.slice(1))
      expect(v.exits.get('Halt')).toBeGreaterThanOrEqual(sendIpi[0]!);
    expect(vmm.tracepoints.counters('vmm:cpu_up').hits).toBe(3);
  });

  it('gives identical event sequences in two runs, on one physical CPU or on four', () => {
    for (const pcpus of [1, 4]) {
      const a = boot(300_000_000n, pcpus);
      const b = boot(300_000_000n, pcpus);
      expect(a.events.length).toBeGreaterThan(4000);
      expect(a.events).toEqual(b.events);
      expect(a.vm.console).toBe(b.vm.console);
      expect(golden.startsWith(a.vm.console)).toBe(true);
      expect(a.vm.console).toContain('round 20 checksum');
      expect(new Set(a.events.map((e) => e.split(' ')[1]))).toEqual(
        new Set(pcpus === 1 ? ['0'] : ['0', '1', '2', '3']),
      );
    }
  });
});
