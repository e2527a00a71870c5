// Config and image mistakes that used to pass silently or name nothing (issue 25, item 6):
// each is refused with BAD_CONFIG/BAD_IMAGE naming the file and the key.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HypervisorError, parseVmConfig, Vmm } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const hello = readFileSync(`${root}configs/hello.toml`, 'utf8');
const helloImage = new Uint8Array(readFileSync(`${root}guests/hello/guest.elf`));

function caught(f: () => unknown): HypervisorError {
  try {
    f();
  } catch (e) {
    if (HypervisorError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a HypervisorError');
}

describe('VM config checks', () => {
  it('rejects a misaligned entry_point, naming the key', () => {
    const e = caught(() =>
      parseVmConfig(
        hello.replace('entry_point = 0x40080000', 'entry_point = 0x40080002'),
        'a.toml',
      ),
    );
    expect(e).toMatchObject({ code: 'BAD_CONFIG', file: 'a.toml', key: 'kernel.entry_point' });
  });

  it('rejects cpu_num that does not match phys_cpu_ids', () => {
    const e = caught(() => parseVmConfig(hello.replace('cpu_num = 1', 'cpu_num = 64'), 'b.toml'));
    expect(e).toMatchObject({ code: 'BAD_CONFIG', file: 'b.toml', key: 'base.phys_cpu_ids' });
    expect(
      caught(() =>
        parseVmConfig(hello.replace('phys_cpu_ids = [0]', 'phys_cpu_ids = "x"'), 'b.toml'),
      ),
    ).toMatchObject({ key: 'base.phys_cpu_ids' });
    // without phys_cpu_ids, cpu_num alone decides (as before)
    expect(
      parseVmConfig(
        hello.replace('phys_cpu_ids = [0]', '').replace('cpu_num = 1', 'cpu_num = 2'),
        'c.toml',
      ).cpuNum,
    ).toBe(2);
  });

  it('names both files of a duplicate VM id', () => {
    const vmm = new Vmm({ hypervisor: 'ts' });
    vmm.createVm(parseVmConfig(hello, 'first.toml'), helloImage);
    const e = caught(() => vmm.createVm(parseVmConfig(hello, 'second.toml'), helloImage));
    expect(e).toMatchObject({ code: 'BAD_CONFIG', key: 'base.id', file: 'second.toml' });
    expect(e.message).toContain('first.toml');
    expect(e.message).toContain('second.toml');
  });

  it('names the config file and kernel.kernel_path in image errors', () => {
    const vmm = new Vmm({ hypervisor: 'ts' });
    const e = caught(() =>
      vmm.createVm(parseVmConfig(hello, 'img.toml'), new Uint8Array([1, 2, 3])),
    );
    expect(e).toMatchObject({ code: 'BAD_IMAGE', file: 'img.toml', key: 'kernel.kernel_path' });
    expect(e.message).toContain('img.toml');
    expect(e.message).toContain('kernel.kernel_path');
    const small = hello
      .replace('[0x40000000, 0x1000000,', '[0x41000000, 0x200000,')
      .replace(/0x40080000/g, '0x41000000');
    const e2 = caught(() => vmm.createVm(parseVmConfig(small, 'ram.toml'), helloImage));
    expect(e2).toMatchObject({ code: 'BAD_IMAGE', file: 'ram.toml', key: 'kernel.kernel_path' });
  });
});

describe('Vmm.run with shouldStop', () => {
  const configs = ['ticker', 'worker', 'hello'];
  const boot = () => {
    const vmm = new Vmm({
      loadImage: (p: string) => new Uint8Array(readFileSync(`${root}configs/${p}`)),
    });
    vmm.tracepoints.enableAll();
    for (const name of configs)
      vmm.startVm(
        vmm.createVm(
          parseVmConfig(readFileSync(`${root}configs/${name}.toml`, 'utf8'), `${name}.toml`),
        ).id,
      );
    return vmm;
  };
  it('stops after an exit when asked, and a run sliced that way equals one run', () => {
    const whole = boot();
    whole.run(50_000_000n);
    const sliced = boot();
    const until = sliced.timeNs + 50_000_000n;
    let calls = 0;
    let exits = 0;
    while (sliced.timeNs < until) {
      sliced.run(until - sliced.timeNs, { shouldStop: () => ++exits % 7 === 0 });
      calls++;
    }
    expect(calls).toBeGreaterThan(10);
    expect(sliced.timeNs).toBe(whole.timeNs);
    expect(sliced.vms().map((v) => v.console)).toEqual(whole.vms().map((v) => v.console));
    expect(sliced.tracepoints.pipe.readText()).toBe(whole.tracepoints.pipe.readText());
  });
});
