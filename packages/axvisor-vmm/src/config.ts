// SPDX-License-Identifier: MIT
// VM configuration files in AxVisor's TOML shape (axvisor configs/vms/*.toml: [base], [kernel],
// [devices]), parsed with smol-toml and validated into a typed config.

import { parse, TomlError } from 'smol-toml';
import { HypervisorError } from './errors.js';
import { GICV3_MAX_VCPUS } from './gicv3.js';

/** A guest memory region (`memory_regions = [[gpa, size, flags, map_type], ...]`). */
export interface MemoryRegionConfig {
  /** Guest physical base. */
  gpa: bigint;
  /** Size in bytes (a multiple of 2 MiB). */
  size: number;
  /** Mapping flags (AxVisor: bit 0 read, 1 write, 2 execute, 3 device). */
  flags: number;
  /**
   * How the region is mapped (`map_type`): 0 `MapAlloc` and 1 `MapIdentical` are mapped in
   * stage 2 when the VM is created, as AxVisor does; 3 ({@link MAP_TYPE_LAZY}) is mapped on
   * demand: the first guest access to each 2 MiB block takes a stage-2 fault, which the VMM
   * handles by mapping the block (`vmm:page_fault`, then `vmm:memory_map`) and resuming the guest.
   */
  mapType: number;
}

/**
 * `map_type` of a lazily mapped region: axaddrspace's `map_alloc(.., populate = false)`, whose
 * pages are mapped by the stage-2 page-fault handler. AxVisor's configs name 0 `MapAlloc`, 1
 * `MapIdentical` and 2 `MapReserved`; 3 is this simulator's value for the unpopulated case.
 */
export const MAP_TYPE_LAZY = 3;

/** An emulated device (`emu_devices = [[name, base_gpa, length, irq, emu_type, cfg], ...]`). */
export interface EmuDeviceConfig {
  /** Device name. */
  name: string;
  /** Guest physical base. */
  gpa: bigint;
  /** Length in bytes. */
  length: number;
  /** Interrupt id (0 when none). */
  irq: number;
  /** Device kind. */
  kind: 'pl011';
}

/**
 * The VM's interrupt controller: the virtual GICv2 at the QEMU virt addresses (the default), or
 * a GICv3 when the config has AxVisor's `gppt-gicd` (emu_type 0x21) and `gppt-gicr` (0x20)
 * devices.
 */
export type GicConfig =
  | { version: 2 }
  | {
      version: 3;
      /** GICD base (64 KiB). */
      distributor: bigint;
      /** Redistributor of vCPU 0. */
      redistributor: bigint;
      /** Distance between redistributors (the `gppt-gicr` cfg stride; one is 0x2_0000 long). */
      redistributorStride: number;
    };

/** A validated VM configuration. */
export interface VmConfig {
  /** VM id (1..). */
  id: number;
  /** Name. */
  name: string;
  /** Number of vCPUs. */
  cpuNum: number;
  /** Entry point of vCPU 0. */
  entryPoint: bigint;
  /** Image file path as written in the config, relative to the config file (resolved by the caller). */
  kernelPath: string;
  /** Where the image is loaded (ELF images are placed at their segments' addresses instead). */
  kernelLoadAddr: bigint;
  /** Guest RAM. */
  memoryRegions: MemoryRegionConfig[];
  /** Emulated devices (the UARTs; the GIC is in `gic`). */
  emuDevices: EmuDeviceConfig[];
  /** The interrupt controller (absent: the GICv2; `parseVmConfig` always sets it). */
  gic?: GicConfig;
  /** The config file it was read from (`parseVmConfig`'s `file`), named by later errors. */
  file?: string;
  /** initramfs file (`ramdisk_path`), relative to the config file; read through `loadImage`. */
  ramdiskPath?: string;
  /** Where the initramfs goes (`ramdisk_load_addr`; default: chosen by the Linux layout). */
  ramdiskLoadAddr?: bigint;
  /** A device tree blob file (`dtb_path`); when absent the VMM generates one for Linux guests. */
  dtbPath?: string;
  /** Where the device tree goes (`dtb_load_addr`; default: the start of RAM). */
  dtbLoadAddr?: bigint;
  /** The kernel command line (`cmdline`), the DT's /chosen/bootargs. */
  cmdline?: string;
}

const TWO_MIB = 2 * 1024 * 1024;

function fail(file: string, key: string, problem: string): never {
  throw new HypervisorError({
    code: 'BAD_CONFIG',
    file,
    key,
    message: `${file}: \`${key}\`: ${problem}`,
  });
}

function integer(file: string, key: string, v: unknown, min = 0n, max = (1n << 64n) - 1n): bigint {
  const b =
    typeof v === 'number' && Number.isInteger(v)
      ? BigInt(v)
      : typeof v === 'bigint'
        ? v
        : undefined;
  if (b === undefined) fail(file, key, `expected an integer, got ${JSON.stringify(v) ?? typeof v}`);
  if (b < min || b > max) fail(file, key, `${b} is out of range ${min}..${max}`);
  return b;
}

function table(file: string, key: string, v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(file, key, 'missing table');
  return v as Record<string, unknown>;
}

/**
 * Parses and validates a VM configuration.
 * @param text - TOML text.
 * @param file - file name for error messages.
 * @returns the configuration.
 * @throws {HypervisorError} `BAD_CONFIG` naming the file and key: TOML syntax (with line and
 * column), missing or mistyped keys, zero CPUs, regions not 2 MiB aligned or overlapping,
 * entry point outside RAM, unknown devices, devices overlapping RAM or each other, a GICv3
 * distributor without redistributors (or the reverse) or with a redistributor count other than
 * `cpu_num`.
 */
export function parseVmConfig(text: string, file = '<config>'): VmConfig {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text, { integersAsBigInt: 'asNeeded' }) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError)
      fail(file, `line ${e.line}, column ${e.column}`, `invalid TOML: ${e.message.split('\n')[0]}`);
    throw e;
  }
  const base = table(file, 'base', doc['base']);
  const kernel = table(file, 'kernel', doc['kernel']);
  const devices = doc['devices'] === undefined ? {} : table(file, 'devices', doc['devices']);
  const id = Number(integer(file, 'base.id', base['id'], 1n, 65535n));
  const name = base['name'];
  if (typeof name !== 'string' || name === '')
    fail(file, 'base.name', 'expected a non-empty string');
  const cpuNum = Number(integer(file, 'base.cpu_num', base['cpu_num'] ?? 0, 0n, 64n));
  if (cpuNum === 0) fail(file, 'base.cpu_num', 'a VM needs at least one vCPU');
  const physIds = base['phys_cpu_ids'];
  if (physIds !== undefined) {
    if (!Array.isArray(physIds))
      fail(file, 'base.phys_cpu_ids', 'expected an array of physical CPU ids');
    physIds.forEach((v, i) => integer(file, `base.phys_cpu_ids[${i}]`, v));
    if (physIds.length !== cpuNum)
      fail(
        file,
        'base.phys_cpu_ids',
        `${physIds.length} physical CPU ids for cpu_num = ${cpuNum}: give one per vCPU`,
      );
  }
  const kernelPath = kernel['kernel_path'];
  if (typeof kernelPath !== 'string' || kernelPath === '')
    fail(file, 'kernel.kernel_path', 'missing image path');
  if (kernel['entry_point'] === undefined && kernel['kernel_load_addr'] === undefined)
    fail(file, 'kernel.entry_point', 'missing (give entry_point or kernel_load_addr)');
  const entryPoint = integer(
    file,
    'kernel.entry_point',
    kernel['entry_point'] ?? kernel['kernel_load_addr'],
  );
  const kernelLoadAddr = integer(
    file,
    'kernel.kernel_load_addr',
    kernel['kernel_load_addr'] ?? entryPoint,
  );
  const optString = (key: string): string | undefined => {
    const v = kernel[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || (v === '' && key !== 'cmdline'))
      fail(file, `kernel.${key}`, 'expected a non-empty string');
    return v;
  };
  const optAddr = (key: string): bigint | undefined =>
    kernel[key] === undefined
      ? undefined
      : integer(file, `kernel.${key}`, kernel[key], 0n, (1n << 32n) - 1n);
  const linux = {
    ramdiskPath: optString('ramdisk_path'),
    ramdiskLoadAddr: optAddr('ramdisk_load_addr'),
    dtbPath: optString('dtb_path'),
    dtbLoadAddr: optAddr('dtb_load_addr'),
    cmdline: optString('cmdline'),
  };
  const regionsRaw = kernel['memory_regions'];
  if (!Array.isArray(regionsRaw) || regionsRaw.length === 0)
    fail(
      file,
      'kernel.memory_regions',
      'expected at least one [gpa, size, flags, map_type] region',
    );
  const memoryRegions = regionsRaw.map((r, i): MemoryRegionConfig => {
    const key = `kernel.memory_regions[${i}]`;
    if (!Array.isArray(r) || r.length < 2) fail(file, key, 'expected [gpa, size, flags, map_type]');
    const gpa = integer(file, `${key}[0]`, r[0], 0n, (1n << 32n) - 1n);
    const size = Number(integer(file, `${key}[1]`, r[1], 1n, 1n << 30n));
    if (gpa % BigInt(TWO_MIB) !== 0n || size % TWO_MIB !== 0)
      fail(file, key, 'gpa and size must be multiples of 2 MiB');
    if (gpa + BigInt(size) > 1n << 32n)
      fail(file, key, 'region ends above 4 GiB (the guest IPA space)');
    const mapType = Number(integer(file, `${key}[3]`, r[3] ?? 0, 0n, 3n));
    return { gpa, size, flags: Number(integer(file, `${key}[2]`, r[2] ?? 7, 0n, 0xffn)), mapType };
  });
  const sorted = [...memoryRegions].sort((a, b) => (a.gpa < b.gpa ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i - 1]!.gpa + BigInt(sorted[i - 1]!.size) > sorted[i]!.gpa)
      fail(
        file,
        'kernel.memory_regions',
        `regions at 0x${sorted[i - 1]!.gpa.toString(16)} and 0x${sorted[i]!.gpa.toString(16)} overlap`,
      );
  }
  const inRam = (a: bigint) => memoryRegions.some((r) => a >= r.gpa && a < r.gpa + BigInt(r.size));
  if (!inRam(entryPoint))
    fail(
      file,
      'kernel.entry_point',
      `0x${entryPoint.toString(16)} is not inside any memory region`,
    );
  if (entryPoint % 4n !== 0n)
    fail(
      file,
      'kernel.entry_point',
      `0x${entryPoint.toString(16)} is not 4-byte aligned (A64 instructions are)`,
    );
  const devRaw = devices['emu_devices'] ?? [];
  if (!Array.isArray(devRaw))
    fail(
      file,
      'devices.emu_devices',
      'expected an array of [name, base_gpa, length, irq, emu_type, cfg]',
    );
  const emuDevices: EmuDeviceConfig[] = [];
  const ranges: { name: string; gpa: bigint; length: bigint }[] = [];
  let gicd: bigint | undefined;
  let gicr: { gpa: bigint; stride: number } | undefined;
  devRaw.forEach((d, i) => {
    const key = `devices.emu_devices[${i}]`;
    if (!Array.isArray(d) || d.length < 3 || typeof d[0] !== 'string')
      fail(file, key, 'expected [name, base_gpa, length, irq, emu_type, cfg]');
    const devName = d[0].toLowerCase();
    const emuType =
      d[4] === undefined ? undefined : Number(integer(file, `${key}[4]`, d[4], 0n, 0xffffn));
    const gpa = integer(file, `${key}[1]`, d[1], 0n, (1n << 32n) - 1n);
    const length = Number(integer(file, `${key}[2]`, d[2], 1n, 1n << 24n));
    let span = BigInt(length);
    if (devName === 'gppt-gicd' || emuType === 0x21) {
      if (gicd !== undefined) fail(file, key, 'a second GIC distributor');
      if (length < 0x1_0000) fail(file, `${key}[2]`, 'the GICv3 distributor needs 0x10000 bytes');
      gicd = gpa;
    } else if (devName === 'gppt-gicr' || emuType === 0x20) {
      if (gicr !== undefined) fail(file, key, 'a second GIC redistributor entry');
      // cfg = [cpu_num, stride, pcpu_id], as AxVisor's GPPT redistributor
      const cfg = d[5];
      if (!Array.isArray(cfg) || cfg.length !== 3)
        fail(file, `${key}[5]`, 'expected [cpu_num, stride, pcpu_id]');
      const n = Number(integer(file, `${key}[5][0]`, cfg[0], 1n, 64n));
      const stride = Number(integer(file, `${key}[5][1]`, cfg[1], 0x2_0000n, 1n << 24n));
      if (n !== cpuNum) fail(file, `${key}[5][0]`, `${n} redistributors for ${cpuNum} vCPUs`);
      if (length < 0x2_0000 || length > stride)
        fail(
          file,
          `${key}[2]`,
          `a redistributor is 0x20000 bytes, at most the stride 0x${stride.toString(16)}`,
        );
      if (cpuNum > GICV3_MAX_VCPUS)
        fail(
          file,
          'base.cpu_num',
          `a GICv3 VM has at most ${GICV3_MAX_VCPUS} vCPUs (SGI target lists reach Aff0 0-15)`,
        );
      gicr = { gpa, stride };
      span = BigInt(stride) * BigInt(n - 1) + BigInt(length);
    } else if (devName === 'pl011' || devName === 'uart') {
      emuDevices.push({
        name: d[0],
        gpa,
        length,
        irq: Number(integer(file, `${key}[3]`, d[3] ?? 0, 0n, 1019n)),
        kind: 'pl011',
      });
    } else {
      fail(file, `${key}[0]`, `unknown device \`${d[0]}\` (known: pl011, gppt-gicd, gppt-gicr)`);
    }
    if (inRam(gpa) || inRam(gpa + span - 1n)) fail(file, key, 'device overlaps guest RAM');
    ranges.push({ name: d[0], gpa, length: span });
  });
  for (let i = 0; i < ranges.length; i++) {
    for (let j = i + 1; j < ranges.length; j++) {
      const a = ranges[i]!;
      const b = ranges[j]!;
      if (a.gpa < b.gpa + b.length && b.gpa < a.gpa + a.length)
        fail(file, 'devices.emu_devices', `devices \`${a.name}\` and \`${b.name}\` overlap`);
    }
  }
  if ((gicd === undefined) !== (gicr === undefined))
    fail(file, 'devices.emu_devices', 'a GICv3 needs both `gppt-gicd` and `gppt-gicr`');
  const gic: GicConfig =
    gicd !== undefined && gicr !== undefined
      ? { version: 3, distributor: gicd, redistributor: gicr.gpa, redistributorStride: gicr.stride }
      : { version: 2 };
  const out: VmConfig = {
    id,
    name,
    cpuNum,
    entryPoint,
    kernelPath,
    kernelLoadAddr,
    memoryRegions,
    emuDevices,
    gic,
    file,
  };
  for (const [k, v] of Object.entries(linux))
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  const inRamKey = (key: string, a: bigint | undefined) => {
    if (a !== undefined && !inRam(a))
      fail(file, `kernel.${key}`, `0x${a.toString(16)} is not inside any memory region`);
  };
  inRamKey('ramdisk_load_addr', linux.ramdiskLoadAddr);
  inRamKey('dtb_load_addr', linux.dtbLoadAddr);
  return out;
}
