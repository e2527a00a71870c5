// The Wasm variant without per-access bounds checks runs only programs the verifier accepted,
// unchanged since, with the context it assumed; everything else runs checked and faults like the
// interpreter. The checked variant's address cache (per block, moved along by `add`/`sub`
// immediates around tight loops) faults at the same pc as the interpreter.
import { describe, expect, it } from 'vitest';
import { assemble, EbpfVm, Program, verify, VmError } from '../src/index.js';

/** Sums the 8 dwords of a 64-byte memory in a loop that moves its pointer by 8. */
const SUM = `
  mov %r0, 0
  mov %r3, 8
loop:
  ldxdw %r4, [%r1]
  add %r0, %r4
  stxdw [%r1], %r3
  add %r1, 8
  sub %r3, 1
  jne %r3, 0, loop
  exit`;

function memory(): Uint8Array {
  const m = new Uint8Array(64);
  const v = new DataView(m.buffer);
  for (let i = 0; i < 8; i++) v.setBigUint64(8 * i, BigInt(i + 1) * 0x100000001n, true);
  return m;
}

function verified(source: string, memorySize = 64): Program {
  const program = Program.fromBytes(assemble(source));
  verify(program, { programType: 'raw-memory', memorySize });
  return program;
}

function fault(run: () => unknown): VmError {
  try {
    run();
  } catch (e) {
    if (VmError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a VmError');
}

describe('the unchecked Wasm variant', () => {
  it('runs a verified program, with the same result and memory as the checked engines', () => {
    const results = (['interpreter', 'wasm'] as const).map((engine) => {
      const m = memory();
      const vm = new EbpfVm(engine === 'wasm' ? verified(SUM) : Program.fromBytes(assemble(SUM)), {
        engine,
      });
      return { value: vm.run(m).value, m: [...m], unchecked: vm.verifiedVariant };
    });
    expect(results[1]!.unchecked).toBe(true);
    expect(results[0]!.unchecked).toBe(false);
    expect(results[1]!.value).toBe(results[0]!.value);
    expect(results[1]!.value).toBe(36n * 0x100000001n);
    expect(results[1]!.m).toEqual(results[0]!.m);
  });

  it('never runs a program that was not verified', () => {
    const vm = new EbpfVm(Program.fromBytes(assemble(SUM)), { engine: 'wasm' });
    vm.run(memory());
    expect(vm.verifiedVariant).toBe(false);
  });

  it('never runs a program the verifier rejected: it faults as the interpreter does', () => {
    // Nine dwords of a 64-byte memory: the ninth load is out of bounds.
    const source = SUM.replace('mov %r3, 8', 'mov %r3, 9');
    const program = Program.fromBytes(assemble(source));
    expect(() => verify(program, { programType: 'raw-memory', memorySize: 64 })).toThrow();
    const errors = (['interpreter', 'wasm'] as const).map((engine) => {
      const vm = new EbpfVm(program, { engine });
      const e = fault(() => vm.run(memory()));
      expect(vm.verifiedVariant).toBe(false);
      return [e.code, e.pc, e.access?.address];
    });
    expect(errors[0]![0]).toBe('ACCESS_VIOLATION');
    expect(errors[0]![1]).toBe(2);
    expect(errors[1]).toEqual(errors[0]);
  });

  it('never runs a verified program changed afterwards', () => {
    const program = verified(SUM);
    (program.imm as Int32Array)[1] = 9; // mov %r3, 9: reads past the memory
    const vm = new EbpfVm(program, { engine: 'wasm' });
    const e = fault(() => vm.run(memory()));
    expect(vm.verifiedVariant).toBe(false);
    expect([e.code, e.pc]).toEqual(['ACCESS_VIOLATION', 2]);
  });

  it('never runs another Program object with the same bytes', () => {
    verified(SUM);
    const vm = new EbpfVm(Program.fromBytes(assemble(SUM)), { engine: 'wasm' });
    vm.run(memory());
    expect(vm.verifiedVariant).toBe(false);
  });

  it('runs checked when the context is smaller or less writable than the verifier assumed', () => {
    const vm = new EbpfVm(verified(SUM), { engine: 'wasm' });
    expect(fault(() => vm.run(new Uint8Array(32))).code).toBe('ACCESS_VIOLATION');
    expect(vm.verifiedVariant).toBe(false);
    const readOnly = new EbpfVm(verified(SUM), { engine: 'wasm', ctxWritable: false });
    expect(fault(() => readOnly.run(memory())).code).toBe('ACCESS_VIOLATION');
    expect(readOnly.verifiedVariant).toBe(false);
    vm.run(memory());
    expect(vm.verifiedVariant).toBe(true);
  });

  it('runs checked with boundsChecks: always', () => {
    const vm = new EbpfVm(verified(SUM), { engine: 'wasm', boundsChecks: 'always' });
    expect(vm.run(memory()).value).toBe(36n * 0x100000001n);
    expect(vm.verifiedVariant).toBe(false);
  });

  it('finds a pointer moved before its region and back (verified programs may do that)', () => {
    const source = `
      mov %r0, 0
      sub %r1, 4096
      mov %r3, 8
    loop:
      add %r1, 512
      sub %r3, 1
      jne %r3, 0, loop
      ldxdw %r0, [%r1+8]
      exit`;
    const vm = new EbpfVm(verified(source), { engine: 'wasm' });
    expect(vm.run(memory()).value).toBe(2n * 0x100000001n);
    expect(vm.verifiedVariant).toBe(true);
  });
});

describe('the checked Wasm variant’s address cache', () => {
  const cases = [
    // pointer moved below the region inside a tight loop: faults on the first access below it
    {
      name: 'loop walking down past the start',
      source:
        'add %r1, 16\nmov %r3, 5\nl: ldxdw %r0, [%r1]\nsub %r1, 8\nsub %r3, 1\njne %r3, 0, l\nexit',
    },
    // negative offsets from a moved pointer
    {
      name: 'negative offsets from a moved pointer',
      source:
        'add %r1, 64\nmov %r3, 9\nl: ldxdw %r0, [%r1-8]\nsub %r1, 8\nsub %r3, 1\njne %r3, 0, l\nexit',
    },
    // a store through a pointer into read-only memory after loads through it in the same block
    {
      name: 'store after load through the same base',
      source: 'mov %r2, %r10\nldxdw %r0, [%r2-8]\nstxdw [%r2-16], %r0\nstxdw [%r2+0], %r0\nexit',
    },
    // a write to the base register between two accesses
    {
      name: 'base rewritten inside a block',
      source: 'ldxdw %r0, [%r1]\nmov %r1, 0\nldxdw %r0, [%r1]\nexit',
    },
  ];
  it.each(cases)('$name: same error at the same pc on both engines', ({ source }) => {
    const outcome = (engine: 'interpreter' | 'wasm') => {
      const vm = new EbpfVm(assemble(source), { engine });
      try {
        return `ok ${vm.run(memory()).value}`;
      } catch (e) {
        if (!VmError.isInstance(e)) throw e;
        return `${e.code} ${e.pc} ${e.access?.address} ${e.access?.access}`;
      }
    };
    const expected = outcome('interpreter');
    expect(expected).toMatch(/^ACCESS_VIOLATION/);
    expect(outcome('wasm')).toBe(expected);
  });
});
