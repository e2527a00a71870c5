// SPDX-License-Identifier: MIT
// The `symbols` feature (Rust: axebpf src/symbols.rs): named kallsyms tables for the hypervisor
// and guests, with address and name lookup across them.

/**
 * `import { symbols } from 'axebpf/symbols'`: named kallsyms tables for the hypervisor and guests,
 * with address and name lookup across them.
 * @module axebpf/symbols
 */

import type { KsymEntry, KsymLookup } from '@axebpf/ksym';
import {
  buildBlob,
  isLinuxArm64Image,
  KsymTable,
  parseNmText,
  readLinuxKallsyms,
  symbolsFromElf,
} from '@axebpf/ksym';
import { defineFeature } from '../features.js';
import { FeatureError } from '../errors.js';

/** An address lookup together with the table that answered it. */
export interface SymbolHit extends KsymLookup {
  /** Name of the table (`axvisor`, `vm1`, ...). */
  readonly table: string;
}

/** The API of the `symbols` feature (`runtime.symbols`). */
export interface SymbolsApi {
  /**
   * Loads a symbol table under a name, replacing an earlier one of that name.
   * @param name - table name (`axvisor` for the hypervisor, `vm<id>` for guests by convention).
   * @param input - a kallsyms blob, an ELF file with a symbol table, `nm -n` / System.map text,
   *   a Linux arm64 `Image` (its own kallsyms tables, link-time addresses: a `nokaslr` boot), or
   *   a ready `KsymTable`.
   * @returns the table.
   * @throws {KsymError} for malformed blobs or text; {@link FeatureError} `INVALID_ARGUMENT` for
   * anything else.
   */
  load(name: string, input: Uint8Array | string | KsymTable): KsymTable;
  /** @param name - table name. @returns the table, if loaded. */
  get(name: string): KsymTable | undefined;
  /**
   * Drops a table (a destroyed VM's `vm<id>`).
   * @param name - table name.
   * @returns whether it was loaded.
   */
  unload(name: string): boolean;
  /** @returns the names of the loaded tables. */
  tables(): string[];
  /**
   * Resolves an address in one table or, without `table`, in each table in load order.
   * @param address - the address.
   * @param table - restrict to this table.
   * @returns the symbol containing it, or undefined.
   */
  lookup(address: bigint, table?: string): SymbolHit | undefined;
  /**
   * Address of a symbol by exact (mangled) name.
   * @param name - symbol name; `table:name` restricts the search to one table.
   * @returns the address, or undefined.
   */
  addressOf(name: string): bigint | undefined;
  /**
   * Symbols whose names contain (or start with) a pattern.
   * @param pattern - the text to find.
   * @param options - `prefix` to match at the start only, `limit` for at most that many.
   * @returns matches with their table.
   */
  search(
    pattern: string,
    options?: { prefix?: boolean; limit?: number },
  ): (KsymEntry & { table: string })[];
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
function tableFrom(input: Uint8Array | string | KsymTable): KsymTable {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) return input;
  if (typeof input === 'string') return KsymTable.fromBlob(buildBlob(parseNmText(input)).blob);
  if (ELF_MAGIC.every((b, i) => input[i] === b))
    return KsymTable.fromBlob(buildBlob(symbolsFromElf(input)).blob);
  if (isLinuxArm64Image(input)) return readLinuxKallsyms(input).table;
  return KsymTable.fromBlob(input);
}

/**
 * The `symbols` feature plugin.
 * @returns the plugin for `createRuntime({ features: [symbols(), ...] })`.
 * @example
 * ```ts
 * const rt = createRuntime({ features: [symbols()] as const });
 * rt.symbols.load('axvisor', readFileSync('System.map', 'utf8'));
 * rt.symbols.lookup(0xffff000040081234n); // { table: 'axvisor', name: 'vcpu_run', offset: 0x34, ... }
 * ```
 */
export function symbols() {
  return defineFeature({
    name: 'symbols',
    key: 'symbols',
    requires: [],
    setup() {
      const tables = new Map<string, KsymTable>();
      const api: SymbolsApi = {
        load(name, input) {
          if (typeof name !== 'string' || name === '')
            throw new FeatureError({
              code: 'INVALID_ARGUMENT',
              feature: 'symbols',
              message: 'a symbol table needs a name',
            });
          const table = tableFrom(input);
          tables.set(name, table);
          return table;
        },
        get: (name) => tables.get(name),
        unload: (name) => tables.delete(name),
        tables: () => [...tables.keys()],
        lookup(address, table) {
          const names = table === undefined ? [...tables.keys()] : [table];
          for (const n of names) {
            const hit = tables.get(n)?.lookupAddress(address);
            if (hit !== undefined) return { ...hit, table: n };
          }
          return undefined;
        },
        addressOf(name) {
          const colon = name.indexOf(':');
          if (colon > 0 && tables.has(name.slice(0, colon)))
            return tables.get(name.slice(0, colon))!.lookupName(name.slice(colon + 1));
          for (const t of tables.values()) {
            const a = t.lookupName(name);
            if (a !== undefined) return a;
          }
          return undefined;
        },
        search(pattern, options = {}) {
          const out: (KsymEntry & { table: string })[] = [];
          for (const [n, t] of tables) {
            for (const e of t.search(pattern, { mode: options.prefix ? 'prefix' : 'substring' }))
              out.push({ ...e, table: n });
          }
          return options.limit === undefined ? out : out.slice(0, options.limit);
        },
      };
      return { api };
    },
  });
}
