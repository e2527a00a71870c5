// SPDX-License-Identifier: MIT
// A flattened device tree (FDT, "DTB") writer: a node tree in, the blob a kernel reads out.
// Format facts from the Devicetree Specification v0.4, chapter 5 (header, memory reservation
// block, structure block of FDT_BEGIN_NODE/FDT_PROP/FDT_END_NODE/FDT_END tokens, strings block;
// everything big-endian, structure items 4-byte aligned).

import { HypervisorError } from './errors.js';

/** A property value: raw bytes, a string, a string list, or 32-bit cells. */
export type FdtValue = Uint8Array | string | string[] | FdtCells;

/** 32-bit cells (`<0x1 0x2>`); 64-bit numbers are written as two cells, high first. */
export class FdtCells {
  /** The cells. */
  readonly cells: readonly number[];
  /** @param cells - 32-bit values. */
  constructor(cells: readonly number[]) {
    this.cells = cells;
  }
}

/**
 * Cells from 32-bit numbers and 64-bit bigints (a bigint is two cells, high word first: the
 * usual `#address-cells = <2>` form).
 * @param values - numbers (one cell each) and bigints (two cells each).
 * @returns the cells.
 */
export function cells(...values: (number | bigint)[]): FdtCells {
  const out: number[] = [];
  for (const v of values) {
    if (typeof v === 'bigint') out.push(Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn));
    else out.push(v);
  }
  return new FdtCells(out);
}

/** A device tree node. */
export interface FdtNode {
  /** `name@unit-address` (the root is ''). */
  name: string;
  /** Properties in order. */
  props: [string, FdtValue][];
  /** Child nodes in order. */
  children: FdtNode[];
}

/**
 * Creates a node.
 * @param name - node name with unit address.
 * @param props - properties (an object keeps insertion order).
 * @param children - child nodes.
 * @returns the node.
 */
export function node(
  name: string,
  props: Record<string, FdtValue> = {},
  children: FdtNode[] = [],
): FdtNode {
  return { name, props: Object.entries(props), children };
}

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_END = 9;
const HEADER_SIZE = 40;
const enc = new TextEncoder();

/** Options of {@link writeFdt}. */
export interface FdtWriteOptions {
  /** Memory reservation entries ([address, size]). */
  reserve?: [bigint, bigint][];
  /** `boot_cpuid_phys`. */
  bootCpu?: number;
}

function valueBytes(path: string, name: string, v: FdtValue): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof FdtCells) {
    const b = new Uint8Array(4 * v.cells.length);
    const dv = new DataView(b.buffer);
    v.cells.forEach((c, i) => {
      if (!Number.isInteger(c) || c < 0 || c > 0xffffffff)
        throw new HypervisorError({
          code: 'BAD_CONFIG',
          key: `${path}:${name}`,
          message: `device tree: property ${name} of ${path || '/'}: cell ${c} is not a 32-bit value`,
        });
      dv.setUint32(4 * i, c, false);
    });
    return b;
  }
  const parts = typeof v === 'string' ? [v] : v;
  const chunks = parts.map((s) => enc.encode(`${s}\0`));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * Writes a device tree blob (version 17, last compatible version 16).
 * @param root - the root node (its name is ignored: the root is always '').
 * @param options - memory reservations and the boot CPU.
 * @returns the blob.
 * @throws {HypervisorError} `BAD_CONFIG` for a cell value that is not 32-bit.
 */
export function writeFdt(root: FdtNode, options: FdtWriteOptions = {}): Uint8Array {
  const struct: number[] = []; // bytes
  const strings: number[] = [];
  const stringOff = new Map<string, number>();
  const u32 = (v: number) =>
    struct.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  const pad = () => {
    while (struct.length % 4 !== 0) struct.push(0);
  };
  const nameOff = (s: string): number => {
    let off = stringOff.get(s);
    if (off === undefined) {
      off = strings.length;
      stringOff.set(s, off);
      for (const b of enc.encode(s)) strings.push(b);
      strings.push(0);
    }
    return off;
  };
  const emit = (n: FdtNode, path: string) => {
    u32(FDT_BEGIN_NODE);
    for (const b of enc.encode(n.name)) struct.push(b);
    struct.push(0);
    pad();
    for (const [name, v] of n.props) {
      const bytes = valueBytes(path, name, v);
      u32(FDT_PROP);
      u32(bytes.length);
      u32(nameOff(name));
      for (const b of bytes) struct.push(b);
      pad();
    }
    for (const c of n.children) emit(c, `${path}/${c.name}`);
    u32(FDT_END_NODE);
  };
  emit({ ...root, name: '' }, '');
  u32(FDT_END);
  const reserve = options.reserve ?? [];
  const rsvOff = HEADER_SIZE; // 8-byte aligned
  const structOff = rsvOff + 16 * (reserve.length + 1);
  const stringsOff = structOff + struct.length;
  const total = stringsOff + strings.length;
  const out = new Uint8Array(Math.ceil(total / 8) * 8);
  const dv = new DataView(out.buffer);
  [
    FDT_MAGIC,
    out.length,
    structOff,
    stringsOff,
    rsvOff,
    17,
    16,
    options.bootCpu ?? 0,
    strings.length,
    struct.length,
  ].forEach((v, i) => dv.setUint32(4 * i, v, false));
  reserve.forEach(([a, s], i) => {
    dv.setBigUint64(rsvOff + 16 * i, a, false);
    dv.setBigUint64(rsvOff + 16 * i + 8, s, false);
  });
  out.set(struct, structOff);
  out.set(strings, stringsOff);
  return out;
}
