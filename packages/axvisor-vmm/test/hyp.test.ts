// The EL2 image (hyp/hyp.elf): reproducible build, agreement of hyp/hyp.h with src/hyp.ts,
// same guest-visible behaviour as TypeScript exit handling, the C code's own call counters,
// and typed failures when the image misbehaves.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { hasTool } from '@axebpf/test-utils/tools';
import { parseElf } from '@axebpf/obj/elf';
import {
  bundledHypImage,
  HOST_CALL,
  HypervisorError,
  HypImage,
  HYP_FUNCTIONS,
  HYP_TRACE_EVENT,
  parseVmConfig,
  PT_REGS,
  VCPU_CTX,
  Vmm,
} from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const loadImage = (p: string) => new Uint8Array(readFileSync(`${root}configs/${p}`));
const hasGcc = hasTool('aarch64-linux-gnu-gcc');

function boot(name: string, hypervisor: 'el2' | 'ts', trace = false) {
  const vmm = new Vmm({ loadImage, hypervisor });
  if (trace) vmm.tracepoints.enableAll();
  const vm = vmm.createVm(
    parseVmConfig(readFileSync(`${root}configs/${name}.toml`, 'utf8'), `${name}.toml`),
  );
  vmm.startVm(vm.id);
  vmm.runUntilIdle();
  return { vmm, vm };
}

const word = (w: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, w >>> 0, true);
  return b;
};

describe('the EL2 image', () => {
  it.skipIf(!hasGcc)(
    'rebuilds byte for byte from hyp/ with scripts/build-hyp.sh, kallsyms injected (skipped without aarch64-linux-gnu-gcc)',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'axvisor-hyp-'));
      cpSync(join(root, 'hyp'), join(dir, 'hyp'), { recursive: true });
      cpSync(join(root, 'scripts'), join(dir, 'scripts'), { recursive: true });
      execFileSync('sh', [join(dir, 'scripts/build-hyp.sh')], {
        stdio: 'pipe',
        env: { ...process.env, KSYM_GEN: join(root, '../../tools/ksym-gen/bin/ksym-gen.js') },
      });
      expect(
        Buffer.compare(
          readFileSync(join(dir, 'hyp/hyp.elf')),
          readFileSync(join(root, 'hyp/hyp.elf')),
        ),
      ).toBe(0);
    },
    120_000,
  );

  it('agrees with hyp/hyp.h on host calls, events and layouts', () => {
    const h = readFileSync(join(root, 'hyp/hyp.h'), 'utf8');
    const def = (n: string): number => {
      const m = new RegExp(`#define ${n} (0x[0-9A-Fa-f]+|\\d+)`).exec(h);
      if (!m) throw new Error(`hyp.h lacks ${n}`);
      return Number(m[1]);
    };
    for (const [k, v] of Object.entries(HOST_CALL)) expect([k, def(`HC_${k}`)]).toEqual([k, v]);
    for (const [k, v] of Object.entries(HYP_TRACE_EVENT))
      expect([k, def(`TRACE_${k}`)]).toEqual([k, v]);
    for (const [k, v] of Object.entries(VCPU_CTX)) expect([k, def(`CTX_${k}`)]).toEqual([k, v]);
    expect([def('PT_REGS_SIZE'), def('PT_SP'), def('PT_PC'), def('PT_PSTATE')]).toEqual([
      PT_REGS.SIZE,
      PT_REGS.SP,
      PT_REGS.PC,
      PT_REGS.PSTATE,
    ]);
    HYP_FUNCTIONS.forEach((f, i) => expect([f, def(`FN_${f.toUpperCase()}`)]).toEqual([f, i]));
    expect(def('FN_COUNT')).toBe(HYP_FUNCTIONS.length);
  });

  it('has its symbols, a kallsyms blob, a no-probe entry range and 64 x 32-byte slots', () => {
    const img = bundledHypImage();
    for (const f of HYP_FUNCTIONS) expect([f, img.symbols.get(f)?.func]).toEqual([f, true]);
    expect(img.kallsyms.length).toBe(16384);
    expect(img.kallsyms.some((b) => b !== 0)).toBe(true);
    expect(img.noProbe[0]).toBe(img.address('hyp_vectors'));
    expect(img.address('__guest_enter')! < img.noProbe[1]).toBe(true);
    expect(img.address('handle_hvc')! >= img.noProbe[1]).toBe(true);
    expect(img.symbols.get('hyp_kprobe_slots')!.address % 32n).toBe(0n);
    expect(img.resumeLength).toBe(23);
  });

  for (const name of ['hello', 'worker', 'ticker', 'smp', 'mmu']) {
    it(`runs ${name} exactly as TypeScript exit handling did: console, exits, time, instructions, every tracepoint record`, () => {
      const a = boot(name, 'el2', true);
      const b = boot(name, 'ts', true);
      expect(a.vm.console).toBe(b.vm.console);
      expect(a.vm.stopReason).toBe(b.vm.stopReason);
      expect(a.vmm.timeNs).toBe(b.vmm.timeNs);
      expect(a.vm.vcpus.map((v) => [v.insns, Object.fromEntries(v.exits)])).toEqual(
        b.vm.vcpus.map((v) => [v.insns, Object.fromEntries(v.exits)]),
      );
      // the same records; only the order of vcpu_state_change Running->Ready around an exit moved
      const lines = (x: typeof a) => x.vmm.tracepoints.pipe.readText().split('\n').sort();
      expect(lines(a)).toEqual(lines(b));
      expect(a.vm.vcpus.every((v) => v.state === 'Free' || v.el2Insns > 0)).toBe(true);
    }, 60_000);
  }

  it('counts calls in the C code itself: one handle_exit per exit, one vcpu_run per vCPU, hvc/psci/data-abort/wfi per exit kind', () => {
    const { vm } = boot('smp', 'el2', true); // tracepoints on: the image calls hyp_trace
    const calls = vm.hypCalls();
    const exits = new Map<string, number>();
    for (const v of vm.vcpus) for (const [k, n] of v.exits) exits.set(k, (exits.get(k) ?? 0) + n);
    const total = [...exits.values()].reduce((x, y) => x + y, 0);
    expect(calls.get('handle_exit')).toBe(total);
    expect(calls.get('vcpu_run')).toBe(vm.vcpus.length);
    expect(calls.get('handle_data_abort')).toBe(
      (exits.get('MmioRead') ?? 0) +
        (exits.get('MmioWrite') ?? 0) +
        (exits.get('NestedPageFault') ?? 0),
    );
    expect(calls.get('handle_wfi')).toBe(exits.get('Halt') ?? 0);
    expect(calls.get('handle_hvc')).toBe(
      (exits.get('Hypercall') ?? 0) +
        (exits.get('CpuUp') ?? 0) +
        (exits.get('CpuDown') ?? 0) +
        (exits.get('SystemDown') ?? 0),
    );
    expect(calls.get('handle_psci')).toBeGreaterThanOrEqual(
      (exits.get('CpuUp') ?? 0) + (exits.get('SystemDown') ?? 0),
    );
    // vcpu_run_exit for each exit, vmm:hypercall for each hypercall
    expect(calls.get('hyp_trace')).toBe(total + (exits.get('Hypercall') ?? 0));
  });

  it('calls hyp_trace only while the tracepoint is active (hyp_trace_mask mirrors it)', () => {
    const { vm } = boot('hello', 'el2');
    expect(vm.hypCalls().get('hyp_trace')).toBe(0);
    expect(vm.hypCalls().get('handle_exit')).toBeGreaterThan(50);
  });

  it('stops the VM with a guest fault, not the process, when the image makes an unknown host call', () => {
    const vmm = new Vmm({ loadImage });
    vmm.writeHyp(vmm.hypImage!.address('handle_data_abort')!, word(0xd4400000 | (0xa0ff << 5))); // hlt #0xa0ff
    const vm = vmm.createVm(
      parseVmConfig(readFileSync(`${root}configs/hello.toml`, 'utf8'), 'hello.toml'),
    );
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.status).toBe('Stopped');
    expect(vm.stopReason).toMatch(
      /^guest fault: EL2 image made unknown host call #0xa0ff at pc 0x1001/,
    );
  });

  it('rejects an unknown hypervisor mode with a typed error, and hprobeHost without the image', () => {
    expect(() => new Vmm({ hypervisor: 'qemu' as never })).toThrowError(
      expect.objectContaining({ code: 'BAD_CONFIG', key: 'hypervisor' }),
    );
    expect(() => new Vmm({ hypervisor: 'ts' }).hprobeHost()).toThrowError(
      expect.objectContaining({ code: 'BAD_STATE' }),
    );
    expect(() => new Vmm().writeHyp(0x4000_0000n, new Uint8Array(4))).toThrowError(
      expect.objectContaining({
        code: 'BAD_STATE',
        message: expect.stringContaining('outside the EL2 image'),
      }),
    );
  });

  it('rejects an EL2 image that is not an aarch64 ELF, as it rejects such a guest image', () => {
    expect(() => new HypImage(new Uint8Array([1, 2, 3]))).toThrowError(
      expect.objectContaining({ code: 'BAD_IMAGE' }),
    );
    const x86 = new Uint8Array(bundledHypImage().bytes);
    new DataView(x86.buffer).setUint16(18, 62, true); // e_machine: x86-64
    expect(() => new HypImage(x86)).toThrowError(
      expect.objectContaining({
        code: 'BAD_IMAGE',
        message: expect.stringContaining('not aarch64'),
      }),
    );
  });

  it('rejects a bad .symtab (st_name, st_shndx, sh_entsize, sh_link) with BAD_IMAGE, not an ElfError', () => {
    const good = bundledHypImage().bytes;
    const elf = parseElf(good);
    const symtab = elf.sections.find((s) => s.name === '.symtab')!;
    const mutate = (f: (v: DataView) => void) => {
      const b = new Uint8Array(good);
      f(new DataView(b.buffer));
      return b;
    };
    const sym1 = symtab.offset + 24; // symbol #1 (st_name at +0, st_shndx at +6)
    const cases = [
      mutate((v) => v.setUint32(sym1, 0x7fff_ffff, true)), // st_name past the string table
      mutate((v) => v.setUint16(sym1 + 6, 0xfeff, true)), // st_shndx past the section count
      mutate((v) => v.setBigUint64(symtab.headerOffset + 56, 7n, true)), // sh_entsize
      mutate((v) => v.setUint32(symtab.headerOffset + 40, 0xffff, true)), // sh_link
    ];
    for (const bytes of cases) {
      let thrown: unknown;
      try {
        new HypImage(bytes);
      } catch (e) {
        thrown = e;
      }
      expect(HypervisorError.isInstance(thrown)).toBe(true);
      expect(thrown).toMatchObject({ code: 'BAD_IMAGE' });
    }
  });

  it('stops the VM when an EL2 handler never returns to the guest', () => {
    const vmm = new Vmm({ loadImage });
    const vm = vmm.createVm(
      parseVmConfig(readFileSync(`${root}configs/hello.toml`, 'utf8'), 'hello.toml'),
    );
    vmm.writeHyp(vmm.hypImage!.address('handle_data_abort')!, word(0x14000000)); // b .
    vmm.startVm(vm.id);
    vmm.runUntilIdle();
    expect(vm.stopReason).toMatch(
      /^guest fault: the EL2 image did not return to the guest within 1000000 instructions/,
    );
  });

  it('panics (VM stopped) on a BRK at EL2 nobody handles, and passes it to the trap handler when one is set', () => {
    const run = (handler: boolean) => {
      const vmm = new Vmm({ loadImage });
      const img = vmm.hypImage!;
      const at = img.address('handle_data_abort')!;
      const original = vmm.readHyp(at, 4);
      vmm.writeHyp(at, word(0xd4200080)); // brk #4
      const seen: bigint[] = [];
      if (handler) {
        vmm.setEl2TrapHandler((trap) => {
          const frame = trap.vm.memory.read(trap.frame, PT_REGS.SIZE);
          const dv = new DataView(frame.buffer);
          seen.push(dv.getBigUint64(PT_REGS.PC, true));
          // complete the probe by running the original instruction in place
          vmm.writeHyp(at, original);
          return trap.esr >> 26n === 0x3cn;
        });
      }
      const vm = vmm.createVm(
        parseVmConfig(readFileSync(`${root}configs/hello.toml`, 'utf8'), 'hello.toml'),
      );
      vmm.startVm(vm.id);
      vmm.runUntilIdle();
      return { vm, seen, at };
    };
    const bare = run(false);
    expect(bare.vm.stopReason).toMatch(/^guest fault: EL2 image panic 1 \(value 0xf2000004\)/);
    const handled = run(true);
    expect(handled.seen).toEqual([handled.at]);
    expect(handled.vm.stopReason).toBe('system off');
    expect(handled.vm.console).toBe(readFileSync(`${root}guests/hello/qemu.console.txt`, 'utf8'));
  });
});
