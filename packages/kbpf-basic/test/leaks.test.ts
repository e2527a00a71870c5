// Leaks and silent failures of the command layer (issue 26): each failed before its fix.
import { AddressSpace, ProgramBuilder } from '@axebpf/rbpf';
import { describe, expect, it } from 'vitest';
import {
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BpfCommandError,
  BpfSystem,
  MapError,
} from '../src/index.js';
import { codeOf } from './util.js';

const program = new ProgramBuilder().load('dw', 0, 1, 0).alu64('add', 0, 1).exit().build();

describe('BpfSystem resources', () => {
  it('5,000 load/run/close cycles with a context end with the memory they started with', () => {
    const bpf = new BpfSystem();
    const start = { used: bpf.space.usedBytes, regions: bpf.space.regions().length };
    const ctx = new Uint8Array(16);
    for (let i = 0; i < 5000; i++) {
      ctx[0] = i & 0xff;
      const fd = bpf.progLoad({ insns: program, engine: 'interpreter', contextSize: 16 });
      expect(bpf.progRun(fd, ctx).value).toBe(BigInt((i & 0xff) + 1));
      bpf.close(fd);
    }
    expect(bpf.space.regions().length).toBe(start.regions);
    expect(bpf.space.usedBytes).toBe(start.used);
  });

  it('closing a Wasm program frees its regions too', () => {
    const bpf = new BpfSystem();
    const used = bpf.space.usedBytes;
    const regions = bpf.space.regions().length;
    for (let i = 0; i < 20; i++) {
      const fd = bpf.progLoad({ insns: program, engine: 'wasm', contextSize: 16 });
      bpf.progRun(fd, new Uint8Array(16));
      bpf.close(fd);
    }
    expect(bpf.space.regions().length).toBe(regions);
    expect(bpf.space.usedBytes).toBe(used);
  });

  it('a program that fails to load keeps no memory', () => {
    const bpf = new BpfSystem();
    const used = bpf.space.usedBytes;
    const regions = bpf.space.regions().length;
    expect(
      codeOf(() =>
        bpf.progLoad({
          insns: new ProgramBuilder().lddw(1, 77, 1).alu64('mov', 0, 0).exit().build(),
        }),
      ),
    ).toBe('EBADF');
    expect(bpf.space.regions().length).toBe(regions);
    expect(bpf.space.usedBytes).toBe(used);
  });
});

describe('typed errors for bad command arguments', () => {
  it('null keys and values are EINVAL, not TypeError', () => {
    const bpf = new BpfSystem();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    const nul = null as unknown as Uint8Array;
    for (const f of [
      () => bpf.mapLookupElem(fd, nul),
      () => bpf.mapUpdateElem(fd, nul, new Uint8Array(8)),
      () => bpf.mapUpdateElem(fd, new Uint8Array(4), nul),
      () => bpf.mapDeleteElem(fd, nul),
      () => bpf.mapGetNextKey(fd, nul),
    ]) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(BpfCommandError.isInstance(err) && err.code).toBe('EINVAL');
    }
    expect(codeOf(() => bpf.map(fd).lookup(nul))).toBe('EINVAL');
  });

  it('perfEventOpen refuses capacities that are not sensible byte counts', () => {
    const bpf = new BpfSystem();
    for (const c of [-1, 2 ** 40, 0, 1.5, Number.NaN])
      expect(codeOf(() => bpf.perfEventOpen(0, c))).toBe('EINVAL');
    expect(bpf.perfEventOpen(0, 4096)).toBe(3);
  });

  it('address-space exhaustion is ENOMEM for maps and programs, and leaks nothing', () => {
    const bpf = new BpfSystem({ space: new AddressSpace({ maximumBytes: 2 << 20 }) });
    let err: unknown;
    const fds: number[] = [];
    try {
      for (;;)
        fds.push(
          bpf.mapCreate({
            mapType: BPF_MAP_TYPE_ARRAY,
            keySize: 4,
            valueSize: 4096,
            maxEntries: 32,
          }),
        );
    } catch (e) {
      err = e;
    }
    expect(MapError.isInstance(err) && err.code).toBe('ENOMEM');
    expect(fds.length).toBeGreaterThan(0);
    // Programs take what is left, until one cannot get its stack.
    const progs: number[] = [];
    let progErr: unknown;
    try {
      for (;;) progs.push(bpf.progLoad({ insns: program, contextSize: 8 }));
    } catch (e) {
      progErr = e;
    }
    expect(BpfCommandError.isInstance(progErr) && progErr.code).toBe('ENOMEM');
    const regions = bpf.space.regions().length;
    expect(codeOf(() => bpf.progLoad({ insns: program, contextSize: 8 }))).toBe('ENOMEM');
    expect(bpf.space.regions().length).toBe(regions);
    for (const fd of progs) bpf.close(fd);
    // Closing maps gives the memory back.
    for (const fd of fds) bpf.close(fd);
    expect(
      bpf.progRun(bpf.progLoad({ insns: program, contextSize: 8 }), new Uint8Array(8)).value,
    ).toBe(1n);
  });
});
