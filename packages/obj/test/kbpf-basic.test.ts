// SPDX-License-Identifier: MIT
// Integration: obj's loader with @axebpf/kbpf-basic's bpf() layer as the map factory (maps,
// global data with initial values, frozen .rodata), programs loaded and run through progLoad.
import { describe, expect, it } from 'vitest';
import { BpfSystem, createMockPlatform } from '@axebpf/kbpf-basic';
import type { MapDefinition } from '../src/index.js';
import { loadObject } from '../src/index.js';
import { objectBytes } from './support/corpus.js';

function system(): {
  bpf: BpfSystem;
  lines: readonly string[];
  create: (d: MapDefinition) => number;
} {
  const platform = createMockPlatform();
  const bpf = new BpfSystem({ platform });
  const create = (d: MapDefinition): number => {
    const fd = bpf.mapCreate({
      mapType: d.mapType,
      keySize: d.keySize,
      valueSize: d.valueSize,
      maxEntries: d.maxEntries,
      mapFlags: d.mapFlags,
      name: d.name.slice(0, 15),
    });
    if (d.initialValue !== undefined) bpf.mapUpdateElem(fd, new Uint8Array(4), d.initialValue);
    if (d.frozen === true) bpf.mapFreeze(fd);
    return fd;
  };
  return { bpf, lines: platform.lines, create };
}

const key = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);
const u64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset).getBigUint64(0, true);

describe.each(['interpreter', 'wasm'] as const)('with kbpf-basic maps (%s)', (engine) => {
  it('maps.bpf.o: BTF maps of every kind are created; kprobe and kretprobe run with the standard helpers', () => {
    const { bpf, lines, create } = system();
    const o = loadObject(objectBytes('maps'), create);
    expect(o.maps.map((m) => m.name)).toEqual([
      'counters',
      'by_key',
      'per_cpu',
      'events',
      '.rodata',
    ]);
    const fd = (n: string): number => o.maps.find((m) => m.name === n)!.fd;
    const prog = (n: string): number =>
      bpf.progLoad({ insns: o.programs.find((p) => p.name === n)!.bytecode, name: n, engine });
    expect(bpf.progRun(prog('on_hvc')).value).toBe(0n);
    expect(u64(bpf.mapLookupElem(fd('counters'), key(1)))).toBe(2n);
    expect(u64(bpf.mapLookupElem(fd('counters'), key(3)))).toBe(5n);
    expect(u64(bpf.mapLookupElem(fd('by_key'), key(7)))).toBe(42n);
    expect(lines).toEqual(['hvc 7']);
    const ret = prog('on_hvc_ret');
    expect(bpf.progRun(ret).value).toBe(0n);
    expect(u64(bpf.mapLookupElem(fd('counters'), key(0)))).toBe(42n);
    expect(() => bpf.mapLookupElem(fd('by_key'), key(7))).toThrow();
    expect(bpf.progRun(ret).value).toBe(1n);
  });

  it('globals.bpf.o: .data/.bss/.rodata as single-entry array maps with their initial values', () => {
    const { bpf, create } = system();
    const o = loadObject(objectBytes('globals'), create);
    const fd = (n: string): number => o.maps.find((m) => m.name === n)!.fd;
    const p = bpf.progLoad({ insns: o.programs[0]!.bytecode, engine });
    expect(bpf.progRun(p).value).toBe(303n);
    expect(u64(bpf.mapLookupElem(fd('.data'), key(0)))).toBe(6n);
    expect(u64(bpf.mapLookupElem(fd('.bss'), key(0)))).toBe(BigInt((300 * 3) ^ 6));
    expect(() => bpf.mapUpdateElem(fd('.rodata'), key(0), new Uint8Array(4))).toThrow(); // frozen
  });
});
