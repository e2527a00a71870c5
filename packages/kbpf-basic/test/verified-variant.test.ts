// progLoad's verification lets the Wasm engine run a program without per-access bounds checks
// (rbpf's unchecked variant) exactly when the verifier accepted it and the run's context is as
// large as the declared contextSize; programs loaded with verify: false always run checked.
import { assemble, VmError } from '@axebpf/rbpf';
import { describe, expect, it } from 'vitest';
import { BpfSystem } from '../src/index.js';

const READ_FIELD = assemble('ldxw %r0, [%r1+4]\nexit');

describe('verified programs on the Wasm engine', () => {
  it('run unchecked with a context of the declared size, checked with a smaller one', () => {
    const bpf = new BpfSystem();
    const fd = bpf.progLoad({ insns: READ_FIELD, contextSize: 8, engine: 'wasm' });
    expect(bpf.progRun(fd, new Uint8Array([0, 0, 0, 0, 42, 0, 0, 0])).value).toBe(42n);
    expect(bpf.program(fd).verifiedVariant).toBe(true);
    expect(() => bpf.progRun(fd, new Uint8Array(4))).toThrow(VmError);
    expect(bpf.program(fd).verifiedVariant).toBe(false);
  });

  it('never run unchecked when loaded with verify: false', () => {
    const bpf = new BpfSystem();
    const fd = bpf.progLoad({ insns: READ_FIELD, contextSize: 8, engine: 'wasm', verify: false });
    expect(bpf.progRun(fd, new Uint8Array([0, 0, 0, 0, 7, 0, 0, 0])).value).toBe(7n);
    expect(bpf.program(fd).verifiedVariant).toBe(false);
  });
});
