// SPDX-License-Identifier: MIT
// Error family of @axebpf/kprobe: every misuse of the probe manager and the slot allocator.

const BRAND = Symbol.for('axebpf.error');
const KPROBE_BRAND = Symbol.for('axebpf.error.KprobeError');

/** Codes a {@link KprobeError} can carry. */
export type KprobeErrorCode =
  /** The probe address is not a multiple of 4. */
  | 'UNALIGNED_ADDRESS'
  /** No readable code at the address (the memory adapter could not read it). */
  | 'UNKNOWN_ADDRESS'
  /** The symbol resolver does not know the symbol. */
  | 'SYMBOL_NOT_FOUND'
  /** A probe with the same name is already registered. */
  | 'DUPLICATE_PROBE'
  /** The instruction at the probe point can neither be stepped out of line nor simulated. */
  | 'REJECTED_INSN'
  /** Every instruction slot is in use. */
  | 'SLOTS_EXHAUSTED'
  /** The slot region given by the host is unusable (misaligned, too small, slot size too small). */
  | 'BAD_SLOT_REGION'
  /** The address lies in the manager's own slot region or trampoline. */
  | 'RESERVED_ADDRESS'
  /** The probe is not (or no longer) registered with this manager. */
  | 'NOT_REGISTERED'
  /** A bad option value (for example `maxactive` below 1, both `address` and `symbol`). */
  | 'BAD_ARGUMENT'
  /** The return trampoline was hit but no kretprobe instance is pending for the key. */
  | 'NO_RETPROBE_INSTANCE'
  /** A simulated literal load read unreadable memory; the adapter's exception is the `cause`. */
  | 'SIMULATION_FAULT'
  /** A user handler threw; the original exception is the `cause`. */
  | 'HANDLER_FAILED';

/** Options of the {@link KprobeError} constructor. */
export interface KprobeErrorOptions {
  /** Machine-readable reason. */
  code: KprobeErrorCode;
  /** Human-readable message (lower case, values in backticks, addresses in hex). */
  message: string;
  /** The probe address or the faulting PC, when known. */
  address?: bigint | undefined;
  /** The instruction word at `address`, when known. */
  insn?: number | undefined;
  /** Disassembly of `insn` (GNU objdump syntax), when it decodes. */
  text?: string | undefined;
  /** Why an instruction was rejected (see {@link RejectReason}), for `REJECTED_INSN`. */
  reason?: string | undefined;
  /** Symbol name, when the probe was given by symbol. */
  symbol?: string | undefined;
  /** Probe name, when the probe has one. */
  probe?: string | undefined;
  /** Wrapped cause. */
  cause?: unknown;
}

/**
 * Misuse of the kprobe manager: bad addresses, rejected instructions, slot exhaustion,
 * unknown probes, failing handlers.
 *
 * @remarks The Rust original (Starry-OS/kprobe) returns `Result<_, &'static str>`-style
 * errors or panics; here every case has a `code` and structured fields. Use
 * {@link KprobeError.isInstance} rather than `instanceof`.
 */
export class KprobeError extends Error {
  /** Machine-readable reason. */
  readonly code: KprobeErrorCode;
  /** Probe address or PC, if known. */
  readonly address: bigint | undefined;
  /** Instruction word, if known. */
  readonly insn: number | undefined;
  /** Disassembly of the instruction, if known. */
  readonly text: string | undefined;
  /** Rejection reason, for `REJECTED_INSN`. */
  readonly reason: string | undefined;
  /** Symbol name, if the probe was given by symbol. */
  readonly symbol: string | undefined;
  /** Probe name, if any. */
  readonly probe: string | undefined;
  readonly [BRAND] = true;
  readonly [KPROBE_BRAND] = true;

  /** @param options - code, message and structured fields. */
  constructor(options: KprobeErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KprobeError';
    this.code = options.code;
    this.address = options.address;
    this.insn = options.insn;
    this.text = options.text;
    this.reason = options.reason;
    this.symbol = options.symbol;
    this.probe = options.probe;
  }

  /**
   * Tells whether a value is a KprobeError, from any copy of this package.
   * @param value - anything caught.
   * @returns true for a KprobeError.
   */
  static isInstance(value: unknown): value is KprobeError {
    return typeof value === 'object' && value !== null && KPROBE_BRAND in value;
  }
}

/**
 * Formats an address as `0x…` for messages.
 * @param address - the address.
 * @returns hex text.
 * @internal
 */
export function hex(address: bigint): string {
  return `0x${address.toString(16)}`;
}
