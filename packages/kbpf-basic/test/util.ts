// Shared test helpers: byte conversions and the engines helpers are tested on.
import type { Program } from '@axebpf/rbpf';
import type { EbpfVm } from '@axebpf/rbpf';
import type { BpfSystem } from '../src/index.js';

export const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n >>> 0]).buffer);
export const u64 = (n: bigint): Uint8Array =>
  new Uint8Array(new BigUint64Array([BigInt.asUintN(64, n)]).buffer);
export const readU32 = (b: Uint8Array, off = 0): number =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
export const readU64 = (b: Uint8Array, off = 0): bigint =>
  new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(off, true);

/** Errno name of a thrown error. */
export function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** An engine runs a loaded program of a BpfSystem: every helper test runs on each. */
export interface Engine {
  name: string;
  load(bpf: BpfSystem, program: Program): { run(ctx?: Uint8Array): bigint; vm: EbpfVm };
}

const engine = (name: 'interpreter' | 'wasm'): Engine => ({
  name,
  load(bpf, program) {
    // Helper tests run deliberately unsafe programs (forged pointers, bad sizes) and helpers the
    // verifier cannot model, to test the run-time checks: they opt out of load-time verification.
    const fd = bpf.progLoad({ insns: program, engine: name, verify: false });
    const vm = bpf.program(fd);
    if (vm.engine !== name) throw new Error(`engine ${name} not available`);
    return { vm, run: (ctx) => vm.run(ctx).value };
  },
});

export const engines: Engine[] = [engine('interpreter'), engine('wasm')];
