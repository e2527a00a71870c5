import { describe, expect, it } from 'vitest';
import { ManualTraceHost, TracepointError, TracepointManager } from '../src/index.js';
import type { TraceRecord } from '../src/index.js';

function setup() {
  const host = new ManualTraceHost({ timeNs: 5_000_000_000n, cpu: 1, pid: 42, comm: 'vcpu0' });
  const mgr = new TracepointManager({ host });
  const exit = mgr.define({
    system: 'vmm',
    name: 'vcpu_run_exit',
    fields: [
      ['vm_id', 'u32'],
      ['vcpu_id', 'u32'],
      ['exit_reason', 'u32'],
      ['pc', 'u64'],
    ],
    print: { fmt: 'vm=%u vcpu=%u reason=%u pc=%#llx' },
  } as const);
  const dev = mgr.define({
    system: 'vmm',
    name: 'device_access',
    fields: [
      ['vm_id', 'u32'],
      ['addr', 'u64'],
      ['width', 'u8'],
      ['is_write', 'bool'],
      ['device', 'string'],
    ],
  } as const);
  const cmd = mgr.define({
    system: 'shell',
    name: 'shell_command',
    fields: [
      ['cmd_id', 'u32'],
      ['duration_ns', 'u64'],
    ],
  } as const);
  return { host, mgr, exit, dev, cmd };
}

function tpError(fn: () => unknown): TracepointError {
  try {
    fn();
  } catch (e) {
    if (TracepointError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a TracepointError');
}

describe('TracepointManager registry', () => {
  it('gives ids in registration order and lists events sorted by name', () => {
    const { mgr, exit, dev, cmd } = setup();
    expect([exit.id, dev.id, cmd.id]).toEqual([1, 2, 3]);
    expect(mgr.list().map((i) => `${i.name}#${i.id}`)).toEqual([
      'shell:shell_command#3',
      'vmm:device_access#2',
      'vmm:vcpu_run_exit#1',
    ]);
    expect(mgr.subsystems()).toEqual(['shell', 'vmm']);
    expect(mgr.getById(2)).toBe(dev);
    expect(mgr.count).toBe(3);
  });

  it('honours fixed ids and rejects duplicates', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    const a = mgr.define({ system: 's', name: 'a', fields: [], id: 1 });
    const b = mgr.define({ system: 's', name: 'b', fields: [] });
    expect([a.id, b.id]).toEqual([1, 2]);
    expect(tpError(() => mgr.define({ system: 's', name: 'c', fields: [], id: 2 })).code).toBe(
      'DUPLICATE_ID',
    );
    expect(tpError(() => mgr.define({ system: 's', name: 'a', fields: [] })).code).toBe(
      'DUPLICATE_EVENT',
    );
  });

  it('rejects names without a system and unknown events', () => {
    const { mgr } = setup();
    expect(tpError(() => mgr.enable('vcpu_run_exit')).code).toBe('INVALID_NAME');
    expect(tpError(() => mgr.enable('vmm:nope')).code).toBe('NOT_FOUND');
    expect(tpError(() => mgr.enableSubsystem('nope')).code).toBe('NOT_FOUND');
  });

  it('enables and disables one event, a subsystem or all', () => {
    const { mgr, exit, dev, cmd } = setup();
    mgr.enable('vmm:vcpu_run_exit');
    expect([exit.active, dev.active, cmd.active]).toEqual([true, false, false]);
    expect(mgr.enableSubsystem('vmm')).toBe(2);
    expect([exit.active, dev.active, cmd.active]).toEqual([true, true, false]);
    expect(mgr.disableSubsystem('vmm')).toBe(2);
    expect(mgr.enableAll()).toBe(3);
    expect(cmd.active && mgr.isEnabled('shell:shell_command')).toBe(true);
    mgr.disableAll();
    expect(mgr.list().some((i) => i.enabled)).toBe(false);
  });
});

describe('firing', () => {
  it('does nothing while disabled: no record, no counters, no consumer', () => {
    const { mgr, exit } = setup();
    const seen: number[] = [];
    mgr.attach('vmm:vcpu_run_exit', (r) => seen.push(r.size));
    exit.emit(1, 0, 3, 0x1000);
    expect(exit.active).toBe(false);
    expect(seen).toEqual([]);
    expect(mgr.counters('vmm:vcpu_run_exit').hits).toBe(0);
    expect(mgr.pipe.size).toBe(0);
  });

  it('builds a Linux-layout record with the header and hands it to callbacks', () => {
    const { mgr, exit, host } = setup();
    host.flags = 0x01;
    host.preempt = 2;
    let copy: Uint8Array | undefined;
    let meta: Pick<TraceRecord, 'timeNs' | 'cpu' | 'pid' | 'size' | 'id'> | undefined;
    let pc: unknown;
    mgr.attach('vmm:vcpu_run_exit', (r) => {
      copy = r.toBytes();
      meta = { timeNs: r.timeNs, cpu: r.cpu, pid: r.pid, size: r.size, id: r.id };
      pc = r.field('pc');
    });
    mgr.enable('vmm:vcpu_run_exit');
    exit.emit(3, 1, 18, 0xffff_0000_4000_1000n);
    const v = new DataView(copy!.buffer);
    expect(v.getUint16(0, true)).toBe(exit.id);
    expect(v.getUint8(2)).toBe(1);
    expect(v.getUint8(3)).toBe(2);
    expect(v.getInt32(4, true)).toBe(42);
    expect([v.getUint32(8, true), v.getUint32(12, true), v.getUint32(16, true)]).toEqual([
      3, 1, 18,
    ]);
    expect(v.getBigUint64(24, true)).toBe(0xffff_0000_4000_1000n);
    expect(meta).toEqual({ timeNs: 5_000_000_000n, cpu: 1, pid: 42, size: 32, id: exit.id });
    expect(pc).toBe(0xffff_0000_4000_1000n);
  });

  it('wraps integers to the field width and writes 64-bit numbers and negatives exactly', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    const tp = mgr.define({
      system: 't',
      name: 'ints',
      fields: [
        ['a', 'u8'],
        ['b', 's16'],
        ['c', 'u64'],
        ['d', 's64'],
        ['e', 'u64'],
      ],
    } as const);
    let rec: Uint8Array | undefined;
    mgr.attach('t:ints', (r) => (rec = r.toBytes()));
    mgr.enable('t:ints');
    tp.emit(0x1ff, -2, 2 ** 53 - 1, -3, -1n);
    const v = new DataView(rec!.buffer);
    expect(v.getUint8(8)).toBe(0xff);
    expect(v.getInt16(10, true)).toBe(-2);
    expect(v.getBigUint64(16, true)).toBe(2n ** 53n - 1n);
    expect(v.getBigInt64(24, true)).toBe(-3n);
    expect(v.getBigUint64(32, true)).toBe(0xffffffffffffffffn);
  });

  it('stores char arrays NUL-terminated and dynamic strings after the fixed part', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    const tp = mgr.define({
      system: 't',
      name: 'str',
      fields: [
        ['comm', 'char[8]'],
        ['dev', 'string'],
        ['path', 'string'],
      ],
      maxStringBytes: 8,
    } as const);
    const got: Record<string, unknown>[] = [];
    mgr.attach('t:str', (r) => got.push(r.event.decode(r.toBytes())));
    mgr.enable('t:str');
    tp.emit('a-very-long-name', 'uart', 'a/very/long/path');
    tp.emit('é', '', 'x');
    expect(got[0]).toEqual({ comm: 'a-very-', dev: 'uart', path: 'a/very/' });
    expect(got[1]).toEqual({ comm: 'é', dev: '', path: 'x' });
    expect(tp.event.fixedSize).toBe(24);
  });

  it('filters records and counts what was filtered out', () => {
    const { mgr, exit } = setup();
    const seen: unknown[] = [];
    mgr.attach('vmm:vcpu_run_exit', (r) => seen.push(r.field('exit_reason')));
    mgr.enable('vmm:vcpu_run_exit');
    mgr.setFilter('vmm:vcpu_run_exit', 'exit_reason == 18 && pc >= 0x40000000 && common_pid == 42');
    exit.emit(1, 0, 18, 0x40000000);
    exit.emit(1, 0, 17, 0x40000000);
    exit.emit(1, 0, 18, 0x3fffffff);
    expect(seen).toEqual([18]);
    expect(mgr.counters('vmm:vcpu_run_exit')).toMatchObject({
      hits: 3,
      filtered: 2,
      callbackRuns: 1,
      pipeRecords: 1,
    });
  });

  it('filters on dynamic strings with globs', () => {
    const { mgr, dev } = setup();
    mgr.enable('vmm:device_access');
    mgr.setFilter('vmm:device_access', 'device ~ "pl011*" && is_write == 1');
    dev.emit(1, 0x9000000, 4, true, 'pl011@9000000');
    dev.emit(1, 0x8000000, 4, true, 'gicd');
    dev.emit(1, 0x9000000, 4, false, 'pl011@9000000');
    expect(mgr.counters('vmm:device_access')).toMatchObject({ hits: 3, filtered: 2 });
  });

  it('clears the filter on an empty string or 0 instead of panicking', () => {
    const { mgr, exit } = setup();
    mgr.enable('vmm:vcpu_run_exit');
    mgr.setFilter('vmm:vcpu_run_exit', 'vm_id == 9');
    exit.emit(1, 0, 0, 0);
    mgr.setFilter('vmm:vcpu_run_exit', '');
    exit.emit(1, 0, 0, 0);
    mgr.setFilter('vmm:vcpu_run_exit', 'vm_id == 9');
    mgr.setFilter('vmm:vcpu_run_exit', '0');
    exit.emit(1, 0, 0, 0);
    expect(mgr.counters('vmm:vcpu_run_exit')).toMatchObject({ hits: 3, filtered: 1 });
    expect(mgr.readFile('vmm:vcpu_run_exit', 'filter')).toBe('none\n');
  });

  it('rejects a bad filter with its column and keeps the old one', () => {
    const { mgr, exit } = setup();
    mgr.enable('vmm:vcpu_run_exit');
    mgr.setFilter('vmm:vcpu_run_exit', 'vm_id == 9');
    const e = tpError(() => mgr.setFilter('vmm:vcpu_run_exit', 'vm_id == 1 && bogus == 2'));
    expect(e).toMatchObject({ code: 'BAD_FILTER', column: 15, event: 'vmm:vcpu_run_exit' });
    expect((e.cause as { code: string }).code).toBe('UNKNOWN_FIELD');
    expect(mgr.readFile('vmm:vcpu_run_exit', 'filter')).toBe(
      'vm_id == 1 && bogus == 2\n              ^^^^^\nparse_error: unknown field `bogus` at column 15\n',
    );
    exit.emit(1, 0, 0, 0);
    expect(mgr.counters('vmm:vcpu_run_exit').filtered).toBe(1);
    expect(tpError(() => mgr.setFilter('vmm:vcpu_run_exit', 'vm_id ~ 1')).code).toBe('BAD_FILTER');
  });

  it('sets a subsystem filter on the events that have the fields', () => {
    const { mgr, exit, dev } = setup();
    expect(mgr.setSubsystemFilter('vmm', 'vm_id == 2')).toBe(2);
    expect([exit.filterText, dev.filterText]).toEqual(['vm_id == 2', 'vm_id == 2']);
    expect(mgr.setSubsystemFilter('vmm', 'pc > 0')).toBe(1);
    expect(tpError(() => mgr.setSubsystemFilter('vmm', 'nothing == 1')).code).toBe('BAD_FILTER');
  });

  it('runs program consumers, counts runs and errors, and detaches', () => {
    const { mgr, exit } = setup();
    const sizes: number[] = [];
    const prog = {
      kind: 'program' as const,
      name: 'stats',
      run: (r: TraceRecord) => sizes.push(r.size),
    };
    const bad = () => {
      throw new Error('boom');
    };
    const a = mgr.attach('vmm:vcpu_run_exit', prog);
    mgr.attach('vmm:vcpu_run_exit', bad);
    mgr.enable('vmm:vcpu_run_exit');
    mgr.tracingOn = false;
    exit.emit(1, 0, 0, 0);
    expect(sizes).toEqual([32]);
    expect(exit.programNames).toEqual(['stats']);
    expect(mgr.counters('vmm:vcpu_run_exit')).toMatchObject({
      programRuns: 1,
      callbackRuns: 1,
      errors: 1,
      pipeRecords: 0,
    });
    expect(a.detach()).toBe(true);
    expect(a.detach()).toBe(false);
    expect(mgr.detach('vmm:vcpu_run_exit', bad)).toBe(true);
    // Recording off and nothing attached: enabled but inactive.
    expect(exit.active).toBe(false);
  });

  it('serves the tracefs-style files', () => {
    const { mgr, exit } = setup();
    expect(mgr.readFile('vmm:vcpu_run_exit', 'enable')).toBe('0\n');
    mgr.writeFile('vmm:vcpu_run_exit', 'enable', '1\n');
    expect(mgr.readFile('vmm:vcpu_run_exit', 'enable')).toBe('1\n');
    expect(mgr.readFile('vmm:vcpu_run_exit', 'id')).toBe(`${exit.id}\n`);
    expect(mgr.readFile('vmm:vcpu_run_exit', 'format')).toMatch(
      /^name: vcpu_run_exit\nID: 1\nformat:\n/,
    );
    mgr.writeFile('vmm:vcpu_run_exit', 'filter', 'vm_id == 1\n');
    expect(mgr.readFile('vmm:vcpu_run_exit', 'filter')).toBe('vm_id == 1\n');
    expect(tpError(() => mgr.writeFile('vmm:vcpu_run_exit', 'enable', '2')).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(tpError(() => mgr.writeFile('vmm:vcpu_run_exit', 'id', '2')).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('keeps managers independent (no global state)', () => {
    const a = setup();
    const b = setup();
    a.mgr.enable('vmm:vcpu_run_exit');
    expect(b.exit.active).toBe(false);
    a.exit.emit(1, 2, 3, 4);
    expect(b.mgr.pipe.size).toBe(0);
    expect(a.mgr.pipe.size).toBe(1);
  });
});

describe('re-entrancy', () => {
  it('drops an event fired again from its own consumer and keeps the outer record intact', () => {
    const { mgr, exit } = setup();
    const seen: unknown[] = [];
    mgr.attach('vmm:vcpu_run_exit', (r) => {
      exit.emit(99, 99, 99, 99);
      seen.push(r.field('vm_id'));
    });
    mgr.enable('vmm:vcpu_run_exit');
    exit.emit(1, 0, 0, 0);
    exit.emit(2, 0, 0, 0);
    expect(seen).toEqual([1, 2]);
    expect(mgr.counters('vmm:vcpu_run_exit')).toMatchObject({
      hits: 2,
      recursionDrops: 2,
      errors: 0,
    });
  });

  it('lets a consumer fire a different tracepoint', () => {
    const { mgr, exit, cmd } = setup();
    mgr.attach('vmm:vcpu_run_exit', () => cmd.emit(7, 8));
    mgr.enable('vmm:vcpu_run_exit');
    mgr.enable('shell:shell_command');
    exit.emit(1, 0, 0, 0);
    expect(mgr.counters('shell:shell_command').hits).toBe(1);
    expect(mgr.pipe.size).toBe(2);
  });
});
