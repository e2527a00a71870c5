import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  cells,
  GICD_BASE,
  HypervisorError,
  isLinuxImage,
  linuxLayout,
  linuxVmToml,
  node,
  parseLinuxImage,
  parseVmConfig,
  Pl011,
  VGicV2,
  vmDeviceTreeBlob,
  Vmm,
  writeFdt,
} from './linux-exports.js';
import { SYS_REG_BY_NAME } from '@axebpf/aarch64-emu';

const has = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const hasDtc = has('dtc', ['--version']);
/** Debian's arm64 kernel: tools/linux-guest/out (fetch-images.sh), or the development copy. */
const KERNEL = [new URL('../../../tools/linux-guest/out/Image', import.meta.url).pathname].find(
  (p) => existsSync(p),
);

/** A 64-byte arm64 Image header (+ some body). */
function fakeImage(
  o: {
    textOffset?: bigint;
    imageSize?: bigint;
    flags?: bigint;
    magic?: number;
    length?: number;
  } = {},
): Uint8Array {
  const b = new Uint8Array(o.length ?? 4096);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(8, o.textOffset ?? 0n, true);
  dv.setBigUint64(16, o.imageSize ?? 0x10000n, true);
  dv.setBigUint64(24, o.flags ?? 0xan, true);
  dv.setUint32(0x38, o.magic ?? 0x644d5241, true);
  return b;
}

describe('the FDT writer', () => {
  it('writes header, reservations, structure and a deduplicated strings block', () => {
    const blob = writeFdt(
      node('', { compatible: 'a', model: 'a' }, [
        node('n@1', { reg: cells(1n, 2), empty: new Uint8Array(0) }),
      ]),
      { reserve: [[0x1000n, 0x2000n]], bootCpu: 0 },
    );
    const dv = new DataView(blob.buffer);
    expect(dv.getUint32(0, false)).toBe(0xd00dfeed);
    expect(dv.getUint32(4, false)).toBe(blob.length);
    expect(dv.getUint32(20, false)).toBe(17);
    expect(dv.getBigUint64(40, false)).toBe(0x1000n);
    const strings = new TextDecoder().decode(
      blob.subarray(dv.getUint32(12, false), dv.getUint32(12, false) + dv.getUint32(32, false)),
    );
    expect(strings.split('\0').filter(Boolean)).toEqual(['compatible', 'model', 'reg', 'empty']);
  });

  it('rejects a cell that is not 32-bit with a typed error naming the property', () => {
    expect(() => writeFdt(node('', { reg: cells(2 ** 32) }))).toThrow(/reg/);
    expect(() => writeFdt(node('', { reg: cells(-1.5) }))).toThrow(HypervisorError);
  });

  it.skipIf(!hasDtc)(
    'gives a tree dtc decompiles to the nodes and properties QEMU virt has for Linux',
    () => {
      const config = parseVmConfig(
        linuxVmToml({
          kernel: 'Image',
          initrd: 'initrd.gz',
          cpus: 2,
          cmdline: 'console=ttyAMA0 quiet',
        }),
        'linux.toml',
      );
      const dtb = vmDeviceTreeBlob(config, {
        bootargs: config.cmdline!,
        initrd: [0x4800_0000n, 0x4810_0000n],
      });
      const dir = mkdtempSync(join(tmpdir(), 'dt-'));
      writeFileSync(join(dir, 'vm.dtb'), dtb);
      const dts = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', join(dir, 'vm.dtb')], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(dts).toContain('method = "hvc";');
      expect(dts).toMatch(/compatible = "arm,psci-1.0\\0arm,psci-0.2\\0arm,psci";/);
      expect(dts).toMatch(
        /memory@40000000 \{\s*device_type = "memory";\s*reg = <0x00 0x40000000 0x00 0x10000000>;/,
      );
      expect(dts).toMatch(
        /cpu@1 \{\s*device_type = "cpu";\s*compatible = "arm,cortex-a57";\s*reg = <0x01>;\s*enable-method = "psci";/,
      );
      // QEMU virt's timer PPIs with a two-CPU mask, and the GICv2 frames
      expect(dts).toContain(
        'interrupts = <0x01 0x0d 0x304 0x01 0x0e 0x304 0x01 0x0b 0x304 0x01 0x0a 0x304>;',
      );
      expect(dts).toMatch(
        /intc@8000000 \{\s*compatible = "arm,cortex-a15-gic";[\s\S]*reg = <0x00 0x8000000 0x00 0x10000 0x00 0x8010000 0x00 0x10000>;/,
      );
      // the UART on SPI 1 with the apb_pclk clock, as QEMU's
      expect(dts).toMatch(
        /pl011@9000000 \{\s*compatible = "arm,pl011\\0arm,primecell";\s*reg = <0x00 0x9000000 0x00 0x1000>;\s*interrupts = <0x00 0x01 0x04>;\s*clocks = <0x02 0x02>;\s*clock-names = "uartclk\\0apb_pclk";/,
      );
      expect(dts).toMatch(
        /apb-pclk \{\s*compatible = "fixed-clock";\s*#clock-cells = <0x00>;\s*clock-frequency = <0x16e3600>;/,
      );
      expect(dts).toMatch(
        /chosen \{\s*bootargs = "console=ttyAMA0 quiet";\s*stdout-path = "\/pl011@9000000";\s*linux,initrd-start = <0x00 0x48000000>;\s*linux,initrd-end = <0x00 0x48100000>;/,
      );
      // and dtc reads its own output back to the same blob layout (no structure errors)
      execFileSync(
        'dtc',
        ['-I', 'dtb', '-O', 'dtb', '-o', join(dir, 'again.dtb'), join(dir, 'vm.dtb')],
        { stdio: 'ignore' },
      );
      expect(readFileSync(join(dir, 'again.dtb')).length).toBeGreaterThan(0);
    },
  );

  it.skipIf(!hasDtc)('describes a GICv3 VM with the arm,gic-v3 node and its redistributors', () => {
    const config = parseVmConfig(linuxVmToml({ kernel: 'Image', cpus: 2, gic: 3 }), 'linux.toml');
    const dir = mkdtempSync(join(tmpdir(), 'dt-'));
    writeFileSync(join(dir, 'vm.dtb'), vmDeviceTreeBlob(config));
    const dts = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', join(dir, 'vm.dtb')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(dts).toMatch(
      /compatible = "arm,gic-v3";[\s\S]*reg = <0x00 0x8000000 0x00 0x10000 0x00 0x80a0000 0x00 0x40000>;/,
    );
    expect(dts).toContain(
      'interrupts = <0x01 0x0d 0x04 0x01 0x0e 0x04 0x01 0x0b 0x04 0x01 0x0a 0x04>;',
    );
  });
});

describe('the arm64 Image boot protocol', () => {
  it('reads text_offset, image_size and flags, and tells an Image from an ELF', () => {
    const h = parseLinuxImage(fakeImage({ textOffset: 0x80000n, imageSize: 0x200000n }));
    expect(h).toEqual({ textOffset: 0x80000n, imageSize: 0x200000n, flags: 0xan, pageSize: 4096 });
    expect(isLinuxImage(fakeImage())).toBe(true);
    expect(isLinuxImage(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]))).toBe(false);
    // image_size 0: a pre-3.17 kernel, text_offset 0x80000 assumed
    expect(parseLinuxImage(fakeImage({ imageSize: 0n, textOffset: 0x1234n })).textOffset).toBe(
      0x80000n,
    );
  });

  it('rejects short, big-endian, 64K-page and magic-less images with BAD_IMAGE', () => {
    for (const [bytes, why] of [
      [new Uint8Array(10), /shorter than the 64-byte/],
      [fakeImage({ magic: 0 }), /no arm64 Image magic/],
      [fakeImage({ flags: 1n }), /big-endian/],
      [fakeImage({ flags: 6n }), /64 KiB pages/],
    ] as const) {
      let err: unknown;
      try {
        parseLinuxImage(bytes);
      } catch (e) {
        err = e;
      }
      expect(HypervisorError.isInstance(err) && err.code === 'BAD_IMAGE').toBe(true);
      expect((err as Error).message).toMatch(why);
    }
  });

  it('lays out DTB, kernel and initramfs as QEMU virt does, and refuses overlaps', () => {
    const ram = { gpa: 0x4000_0000n, size: 0x1000_0000 };
    const h = parseLinuxImage(fakeImage({ imageSize: 0x2010000n }));
    expect(linuxLayout(ram, h, 1_000_000, 0x2000)).toEqual({
      kernel: 0x4020_0000n,
      kernelEnd: 0x4221_0000n,
      dtb: 0x4000_0000n,
      initrd: 0x4800_0000n,
    });
    expect(() => linuxLayout(ram, h, 1_000_000, 0x2000, { initrd: 0x4100_0000n })).toThrow(
      /kernel and the initramfs overlap/,
    );
    expect(() => linuxLayout(ram, h, 1_000_000, 0x2000, { kernel: 0x4010_0000n })).toThrow(
      /2 MiB-aligned/,
    );
    expect(() => linuxLayout({ gpa: 0x4000_0000n, size: 0x20_0000 }, h, 0, 0x2000)).toThrow(
      /does not fit/,
    );
  });
});

/**
 * A GICv2 with `cpus` fresh CPU interfaces, and a 32-bit-result accessor (`c`: the accessing vCPU).
 */
function gicV2(cpus: number): {
  gic: VGicV2;
  acc: (c: number, off: bigint, w: number, write: boolean, v?: bigint) => number;
} {
  const cpu = () => ({
    enabled: 0,
    pending: 0,
    active: 0,
    cpuInterface: false,
    sgiSource: new Uint8Array(16),
    ackedAt: new Array<bigint>(32).fill(0n),
  });
  const gic = new VGicV2(Array.from({ length: cpus }, cpu));
  const fx = { sgis: [] as [number, number][] };
  return {
    gic,
    acc: (c, off, w, write, v = 0n) => Number(gic.access(c, off, w, write, v, fx, 0n)),
  };
}

describe('the PL011 and the GICv2 SPIs', () => {
  it('answers the PrimeCell ID registers the AMBA bus reads (UART PL011 r1p5)', () => {
    const u = new Pl011(() => undefined);
    expect([0xfe0, 0xfe4, 0xfe8, 0xfec].map((o) => Number(u.read(o)))).toEqual([
      0x11, 0x10, 0x14, 0x00,
    ]);
    expect([0xff0, 0xff4, 0xff8, 0xffc].map((o) => Number(u.read(o)))).toEqual([
      0x0d, 0xf0, 0x05, 0xb1,
    ]);
    expect(Number(u.read(0x18)) & 0x90).toBe(0x90);
  });

  it('raises its interrupt line for a transmitted character when TXIM is unmasked, and ICR lowers it', () => {
    const levels: boolean[] = [];
    const out: number[] = [];
    const u = new Pl011(
      (b) => out.push(b),
      (l) => levels.push(l),
    );
    u.write(0, 1, 0x41n);
    expect(levels).toEqual([]); // masked
    u.write(0x38, 4, 0x20n); // IMSC.TXIM
    expect(levels).toEqual([true]);
    expect(Number(u.read(0x40))).toBe(0x20); // MIS
    u.write(0x44, 4, 0x20n); // ICR
    expect(levels).toEqual([true, false]);
    expect(out).toEqual([0x41]);
  });

  it('routes a level SPI to the CPU in its ITARGETSR, acknowledges it once until EOI, and pends it again while the line is high', () => {
    const { gic, acc } = gicV2(2);
    expect(acc(0, GICD_BASE + 4n, 4, false) & 0x1f).toBe(2); // 96 lines
    expect(acc(1, GICD_BASE + 0x800n, 4, false)).toBe(0x02020202); // banked: CPU 1's mask
    acc(0, GICD_BASE, 4, true, 1n);
    for (const c of [0, 1]) {
      acc(c, 0x0801_0000n, 4, true, 1n);
      acc(c, 0x0801_0004n, 4, true, 0xf0n);
    }
    acc(0, GICD_BASE + 0x800n + 33n, 1, true, 2n); // INTID 33 -> CPU 1
    acc(0, GICD_BASE + 0x104n, 4, true, 2n); // ISENABLER1 bit 1 = INTID 33
    gic.setSpiLevel(33, true);
    expect([gic.signals(0), gic.signals(1)]).toEqual([false, true]);
    expect(acc(1, 0x0801_000cn, 4, false)).toBe(33);
    expect(gic.signals(1)).toBe(false); // active: not again before EOI
    acc(1, 0x0801_0010n, 4, true, 33n);
    expect(gic.signals(1)).toBe(true); // the line is still high
    gic.setSpiLevel(33, false);
    expect(gic.signals(1)).toBe(false);
    expect(acc(1, 0x0801_000cn, 4, false)).toBe(1023);
  });

  it('shows an acknowledged SPI in GICD_ISACTIVER and GICD_ICACTIVER, and a write to ICACTIVER deactivates it', () => {
    const g = gicV2(1);
    const gic = g.gic;
    const acc = (off: bigint, write: boolean, v = 0n): number => g.acc(0, off, 4, write, v);
    acc(GICD_BASE, true, 1n);
    acc(0x0801_0000n, true, 1n);
    acc(0x0801_0004n, true, 0xf0n);
    acc(GICD_BASE + 0x800n + 40n, true, 1n); // INTID 40 -> CPU 0
    acc(GICD_BASE + 0x104n, true, 1n << 8n); // ISENABLER1 bit 8 = INTID 40
    gic.setSpiLevel(40, true);
    expect(acc(0x0801_000cn, false)).toBe(40);
    gic.setSpiLevel(40, false);
    expect(acc(GICD_BASE + 0x304n, false)).toBe(1 << 8); // ISACTIVER1
    expect(acc(GICD_BASE + 0x384n, false)).toBe(1 << 8); // ICACTIVER1 reads the same state
    acc(GICD_BASE + 0x384n, true, 1n << 8n);
    expect(gic.spiState(40).active).toBe(false);
    expect(acc(GICD_BASE + 0x304n, false)).toBe(0);
    gic.setSpiLevel(40, true); // no EOI needed any more: deliverable again
    expect(gic.signals(0)).toBe(true);
  });
});

describe('Linux guest configs', () => {
  it('reads ramdisk_path, dtb_path, dtb_load_addr and cmdline in AxVisor TOML, and linuxVmToml writes them', () => {
    const c = parseVmConfig(
      linuxVmToml({
        kernel: '/k/Image',
        initrd: '/k/initrd.gz',
        cpus: 2,
        memBytes: 512 * 1024 * 1024,
        cmdline: 'console=ttyAMA0 quiet',
      }),
      'linux.toml',
    );
    expect(c).toMatchObject({
      cpuNum: 2,
      kernelPath: '/k/Image',
      ramdiskPath: '/k/initrd.gz',
      cmdline: 'console=ttyAMA0 quiet',
      kernelLoadAddr: 0x4020_0000n,
    });
    expect(c.memoryRegions).toEqual([
      { gpa: 0x4000_0000n, size: 0x2000_0000, flags: 7, mapType: 0 },
    ]);
    expect(() =>
      parseVmConfig(
        linuxVmToml({ kernel: 'I' }).replace('cmdline', 'dtb_load_addr = 0x1000\ncmdline'),
        'x.toml',
      ),
    ).toThrow(/dtb_load_addr/);
  });

  it('boots an Image-format guest with x0 = the DTB and the generated tree in guest memory', () => {
    // a two-instruction "kernel": str x0, [x0, #0x40]... not needed: check the loader's placement
    const image = fakeImage({ imageSize: 0x10000n });
    new DataView(image.buffer).setUint32(0, 0xd4000002, true); // hvc #0 with x0 = DTB address: an unknown hypercall
    const files: Record<string, Uint8Array> = {
      Image: image,
      'initrd.gz': new Uint8Array([1, 2, 3, 4]),
    };
    const vmm = new Vmm({ hypervisor: 'ts', loadImage: (p) => files[p]! });
    const vm = vmm.createVm(
      parseVmConfig(linuxVmToml({ kernel: 'Image', initrd: 'initrd.gz' }), 'l.toml'),
    );
    expect(vm.linux).toMatchObject({
      kernel: 0x4020_0000n,
      dtb: 0x4000_0000n,
      initrd: 0x4800_0000n,
      initrdSize: 4,
    });
    expect(vm.vcpus[0]!.cpu.getX(0)).toBe(0x4000_0000n);
    expect(vm.vcpus[0]!.cpu.pc).toBe(0x4020_0000n);
    expect([...vm.memory.read(0x4800_0000n, 4)]).toEqual([1, 2, 3, 4]);
    expect(new DataView(vm.memory.read(0x4000_0000n, 4).buffer).getUint32(0, false)).toBe(
      0xd00dfeed,
    );
  });
});

describe('the CPU a Linux VM presents', () => {
  it("is QEMU's Cortex-A57 (-cpu cortex-a57): MIDR 0x411fd070, ID_AA64ISAR0 0x11120 (AES, PMULL, SHA1, SHA2, CRC32, no LSE) on every vCPU, and LSE is UNDEFINED; an ELF guest keeps the default model", () => {
    // the "kernel": vectors at its start, read the ID registers, then try an LSE atomic
    // (UNDEFINED on a Cortex-A57: the exception goes to VBAR_EL1 + 0x200, which holds `b .`)
    const words = [
      0x10fff805, // adr x5, . - 0x100 (the image's start)
      0xd518c005, // msr vbar_el1, x5
      0xd5380601, // mrs x1, id_aa64isar0_el1
      0xd5380002, // mrs x2, midr_el1
      0xf8200003, // ldadd x0, x3, [x0]
      0x14000000, // b .
    ];
    const image = fakeImage({ imageSize: 0x10000n });
    const dv = new DataView(image.buffer);
    dv.setUint32(0, 0x14000040, true); // code0: b 0x100 (past the Image header)
    words.forEach((w, i) => dv.setUint32(0x100 + i * 4, w, true));
    dv.setUint32(0x200, 0x14000000, true); // b .
    for (const hypervisor of ['el2', 'ts'] as const) {
      const vmm = new Vmm({ hypervisor, loadImage: () => image });
      const vm = vmm.createVm(parseVmConfig(linuxVmToml({ kernel: 'Image', cpus: 2 }), 'l.toml'));
      expect(vm.vcpus.map((v) => v.cpu.model)).toEqual(['cortex-a57', 'cortex-a57']);
      vmm.startVm(vm.id);
      vmm.run(1_000_000n);
      const cpu = vm.vcpus[0]!.cpu;
      expect(cpu.getX(1)).toBe(0x0001_1120n);
      expect(cpu.getX(2)).toBe(0x411f_d070n);
      const esr = cpu.getSysReg(SYS_REG_BY_NAME.get('esr_el1')!);
      expect(Number(esr >> 26n)).toBe(0); // unknown reason: the LDADD
      expect(cpu.getSysReg(SYS_REG_BY_NAME.get('elr_el1')!)).toBe(0x4020_0110n);
      expect(cpu.pc).toBe(0x4020_0200n);
    }
    const hello = new Vmm({
      loadImage: (p) =>
        new Uint8Array(readFileSync(new URL(`../configs/${p}`, import.meta.url).pathname)),
    });
    const elfVm = hello.createVm(
      parseVmConfig(
        readFileSync(new URL('../configs/hello.toml', import.meta.url).pathname, 'utf8'),
        'hello.toml',
      ),
    );
    expect(elfVm.vcpus[0]!.cpu.model).toBe('default');
  });
});

describe.skipIf(KERNEL === undefined)(
  "Debian's arm64 kernel (skipped: no Image in tools/linux-guest/out; run tools/linux-guest/fetch-images.sh)",
  () => {
    it.each(['el2', 'ts'] as const)(
      'starts on the %s path: earlycon prints the banner, the generated DT, PSCI over HVC and the GICv2',
      (hypervisor) => {
        const vmm = new Vmm({ hypervisor, loadImage: (p) => new Uint8Array(readFileSync(p)) });
        const vm = vmm.createVm(
          parseVmConfig(
            linuxVmToml({
              kernel: KERNEL!,
              cmdline: 'console=ttyAMA0 earlycon=pl011,0x09000000 nokaslr',
            }),
            'linux.toml',
          ),
        );
        vmm.startVm(vm.id);
        // about 25 million instructions: up to the interrupt controller's and the timer's set-up
        while (
          vm.status === 'Running' &&
          !vm.console.includes('sched_clock:') &&
          vmm.timeNs < 100_000_000n
        )
          vmm.run(5_000_000n);
        expect(vm.status).toBe('Running');
        expect(vm.console).toMatch(
          /^\[ +0\.000000\] Booting Linux on physical CPU 0x0000000000 \[0x411fd070\]$/m,
        );
        expect(vm.console).toContain('Machine model: axvisor-vmm,virt');
        expect(vm.console).toContain('psci: PSCIv1.0 detected in firmware.');
        expect(vm.console).toContain(
          'Kernel command line: console=ttyAMA0 earlycon=pl011,0x09000000 nokaslr',
        );
        expect(vm.console).toMatch(
          /GIC: Using split EOI\/Deactivate mode|Root IRQ handler: gic_handle_irq/,
        );
        expect(vm.console).toMatch(/arch_timer: cp15 timer\(s\) running at 62\.50MHz \(virt\)\./);
      },
      600_000,
    );
  },
);
