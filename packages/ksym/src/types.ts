// SPDX-License-Identifier: MIT

/** One symbol as given to the blob builder: what a line of `nm -n` holds. */
export interface KsymInput {
  /** Start address. */
  readonly address: bigint;
  /** The `nm` type letter (`T`, `t`, `D`, `B`, `R`, `W`…), one ASCII character. */
  readonly type: string;
  /** The symbol name as linked (mangled names stay mangled). */
  readonly name: string;
}

/** One symbol of a {@link KsymTable}. */
export interface KsymEntry extends KsymInput {
  /** Position in address order. */
  readonly index: number;
}

/** Result of an address lookup. */
export interface KsymLookup extends KsymEntry {
  /** `addr − address`. */
  readonly offset: number;
  /**
   * Distance from this symbol's address to the next greater symbol address, or to the table's
   * `etext` for the last one (kallsyms semantics: gaps belong to the symbol before them).
   */
  readonly size: number;
}
