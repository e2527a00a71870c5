// SPDX-License-Identifier: MIT
// What the compiler produces and the host consumes: maps, printf formats, event records and
// one program per resolved probe.

import type { ProbeKind } from './probes.js';

/** Bytes of a string value (bpftrace's default `BPFTRACE_MAX_STRLEN`), NUL included. */
export const STRING_SIZE = 64;

/** A value's type: a 64-bit integer (signed or not) or a bounded string. */
export type ValueType = { readonly t: 'int'; readonly signed: boolean } | { readonly t: 'str' };

/** What a map holds per key. */
export type MapValueKind =
  | 'int'
  | 'count'
  | 'sum'
  | 'min'
  | 'max'
  | 'avg'
  | 'stats'
  | 'hist'
  | 'lhist';

/** A map of the script (`@name`), or the internal event ring (`kind: 'ringbuf'`). */
export interface MapSpec {
  /** `@name` (`@` for the anonymous map). */
  readonly name: string;
  /** Value kind, or `ringbuf` for the event ring. */
  readonly kind: MapValueKind | 'ringbuf';
  /** Key parts in order (empty for a scalar map: the key is one zero u64). */
  readonly keys: readonly ValueType[];
  /** Key bytes (a hist/lhist key ends with the u64 bucket index). */
  readonly keySize: number;
  /** Value bytes. */
  readonly valueSize: number;
  /** Entries (bytes of the ring for `ringbuf`). */
  readonly maxEntries: number;
  /** Whether values are signed (sum, min, max, avg, stats, hist, int). */
  readonly signed: boolean;
  /** lhist parameters. */
  readonly lhist?: { readonly min: bigint; readonly max: bigint; readonly step: bigint };
}

/** A printf call: its format and argument types (the record carries the values). */
export interface PrintfSpec {
  /** The format text. */
  readonly format: string;
  /** Argument types in order. */
  readonly args: readonly ValueType[];
}

/** Kinds of records programs write to the event ring (low byte of the record's first u64). */
export const EVENT_KIND = { printf: 1, print: 2, clear: 3, exit: 4, zero: 5 } as const;

/** A compiled program for one resolved probe. */
export interface CompiledProbe {
  /** Kind of probe. */
  readonly kind: ProbeKind;
  /** The `probe` builtin's text. */
  readonly name: string;
  /** What the host attaches to (see `ResolvedProbe.target`). */
  readonly target: string;
  /** The bytecode, with map fds still placeholders (see {@link CompiledProbe.mapRelocations}). */
  readonly bytecode: Uint8Array;
  /** Instruction slots of `lddw` map references and the index in {@link CompiledScript.maps} each names. */
  readonly mapRelocations: readonly { readonly slot: number; readonly map: number }[];
  /** Context size the program was verified with. */
  readonly contextSize: number;
  /** Source range of the probe text, for attach errors. */
  readonly at: number;
  /** Length of the probe text. */
  readonly len: number;
  /** Instructions the verifier walked through. */
  readonly insnProcessed: number;
}

/** The result of compiling a program. */
export interface CompiledScript {
  /** The source text. */
  readonly source: string;
  /** Source name for messages. */
  readonly file: string;
  /** Maps, by index (the relocations refer to these). */
  readonly maps: readonly MapSpec[];
  /** printf formats, by index. */
  readonly printfs: readonly PrintfSpec[];
  /** Programs, in source order (wildcards expanded). */
  readonly probes: readonly CompiledProbe[];
  /** Whether a program can call `exit()` (the runner then advances time in small steps). */
  readonly exits: boolean;
}
