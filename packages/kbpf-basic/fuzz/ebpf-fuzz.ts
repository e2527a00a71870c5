// Differential fuzzer of the eBPF stack (issue 26): random structured programs run on both
// engines (interpreter and Wasm) against identical map sets, and through the verifier. A
// difference between the engines, an untyped error, a verifier verdict that took too long, or
// a verified program that faults on a memory access is a finding; findings are minimised (each
// instruction replaced by a no-op while the finding persists) and reported as hex bytecode.

import type { EngineKind, Insn } from '@axebpf/rbpf';
import {
  AsmError,
  encodeInsns,
  ProgramBuilder,
  ProgramError,
  reg,
  VerifierError,
  VmError,
} from '@axebpf/rbpf';
import {
  BPF_FUNC as F,
  BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_RINGBUF,
} from '../src/constants.js';
import { BpfCommandError, MapError } from '../src/errors.js';
import { BpfSystem } from '../src/bpf.js';
import type { RingBufMap } from '../src/maps/ringbuf.js';
import { createMockPlatform } from '../src/platform.js';

/** A deterministic 32-bit generator (mulberry32). */
export class Rng {
  #s: number;
  /** @param seed - any integer. */
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  /** @returns the next 32 random bits. */
  u32(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  /** @returns an integer in `[0, n)`. */
  int(n: number): number {
    return this.u32() % n;
  }
  /** @returns true with probability `p`. */
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  /** @returns one of the items. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

const ALU = [
  'add',
  'sub',
  'mul',
  'div',
  'sdiv',
  'or',
  'and',
  'lsh',
  'rsh',
  'mod',
  'smod',
  'xor',
  'mov',
  'arsh',
] as const;
const JMP = [
  'jeq',
  'jgt',
  'jge',
  'jset',
  'jne',
  'jsgt',
  'jsge',
  'jlt',
  'jle',
  'jslt',
  'jsle',
] as const;
const WIDTH = ['b', 'h', 'w', 'dw'] as const;
const WIDTH_BYTES = { b: 1, h: 2, w: 4, dw: 8 } as const;
const IMMS = [0, 1, -1, 2, 7, 8, 31, 32, 63, 64, 255, 0x7fffffff, -0x80000000, 0x1234, -8, 4096];

/** Map fds every fuzzed program may name (created in this order by {@link createSystem}). */
export const FUZZ_MAPS = { hash: 3, array: 4, ring: 5, percpu: 6 } as const;

/**
 * A BpfSystem with the fuzzer's maps and contents (deterministic).
 * @returns the system.
 */
export function createSystem(): BpfSystem {
  const platform = createMockPlatform({ cpus: 2, seed: 7 });
  const bpf = new BpfSystem({ platform });
  bpf.mapCreate({ mapType: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8 });
  bpf.mapCreate({ mapType: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 4 });
  bpf.mapCreate({ mapType: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 });
  bpf.mapCreate({ mapType: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 });
  const key = new Uint8Array(4);
  for (const k of [1, 2, 3]) {
    key[0] = k;
    bpf.mapUpdateElem(FUZZ_MAPS.hash, key, new Uint8Array(8).fill(k));
  }
  return bpf;
}

/** Generates one structured random program (its bytecode; a few do not decode, on purpose). */
export function generateProgram(rng: Rng): Uint8Array {
  const b = new ProgramBuilder();
  let labels = 0;
  const label = () => `L${labels++}`;
  // Registers r0-r9 start as known scalars so most programs pass load.
  for (let r = 0; r <= 9; r++) if (r !== 1 || rng.chance(0.5)) b.alu64('mov', r, rng.pick(IMMS));
  const scalarReg = () => rng.pick([0, 2, 3, 4, 5, 6, 7, 8]);
  const snippets = 2 + rng.int(12);
  let hasCallback = false;
  let hasSub = false;
  let hasLoop = false;
  const pending: string[] = [];
  for (let i = 0; i < snippets; i++) {
    const kind = rng.int(16);
    switch (kind) {
      case 0:
      case 1:
      case 2: {
        const op = rng.pick(ALU);
        const src = rng.chance(0.5) ? reg(scalarReg()) : rng.pick(IMMS);
        if (rng.chance(0.6)) b.alu64(op, scalarReg(), src);
        else b.alu32(op, scalarReg(), src);
        break;
      }
      case 3: {
        // stack store then load
        const w = rng.pick(WIDTH);
        const off = -8 * (1 + rng.int(8)) + (rng.chance(0.1) ? rng.int(8) : 0);
        b.store(w, 10, off, rng.chance(0.5) ? reg(scalarReg()) : rng.pick(IMMS));
        b.load(w, scalarReg(), 10, off - (w === 'dw' ? 0 : 0), rng.chance(0.2));
        break;
      }
      case 4: {
        // map lookup with a null check, then read/write the value
        const fd = rng.pick([FUZZ_MAPS.hash, FUZZ_MAPS.array, FUZZ_MAPS.percpu]);
        const size = fd === FUZZ_MAPS.array ? 16 : 8;
        b.store('w', 10, -4, rng.int(5))
          .lddw(1, fd, 1)
          .alu64('mov', 2, reg(10))
          .alu64('add', 2, -4)
          .call(F.map_lookup_elem);
        const skip = label();
        b.jump('jeq', 0, 0, skip);
        const w = rng.pick(WIDTH);
        const off = rng.int(size - WIDTH_BYTES[w] + 1 + (rng.chance(0.1) ? 8 : 0));
        if (rng.chance(0.5)) b.load(w, 6, 0, off);
        else b.store(w, 0, off, rng.chance(0.5) ? reg(6) : rng.pick(IMMS));
        if (rng.chance(0.3))
          b.atomic(
            rng.pick(['add', 'or', 'xor', 'fetch_add', 'xchg', 'cmpxchg'] as const),
            'dw',
            0,
            0,
            7,
          );
        b.label(skip).alu64('mov', 0, 0);
        break;
      }
      case 5: {
        // map update / delete through stack key and value
        b.store('w', 10, -4, rng.int(10))
          .store('dw', 10, -16, rng.pick(IMMS))
          .lddw(1, FUZZ_MAPS.hash, 1)
          .alu64('mov', 2, reg(10))
          .alu64('add', 2, -4);
        if (rng.chance(0.7))
          b.alu64('mov', 3, reg(10))
            .alu64('add', 3, -16)
            .alu64('mov', 4, rng.int(3))
            .call(F.map_update_elem);
        else b.call(F.map_delete_elem);
        break;
      }
      case 6: {
        // forward conditional skip over one ALU op
        const skip = label();
        b.jump(
          rng.pick(JMP),
          scalarReg(),
          rng.chance(0.5) ? reg(scalarReg()) : rng.pick(IMMS),
          skip,
          rng.chance(0.7) ? 64 : 32,
        );
        b.alu64(rng.pick(ALU), scalarReg(), rng.pick(IMMS));
        b.label(skip);
        break;
      }
      case 7: {
        // bounded loop on r9
        const top = label();
        const n = 1 + rng.int(rng.chance(0.1) ? 400 : 20);
        b.alu64('mov', 9, 0)
          .label(top)
          .alu64(rng.pick(ALU), scalarReg(), rng.pick(IMMS))
          .alu64('add', 9, 1)
          .jump('jlt', 9, n, top);
        break;
      }
      case 8:
        b.call(
          rng.pick([
            F.ktime_get_ns,
            F.get_prandom_u32,
            F.get_smp_processor_id,
            F.get_current_pid_tgid,
          ]),
        );
        break;
      case 9: {
        // ring buffer: output from the stack, or reserve + write + submit/discard
        if (rng.chance(0.5)) {
          b.store('dw', 10, -24, rng.pick(IMMS))
            .lddw(1, FUZZ_MAPS.ring, 1)
            .alu64('mov', 2, reg(10))
            .alu64('add', 2, -24)
            .alu64('mov', 3, rng.pick([8, 16, 0, 24]))
            .alu64('mov', 4, rng.pick([0, 0, 1, 4]))
            .call(F.ringbuf_output);
        } else {
          const skip = label();
          const size = rng.pick([8, 16, 100, 5000]);
          b.lddw(1, FUZZ_MAPS.ring, 1)
            .alu64('mov', 2, size)
            .alu64('mov', 3, rng.chance(0.9) ? 0 : 1)
            .call(F.ringbuf_reserve)
            .jump('jeq', 0, 0, skip);
          b.store(
            rng.pick(WIDTH),
            0,
            rng.chance(0.85) ? 0 : rng.pick([-8, -4, size, 4096]),
            rng.pick(IMMS),
          );
          b.alu64('mov', 1, reg(0))
            .alu64('mov', 2, 0)
            .call(rng.chance(0.7) ? F.ringbuf_submit : F.ringbuf_discard);
          b.label(skip).alu64('mov', 0, 0);
        }
        break;
      }
      case 10: {
        if (rng.chance(0.4)) {
          // bpf_loop(n, lcb, &stack, 0): the callback counts into the caller's stack
          hasLoop = true;
          b.store('dw', 10, -32, 0)
            .alu64('mov', 1, rng.pick([0, 1, 5, 50, 3000, (1 << 23) + 1]))
            .lddw(2, 0, 4);
          b.alu64('mov', 3, reg(10))
            .alu64('add', 3, -32)
            .alu64('mov', 4, rng.chance(0.95) ? 0 : 1)
            .call(F.loop);
          break;
        }
        // for_each_map_elem with the callback at the end of the program
        hasCallback = true;
        b.lddw(1, FUZZ_MAPS.hash, 1).lddw(2, 0, 4);
        pending.push('cb');
        b.alu64('mov', 3, 0).alu64('mov', 4, 0).call(F.for_each_map_elem);
        break;
      }
      case 11:
        b.alu64('mov', 0, reg(10))
          .alu64('add', 0, -8 * (1 + rng.int(4)))
          .store('dw', 0, 0, rng.pick(IMMS))
          .load('dw', scalarReg(), 0, 0);
        break;
      case 12:
        // an access through a scalar (faults at run time, rejected by the verifier)
        if (rng.chance(0.3)) b.load(rng.pick(WIDTH), 0, scalarReg(), rng.int(16));
        else
          b.endian(
            rng.pick(['le', 'be', 'bswap'] as const),
            scalarReg(),
            rng.pick([16, 32, 64] as const),
          );
        break;
      case 13:
        if (rng.chance(0.25)) {
          // a local call: the subprogram uses its own stack frame (sometimes out of it)
          hasSub = true;
          b.alu64('mov', 1, rng.pick(IMMS)).callLocal('sub');
          break;
        }
        if (rng.chance(0.3)) b.movsx(scalarReg(), scalarReg(), rng.pick([8, 16, 32] as const));
        else b.neg(scalarReg(), rng.chance(0.5) ? 64 : 32);
        break;
      case 14:
        // context read (r1 may be the context or a scalar)
        b.load(rng.pick(WIDTH), scalarReg(), 1, rng.int(24));
        break;
      default:
        b.alu64('mov', 1, reg(10))
          .alu64('add', 1, -8)
          .store('dw', 1, 0, 5)
          .alu64('mov', 2, 8)
          .alu64('mov', 3, reg(1))
          .call(F.probe_read);
        break;
    }
  }
  b.exit();
  if (hasCallback) {
    // callback(map, key, value, ctx): reads the value, sometimes calls a helper, returns 0 or 1
    b.label('cb');
    b.load('dw', 6, 3, 0).alu64('add', 6, 1).store('dw', 3, 0, reg(6));
    if (rng.chance(0.5)) b.call(F.ktime_get_ns);
    b.alu64('mov', 0, rng.chance(0.8) ? 0 : 1).exit();
  }
  if (hasLoop) {
    // lcb(i, ctx): *ctx += i; sometimes a helper; stop when i reaches a bound
    b.label('lcb').load('dw', 6, 2, 0).alu64('add', 6, reg(1)).store('dw', 2, 0, reg(6));
    if (rng.chance(0.5)) b.alu64('mov', 7, reg(1)).call(F.get_prandom_u32).alu64('mov', 1, reg(7));
    b.alu64('mov', 0, 0)
      .jump('jlt', 1, rng.pick([3, 40, 100000]), 'lcb_out')
      .alu64('mov', 0, 1)
      .label('lcb_out')
      .exit();
  }
  if (hasSub) {
    // sub(r1): a frame of its own; now and then an access just outside it
    b.label('sub')
      .store('dw', 10, rng.chance(0.9) ? -8 : rng.pick([-520, 0, 504]), reg(1))
      .load('dw', 0, 10, -8)
      .alu64('add', 0, 1)
      .exit();
  }
  const insns = b.insns();
  // Patch the callback pointers (lddw src=4, imm = relative target - 1): the one followed by a
  // for_each call gets `cb`, the one followed by a loop call gets `lcb`.
  const targets = labelSlots(insns, hasCallback, hasLoop);
  let slot = 0;
  const out: Omit<Insn, 'pc'>[] = [];
  for (let k = 0; k < insns.length; k++) {
    const insn = insns[k]!;
    if (insn.opcode === 0x18 && insn.src === 4) {
      let helper = 0;
      for (let m = k + 1; m < insns.length && helper === 0; m++)
        if (insns[m]!.opcode === 0x85 && insns[m]!.src === 0) helper = insns[m]!.imm;
      const target = helper === F.loop ? targets.lcb : targets.cb;
      out.push({ ...insn, imm: target - slot - 1 });
    } else out.push(insn);
    slot += insn.opcode === 0x18 ? 2 : 1;
  }
  // Rarely, flip a random field of one instruction (decode errors and odd encodings).
  if (rng.chance(0.05) && out.length > 0) {
    const i = rng.int(out.length);
    const x = out[i]!;
    out[i] = rng.chance(0.5)
      ? { ...x, opcode: rng.int(256) }
      : { ...x, off: (x.off + rng.int(5) - 2) | 0 };
  }
  return encodeInsns(out);
}

/** Slots of the callbacks: `cb` then `lcb` follow the main program's `exit`, in that order. */
function labelSlots(
  insns: readonly Omit<Insn, 'pc'>[],
  hasCallback: boolean,
  hasLoop: boolean,
): { cb: number; lcb: number } {
  const exits: number[] = [];
  let slot = 0;
  for (const insn of insns) {
    slot += insn.opcode === 0x18 ? 2 : 1;
    if (insn.opcode === 0x95) exits.push(slot);
  }
  // main's exit is first; cb (if any) ends with one exit; lcb (if any) with one exit
  const cb = hasCallback ? exits[0]! : -1;
  const lcb = hasLoop ? exits[hasCallback ? 1 : 0]! : -1;
  return { cb, lcb };
}

/** What one engine made of a program. */
export interface Outcome {
  /** `ok r0 count`, or `CODE@pc`, or `load CODE`. */
  result: string;
  /** Map contents and ring records after the run, as text. */
  state: string;
  /** An error that is not one of the packages' typed errors. */
  untyped?: unknown;
}

const typed = (e: unknown): boolean =>
  VmError.isInstance(e) ||
  MapError.isInstance(e) ||
  BpfCommandError.isInstance(e) ||
  VerifierError.isInstance(e) ||
  ProgramError.isInstance(e) ||
  AsmError.isInstance(e);

function snapshot(bpf: BpfSystem): string {
  const parts: string[] = [];
  for (const fd of [FUZZ_MAPS.hash, FUZZ_MAPS.array, FUZZ_MAPS.percpu]) {
    for (const k of bpf.mapKeys(fd))
      parts.push(
        `${fd}:${Buffer.from(k).toString('hex')}=${Buffer.from(bpf.mapLookupElem(fd, k)).toString('hex')}`,
      );
  }
  const ring = bpf.map(FUZZ_MAPS.ring) as RingBufMap;
  ring.consume((d) => parts.push(`ring:${Buffer.from(d).toString('hex')}`));
  parts.push(`ring@${ring.consumerPos}/${ring.producerPos}/${ring.dropped}`);
  return parts.join(' ');
}

/**
 * Runs a program on one engine against fresh maps.
 * @param bytes - bytecode.
 * @param engine - `interpreter` or `wasm`.
 * @param maxInstructions - budget.
 * @returns the outcome.
 */
export function runOn(bytes: Uint8Array, engine: EngineKind, maxInstructions = 20_000): Outcome {
  const bpf = createSystem();
  let fd: number;
  try {
    fd = bpf.progLoad({ insns: bytes, engine, verify: false, maxInstructions });
  } catch (e) {
    return {
      result: `load ${(e as { code?: string }).code ?? '?'}`,
      state: '',
      ...(typed(e) ? {} : { untyped: e }),
    };
  }
  let result: string;
  let untyped: unknown;
  try {
    const r = bpf.progRun(fd, new Uint8Array(24).fill(0x11));
    result = `ok ${r.value} ${r.insnCount}`;
  } catch (e) {
    if (!typed(e)) untyped = e;
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    result = `${(e as { code?: string }).code}${cause ? `(${cause})` : ''}@${(e as { pc?: number }).pc}`;
  }
  let state: string;
  try {
    state = snapshot(bpf);
  } catch (e) {
    state = 'snapshot failed';
    untyped ??= e;
  }
  return { result, state, ...(untyped === undefined ? {} : { untyped }) };
}

/** A finding of {@link checkProgram}. */
export interface Finding {
  kind: 'mismatch' | 'untyped' | 'slow-verifier' | 'unsound-verifier';
  detail: string;
}

/** Verdict of the verifier on a program, with its time. */
export interface VerifierVerdict {
  accepted: boolean;
  ms: number;
  untyped?: unknown;
}

/**
 * Runs the verifier as progLoad does by default.
 * @param bytes - bytecode.
 * @returns the verdict.
 */
export function verifyOnce(bytes: Uint8Array): VerifierVerdict {
  const bpf = createSystem();
  const t0 = performance.now();
  try {
    bpf.close(bpf.progLoad({ insns: bytes, engine: 'interpreter', contextSize: 24 }));
    return { accepted: true, ms: performance.now() - t0 };
  } catch (e) {
    return { accepted: false, ms: performance.now() - t0, ...(typed(e) ? {} : { untyped: e }) };
  }
}

/**
 * Checks one program: both engines agree, every error is typed, and when `verifier` is set the
 * verifier decides within `slowMs` and a program it accepts does not fault on memory.
 * @param bytes - bytecode.
 * @param options - whether to run the verifier, its time limit.
 * @returns the findings (empty when all is well) and the verdict.
 */
export function checkProgram(
  bytes: Uint8Array,
  options: { verifier?: boolean; slowMs?: number } = {},
): { findings: Finding[]; verdict?: VerifierVerdict; loaded: boolean } {
  const findings: Finding[] = [];
  const a = runOn(bytes, 'interpreter');
  const b = runOn(bytes, 'wasm');
  if (a.result !== b.result || a.state !== b.state)
    findings.push({
      kind: 'mismatch',
      detail: `interpreter ${a.result} | wasm ${b.result}${a.state !== b.state ? ` | state differs: ${a.state} <> ${b.state}` : ''}`,
    });
  for (const [name, o] of [
    ['interpreter', a],
    ['wasm', b],
  ] as const) {
    if (o.untyped !== undefined)
      findings.push({
        kind: 'untyped',
        detail: `${name}: ${String(o.untyped instanceof Error ? o.untyped.stack : o.untyped)}`,
      });
  }
  let verdict: VerifierVerdict | undefined;
  if (options.verifier === true) {
    verdict = verifyOnce(bytes);
    if (verdict.untyped !== undefined)
      findings.push({
        kind: 'untyped',
        detail: `verifier: ${String(verdict.untyped instanceof Error ? verdict.untyped.stack : verdict.untyped)}`,
      });
    if (verdict.ms > (options.slowMs ?? 1000))
      findings.push({ kind: 'slow-verifier', detail: `verifier took ${verdict.ms.toFixed(0)} ms` });
    if (verdict.accepted && /ACCESS_VIOLATION|NULL|UNKNOWN_OPCODE|JUMP_OUT/.test(a.result))
      findings.push({ kind: 'unsound-verifier', detail: `accepted, then ${a.result}` });
  }
  return {
    findings,
    ...(verdict === undefined ? {} : { verdict }),
    loaded: !a.result.startsWith('load'),
  };
}

/**
 * Minimises a program while `still(bytes)` holds: each slot (an `lddw` pair as one) becomes a
 * no-op (`ja +0`) when the finding persists without it.
 * @param bytes - a program with a finding.
 * @param still - whether a candidate still shows the finding.
 * @returns the smallest program found.
 */
export function minimise(bytes: Uint8Array, still: (candidate: Uint8Array) => boolean): Uint8Array {
  let best = bytes.slice();
  const NOP = [0x05, 0, 0, 0, 0, 0, 0, 0];
  for (let round = 0; round < 3; round++) {
    let changed = false;
    for (let slot = 0; slot < best.length / 8; slot++) {
      const at = slot * 8;
      if (best[at] === 0x05 && best.subarray(at, at + 8).every((v, i) => v === NOP[i])) continue;
      const width = best[at] === 0x18 ? 2 : 1;
      const candidate = best.slice();
      for (let k = 0; k < width; k++) candidate.set(NOP, at + 8 * k);
      let keeps = false;
      try {
        keeps = still(candidate);
      } catch {
        keeps = false;
      }
      if (keeps) {
        best = candidate;
        changed = true;
      }
      slot += width - 1;
    }
    if (!changed) break;
  }
  const compacted = compact(best);
  try {
    if (compacted.length < best.length && still(compacted)) return compacted;
  } catch {
    // keep the uncompacted form
  }
  return best;
}

/**
 * Removes the no-ops (`ja +0`) from a program, retargeting jumps, local calls and callback
 * pointers to the instruction that followed a removed one.
 * @param bytes - bytecode.
 * @returns the shorter bytecode.
 */
export function compact(bytes: Uint8Array): Uint8Array {
  const n = bytes.length / 8;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isNop = (slot: number) =>
    bytes[slot * 8] === 0x05 &&
    view.getInt16(slot * 8 + 2, true) === 0 &&
    view.getInt32(slot * 8 + 4, true) === 0 &&
    bytes[slot * 8 + 1] === 0;
  // newIndex[old] = new slot of the first kept slot at or after `old`
  const newIndex = new Int32Array(n + 1);
  let kept = 0;
  const keep: boolean[] = [];
  for (let slot = 0; slot < n; slot++) {
    const lddw = bytes[slot * 8] === 0x18;
    const k = lddw || !isNop(slot);
    newIndex[slot] = kept;
    keep[slot] = k;
    if (k) kept++;
    if (lddw && slot + 1 < n) {
      keep[slot + 1] = true;
      newIndex[slot + 1] = kept++;
      slot++;
    }
  }
  newIndex[n] = kept;
  const out = new Uint8Array(kept * 8);
  const ov = new DataView(out.buffer);
  for (let slot = 0; slot < n; slot++) {
    if (!keep[slot]) continue;
    const at = newIndex[slot]! * 8;
    out.set(bytes.subarray(slot * 8, slot * 8 + 8), at);
    const op = bytes[slot * 8]!;
    const cls = op & 7;
    const retarget = (target: number) =>
      newIndex[Math.max(0, Math.min(n, target))]! - newIndex[slot]! - 1;
    if ((cls === 5 || cls === 6) && op !== 0x85 && op !== 0x8d && op !== 0x95) {
      if (op === 0x06)
        ov.setInt32(at + 4, retarget(slot + view.getInt32(slot * 8 + 4, true) + 1), true);
      else ov.setInt16(at + 2, retarget(slot + view.getInt16(slot * 8 + 2, true) + 1), true);
    } else if (op === 0x85 && bytes[slot * 8 + 1]! >> 4 === 1) {
      ov.setInt32(at + 4, retarget(slot + view.getInt32(slot * 8 + 4, true) + 1), true);
    } else if (op === 0x18 && bytes[slot * 8 + 1]! >> 4 === 4) {
      ov.setInt32(at + 4, retarget(slot + view.getInt32(slot * 8 + 4, true) + 1), true);
    }
    if (op === 0x18) {
      slot++;
      out.set(bytes.subarray(slot * 8, slot * 8 + 8), newIndex[slot]! * 8);
    }
  }
  return out;
}

/** Figures of a campaign. */
export interface CampaignStats {
  programs: number;
  loaded: number;
  verified: number;
  accepted: number;
  maxVerifierMs: number;
  mismatches: number;
  untyped: number;
  slowVerifier: number;
  unsoundVerifier: number;
  ms: number;
}

/** One reported finding, minimised. */
export interface Report {
  index: number;
  kind: Finding['kind'];
  detail: string;
  hex: string;
}

/**
 * Runs a campaign.
 * @param options - seed, count, how often to run the verifier (every n-th program), progress.
 * @returns the figures and the minimised findings (at most `maxReports`).
 */
export function runCampaign(options: {
  seed: number;
  count: number;
  verifyEvery?: number;
  slowMs?: number;
  maxReports?: number;
  onProgress?: (stats: CampaignStats) => void;
  progressEvery?: number;
}): { stats: CampaignStats; reports: Report[] } {
  const rng = new Rng(options.seed);
  const stats: CampaignStats = {
    programs: 0,
    loaded: 0,
    verified: 0,
    accepted: 0,
    maxVerifierMs: 0,
    mismatches: 0,
    untyped: 0,
    slowVerifier: 0,
    unsoundVerifier: 0,
    ms: 0,
  };
  const reports: Report[] = [];
  const t0 = performance.now();
  const every = options.verifyEvery ?? 1;
  for (let i = 0; i < options.count; i++) {
    const bytes = generateProgram(rng);
    const verifier = i % every === 0;
    const { findings, verdict, loaded } = checkProgram(bytes, {
      verifier,
      ...(options.slowMs === undefined ? {} : { slowMs: options.slowMs }),
    });
    stats.programs++;
    if (loaded) stats.loaded++;
    if (verdict !== undefined) {
      stats.verified++;
      if (verdict.accepted) stats.accepted++;
      stats.maxVerifierMs = Math.max(stats.maxVerifierMs, verdict.ms);
    }
    for (const f of findings) {
      if (f.kind === 'mismatch') stats.mismatches++;
      if (f.kind === 'untyped') stats.untyped++;
      if (f.kind === 'slow-verifier') stats.slowVerifier++;
      if (f.kind === 'unsound-verifier') stats.unsoundVerifier++;
      if (reports.length < (options.maxReports ?? 20)) {
        const small =
          f.kind === 'slow-verifier'
            ? bytes
            : minimise(bytes, (c) =>
                checkProgram(c, { verifier: f.kind !== 'mismatch' }).findings.some(
                  (g) => g.kind === f.kind,
                ),
              );
        reports.push({
          index: i,
          kind: f.kind,
          detail: f.detail,
          hex: Buffer.from(small).toString('hex'),
        });
      }
    }
    if (options.onProgress !== undefined && (i + 1) % (options.progressEvery ?? 10_000) === 0) {
      stats.ms = performance.now() - t0;
      options.onProgress({ ...stats });
    }
  }
  stats.ms = performance.now() - t0;
  return { stats, reports };
}
