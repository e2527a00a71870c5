// SPDX-License-Identifier: MIT
// A minimal map implementation of obj's MapFactory for tests: array (and per-CPU array with one
// CPU), hash and ringbuf (no storage), all values in one rbpf AddressSpace. Helpers 1/2/3/6.
import type { MapDefinition } from '../../src/index.js';
import { AddressSpace, HelperTable } from '@axebpf/rbpf';
import type { HelperCall, LddwResolver, Region } from '@axebpf/rbpf';

const ARRAY = 2,
  PERCPU_ARRAY = 6;
const POINTER_TAG = 0x7f00n << 48n;

export interface TestMap {
  fd: number;
  definition: MapDefinition;
  /** array maps: all values, one after another */
  region: Region | undefined;
  /** hash maps: key hex → value region */
  entries: Map<string, Region>;
  frozen: boolean;
}

export class TestMaps {
  readonly memory = new AddressSpace();
  readonly maps: TestMap[] = [];
  readonly printed: string[] = [];

  create = (definition: MapDefinition): number => {
    const fd = this.maps.length + 3;
    let region: Region | undefined;
    if (definition.mapType === ARRAY || definition.mapType === PERCPU_ARRAY) {
      region = this.memory.map(
        `${definition.name}`,
        definition.valueSize * definition.maxEntries,
        !definition.frozen,
      );
      if (definition.initialValue !== undefined)
        this.memory.bytes.set(definition.initialValue, region.offset);
    }
    this.maps.push({
      fd,
      definition,
      region,
      entries: new Map(),
      frozen: definition.frozen === true,
    });
    return fd;
  };

  byName(name: string): TestMap {
    const m = this.maps.find((x) => x.definition.name === name);
    if (m === undefined) throw new Error(`no map ${name}`);
    return m;
  }

  /** Value bytes of an array map entry or hash key (copy). */
  value(name: string, key: number): Uint8Array | undefined {
    const m = this.byName(name);
    if (m.region !== undefined) {
      const size = m.definition.valueSize;
      return this.memory.bytes.slice(
        m.region.offset + key * size,
        m.region.offset + (key + 1) * size,
      );
    }
    const r = m.entries.get(hex(u32(key)));
    return r === undefined ? undefined : this.memory.bytes.slice(r.offset, r.offset + r.size);
  }

  resolveLddw: LddwResolver = ({ src, imm, imm2 }) => {
    const m = this.maps[imm - 3];
    if (m === undefined) throw new Error(`bad fd ${imm}`);
    if (src === 1) return POINTER_TAG | BigInt(m.fd);
    if (src === 2 && m.region !== undefined) return m.region.address + BigInt(imm2);
    throw new Error(`bad pseudo src ${src}`);
  };

  #map(call: HelperCall): TestMap {
    const p = call.u64(1);
    const m = (p & ~0xffffn) === POINTER_TAG ? this.maps[Number(p & 0xffffn) - 3] : undefined;
    if (m === undefined) throw new Error(`not a map pointer 0x${p.toString(16)}`);
    return m;
  }

  helpers(): HelperTable {
    const t = new HelperTable();
    t.register(1, 'map_lookup_elem', (call) => {
      const m = this.#map(call);
      const key = this.memory.bytes
        .slice(call.pointer(2, m.definition.keySize, 'load'))
        .subarray(0, m.definition.keySize);
      if (m.region !== undefined) {
        const i = new DataView(key.buffer).getUint32(0, true);
        return i < m.definition.maxEntries
          ? m.region.address + BigInt(i * m.definition.valueSize)
          : 0n;
      }
      return m.entries.get(hex(key))?.address ?? 0n;
    });
    t.register(2, 'map_update_elem', (call) => {
      const m = this.#map(call);
      const { keySize, valueSize } = m.definition;
      const k = call.pointer(2, keySize, 'load');
      const key = this.memory.bytes.slice(k, k + keySize);
      const v = call.pointer(3, valueSize, 'load');
      const value = this.memory.bytes.slice(v, v + valueSize);
      let target: Region;
      if (m.region !== undefined) {
        const i = new DataView(key.buffer).getUint32(0, true);
        if (i >= m.definition.maxEntries) return -7n;
        target = { ...m.region, offset: m.region.offset + i * valueSize };
      } else {
        const existing = m.entries.get(hex(key));
        if (existing === undefined && m.entries.size >= m.definition.maxEntries) return -7n;
        target = existing ?? this.memory.map(`${m.definition.name}[${hex(key)}]`, valueSize, true);
        m.entries.set(hex(key), target);
      }
      this.memory.bytes.set(value, target.offset);
      return 0;
    });
    t.register(3, 'map_delete_elem', (call) => {
      const m = this.#map(call);
      const k = call.pointer(2, m.definition.keySize, 'load');
      const key = hex(this.memory.bytes.slice(k, k + m.definition.keySize));
      const r = m.entries.get(key);
      if (r === undefined) return -2n;
      m.entries.delete(key);
      this.memory.unmap(r);
      return 0;
    });
    t.register(6, 'trace_printk', (call) => {
      const size = call.number(2);
      const p = call.pointer(1, size, 'load');
      const fmt = new TextDecoder()
        .decode(this.memory.bytes.subarray(p, p + size))
        .replace(/\0.*$/s, '');
      this.printed.push(fmt.replace('%d', String(call.s32(3))));
      return size;
    });
    t.register(181, 'loop', (call) => {
      const n = call.number(1);
      const ctx = call.u64(3);
      for (let i = 0; i < n; i++) if (call.invoke(2, [i, ctx]) !== 0n) return i + 1;
      return n;
    });
    return t;
  }
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
