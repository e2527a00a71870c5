import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HypervisorError, parseVmConfig, Vmm } from '../src/index.js';
import { SYS_REG_BY_NAME } from '@axebpf/aarch64-emu';

const root = fileURLToPath(new URL('..', import.meta.url));
const helloToml = readFileSync(`${root}configs/hello.toml`, 'utf8');
// kernel_path is relative to the config file
const loadImage = (p: string) => new Uint8Array(readFileSync(`${root}configs/${p}`));

function bootHello(vmm = new Vmm({ loadImage })) {
  const vm = vmm.createVm(parseVmConfig(helloToml, 'hello.toml'));
  vmm.startVm(vm.id);
  vmm.runUntilIdle();
  return { vmm, vm };
}

describe('the hello guest', () => {
  it('prints the same console output as on qemu-system-aarch64 -M virt and powers off', () => {
    const { vm } = bootHello();
    expect(vm.console).toBe(readFileSync(`${root}guests/hello/qemu.console.txt`, 'utf8'));
    expect(vm.status).toBe('Stopped');
    expect(vm.stopReason).toBe('system off');
  });

  it('takes the exits its workload implies: one MMIO write per character, 9 hypercalls, one system off, one host tick', () => {
    const { vm } = bootHello();
    const exits = Object.fromEntries(vm.vcpus[0]!.exits);
    // the prime count runs about 300,000 instructions without an exit: one time slice of
    // QUANTUM_INSNS ends there with the host's timer interrupt
    expect(exits).toEqual({
      MmioWrite: vm.console.length,
      Hypercall: 9,
      SystemDown: 1,
      ExternalInterrupt: 1,
    });
  });

  it('takes the host timer interrupt at the end of each full time slice as an ExternalInterrupt exit (INTID 26), and resumes the guest where it was', async () => {
    const { HOST_TIMER_INTID, QUANTUM_INSNS } = await import('../src/index.js');
    const vmm = new Vmm({ loadImage });
    vmm.tracepoints.enable('vmm:external_interrupt');
    vmm.tracepoints.enable('vmm:vcpu_run_exit');
    const irqs: unknown[] = [];
    const gaps: bigint[] = [];
    vmm.tracepoints.attach('vmm:external_interrupt', (r) => irqs.push(r.field('irq')));
    vmm.tracepoints.attach('vmm:vcpu_run_exit', (r) => {
      if (r.field('exit_reason') === 8) gaps.push(r.field('guest_ns') as bigint);
    });
    const { vm } = bootHello(vmm);
    expect(vm.console).toBe(readFileSync(`${root}guests/hello/qemu.console.txt`, 'utf8'));
    expect(irqs).toEqual([HOST_TIMER_INTID]);
    expect(gaps).toEqual([BigInt(QUANTUM_INSNS)]); // a whole slice in the guest, then the tick
    expect(HOST_TIMER_INTID).toBe(26);
    // a run cut short by the caller's duration is not a host interrupt
    const short = new Vmm({ loadImage });
    const v2 = short.createVm(parseVmConfig(helloToml));
    short.startVm(v2.id);
    for (let i = 0; i < 40; i++) short.run(10_000n);
    expect(v2.vcpus[0]!.exits.get('ExternalInterrupt')).toBeUndefined();
  });

  it('fires vcpu_run_exit for each exit, and two runs give identical traces and times', () => {
    const trace = () => {
      const vmm = new Vmm({ loadImage });
      const lines: string[] = [];
      vmm.tracepoints.enableAll();
      vmm.tracepoints.attach('vmm:vcpu_run_exit', (r) =>
        lines.push(`${r.timeNs} ${r.field('exit_reason')} ${r.field('pc')} ${r.field('guest_ns')}`),
      );
      const { vm } = bootHello(vmm);
      return { lines, time: vmm.timeNs, exits: vm.vcpus[0]!.exits.size };
    };
    const a = trace();
    const b = trace();
    expect(a.lines.length).toBeGreaterThan(60);
    expect(a).toEqual(b);
  });
});

describe('bad configurations', () => {
  const bad = (patch: (t: string) => string) => {
    try {
      parseVmConfig(patch(helloToml), 'bad.toml');
    } catch (e) {
      if (HypervisorError.isInstance(e)) return e;
      throw e;
    }
    throw new Error('expected a HypervisorError');
  };

  it('names the file and key of each problem', () => {
    expect(bad((t) => t.replace('cpu_num = 1', 'cpu_num = 0'))).toMatchObject({
      code: 'BAD_CONFIG',
      file: 'bad.toml',
      key: 'base.cpu_num',
    });
    expect(
      bad((t) =>
        t.replace(
          'memory_regions = [[0x40000000, 0x1000000, 0x7, 0]]',
          'memory_regions = [[0x40000000, 0x1000000, 7, 0], [0x40800000, 0x200000, 7, 0]]',
        ),
      ).key,
    ).toBe('kernel.memory_regions');
    expect(bad((t) => t.replace('"pl011"', '"virtio-net"')).key).toBe('devices.emu_devices[0][0]');
    expect(bad((t) => t.replace('entry_point = 0x40080000', 'entry_point = 0x80000000')).key).toBe(
      'kernel.entry_point',
    );
    expect(bad((t) => t.replace('kernel_path = "../guests/hello/guest.elf"', '')).key).toBe(
      'kernel.kernel_path',
    );
    expect(bad((t) => t.replace('[base]', '[base')).message).toContain('invalid TOML');
  });

  it('rejects a missing or foreign image and a duplicate VM id', () => {
    const vmm = new Vmm({ loadImage });
    const config = parseVmConfig(helloToml);
    expect(() => vmm.createVm(config, new Uint8Array([1, 2, 3]))).toThrowError(
      expect.objectContaining({ code: 'BAD_IMAGE' }),
    );
    vmm.createVm(config);
    expect(() => vmm.createVm(config)).toThrowError(
      expect.objectContaining({ code: 'BAD_CONFIG' }),
    );
    expect(() => new Vmm().createVm(parseVmConfig(helloToml))).toThrowError(
      expect.objectContaining({ code: 'BAD_IMAGE' }),
    );
  });

  it('stops a VM whose guest touches an unmapped device, not the process', () => {
    const vmm = new Vmm({ loadImage });
    const vm = vmm.createVm(
      parseVmConfig(
        helloToml.replace(
          'emu_devices = [["pl011", 0x9000000, 0x1000, 33, 1, []]]',
          'emu_devices = []',
        ),
      ),
    );
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.status).toBe('Stopped');
    expect(vm.stopReason).toMatch(/^guest fault: write to unmapped guest address 0x9000000/);
  });
});

describe('the worker guest', () => {
  it('matches qemu-system-aarch64 and polls the UART with MMIO reads', () => {
    const vmm = new Vmm({ loadImage });
    const vm = vmm.createVm(
      parseVmConfig(readFileSync(`${root}configs/worker.toml`, 'utf8'), 'worker.toml'),
    );
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(readFileSync(`${root}guests/worker/qemu.console.txt`, 'utf8'));
    const exits = Object.fromEntries(vm.vcpus[0]!.exits);
    expect(exits).toEqual({
      MmioRead: vm.console.length,
      MmioWrite: vm.console.length,
      Hypercall: 128,
      SystemDown: 1,
    });
  });

  it('runs next to the hello guest, each VM with its own console', () => {
    const vmm = new Vmm({ loadImage });
    const a = vmm.createVm(parseVmConfig(helloToml));
    const b = vmm.createVm(parseVmConfig(readFileSync(`${root}configs/worker.toml`, 'utf8')));
    vmm.startVm(a.id);
    vmm.startVm(b.id);
    vmm.run(1_000_000_000n);
    expect(a.console).toBe(readFileSync(`${root}guests/hello/qemu.console.txt`, 'utf8'));
    expect(b.console).toBe(readFileSync(`${root}guests/worker/qemu.console.txt`, 'utf8'));
    expect([a.status, b.status]).toEqual(['Stopped', 'Stopped']);
  });
});

describe('bundled VMs', () => {
  it('boot from the package files alone', async () => {
    const { BUNDLED_VMS, bundledConfig, bundledImage } = await import('../src/index.js');
    const vmm = new Vmm({ loadImage: bundledImage });
    for (const name of BUNDLED_VMS)
      vmm.startVm(vmm.createVm(parseVmConfig(bundledConfig(name), `${name}.toml`)).id);
    vmm.runUntilIdle();
    expect(vmm.vms().map((v) => [v.config.name, v.status])).toEqual([
      ['hello', 'Stopped'],
      ['worker', 'Stopped'],
      ['ticker', 'Stopped'],
      ['smp', 'Stopped'],
      ['mmu', 'Stopped'],
    ]);
    expect(() => bundledConfig('nope')).toThrowError(
      expect.objectContaining({ code: 'BAD_CONFIG' }),
    );
    expect(() => bundledImage('../../etc/passwd')).toThrowError(
      expect.objectContaining({ code: 'BAD_IMAGE' }),
    );
  });
});

describe('VM life cycle', () => {
  const workerToml = () => readFileSync(`${root}configs/worker.toml`, 'utf8');

  it('pauses and resumes a VM: a suspended VM does not run, and resumes where it stopped', () => {
    const vmm = new Vmm({ loadImage });
    const vm = vmm.createVm(parseVmConfig(workerToml()));
    expect(vm.status).toBe('Loaded');
    vmm.startVm(vm.id);
    vmm.run(200_000n);
    const partial = vm.console;
    const insns = vm.vcpus[0]!.insns;
    expect(partial.length).toBeGreaterThan(0);
    vmm.pauseVm(vm.id);
    expect(vm.status).toBe('Suspended');
    vmm.run(1_000_000n);
    expect(vm.vcpus[0]!.insns).toBe(insns);
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(readFileSync(`${root}guests/worker/qemu.console.txt`, 'utf8'));
  });

  it('refuses transitions from the wrong state with BAD_STATE', () => {
    const vmm = new Vmm({ loadImage });
    const vm = vmm.createVm(parseVmConfig(helloToml));
    expect(() => vmm.pauseVm(vm.id)).toThrowError(expect.objectContaining({ code: 'BAD_STATE' }));
    vmm.startVm(vm.id);
    expect(() => vmm.startVm(vm.id)).toThrowError(expect.objectContaining({ code: 'BAD_STATE' }));
    vmm.stopVm(vm.id);
    expect(vm.status).toBe('Stopped');
    expect(vm.stopReason).toBe('stopped by the host');
    expect(() => vmm.stopVm(vm.id)).toThrowError(expect.objectContaining({ code: 'BAD_STATE' }));
    expect(() => vmm.vm(42)).toThrowError(expect.objectContaining({ code: 'NO_SUCH_VM' }));
  });

  it('runs on the wall clock when asked (for benchmarks), with the same guest output', () => {
    const vmm = new Vmm({ loadImage, clock: 'wall' });
    const vm = vmm.createVm(parseVmConfig(helloToml));
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(readFileSync(`${root}guests/hello/qemu.console.txt`, 'utf8'));
    expect(vmm.timeNs).toBeGreaterThan(0n);
  });
});

describe('unrecoverable guest faults', () => {
  it('stop the VM with a reason when the guest executes garbage and has no vector table', () => {
    // Entry at the start of RAM, which is all zeros: UDF #0 at EL1 takes an Undefined exception
    // to VBAR_EL1 (0), whose fetch is outside guest RAM: a stage-2 instruction abort at EL2.
    const vmm = new Vmm({ loadImage });
    const vm = vmm.createVm(
      parseVmConfig(helloToml.replace('entry_point = 0x40080000', 'entry_point = 0x40000000')),
    );
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.status).toBe('Stopped');
    expect(vm.stopReason).toMatch(/^guest fault: stage-2 fault at guest address 0x200 /);
    expect(vm.vcpus[0]!.exits.get('NestedPageFault')).toBe(1);
    // the other VMs and the process are unaffected
    const other = vmm.createVm(parseVmConfig(helloToml.replace('id = 1', 'id = 2')));
    vmm.startVm(other.id);
    vmm.runUntilIdle();
    expect(other.stopReason).toBe('system off');
  });
});

describe('the ticker guest (virtual timer and GICv2)', () => {
  it('takes 100 timer interrupts of 10 ms, sleeping in WFI, and matches qemu-system-aarch64', () => {
    const vmm = new Vmm({ loadImage });
    vmm.tracepoints.enable('vmm:irq_inject');
    const vm = vmm.createVm(
      parseVmConfig(readFileSync(`${root}configs/ticker.toml`, 'utf8'), 'ticker.toml'),
    );
    vmm.startVm(vm.id);
    vmm.run(2_000_000_000n);
    expect(vm.console).toBe(readFileSync(`${root}guests/ticker/qemu.console.txt`, 'utf8'));
    expect(vm.stopReason).toBe('system off');
    // one second of guest time (100 ticks of 10 ms) passed in virtual time, not instructions
    expect(vmm.timeNs).toBeGreaterThanOrEqual(1_000_000_000n);
    expect(vmm.timeNs).toBeLessThan(1_001_000_000n);
    const exits = Object.fromEntries(vm.vcpus[0]!.exits);
    expect(exits).toMatchObject({ Halt: 100, MmioRead: 100, SystemDown: 1 }); // 100 WFIs, 100 GICC_IAR reads
    expect(vmm.tracepoints.counters('vmm:irq_inject').hits).toBe(100);
  });
});

describe('the smp guest (two vCPUs)', () => {
  it('starts its second vCPU with PSCI CPU_ON, pings it with SGIs, and matches qemu-system-aarch64 -smp 2', () => {
    const vmm = new Vmm({ loadImage });
    vmm.tracepoints.enable('vmm:ipi_send');
    vmm.tracepoints.enable('vmm:cpu_up');
    const vm = vmm.createVm(
      parseVmConfig(readFileSync(`${root}configs/smp.toml`, 'utf8'), 'smp.toml'),
    );
    expect(vm.vcpus).toHaveLength(2);
    expect(vm.vcpus[1]!.state).toBe('Free'); // until CPU_ON
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(readFileSync(`${root}guests/smp/qemu.console.txt`, 'utf8'));
    expect(vm.stopReason).toBe('system off');
    expect(vm.vcpus[0]!.exits.get('CpuUp')).toBe(1);
    expect(vm.vcpus[1]!.exits.get('CpuDown')).toBe(1);
    expect(vm.vcpus[1]!.exits.get('MmioRead')).toBe(8); // one GICC_IAR read per SGI
    expect(vmm.tracepoints.counters('vmm:ipi_send').hits).toBe(8);
    expect(vmm.tracepoints.counters('vmm:cpu_up').hits).toBe(1);
  });
});

describe('instrumentation', () => {
  it('fires every vmm:* tracepoint of the catalog', async () => {
    const { BUNDLED_VMS, bundledConfig, bundledImage, VMM_EVENT_LIST } = await import(
      '../src/index.js'
    );
    const vmm = new Vmm({ loadImage: bundledImage });
    vmm.tracepoints.enableAll();
    const vmm2 = new Vmm({ tracepoints: vmm.tracepoints, loadImage: bundledImage }); // vmm_init/vhal_init now enabled
    for (const name of BUNDLED_VMS)
      vmm2.startVm(vmm2.createVm(parseVmConfig(bundledConfig(name), `${name}.toml`)).id);
    const bad = vmm2.createVm(
      parseVmConfig(
        helloToml
          .replace('id = 1', 'id = 9')
          .replace('entry_point = 0x40080000', 'entry_point = 0x40000000'),
      ),
      loadImage('../guests/hello/guest.elf'),
    );
    vmm2.startVm(bad.id);
    vmm2.run(1_000_000_000n);
    vmm2.destroyVm(1);
    const silent = VMM_EVENT_LIST.map((e) => `vmm:${e.name}`).filter(
      (n) => vmm.tracepoints.counters(n).hits === 0,
    );
    expect(silent).toEqual([]);
    expect(() => vmm2.destroyVm(4)).toThrowError(expect.objectContaining({ code: 'BAD_STATE' })); // the ticker still runs at 1 s
    expect(vmm2.vms().map((v) => v.id)).toEqual([2, 4, 5, 6, 9]);
  });
});

describe('the mmu guest (stage 1 in the guest, stage 2 in the VMM)', () => {
  it('turns its MMU on, runs in the TTBR1 upper half, and matches qemu-system-aarch64', () => {
    const vmm = new Vmm({ loadImage });
    vmm.tracepoints.enable('vmm:device_access');
    const addresses: bigint[] = [];
    vmm.tracepoints.attach('vmm:device_access', (r) =>
      addresses.push(BigInt(r.field('addr') as bigint)),
    );
    const vm = vmm.createVm(
      parseVmConfig(readFileSync(`${root}configs/mmu.toml`, 'utf8'), 'mmu.toml'),
    );
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.console).toBe(readFileSync(`${root}guests/mmu/qemu.console.txt`, 'utf8'));
    expect(vm.console).toContain('running in the upper half at 0xffffff8040080000');
    // UART writes through the upper-half mapping still reach the device at its IPA
    expect(new Set(addresses)).toEqual(new Set([0x09000000n]));
    expect(vm.vcpus[0]!.cpu.pc).toBeGreaterThan(0n);
  });
});

describe('several physical CPUs', () => {
  const boot = (pcpus: number) => {
    const vmm = new Vmm({ loadImage, pcpus });
    vmm.tracepoints.enable('vmm:vcpu_run_enter');
    const cpus = new Set<number>();
    const seen: string[] = [];
    vmm.tracepoints.attach('vmm:vcpu_run_enter', (r) => {
      cpus.add(r.cpu);
      expect(r.field('pcpu')).toBe(r.cpu); // the event's pcpu field names the CPU it ran on
      seen.push(`${r.timeNs}:${r.cpu}:${String(r.field('vm_id'))}.${String(r.field('vcpu_id'))}`);
    });
    const vms = [
      helloToml,
      readFileSync(`${root}configs/worker.toml`, 'utf8'),
      readFileSync(`${root}configs/smp.toml`, 'utf8'),
    ].map((t) => vmm.createVm(parseVmConfig(t)));
    for (const vm of vms) vmm.startVm(vm.id);
    vmm.runUntilIdle();
    return { vmm, vms, cpus, seen };
  };

  it('spreads vCPUs over the pCPUs, keeps every guest output, finishes sooner in virtual time, and is deterministic', () => {
    const one = boot(1);
    const two = boot(2);
    expect(two.vmm.pcpuCount).toBe(2);
    expect([...one.cpus]).toEqual([0]);
    expect([...two.cpus].sort()).toEqual([0, 1]);
    for (const [i, g] of ['hello', 'worker', 'smp'].entries()) {
      expect([g, two.vms[i]!.console]).toEqual([
        g,
        readFileSync(`${root}guests/${g}/qemu.console.txt`, 'utf8'),
      ]);
    }
    expect(two.vmm.timeNs).toBeLessThan(one.vmm.timeNs);
    // each vCPU's identity (what its MPIDR_EL1 reads return): RES1 bit 31 and its id in Aff0
    const vmpidr = SYS_REG_BY_NAME.get('vmpidr_el2')!;
    expect(two.vms[2]!.vcpus.map((v) => v.cpu.getSysReg(vmpidr))).toEqual([
      0x8000_0000n,
      0x8000_0001n,
    ]);
    expect(boot(2).seen).toEqual(two.seen);
    expect(() => new Vmm({ pcpus: 0 })).toThrowError(
      expect.objectContaining({ code: 'BAD_CONFIG' }),
    );
  });
});
