import { describe, expect, it } from 'vitest';
import {
  AddressSpace,
  assemble,
  EbpfVm,
  HelperTable,
  ProgramBuilder,
  reg,
  VmError,
} from '../src/index.js';

function fault(vm: EbpfVm, ctx?: Uint8Array): VmError {
  try {
    vm.run(ctx);
  } catch (e) {
    if (VmError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a VmError');
}

const vmOf = (src: string, opts: ConstructorParameters<typeof EbpfVm>[1] = {}) =>
  new EbpfVm(assemble(src), opts);

describe('EbpfVm.run', () => {
  it('returns r0 and the instruction count, exit included', () => {
    const r = vmOf('mov %r0, 0\nadd %r0, 2\nadd %r0, 3\nexit').run();
    expect(r).toEqual({ value: 5n, insnCount: 4 });
  });

  it('passes the context address in r1 and its length in r2', () => {
    const vm = vmOf('ldxb %r0, [%r1+2]\nadd %r0, %r2\nexit');
    expect(vm.run(new Uint8Array([1, 2, 30, 4])).value).toBe(34n);
  });

  it('copies context writes back to the caller', () => {
    const ctx = new Uint8Array(8);
    vmOf('stw [%r1+4], 0x01020304\nmov %r0, 0\nexit').run(ctx);
    expect([...ctx]).toEqual([0, 0, 0, 0, 4, 3, 2, 1]);
  });

  it('does not let programs write a read-only context', () => {
    const e = fault(vmOf('stb [%r1], 1\nexit', { ctxWritable: false }), new Uint8Array(4));
    expect(e.code).toBe('ACCESS_VIOLATION');
    expect(e.access).toMatchObject({ access: 'store', size: 1, region: 'ctx' });
  });

  it('reports out-of-bounds loads with address, size, direction and region', () => {
    const e = fault(vmOf('mov %r0, 0\nldxw %r0, [%r1+2]\nexit'), new Uint8Array(4));
    expect(e.code).toBe('ACCESS_VIOLATION');
    expect(e.pc).toBe(1);
    expect(e.access?.size).toBe(4);
    expect(e.access?.access).toBe('load');
    expect(e.access?.region).toBe('ctx');
    expect(e.access!.address & 0xffffffffn).toBe(2n);
  });

  it('faults on null and on addresses in no region', () => {
    expect(fault(vmOf('mov %r1, 0\nldxb %r0, [%r1]\nexit')).access?.region).toBe('none');
    expect(fault(vmOf('lddw %r1, 0x7700000000\nstxb [%r1], %r1\nexit')).access?.region).toBe(
      'none',
    );
  });

  it('keeps the stack frame 512 bytes below r10 and faults above it', () => {
    expect(vmOf('stdw [%r10-512], 7\nldxdw %r0, [%r10-512]\nexit').run().value).toBe(7n);
    expect(fault(vmOf('ldxb %r0, [%r10]\nexit')).code).toBe('ACCESS_VIOLATION');
  });

  it('gives each local call a fresh frame and preserves r6-r9', () => {
    const src = `
      mov %r6, 11
      stdw [%r10-8], 100
      call local f
      ldxdw %r1, [%r10-8]
      add %r0, %r1
      add %r0, %r6
      exit
    f:
      mov %r6, 0
      stdw [%r10-8], 5
      ldxdw %r0, [%r10-8]
      exit`;
    expect(vmOf(src).run().value).toBe(116n);
  });

  it('stops runaway recursion with CALL_DEPTH_EXCEEDED', () => {
    const e = fault(vmOf('f:\ncall local f\nexit'));
    expect(e.code).toBe('CALL_DEPTH_EXCEEDED');
    expect(e.pc).toBe(0);
  });

  it('stops infinite loops with BUDGET_EXHAUSTED', () => {
    const vm = vmOf('l:\nja l\nexit', { maxInstructions: 1000 });
    const e = fault(vm);
    expect(e.code).toBe('BUDGET_EXHAUSTED');
    expect(vm.lastInsnCount).toBe(-1);
  });

  it('faults when execution runs past the last instruction', () => {
    const e = fault(vmOf('mov %r0, 1'));
    expect(e.code).toBe('JUMP_OUT_OF_CODE');
    expect(e.pc).toBe(1);
  });

  it('calls helpers by id with r1-r5 and takes r0 from the result', () => {
    const helpers = new HelperTable().register(
      9,
      'sum',
      (c) => c.u64(1) + c.u64(2) + c.u64(3) + c.u64(4) + c.u64(5),
    );
    const vm = vmOf(
      'mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nlddw %r5, 0x100000000\ncall 9\nexit',
      { helpers },
    );
    expect(vm.run().value).toBe(0x10000000an);
  });

  it('sign-extends negative number results (errno convention)', () => {
    const helpers = new HelperTable().register(1, 'fail', () => -22);
    expect(vmOf('call 1\nexit', { helpers }).run().value).toBe(0xffffffffffffffean);
  });

  it('reports unknown helpers and wraps helper exceptions', () => {
    const e = fault(vmOf('call 77\nexit'));
    expect(e.code).toBe('UNKNOWN_HELPER');
    expect(e.helper).toBe(77);
    const boom = new Error('boom');
    const helpers = new HelperTable().register(3, 'boom', () => {
      throw boom;
    });
    const w = fault(vmOf('mov %r0, 0\ncall 3\nexit', { helpers }));
    expect(w.code).toBe('HELPER_ERROR');
    expect(w.pc).toBe(1);
    expect(w.cause).toBe(boom);
  });

  it('calls the helper named by a register with callx', () => {
    const helpers = new HelperTable().register(4, 'four', () => 4);
    expect(vmOf('mov %r3, 4\ncall %r3\nexit', { helpers }).run().value).toBe(4n);
    expect(fault(vmOf('lddw %r3, 0x100000004\ncall %r3\nexit', { helpers })).code).toBe(
      'UNKNOWN_HELPER',
    );
  });

  it('lets a program write through a pointer a helper returns into a shared region', () => {
    const memory = new AddressSpace();
    const value = memory.map('map:values', 16, true);
    const helpers = new HelperTable().register(1, 'lookup', () => value.address + 8n);
    const vm = vmOf(
      'call 1\nmov %r1, 41\nstxdw [%r0], %r1\nlock add [%r0], %r1\nmov %r0, 0\nexit',
      { helpers, memory },
    );
    vm.run();
    expect(memory.view.getBigUint64(value.offset + 8, true)).toBe(82n);
    // the pointer cannot reach past the region
    const oob = vmOf('call 1\nstxdw [%r0+8], %r0\nexit', { helpers, memory });
    expect(fault(oob).access?.region).toBe('map:values');
  });

  it('faults on a helper pointer argument outside any region', () => {
    const helpers = new HelperTable().register(2, 'read8', (c) =>
      c.memory.view.getUint8(c.pointer(1, 8, 'load')),
    );
    const e = fault(vmOf('mov %r1, 64\ncall 2\nexit', { helpers }));
    expect(e.code).toBe('ACCESS_VIOLATION');
    expect(e.pc).toBe(1);
  });

  it('needs a resolver for pseudo lddw and uses its value', () => {
    const bytes = new ProgramBuilder().lddw(1, 5, 1).alu64('mov', 0, reg(1)).exit().build().bytes;
    expect(() => new EbpfVm(bytes)).toThrowError(
      expect.objectContaining({ code: 'UNRESOLVED_LDDW', pc: 0 }),
    );
    const vm = new EbpfVm(bytes, { resolveLddw: ({ imm, src }) => BigInt(imm * 1000 + src) });
    expect(vm.run().value).toBe(5001n);
  });

  it('runs many VMs side by side on one memory without interference', () => {
    const memory = new AddressSpace();
    const a = vmOf('stdw [%r10-8], 1\nldxdw %r0, [%r10-8]\nexit', { memory });
    const b = vmOf('stdw [%r10-8], 2\nldxdw %r0, [%r10-8]\nexit', { memory });
    expect([a.run().value, b.run().value, a.run().value]).toEqual([1n, 2n, 1n]);
    expect(a.stack.segment).not.toBe(b.stack.segment);
  });

  it('keeps working after the memory grows and old views detach', () => {
    const memory = new AddressSpace({ initialBytes: 1 << 17 });
    const vm = vmOf('stdw [%r10-8], 9\nldxdw %r0, [%r10-8]\nexit', { memory });
    const before = memory.generation;
    const big = memory.map('big', 4 << 20, true);
    expect(memory.generation).toBeGreaterThan(before);
    expect(vm.run().value).toBe(9n);
    expect(memory.bytesOf(big)).toHaveLength(4 << 20);
  });

  it('lets a helper call back into a function the program passed (BPF_PSEUDO_FUNC)', () => {
    // loop(n, cb): calls cb(i) for i in 0..n-1 and sums the results, like bpf_loop.
    const helpers = new HelperTable().register(181, 'loop', (c) => {
      let sum = 0n;
      for (let i = 0; i < c.u32(1); i++) sum += c.invoke(2, [i]);
      return sum;
    });
    const b = new ProgramBuilder()
      .alu64('mov', 6, 7)
      .alu64('mov', 1, 4)
      .lddw(2, 4, 4) // function at pc 2 + 4 + 1 = 7
      .call(181)
      .alu64('add', 0, reg(6)) // r6 survives the helper
      .exit()
      .alu64('mov', 0, 99) // pc 6: not called
      .store('dw', 10, -8, reg(1)) // pc 7: the callback, on its own stack
      .load('dw', 0, 10, -8)
      .alu64('mul', 0, 10)
      .exit();
    const vm = new EbpfVm(b.build(), { helpers });
    expect(vm.run().value).toBe(0n + 10n + 20n + 30n + 7n);
    const bad = new HelperTable().register(181, 'loop', (c) => c.invoke(1, []));
    expect(fault(new EbpfVm(b.build(), { helpers: bad })).code).toBe('INVALID_CALLBACK');
  });

  it('reuses the context region for contexts of varying length, bounds following each length', () => {
    const memory = new AddressSpace();
    const vm = vmOf('mov %r0, %r2\nexit', { memory });
    for (const n of [64, 16, 64, 8, 32]) expect(vm.run(new Uint8Array(n)).value).toBe(BigInt(n));
    const segment = vm.ctxRegion!.segment;
    expect(fault(vmOf('ldxb %r0, [%r1+8]\nexit', { memory }), new Uint8Array(8)).code).toBe(
      'ACCESS_VIOLATION',
    );
    expect(vm.run(new Uint8Array(200)).value).toBe(200n); // grows once
    expect(vm.run(new Uint8Array(100)).value).toBe(100n);
    expect(vm.ctxRegion!.size).toBe(100);
    expect(memory.regions().filter((r) => r.name === 'ctx').length).toBe(2); // this VM's and the other's
    expect(segment).toBeGreaterThan(0);
  });

  it('exposes registers after a run', () => {
    const vm = vmOf('mov %r7, -1\nmov %r0, 0\nexit');
    vm.run();
    expect(vm.register(7)).toBe(0xffffffffffffffffn);
    expect(vm.r0Low).toBe(0);
  });
});

describe('ProgramBuilder', () => {
  it('builds the same bytes as the assembler, labels included', () => {
    const built = new ProgramBuilder()
      .alu64('mov', 0, 0)
      .label('loop')
      .alu64('add', 0, 1)
      .jump('jlt', 0, 10, 'loop')
      .load('dw', 2, 1, -8)
      .store('w', 10, -4, reg(2))
      .atomic('fetch_add', 'dw', 10, -8, 3)
      .callLocal('f')
      .exit()
      .label('f')
      .lddw(0, 0x1122334455667788n)
      .exit()
      .build();
    const text = assemble(`mov %r0, 0
loop: add %r0, 1
jlt %r0, 10, loop
ldxdw %r2, [%r1-8]
stxw [%r10-4], %r2
lock fetch add [%r10-8], %r3
call local f
exit
f: lddw %r0, 0x1122334455667788
exit`);
    expect(Buffer.from(built.bytes).toString('hex')).toBe(Buffer.from(text).toString('hex'));
  });

  it('reports unknown labels and out-of-range jumps', () => {
    expect(() => new ProgramBuilder().ja('nowhere').exit().build()).toThrowError(
      expect.objectContaining({ code: 'UNKNOWN_LABEL' }),
    );
    const far = new ProgramBuilder().ja('end');
    for (let i = 0; i < 40000; i++) far.alu64('mov', 0, 0);
    far.label('end').exit();
    expect(() => far.build()).toThrowError(expect.objectContaining({ code: 'OUT_OF_RANGE' }));
  });
});
