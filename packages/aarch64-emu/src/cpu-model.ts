// SPDX-License-Identifier: MIT
// CPU models: the identity (MIDR_EL1) and the optional instruction sets a Cpu presents. The
// ID register fields are the Arm ARM's (ID_AA64ISAR0_EL1: AES [7:4], SHA1 [11:8], SHA2
// [15:12], CRC32 [19:16], Atomic [23:20]); the Cortex-A57's values are the ones its TRM gives
// and QEMU's `-cpu cortex-a57` presents.

/**
 * The processor a `Cpu` presents (`CpuOptions.model`).
 *
 * - `'default'`: ARMv8.0-A with CRC32, the Cryptographic Extension (AES with PMULL, SHA-1,
 *   SHA-256) and the ARMv8.1 LSE atomics; MIDR_EL1 0x410fd034 (a Cortex-A53 r0p4). What
 *   user-mode programs and the tests of this package run on.
 * - `'cortex-a57'`: an ARMv8.0-A Cortex-A57 r1p0 as QEMU's `-cpu cortex-a57` presents it:
 *   MIDR_EL1 0x411fd070, ID_AA64ISAR0_EL1 0x11120 (AES with PMULL, SHA-1, SHA-256, CRC32) and
 *   no LSE: the LSE instructions (LDADD... SWP, CAS, CASP) are UNDEFINED, as on the real core.
 *
 * Both models run the same base ISA and FP/SIMD unit; the differences are the ones listed in
 * {@link CPU_MODELS}.
 */
export type CpuModel = 'default' | 'cortex-a57';

/** What a {@link CpuModel} sets: ID register values and optional instruction groups. */
export interface CpuModelInfo {
  /** MIDR_EL1 (and the reset value of VPIDR_EL2, what EL1 reads under EL2). */
  readonly midr: bigint;
  /** ID_AA64ISAR0_EL1: exactly the optional instructions this model executes. */
  readonly isar0: bigint;
  /** FEAT_LSE: the atomic memory operations, CAS and CASP execute (else UNDEFINED). */
  readonly lse: boolean;
}

// ID_AA64ISAR0_EL1 fields
const AES_PMULL = 2n << 4n; // AESE/AESD/AESMC/AESIMC and PMULL/PMULL2 of 64-bit elements
const SHA1 = 1n << 8n; // SHA1C/P/M/H/SU0/SU1
const SHA2 = 1n << 12n; // SHA256H/H2/SU0/SU1 (no SHA-512)
const CRC32 = 1n << 16n; // CRC32B/H/W/X, CRC32CB/CH/CW/CX
const ATOMIC_LSE = 2n << 20n; // FEAT_LSE

/** The models and what each one sets (see {@link CpuModel}). */
export const CPU_MODELS: Readonly<Record<CpuModel, CpuModelInfo>> = Object.freeze({
  default: Object.freeze({
    midr: 0x410f_d034n,
    isar0: AES_PMULL | SHA1 | SHA2 | CRC32 | ATOMIC_LSE,
    lse: true,
  }),
  'cortex-a57': Object.freeze({
    midr: 0x411f_d070n,
    isar0: AES_PMULL | SHA1 | SHA2 | CRC32,
    lse: false,
  }),
});
