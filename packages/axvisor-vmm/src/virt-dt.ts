// SPDX-License-Identifier: MIT
// The board file: the device tree a VM's guest kernel sees, generated from its config (as
// QEMU's hw/arm/virt.c writes one for -M virt): memory, cpus with PSCI over HVC, the GICv2 or
// GICv3, the architected timer's PPIs, the PL011 UARTs with their SPI and the apb_pclk clock,
// and /chosen with bootargs, stdout-path and the initramfs.

import type { VmConfig } from './config.js';
import type { FdtNode } from './fdt.js';
import { cells, node, writeFdt } from './fdt.js';

/** GICv2 distributor and CPU interface on the QEMU virt board (as the VMM emulates them). */
const GICV2_DIST = 0x0800_0000n;
const GICV2_CPU = 0x0801_0000n;
/** PrimeCell bus clock frequency (24 MHz, as QEMU's apb-pclk). */
const APB_PCLK_HZ = 24_000_000;
const PHANDLE_GIC = 1;
const PHANDLE_CLK = 2;
/** GIC interrupt specifier: type (0 SPI, 1 PPI), number, flags (1 edge rising, 4 level high). */
const GIC_SPI = 0;
const GIC_PPI = 1;
const IRQ_LEVEL_HIGH = 4;
/** Timer PPIs: secure physical 13, non-secure physical 14, virtual 11, hypervisor 10. */
const TIMER_PPIS = [13, 14, 11, 10];

/** What /chosen says. */
export interface ChosenOptions {
  /** The kernel command line. */
  bootargs?: string;
  /** initramfs [start, end) in guest physical memory. */
  initrd?: [bigint, bigint];
}

/**
 * The device tree of a VM: its RAM, vCPUs, interrupt controller, timer and UARTs.
 * @param config - the VM's configuration.
 * @param chosen - bootargs and initramfs.
 * @returns the root node (write it with {@link writeFdt}).
 */
export function vmDeviceTree(config: VmConfig, chosen: ChosenOptions = {}): FdtNode {
  const gic = config.gic ?? { version: 2 as const };
  const cpuNodes = Array.from({ length: config.cpuNum }, (_, i) =>
    node(`cpu@${i.toString(16)}`, {
      device_type: 'cpu',
      compatible: 'arm,cortex-a57',
      reg: cells(i),
      'enable-method': 'psci',
    }),
  );
  // GICv2 PPIs carry a CPU mask in bits [15:8] of the flags; the GICv3 has none
  const ppiFlags =
    gic.version === 2
      ? (((1 << Math.min(config.cpuNum, 8)) - 1) << 8) | IRQ_LEVEL_HIGH
      : IRQ_LEVEL_HIGH;
  const intc =
    gic.version === 2
      ? node('intc@8000000', {
          compatible: 'arm,cortex-a15-gic',
          '#interrupt-cells': cells(3),
          'interrupt-controller': new Uint8Array(0),
          reg: cells(GICV2_DIST, 0x1_0000n, GICV2_CPU, 0x1_0000n),
          phandle: cells(PHANDLE_GIC),
        })
      : node(`intc@${gic.distributor.toString(16)}`, {
          compatible: 'arm,gic-v3',
          '#interrupt-cells': cells(3),
          'interrupt-controller': new Uint8Array(0),
          '#redistributor-regions': cells(1),
          'redistributor-stride': cells(0, gic.redistributorStride),
          reg: cells(
            gic.distributor,
            0x1_0000n,
            gic.redistributor,
            BigInt(gic.redistributorStride) * BigInt(config.cpuNum),
          ),
          phandle: cells(PHANDLE_GIC),
        });
  const uarts = config.emuDevices
    .filter((d) => d.kind === 'pl011')
    .map((d) => {
      const props: Record<string, ReturnType<typeof cells> | string | string[]> = {
        compatible: ['arm,pl011', 'arm,primecell'],
        reg: cells(d.gpa, BigInt(d.length)),
      };
      if (d.irq >= 32) props['interrupts'] = cells(GIC_SPI, d.irq - 32, IRQ_LEVEL_HIGH);
      props['clocks'] = cells(PHANDLE_CLK, PHANDLE_CLK);
      props['clock-names'] = ['uartclk', 'apb_pclk'];
      return node(`pl011@${d.gpa.toString(16)}`, props);
    });
  const chosenProps: Record<string, ReturnType<typeof cells> | string> = {};
  if (chosen.bootargs !== undefined) chosenProps['bootargs'] = chosen.bootargs;
  if (uarts.length > 0) chosenProps['stdout-path'] = `/${uarts[0]!.name}`;
  if (chosen.initrd !== undefined) {
    chosenProps['linux,initrd-start'] = cells(chosen.initrd[0]);
    chosenProps['linux,initrd-end'] = cells(chosen.initrd[1]);
  }
  return node(
    '',
    {
      'interrupt-parent': cells(PHANDLE_GIC),
      '#size-cells': cells(2),
      '#address-cells': cells(2),
      compatible: 'linux,dummy-virt',
      model: 'axvisor-vmm,virt',
    },
    [
      node('psci', {
        compatible: ['arm,psci-1.0', 'arm,psci-0.2', 'arm,psci'],
        method: 'hvc',
        cpu_suspend: cells(0xc400_0001),
        cpu_off: cells(0x8400_0002),
        cpu_on: cells(0xc400_0003),
        migrate: cells(0xc400_0005),
      }),
      ...config.memoryRegions.map((r) =>
        node(`memory@${r.gpa.toString(16)}`, {
          device_type: 'memory',
          reg: cells(r.gpa, BigInt(r.size)),
        }),
      ),
      node('cpus', { '#address-cells': cells(1), '#size-cells': cells(0) }, cpuNodes),
      node('timer', {
        compatible: ['arm,armv8-timer', 'arm,armv7-timer'],
        interrupts: cells(...TIMER_PPIS.flatMap((p) => [GIC_PPI, p, ppiFlags])),
        'always-on': new Uint8Array(0),
      }),
      intc,
      node('apb-pclk', {
        compatible: 'fixed-clock',
        '#clock-cells': cells(0),
        'clock-frequency': cells(APB_PCLK_HZ),
        'clock-output-names': 'clk24mhz',
        phandle: cells(PHANDLE_CLK),
      }),
      ...uarts,
      node('chosen', chosenProps),
    ],
  );
}

/**
 * The device tree blob of a VM (see {@link vmDeviceTree}).
 * @param config - the VM's configuration.
 * @param chosen - bootargs and initramfs.
 * @returns the DTB.
 */
export function vmDeviceTreeBlob(config: VmConfig, chosen: ChosenOptions = {}): Uint8Array {
  return writeFdt(vmDeviceTree(config, chosen));
}
