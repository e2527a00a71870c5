// Lazily mapped guest RAM (map_type 3): stage-2 faults on it are handled by mapping the block
// (vmm:page_fault, vmm:memory_map) and the guest goes on; a fault outside it still stops the VM.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAP_TYPE_LAZY, parseVmConfig, Vmm } from '../src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const lazyToml = readFileSync(`${root}configs/lazy.toml`, 'utf8');
const helloToml = readFileSync(`${root}configs/hello.toml`, 'utf8');
const image = new Uint8Array(readFileSync(`${root}guests/hello/guest.elf`));

function boot(toml: string, hypervisor: 'el2' | 'ts') {
  const vmm = new Vmm({ hypervisor });
  const seen: string[] = [];
  for (const name of ['page_fault', 'memory_map']) {
    vmm.tracepoints.enable(`vmm:${name}`);
    vmm.tracepoints.attach(`vmm:${name}`, (r) =>
      seen.push(`${name} 0x${BigInt(r.field('gpa') as bigint).toString(16)}`),
    );
  }
  const vm = vmm.createVm(parseVmConfig(toml, 'lazy.toml'), image);
  vmm.startVm(vm.id);
  vmm.run(50_000_000n);
  return { vm, seen };
}

describe('lazily mapped guest memory', () => {
  it('parses map_type 3 as lazy and rejects unknown map types', () => {
    expect(parseVmConfig(lazyToml).memoryRegions[0]!.mapType).toBe(MAP_TYPE_LAZY);
    expect(parseVmConfig(helloToml).memoryRegions[0]!.mapType).toBe(0);
    expect(() => parseVmConfig(lazyToml.replace('0x7, 3]', '0x7, 9]'), 'x.toml')).toThrow(
      expect.objectContaining({ code: 'BAD_CONFIG', key: 'kernel.memory_regions[0][3]' }),
    );
  });

  it.each(['el2', 'ts'] as const)(
    'maps a block on its first stage-2 fault and the guest runs to its end (hypervisor %s)',
    (hypervisor) => {
      const lazy = boot(lazyToml, hypervisor);
      const eager = boot(helloToml, hypervisor);
      expect(lazy.vm.stopReason).toBe(eager.vm.stopReason);
      expect(lazy.vm.console).toBe(eager.vm.console);
      expect(lazy.vm.console).toContain('bye');
      // the first instruction fetch faults the code block in, before anything else is mapped
      expect(lazy.seen[0]).toBe('page_fault 0x40080000');
      expect(lazy.seen[1]).toBe('memory_map 0x40000000');
      expect(lazy.seen.filter((s) => s.startsWith('page_fault')).length).toBe(
        lazy.vm.lazyBlocksMapped,
      );
      // the eager VM maps its whole region at creation and never faults
      expect(eager.seen).toEqual(['memory_map 0x40000000']);
    },
  );
});
