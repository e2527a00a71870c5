// SPDX-License-Identifier: MIT
// Virtual durations written by users: `1s`, `500ms`, `250us`, `100ns`, `2.5s`, `1m`.

import { ShellError } from '../errors.js';

/** The virtual clock is a u64 of nanoseconds: no duration or time past this. */
export const MAX_VIRTUAL_NS = (1n << 64n) - 1n;

const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
};

/**
 * Parses a duration into nanoseconds.
 * @param text - a decimal number followed by a unit `ns`, `us`, `ms`, `s` or `m`.
 * @returns nanoseconds (fractions below 1 ns are rounded down).
 * @throws {ShellError} `BAD_DURATION` naming the accepted units; for a negative duration; for
 *   one past the u64-nanosecond virtual clock ({@link MAX_VIRTUAL_NS}).
 */
export function parseDuration(text: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?(ns|us|µs|ms|s|m)$/.exec(text.trim());
  if (match === null && /^-/.test(text.trim())) {
    throw new ShellError({
      code: 'BAD_DURATION',
      message: `bad duration \`${text}\`: a duration cannot be negative`,
    });
  }
  if (match === null) {
    throw new ShellError({
      code: 'BAD_DURATION',
      message: `bad duration \`${text}\`: write a number and a unit, e.g. \`1s\`, \`500ms\`, \`250us\`, \`100ns\``,
    });
  }
  const unit = UNITS[match[3]!]!;
  const fraction = match[2] ?? '';
  const scale = 10n ** BigInt(fraction.length);
  const ns = BigInt(match[1]!) * unit + (BigInt(fraction || '0') * unit) / scale;
  if (ns > MAX_VIRTUAL_NS) {
    throw new ShellError({
      code: 'BAD_DURATION',
      message: `duration \`${text}\` is past the virtual clock's range (a u64 of nanoseconds: at most ${MAX_VIRTUAL_NS / 1_000_000_000n}s)`,
    });
  }
  return ns;
}

/**
 * Formats nanoseconds as the shortest exact duration text (`1s`, `1500ms`, `250us`).
 * @param ns - nanoseconds.
 * @returns the text, which {@link parseDuration} reads back to the same value.
 */
export function formatVirtualDuration(ns: bigint): string {
  for (const [unit, size] of [
    ['s', 1_000_000_000n],
    ['ms', 1_000_000n],
    ['us', 1_000n],
  ] as const) {
    if (ns !== 0n && ns % size === 0n) return `${ns / size}${unit}`;
  }
  return `${ns}ns`;
}

/**
 * Formats nanoseconds for a progress line, in the unit of `scale` with three decimals
 * (`1.000s` of a `30s` run, `250.000ms` of `500ms`), never in raw nanoseconds.
 * @param ns - the duration to show.
 * @param scale - the duration that picks the unit (default: `ns` itself).
 * @returns the text.
 */
export function formatProgressDuration(ns: bigint, scale: bigint = ns): string {
  for (const [unit, size] of [
    ['s', 1_000_000_000n],
    ['ms', 1_000_000n],
    ['us', 1_000n],
  ] as const) {
    if (scale >= size) return `${(Number(ns) / Number(size)).toFixed(3)}${unit}`;
  }
  return `${ns}ns`;
}
