// A deliberately simple BigInt model of the eBPF ALU and jump semantics of RFC 9669, used as an
// independent oracle for the engines (straight-line and forward-jumping programs, no memory).
import type { Insn } from '../src/index.js';

const M64 = (1n << 64n) - 1n;
const u64 = (v: bigint) => v & M64;
const s64 = (v: bigint) => BigInt.asIntN(64, v);
const u32 = (v: bigint) => v & 0xffffffffn;
const s32 = (v: bigint) => BigInt.asIntN(32, v);
const sx = (v: bigint, bits: number) => u64(BigInt.asIntN(bits, v));
const swap = (v: bigint, bytes: number) => {
  let out = 0n;
  for (let i = 0; i < bytes; i++) out = (out << 8n) | ((v >> BigInt(8 * i)) & 0xffn);
  return out;
};

function alu(code: number, a: bigint, b: bigint, off: number, wide: boolean): bigint {
  const bits = wide ? 64 : 32;
  const mask = wide ? M64 : 0xffffffffn;
  const ua = a & mask;
  const ub = b & mask;
  const sa = BigInt.asIntN(bits, ua);
  const sb = BigInt.asIntN(bits, ub);
  const sh = ub & BigInt(bits - 1);
  switch (code) {
    case 0x00:
      return (ua + ub) & mask;
    case 0x10:
      return (ua - ub) & mask;
    case 0x20:
      return (ua * ub) & mask;
    case 0x30:
      if (ub === 0n) return 0n;
      return off === 1 ? BigInt.asUintN(bits, sa / sb) : ua / ub;
    case 0x90:
      if (ub === 0n) return ua;
      return off === 1 ? BigInt.asUintN(bits, sa % sb) : ua % ub;
    case 0x40:
      return ua | ub;
    case 0x50:
      return ua & ub;
    case 0x60:
      return (ua << sh) & mask;
    case 0x70:
      return ua >> sh;
    case 0xc0:
      return BigInt.asUintN(bits, sa >> sh);
    case 0x80:
      return -ua & mask;
    case 0xa0:
      return ua ^ ub;
    case 0xb0:
      return off === 0 ? ub : sx(b, off) & mask;
    default:
      throw new Error(`model: alu code ${code}`);
  }
}

function jump(code: number, a: bigint, b: bigint, wide: boolean): boolean {
  const ua = wide ? u64(a) : u32(a);
  const ub = wide ? u64(b) : u32(b);
  const sa = wide ? s64(a) : s32(a);
  const sb = wide ? s64(b) : s32(b);
  switch (code) {
    case 0x10:
      return ua === ub;
    case 0x50:
      return ua !== ub;
    case 0x40:
      return (ua & ub) !== 0n;
    case 0x20:
      return ua > ub;
    case 0x30:
      return ua >= ub;
    case 0xa0:
      return ua < ub;
    case 0xb0:
      return ua <= ub;
    case 0x60:
      return sa > sb;
    case 0x70:
      return sa >= sb;
    case 0xc0:
      return sa < sb;
    case 0xd0:
      return sa <= sb;
    default:
      throw new Error(`model: jump code ${code}`);
  }
}

/**
 * Runs ALU/JMP/lddw/exit instructions on BigInt registers.
 * @returns the registers r0..r9 at exit.
 */
export function runModel(insns: readonly Omit<Insn, 'pc'>[], initial: readonly bigint[]): bigint[] {
  const r = Array.from({ length: 11 }, (_, i) => u64(initial[i] ?? 0n));
  // slot index -> insn index
  const bySlot = new Map<number, number>();
  let slot = 0;
  insns.forEach((i, n) => {
    bySlot.set(slot, n);
    slot += i.opcode === 0x18 ? 2 : 1;
  });
  let pcSlot = 0;
  for (let steps = 0; steps < 100000; steps++) {
    const n = bySlot.get(pcSlot);
    if (n === undefined) throw new Error(`model: no insn at slot ${pcSlot}`);
    const i = insns[n]!;
    const op = i.opcode;
    const cls = op & 7;
    const code = op & 0xf0;
    const x = (op & 8) !== 0;
    const imm = BigInt(i.imm);
    let next = pcSlot + 1;
    if (op === 0x95) return r.slice(0, 10);
    if (op === 0x18) {
      r[i.dst] = (BigInt(i.imm2 >>> 0) << 32n) | BigInt(i.imm >>> 0);
      next = pcSlot + 2;
    } else if (cls === 7 || cls === 4) {
      const wide = cls === 7;
      if (code === 0xd0) {
        const v = r[i.dst]!;
        const w = i.imm;
        if (op === 0xd4) r[i.dst] = w === 64 ? v : v & ((1n << BigInt(w)) - 1n);
        else r[i.dst] = swap(v, w / 8);
      } else {
        const b = x ? r[i.src]! : u64(imm);
        r[i.dst] = alu(code, r[i.dst]!, b, i.off, wide);
      }
    } else if (cls === 5 || cls === 6) {
      if (op === 0x05) next = pcSlot + 1 + i.off;
      else if (op === 0x06) next = pcSlot + 1 + i.imm;
      else {
        const b = x ? r[i.src]! : u64(imm);
        if (jump(code, r[i.dst]!, b, cls === 5)) next = pcSlot + 1 + i.off;
      }
    } else {
      throw new Error(`model: opcode ${op.toString(16)}`);
    }
    pcSlot = next;
  }
  throw new Error('model: step limit');
}
