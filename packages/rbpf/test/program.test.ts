import { describe, expect, it } from 'vitest';
import { assemble, encodeInsns, Program, ProgramError } from '../src/index.js';

function loadError(bytes: Uint8Array): ProgramError {
  try {
    Program.fromBytes(bytes);
  } catch (e) {
    if (ProgramError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a ProgramError');
}

const insn = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm2 = 0) => ({
  opcode,
  dst,
  src,
  off,
  imm,
  imm2,
});

describe('Program.fromBytes', () => {
  it('decodes fields into typed arrays once', () => {
    const p = Program.fromBytes(assemble('ldxdw %r3, [%r1-8]\nlddw %r0, 0x1122334455667788\nexit'));
    expect(p.length).toBe(4);
    expect([p.opcode[0], p.dst[0], p.src[0], p.offset[0]]).toEqual([0x79, 3, 1, -8]);
    expect(p.imm[1]).toBe(0x55667788);
    expect(p.imm2[1]).toBe(0x11223344);
    expect(p.insns().map((i) => i.pc)).toEqual([0, 1, 3]);
  });

  it('copies its input, so later changes do not affect it', () => {
    const bytes = assemble('mov %r0, 1\nexit');
    const p = Program.fromBytes(bytes);
    bytes[4] = 9;
    expect(p.imm[0]).toBe(1);
  });

  it('accepts input at any byte alignment', () => {
    const bytes = assemble('mov %r0, 7\nexit');
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(Program.fromBytes(shifted.subarray(1)).imm[0]).toBe(7);
  });

  it('rejects a length that is not a multiple of 8 with TRUNCATED', () => {
    const e = loadError(new Uint8Array(12));
    expect(e.code).toBe('TRUNCATED');
    expect(e.pc).toBe(1);
  });

  it('rejects an empty program', () => {
    expect(loadError(new Uint8Array(0)).code).toBe('EMPTY_PROGRAM');
  });

  it('rejects lddw without its second half', () => {
    const bytes = encodeInsns([insn(0x95)]);
    const lone = new Uint8Array(16);
    lone.set(bytes);
    lone[8] = 0x18;
    const e = loadError(lone);
    expect(e.code).toBe('INCOMPLETE_LDDW');
    expect(e.pc).toBe(1);
  });

  it('rejects a second lddw slot with a non-zero opcode', () => {
    const bytes = assemble('lddw %r0, 1\nexit');
    bytes[8] = 0x95;
    expect(loadError(bytes).code).toBe('INCOMPLETE_LDDW');
  });

  it('rejects registers above r10', () => {
    const e = loadError(encodeInsns([insn(0xb7, 11), insn(0x95)]));
    expect(e.code).toBe('INVALID_REGISTER');
    expect(e.pc).toBe(0);
    expect(loadError(encodeInsns([insn(0x95), insn(0xbf, 1, 12)])).pc).toBe(1);
  });

  it('rejects writes to the frame pointer r10', () => {
    expect(loadError(encodeInsns([insn(0xb7, 10), insn(0x95)])).code).toBe('INVALID_REGISTER');
    expect(loadError(encodeInsns([insn(0x79, 10, 1), insn(0x95)])).code).toBe('INVALID_REGISTER');
  });

  it('rejects unknown opcodes with the opcode', () => {
    const e = loadError(encodeInsns([insn(0xb7), insn(0xff), insn(0x95)]));
    expect(e.code).toBe('UNKNOWN_OPCODE');
    expect(e.opcode).toBe(0xff);
    expect(e.pc).toBe(1);
    expect(e.offset).toBe(8);
  });

  it('rejects jumps outside the program', () => {
    expect(loadError(encodeInsns([insn(0x05, 0, 0, 5), insn(0x95)])).code).toBe('JUMP_OUT_OF_CODE');
    expect(loadError(encodeInsns([insn(0x15, 0, 0, -2), insn(0x95)])).code).toBe(
      'JUMP_OUT_OF_CODE',
    );
    expect(loadError(encodeInsns([insn(0x06, 0, 0, 0, 3), insn(0x95)])).code).toBe(
      'JUMP_OUT_OF_CODE',
    );
  });

  it('rejects a jump into the middle of lddw', () => {
    const e = loadError(encodeInsns([insn(0x05, 0, 0, 1), insn(0x18, 0, 0, 0, 1, 2), insn(0x95)]));
    expect(e.code).toBe('JUMP_INTO_LDDW');
  });

  it('rejects local calls outside the program', () => {
    expect(loadError(encodeInsns([insn(0x85, 0, 1, 0, 7), insn(0x95)])).code).toBe(
      'INVALID_CALL_TARGET',
    );
  });

  it('rejects invalid operand fields', () => {
    expect(loadError(encodeInsns([insn(0xd4, 0, 0, 0, 8), insn(0x95)])).code).toBe(
      'INVALID_INSTRUCTION',
    ); // le8
    expect(loadError(encodeInsns([insn(0x37, 0, 0, 2, 1), insn(0x95)])).code).toBe(
      'INVALID_INSTRUCTION',
    ); // div off=2
    expect(loadError(encodeInsns([insn(0xbc, 0, 1, 32), insn(0x95)])).code).toBe(
      'INVALID_INSTRUCTION',
    ); // movsx3232
    expect(loadError(encodeInsns([insn(0xdb, 0, 1, 0, 0x02), insn(0x95)])).code).toBe(
      'INVALID_INSTRUCTION',
    ); // bad atomic
    expect(loadError(encodeInsns([insn(0x07, 0, 3, 0, 1), insn(0x95)])).code).toBe(
      'INVALID_INSTRUCTION',
    ); // src on imm form
  });
});
