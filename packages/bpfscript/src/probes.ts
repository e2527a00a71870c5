// SPDX-License-Identifier: MIT
// Probe specifications and the context each kind of probe gives its program: where arguments,
// the return value, pc, VM and vCPU sit in the context bytes the host passes in r1.

import type { EventDefinition, FieldLayout } from '@axebpf/tracepoint';

/** Kinds of probes. */
export type ProbeKind =
  | 'tracepoint'
  | 'hprobe'
  | 'hretprobe'
  | 'kprobe'
  | 'kretprobe'
  | 'interval'
  | 'begin'
  | 'end';

/** A probe after wildcard expansion: one program is compiled per resolved probe. */
export interface ResolvedProbe {
  /** Kind. */
  readonly kind: ProbeKind;
  /** The `probe` builtin's text (`tracepoint:vmm:vcpu_run_exit`). */
  readonly name: string;
  /**
   * What the host attaches to: `system:name` for a tracepoint, the symbol for h(ret)probes,
   * `vm<N>:<symbol>` for guest k(ret)probes, the period in nanoseconds (decimal) for intervals.
   */
  readonly target: string;
  /** The tracepoint's definition (tracepoints only). */
  readonly event?: EventDefinition | undefined;
  /** Context size the verifier assumes. */
  readonly contextSize: number;
}

/**
 * The register frame of an hprobe program (x0–x30, sp, pc, pstate as u64): x0 at 0, pc at 256.
 * Mirrors `HPROBE_CONTEXT_SIZE` of the facade (the `pt_regs` of `@axebpf/kprobe`).
 */
export const HPROBE_CTX = { size: 272, x0: 0, pc: 256 } as const;

/**
 * The guest kprobe context (`GUEST_KPROBE_CONTEXT` of the facade, `trace-context` layout): probe
 * address at 24, return value at 40, VM id (u32) at 16, vCPU id (u32) at 20, x0..x7 from 64.
 */
export const GUEST_CTX = {
  size: 128,
  vmId: 16,
  vcpuId: 20,
  gva: 24,
  retval: 40,
  durationNs: 48,
  x0: 64,
} as const;

/** Context size of BEGIN, END and interval programs (they read nothing from it). */
export const EMPTY_CTX_SIZE = 8;

/** A parsed probe text, before expansion. */
export type ProbeSpec =
  | { kind: 'tracepoint'; system: string; pattern: string }
  | { kind: 'hprobe' | 'hretprobe'; symbol: string }
  | { kind: 'kprobe' | 'kretprobe'; vm: number; symbol: string }
  | { kind: 'interval'; periodNs: bigint }
  | { kind: 'begin' | 'end' };

const UNIT_NS: Record<string, bigint> = {
  s: 1_000_000_000n,
  ms: 1_000_000n,
  us: 1_000n,
  ns: 1n,
  hz: 0n,
};

/**
 * Parses a probe's text.
 * @param text - `tracepoint:vmm:vcpu_run_exit`, `t:vmm:*`, `hprobe:handle_hvc`,
 * `kretprobe:vm7:kp_fact`, `interval:ms:100`, `BEGIN`, `END`.
 * @returns the spec, or a message saying what is wrong.
 */
export function parseProbe(text: string): ProbeSpec | string {
  if (text === 'BEGIN') return { kind: 'begin' };
  if (text === 'END') return { kind: 'end' };
  const parts = text.split(':');
  const [type, ...rest] = parts;
  switch (type) {
    case 'tracepoint':
    case 't': {
      if (rest.length !== 2 || !/^[A-Za-z_][\w]*$/.test(rest[0]!) || !/^[\w*]+$/.test(rest[1]!))
        return 'a tracepoint is written `tracepoint:<system>:<name>` (`*` allowed in the name)';
      return { kind: 'tracepoint', system: rest[0]!, pattern: rest[1]! };
    }
    case 'hprobe':
    case 'hretprobe':
      if (rest.length !== 1 || !/^([A-Za-z_.$][\w.$]*|0x[0-9a-fA-F]+)$/.test(rest[0]!))
        return `an ${type} is written \`${type}:<function>\``;
      return { kind: type, symbol: rest[0]! };
    case 'kprobe':
    case 'kretprobe':
    case 'k':
    case 'kr': {
      const kind = type === 'k' || type === 'kprobe' ? 'kprobe' : 'kretprobe';
      const vm = /^vm(\d+)$/.exec(rest[0] ?? '');
      if (
        rest.length !== 2 ||
        vm === null ||
        !/^([A-Za-z_.$][\w.$]*(\+(0x[0-9a-fA-F]+|\d+))?|0x[0-9a-fA-F]+)$/.test(rest[1]!)
      )
        return `a guest ${kind} is written \`${kind}:vm<id>:<function>\``;
      return { kind, vm: Number(vm[1]), symbol: rest[1]! };
    }
    case 'interval':
    case 'i': {
      if (rest.length !== 2 || !(rest[0]! in UNIT_NS) || !/^[1-9]\d{0,9}$/.test(rest[1]!))
        return 'an interval is written `interval:<s|ms|us|hz>:<count>`';
      const n = BigInt(rest[1]!);
      const periodNs = rest[0] === 'hz' ? 1_000_000_000n / n : UNIT_NS[rest[0]!]! * n;
      if (periodNs <= 0n) return 'the interval is shorter than a nanosecond';
      return { kind: 'interval', periodNs };
    }
    default:
      return `unknown probe type \`${type ?? ''}\`: use tracepoint, hprobe, hretprobe, kprobe, kretprobe, interval, BEGIN or END`;
  }
}

/**
 * Matches a tracepoint name against a pattern where `*` is any run of characters.
 * @param pattern - the pattern (`vcpu_*`).
 * @param name - the name.
 * @returns whether it matches.
 */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
  return re.test(name);
}

/**
 * Expands a spec into the probes to compile.
 * @param spec - the parsed spec.
 * @param text - the text as written (the `probe` builtin of non-wildcard probes).
 * @param events - the known tracepoint definitions.
 * @returns resolved probes (empty when a wildcard matches nothing).
 */
export function resolveProbe(
  spec: ProbeSpec,
  text: string,
  events: ReadonlyMap<string, EventDefinition>,
): ResolvedProbe[] {
  switch (spec.kind) {
    case 'tracepoint': {
      const out: ResolvedProbe[] = [];
      for (const [name, event] of events) {
        if (event.system !== spec.system || !globMatch(spec.pattern, event.name)) continue;
        out.push({
          kind: 'tracepoint',
          name: `tracepoint:${name}`,
          target: name,
          event,
          contextSize: event.fixedSize,
        });
      }
      return out;
    }
    case 'hprobe':
    case 'hretprobe':
      return [
        {
          kind: spec.kind,
          name: `${spec.kind}:${spec.symbol}`,
          target: spec.symbol,
          contextSize: HPROBE_CTX.size,
        },
      ];
    case 'kprobe':
    case 'kretprobe':
      return [
        {
          kind: spec.kind,
          name: `${spec.kind}:vm${spec.vm}:${spec.symbol}`,
          target: `vm${spec.vm}:${spec.symbol}`,
          contextSize: GUEST_CTX.size,
        },
      ];
    case 'interval':
      return [
        {
          kind: 'interval',
          name: text,
          target: String(spec.periodNs),
          contextSize: EMPTY_CTX_SIZE,
        },
      ];
    case 'begin':
      return [{ kind: 'begin', name: 'BEGIN', target: '', contextSize: EMPTY_CTX_SIZE }];
    case 'end':
      return [{ kind: 'end', name: 'END', target: '', contextSize: EMPTY_CTX_SIZE }];
  }
}

/**
 * A tracepoint field as the language sees it.
 * @param probe - the probe.
 * @param name - the field name after `args.`.
 * @returns the layout, or undefined.
 */
export function fieldOf(probe: ResolvedProbe, name: string): FieldLayout | undefined {
  return (
    probe.event?.fields.find((f) => f.name === name) ??
    probe.event?.allFields.find((f) => f.name === name)
  );
}
