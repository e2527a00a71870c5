import { Program, ProgramBuilder, VmError, reg } from '@axebpf/rbpf';
import { describe, expect, it } from 'vitest';
import {
  BPF_FUNC as F,
  BPF_F_RDONLY_PROG,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BpfCommandError,
  BpfSystem,
  PerfBufferConsumer,
  PerfEventBuffer,
} from '../src/index.js';
import { codeOf, readU64, u32, u64 } from './util.js';

function loadError(f: () => unknown): BpfCommandError {
  try {
    f();
  } catch (e) {
    if (BpfCommandError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('BPF_PROG_LOAD', () => {
  it('refuses invalid bytecode with EINVAL and the ProgramError as cause', () => {
    const bpf = new BpfSystem();
    const e = loadError(() => bpf.progLoad({ insns: new Uint8Array([0xff, 0, 0, 0, 0, 0, 0, 0]) }));
    expect(e.code).toBe('EINVAL');
    expect(e.errno).toBe(22);
    expect(e.field).toBe('insns');
    expect((e.cause as { code?: string }).code).toBe('UNKNOWN_OPCODE');
  });
  it('refuses an lddw naming an fd that is not a map (EBADF) and bad direct value access (EINVAL)', () => {
    const bpf = new BpfSystem();
    expect(
      loadError(() => bpf.progLoad({ insns: new ProgramBuilder().lddw(1, 77, 1).exit().build() }))
        .code,
    ).toBe('EBADF');
    const arr = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 2,
    });
    expect(
      loadError(() => bpf.progLoad({ insns: new ProgramBuilder().lddw(1, arr, 2).exit().build() }))
        .message,
    ).toMatch(/single-entry/);
    const one = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
    });
    const insns = new ProgramBuilder().lddw(1, one, 2).exit().insns();
    insns[0] = { ...insns[0]!, imm2: 8 };
    expect(loadError(() => bpf.progLoad({ insns: Program.fromInsns(insns) })).message).toMatch(
      /outside the 8-byte value/,
    );
  });
  it('keeps a map alive while a loaded program uses it, then frees it', () => {
    const bpf = new BpfSystem();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_HASH,
      keySize: 4,
      valueSize: 8,
      maxEntries: 4,
    });
    const b = new ProgramBuilder()
      .store('w', 10, -4, 1)
      .store('dw', 10, -16, 99)
      .lddw(1, fd, 1)
      .alu64('mov', 2, reg(10))
      .alu64('add', 2, -4);
    b.alu64('mov', 3, reg(10))
      .alu64('add', 3, -16)
      .alu64('mov', 4, 0)
      .call(F.map_update_elem)
      .exit();
    const prog = bpf.progLoad({ insns: b.build(), name: 'writer' });
    const map = bpf.map(fd);
    bpf.close(fd);
    expect(bpf.progRun(prog).value).toBe(0n);
    expect(readU64(map.lookup(u32(1)))).toBe(99n);
    bpf.close(prog);
    expect(bpf.registry.maps()).toEqual([]);
    expect(bpf.registry.fromPointer(map.handle.segment, 0)).toBeUndefined();
    expect(bpf.space.region(map.handle.segment)).toBeUndefined();
  });
  it('freeze blocks user space but not programs; BPF_F_RDONLY_PROG blocks programs', () => {
    const bpf = new BpfSystem();
    const fd = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
    });
    const ro = bpf.mapCreate({
      mapType: BPF_MAP_TYPE_ARRAY,
      keySize: 4,
      valueSize: 8,
      maxEntries: 1,
      mapFlags: BPF_F_RDONLY_PROG,
    });
    const bump = (m: number) => {
      const b = new ProgramBuilder()
        .store('w', 10, -4, 0)
        .lddw(1, m, 1)
        .alu64('mov', 2, reg(10))
        .alu64('add', 2, -4)
        .call(F.map_lookup_elem);
      // Unverified on purpose (no null check; a store into a read-only map): the run-time checks are under test.
      return bpf.progLoad({
        insns: b
          .load('dw', 6, 0, 0)
          .alu64('add', 6, 1)
          .store('dw', 0, 0, reg(6))
          .alu64('mov', 0, reg(6))
          .exit()
          .build(),
        verify: false,
      });
    };
    bpf.mapFreeze(fd);
    expect(codeOf(() => bpf.mapUpdateElem(fd, u32(0), u64(5n)))).toBe('EPERM');
    expect(bpf.progRun(bump(fd)).value).toBe(1n);
    expect(readU64(bpf.mapLookupElem(fd, u32(0)))).toBe(1n);
    bpf.mapUpdateElem(ro, u32(0), u64(5n));
    let err: unknown;
    try {
      bpf.progRun(bump(ro));
    } catch (e) {
      err = e;
    }
    expect(VmError.isInstance(err) && err.code).toBe('ACCESS_VIOLATION');
    expect(readU64(bpf.mapLookupElem(ro, u32(0)))).toBe(5n);
    const upd = new ProgramBuilder()
      .store('w', 10, -4, 0)
      .store('dw', 10, -16, 1)
      .lddw(1, ro, 1)
      .alu64('mov', 2, reg(10))
      .alu64('add', 2, -4);
    upd
      .alu64('mov', 3, reg(10))
      .alu64('add', 3, -16)
      .alu64('mov', 4, 0)
      .call(F.map_update_elem)
      .exit();
    expect(BigInt.asIntN(64, bpf.progRun(bpf.progLoad({ insns: upd.build() })).value)).toBe(-1n);
  });
});

describe('PerfBufferConsumer', () => {
  it('reports lost samples at their place in the stream', () => {
    const buf = new PerfEventBuffer(0, PerfEventBuffer.recordBytes(4) * 2);
    const c = new PerfBufferConsumer([buf]);
    const log: string[] = [];
    const poll = () =>
      c.poll(
        (_cpu, d) => log.push(`s${d[0]}`),
        (_cpu, n) => log.push(`lost${n}`),
      );
    expect([1, 2, 3, 4].map((i) => buf.write(new Uint8Array([i, 0, 0, 0])))).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(poll()).toEqual({ records: 2, lost: 2 });
    expect(buf.write(new Uint8Array([5, 0, 0, 0]))).toBe(true);
    expect(poll()).toEqual({ records: 1, lost: 0 });
    expect(log).toEqual(['s1', 's2', 'lost2', 's5']);
    expect(c.lostTotal).toBe(2);
  });
});
