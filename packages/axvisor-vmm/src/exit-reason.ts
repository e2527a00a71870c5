// SPDX-License-Identifier: MIT
// AxVisor's exit reasons (arceos-hypervisor/axvcpu src/exit.rs, `AxVCpuExitReason`) and the
// numeric trace code of each, as the axebpf design study defines them (section 2.3.4).

/** Variant names of `AxVCpuExitReason`, exactly as in axvcpu. */
export type ExitReasonName =
  | 'Hypercall'
  | 'MmioRead'
  | 'MmioWrite'
  | 'SysRegRead'
  | 'SysRegWrite'
  | 'IoRead'
  | 'IoWrite'
  | 'ExternalInterrupt'
  | 'NestedPageFault'
  | 'Halt'
  | 'CpuUp'
  | 'CpuDown'
  | 'SystemDown'
  | 'Nothing'
  | 'FailEntry'
  | 'SendIPI';

/** Trace code of each exit reason (`AxVCpuExitReason::to_trace_code`). */
/* prettier-ignore */
export const EXIT_REASON_CODE: Readonly<Record<ExitReasonName, number>> = {
  Hypercall: 1, MmioRead: 2, MmioWrite: 3, SysRegRead: 4, SysRegWrite: 5, IoRead: 6, IoWrite: 7,
  ExternalInterrupt: 8, NestedPageFault: 9, Halt: 10, CpuUp: 11, CpuDown: 12, SystemDown: 13,
  Nothing: 14, FailEntry: 15, SendIPI: 16,
};

/**
 * The exit reason of a trace code.
 * @param code - 1 to 16.
 * @returns the variant name, or undefined for an unknown code.
 */
export function exitReasonName(code: number): ExitReasonName | undefined {
  return (Object.keys(EXIT_REASON_CODE) as ExitReasonName[]).find(
    (k) => EXIT_REASON_CODE[k] === code,
  );
}
