// SPDX-License-Identifier: MIT
// Test machine: the committed probes.bin on an EL2 emulator CPU, with helpers to run it with
// and without probes and compare the final state.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cpu, PhysicalMemory } from '@axebpf/aarch64-emu';
import { EmuProbeMemory, KprobeManager, attachToCpu, handleTrapFrame } from '../src/index.js';
import type { KprobeManagerOptions } from '../src/index.js';

const dir = fileURLToPath(new URL('./programs/', import.meta.url));
export const IMAGE = readFileSync(`${dir}probes.bin`);
const rawSyms = JSON.parse(readFileSync(`${dir}probes.syms.json`, 'utf8')) as Record<
  string,
  string
>;
/** Symbol table of the test program. */
export const SYMS: ReadonlyMap<string, bigint> = new Map(
  Object.entries(rawSyms).map(([k, v]) => [k, BigInt(v)]),
);

/** Address of a symbol of the test program. */
export function sym(name: string): bigint {
  const a = SYMS.get(name);
  if (a === undefined) throw new Error(`no symbol ${name}`);
  return a;
}

export const RAM_BASE = 0x4000_0000n;
export const RAM_SIZE = 1 << 20;
export const SLOT_BASE = 0x4008_0000n;
export const SLOT_COUNT = 64;
export const SLOT_SIZE = 32;
/** Number of results main stores. */
export const RESULT_COUNT = 26;
/** ESR value the vector's host call is identified by: HVC #0x4b50. */
const HOST_CALL_IMM = 0x4b50;

export interface Machine {
  cpu: Cpu;
  mem: PhysicalMemory;
  probeMem: EmuProbeMemory;
}

/** A fresh machine at the entry point, EL2h, interrupts masked. */
export function machine(): Machine {
  const mem = new PhysicalMemory();
  mem.addRam(RAM_BASE, RAM_SIZE);
  mem.write(RAM_BASE, IMAGE);
  const cpu = new Cpu({ memory: mem });
  cpu.setPstate(0x3c9);
  cpu.pc = sym('_start');
  return { cpu, mem, probeMem: new EmuProbeMemory(mem) };
}

/** A manager over the machine's memory with the test slot region. */
export function manager(m: Machine, extra: Partial<KprobeManagerOptions> = {}): KprobeManager {
  return new KprobeManager({
    memory: m.probeMem,
    slots: { base: SLOT_BASE, count: SLOT_COUNT, slotSize: SLOT_SIZE },
    resolveSymbol: (name) => SYMS.get(name),
    ...extra,
  });
}

/** Runs to the final WFI; throws when it stops for another reason. */
export function runToEnd(m: Machine, budget = 2_000_000): void {
  const why = m.cpu.run(budget);
  if (why !== 'wfi' || m.cpu.pc !== sym('done') + 4n) {
    throw new Error(`stopped with ${why} at 0x${m.cpu.pc.toString(16)}`);
  }
}

/** Final state: registers, flags and all of RAM outside the slot region. */
export interface Snapshot {
  regs: bigint[];
  sp: bigint;
  pstate: number;
  ram: Uint8Array;
}

export function snapshot(m: Machine): Snapshot {
  const regs: bigint[] = [];
  for (let i = 0; i < 31; i++) regs.push(m.cpu.getX(i));
  const ram = m.mem.read(RAM_BASE, RAM_SIZE);
  ram.fill(0, Number(SLOT_BASE - RAM_BASE), Number(SLOT_BASE - RAM_BASE) + SLOT_COUNT * SLOT_SIZE);
  return { regs, sp: m.cpu.sp, pstate: m.cpu.getPstate(), ram };
}

/** The results array main fills. */
export function results(m: Machine): bigint[] {
  const b = m.mem.read(sym('results'), RESULT_COUNT * 8);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: RESULT_COUNT }, (_, i) => v.getBigUint64(i * 8, true));
}

/** The unprobed run. */
export interface Reference {
  snap: Snapshot;
  insns: number;
  /** Every executed PC, in order. */
  trace: bigint[];
}

let reference: Reference | undefined;

/** The unprobed run: final state, instruction count and the executed PCs. */
export function unprobed(): Reference {
  if (reference !== undefined) return reference;
  const m = machine();
  const trace: bigint[] = [];
  m.cpu.traceHook = (c) => {
    trace.push(c.pc);
  };
  runToEnd(m);
  reference = { snap: snapshot(m), insns: m.cpu.insnCount, trace };
  return reference;
}

/** How often the unprobed run executed an address. */
export function timesExecuted(address: bigint): number {
  return unprobed().trace.filter((pc) => pc === address).length;
}

/** The PCs that followed each execution of an address in the unprobed run. */
export function successors(address: bigint): bigint[] {
  const t = unprobed().trace;
  const out: bigint[] = [];
  for (let i = 0; i + 1 < t.length; i++) if (t[i] === address) out.push(t[i + 1]!);
  return out;
}

/** Zeroes the stack region of a snapshot (kretprobes leave trampoline addresses in dead stack slots). */
export function withoutStack(s: Snapshot): Snapshot {
  const ram = s.ram.slice();
  const top = Number(sym('stack_top') - RAM_BASE);
  ram.fill(0, top - 0x8000, top);
  return { ...s, ram };
}

/** Hook mode: BRKs handled in `onException` over the CPU registers. */
export function hookMode(m: Machine, mgr: KprobeManager): void {
  attachToCpu(m.cpu, mgr);
}

/**
 * Trap-frame mode: the program's own EL2 vector saves a `struct pt_regs` frame and makes a
 * host call (HVC #0x4b50, x0 = frame, x1 = ESR); the host runs the manager on the frame.
 */
export function trapFrameMode(m: Machine, mgr: KprobeManager, log?: (esr: number) => void): void {
  m.cpu.onException = (cpu, info) => {
    if (info.ec !== 0x16 || info.iss !== HOST_CALL_IMM) return false;
    const esr = Number(cpu.getX(1) & 0xffffffffn);
    log?.(esr);
    const outcome = handleTrapFrame(mgr, m.mem, cpu.getX(0), esr);
    cpu.setX(0, outcome === 'handled' || outcome === 'fault-handled' ? 1n : 0n);
    return true;
  };
}

/** Offset of the first differing byte, or -1 (fast: vitest's deep equality is slow on 1 MiB). */
export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  if (
    Buffer.from(a.buffer, a.byteOffset, a.length).equals(
      Buffer.from(b.buffer, b.byteOffset, b.length),
    )
  )
    return -1;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** The comparable parts of a snapshot: registers, SP, PSTATE and the first differing RAM offset. */
export function summary(
  s: Snapshot,
  reference: Snapshot,
): { regs: bigint[]; sp: bigint; pstate: number; ramDiff: number } {
  return {
    regs: s.regs,
    sp: s.sp,
    pstate: s.pstate,
    ramDiff: firstDifference(s.ram, reference.ram),
  };
}

/** The reference summary (ramDiff -1). */
export function expected(reference: Snapshot): {
  regs: bigint[];
  sp: bigint;
  pstate: number;
  ramDiff: number;
} {
  return { regs: reference.regs, sp: reference.sp, pstate: reference.pstate, ramDiff: -1 };
}
