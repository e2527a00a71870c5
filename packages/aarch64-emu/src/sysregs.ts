// SPDX-License-Identifier: MIT
// System register table: encodings (op0, op1, CRn, CRm, op2), names as GNU objdump prints
// them, the lowest EL that may access them, and reset values. Facts from the Arm ARM.

/**
 * Encodes a system register as the 16-bit key op0:op1:CRn:CRm:op2 (MRS/MSR bits [20:5]).
 * @param op0 - 2..3.
 * @param op1 - 0..7.
 * @param crn - 0..15.
 * @param crm - 0..15.
 * @param op2 - 0..7.
 * @returns the key.
 */
export function sysRegKey(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2;
}

/** One entry of the system register table. */
export interface SysRegInfo {
  /** Lower-case name as GNU objdump prints it. */
  readonly name: string;
  /** Encoding key ({@link sysRegKey}). */
  readonly key: number;
  /** Lowest exception level that may access it. */
  readonly minEl: number;
  /** Reset value. */
  readonly reset: bigint;
  /** True when MSR to it is not allowed. */
  readonly readOnly: boolean;
  /** True when a write changes translation (flushes the soft TLB). */
  readonly affectsTranslation: boolean;
}

const k = sysRegKey;

// prettier-ignore
const TABLE: readonly (readonly [string, number, number, bigint, boolean?, boolean?])[] = [
  // name, key, minEl, reset, readOnly, affectsTranslation
  ['midr_el1', k(3, 0, 0, 0, 0), 1, 0x410fd034n, true],
  ['mpidr_el1', k(3, 0, 0, 0, 5), 1, 0x80000000n, true],
  ['id_aa64pfr0_el1', k(3, 0, 0, 4, 0), 1, 0x1122n, true],
  // Atomic [23:20] = 0b0010: FEAT_LSE (lse.ts); CRC32 [19:16] = 1 (CRC32* instructions);
  // SHA2, SHA1 = 1, AES = 2 (with PMULL): the crypto extension (fpsimd/crypto.ts). The reset
  // value of the default model; the Cpu sets MIDR/VPIDR/ISAR0 from its model (cpu-model.ts).
  ['id_aa64isar0_el1', k(3, 0, 0, 6, 0), 1, 0x21_1120n, true],
  // PARange 40 bits, 16-bit ASIDs, little-endian only, 4K granule only (TGran64 0xf, TGran16 0)
  ['id_aa64mmfr0_el1', k(3, 0, 0, 7, 0), 1, 0x0f00_0022n, true],
  ['id_aa64mmfr1_el1', k(3, 0, 0, 7, 1), 1, 0n, true],
  ['sctlr_el1', k(3, 0, 1, 0, 0), 1, 0x30d00800n, false, true],
  ['actlr_el1', k(3, 0, 1, 0, 1), 1, 0n],
  ['cpacr_el1', k(3, 0, 1, 0, 2), 1, 0n],
  ['ttbr0_el1', k(3, 0, 2, 0, 0), 1, 0n, false, true],
  ['ttbr1_el1', k(3, 0, 2, 0, 1), 1, 0n, false, true],
  ['tcr_el1', k(3, 0, 2, 0, 2), 1, 0n, false, true],
  ['afsr0_el1', k(3, 0, 5, 1, 0), 1, 0n],
  ['afsr1_el1', k(3, 0, 5, 1, 1), 1, 0n],
  ['esr_el1', k(3, 0, 5, 2, 0), 1, 0n],
  ['far_el1', k(3, 0, 6, 0, 0), 1, 0n],
  ['par_el1', k(3, 0, 7, 4, 0), 1, 0n],
  ['mair_el1', k(3, 0, 10, 2, 0), 1, 0n],
  ['amair_el1', k(3, 0, 10, 3, 0), 1, 0n],
  ['vbar_el1', k(3, 0, 12, 0, 0), 1, 0n],
  ['contextidr_el1', k(3, 0, 13, 0, 1), 1, 0n],
  ['tpidr_el1', k(3, 0, 13, 0, 4), 1, 0n],
  ['cntkctl_el1', k(3, 0, 14, 1, 0), 1, 0n],
  ['mdscr_el1', k(2, 0, 0, 2, 2), 1, 0n],
  ['ctr_el0', k(3, 3, 0, 0, 1), 0, 0x8444c004n, true],
  ['dczid_el0', k(3, 3, 0, 0, 7), 0, 4n, true],
  ['fpcr', k(3, 3, 4, 4, 0), 0, 0n],
  ['fpsr', k(3, 3, 4, 4, 1), 0, 0n],
  ['tpidr_el0', k(3, 3, 13, 0, 2), 0, 0n],
  ['tpidrro_el0', k(3, 3, 13, 0, 3), 0, 0n],
  ['cntfrq_el0', k(3, 3, 14, 0, 0), 0, 62500000n],
  ['cntvct_el0', k(3, 3, 14, 0, 2), 0, 0n, true],
  ['cntpct_el0', k(3, 3, 14, 0, 1), 1, 0n, true],
  ['cntv_ctl_el0', k(3, 3, 14, 3, 1), 1, 0n],
  ['cntv_cval_el0', k(3, 3, 14, 3, 2), 1, 0n],
  ['cntp_ctl_el0', k(3, 3, 14, 2, 1), 1, 0n],
  ['cntp_cval_el0', k(3, 3, 14, 2, 2), 1, 0n],
  ['vpidr_el2', k(3, 4, 0, 0, 0), 2, 0x410fd034n],
  ['vmpidr_el2', k(3, 4, 0, 0, 5), 2, 0x80000000n],
  ['sctlr_el2', k(3, 4, 1, 0, 0), 2, 0x30c50830n, false, true],
  ['hcr_el2', k(3, 4, 1, 1, 0), 2, 0n, false, true],
  ['mdcr_el2', k(3, 4, 1, 1, 1), 2, 0n],
  ['cptr_el2', k(3, 4, 1, 1, 2), 2, 0x33ffn],
  ['hstr_el2', k(3, 4, 1, 1, 3), 2, 0n],
  ['ttbr0_el2', k(3, 4, 2, 0, 0), 2, 0n, false, true],
  ['tcr_el2', k(3, 4, 2, 0, 2), 2, 0n, false, true],
  ['vttbr_el2', k(3, 4, 2, 1, 0), 2, 0n, false, true],
  ['vtcr_el2', k(3, 4, 2, 1, 2), 2, 0n, false, true],
  ['esr_el2', k(3, 4, 5, 2, 0), 2, 0n],
  ['far_el2', k(3, 4, 6, 0, 0), 2, 0n],
  ['hpfar_el2', k(3, 4, 6, 0, 4), 2, 0n],
  ['mair_el2', k(3, 4, 10, 2, 0), 2, 0n],
  ['vbar_el2', k(3, 4, 12, 0, 0), 2, 0n],
  ['tpidr_el2', k(3, 4, 13, 0, 2), 2, 0n],
  ['cnthctl_el2', k(3, 4, 14, 1, 0), 2, 0n],
  ['cntvoff_el2', k(3, 4, 14, 0, 3), 2, 0n],
  // registers with special behaviour (PSTATE views, banked SPs, exception state)
  ['nzcv', k(3, 3, 4, 2, 0), 0, 0n],
  ['daif', k(3, 3, 4, 2, 1), 1, 0n],
  ['currentel', k(3, 0, 4, 2, 2), 1, 0n, true],
  ['spsel', k(3, 0, 4, 2, 0), 1, 0n],
  ['spsr_el1', k(3, 0, 4, 0, 0), 1, 0n],
  ['elr_el1', k(3, 0, 4, 0, 1), 1, 0n],
  ['sp_el0', k(3, 0, 4, 1, 0), 1, 0n],
  ['spsr_el2', k(3, 4, 4, 0, 0), 2, 0n],
  ['elr_el2', k(3, 4, 4, 0, 1), 2, 0n],
  ['sp_el1', k(3, 4, 4, 1, 0), 2, 0n],
  // Linux (issue 20): the rest of the AArch64 ID space a Cortex-A57-class CPU answers, caches,
  // the debug registers Linux's debug monitors and hw_breakpoint reset, and the timer's TVAL views.
  ['revidr_el1', k(3, 0, 0, 0, 6), 1, 0n, true],
  ['id_aa64pfr1_el1', k(3, 0, 0, 4, 1), 1, 0n, true],
  ['id_aa64zfr0_el1', k(3, 0, 0, 4, 4), 1, 0n, true],
  ['id_aa64smfr0_el1', k(3, 0, 0, 4, 5), 1, 0n, true],
  // DebugVer 6 (v8.0), no trace, no PMU (PMUVer 0), 6 breakpoints, 4 watchpoints, 2 context-aware
  ['id_aa64dfr0_el1', k(3, 0, 0, 5, 0), 1, 0x10305006n, true],
  ['id_aa64dfr1_el1', k(3, 0, 0, 5, 1), 1, 0n, true],
  ['id_aa64afr0_el1', k(3, 0, 0, 5, 4), 1, 0n, true],
  ['id_aa64afr1_el1', k(3, 0, 0, 5, 5), 1, 0n, true],
  ['id_aa64isar1_el1', k(3, 0, 0, 6, 1), 1, 0n, true],
  ['id_aa64isar2_el1', k(3, 0, 0, 6, 2), 1, 0n, true],
  ['id_aa64mmfr2_el1', k(3, 0, 0, 7, 2), 1, 0n, true],
  // no caches described (LoC 0): Linux's cacheinfo then reports none; CTR_EL0 still gives line sizes
  ['ccsidr_el1', k(3, 1, 0, 0, 0), 1, 0n, true],
  ['clidr_el1', k(3, 1, 0, 0, 1), 1, 0n, true],
  ['aidr_el1', k(3, 1, 0, 0, 7), 1, 0n, true],
  ['csselr_el1', k(3, 2, 0, 0, 0), 1, 0n],
  ['mdccint_el1', k(2, 0, 0, 2, 0), 1, 0n],
  ['mdrar_el1', k(2, 0, 1, 0, 0), 1, 0n, true],
  ['oslar_el1', k(2, 0, 1, 0, 4), 1, 0n],
  ['oslsr_el1', k(2, 0, 1, 1, 4), 1, 0x8n, true],
  ['osdlr_el1', k(2, 0, 1, 3, 4), 1, 0n],
  ['dbgprcr_el1', k(2, 0, 1, 4, 4), 1, 0n],
  ['dbgclaimset_el1', k(2, 0, 7, 8, 6), 1, 0xffn],
  ['dbgclaimclr_el1', k(2, 0, 7, 9, 6), 1, 0n],
  ['dbgauthstatus_el1', k(2, 0, 7, 14, 6), 1, 0n, true],
  ['mdccsr_el0', k(2, 3, 0, 1, 0), 0, 0n, true],
  ...[0, 1, 2, 3, 4, 5].flatMap((n) => [[`dbgbvr${n}_el1`, k(2, 0, 0, n, 4), 1, 0n], [`dbgbcr${n}_el1`, k(2, 0, 0, n, 5), 1, 0n]] as const),
  ...[0, 1, 2, 3].flatMap((n) => [[`dbgwvr${n}_el1`, k(2, 0, 0, n, 6), 1, 0n], [`dbgwcr${n}_el1`, k(2, 0, 0, n, 7), 1, 0n]] as const),
  ['cntp_tval_el0', k(3, 3, 14, 2, 0), 1, 0n],
  ['cntv_tval_el0', k(3, 3, 14, 3, 0), 1, 0n],
];

/**
 * The unallocated encodings of the AArch64 ID space (op0 3, op1 0, CRn 0, CRm 1-7; the AArch32
 * ID registers among them): reserved, RAZ at EL1 (Arm ARM D19.2 "ID register space"), so a
 * kernel probing them reads zero. Kept with their generic names so disassembly is unchanged.
 */
const ID_SPACE_RAZ: readonly (readonly [string, number, number, bigint, boolean?, boolean?])[] =
  Array.from({ length: 7 * 8 }, (_, i) => {
    const crm = 1 + (i >> 3),
      op2 = i & 7;
    return [`s3_0_c0_c${crm}_${op2}`, k(3, 0, 0, crm, op2), 1, 0n, true] as const;
  }).filter((e) => !TABLE.some((t) => t[1] === e[1]));

/**
 * GICv3 CPU interface registers (Arm GIC architecture specification, ICC_*_EL1). The emulator
 * has no GIC: they are not in {@link SYS_REGS}, so MRS/MSR of them is UNDEFINED unless a host
 * traps them to EL2 (`Cpu.trappedSysRegs`) and emulates them there, as a hypervisor with
 * a virtual GICv3 does. Listed here for the disassembler and for hosts that trap them.
 */
// prettier-ignore
export const GICV3_CPU_INTERFACE_REGS: ReadonlyMap<string, number> = new Map([
  ['icc_pmr_el1', k(3, 0, 4, 6, 0)],
  ['icc_iar0_el1', k(3, 0, 12, 8, 0)],
  ['icc_eoir0_el1', k(3, 0, 12, 8, 1)],
  ['icc_hppir0_el1', k(3, 0, 12, 8, 2)],
  ['icc_bpr0_el1', k(3, 0, 12, 8, 3)],
  ['icc_ap0r0_el1', k(3, 0, 12, 8, 4)],
  ['icc_ap0r1_el1', k(3, 0, 12, 8, 5)],
  ['icc_ap0r2_el1', k(3, 0, 12, 8, 6)],
  ['icc_ap0r3_el1', k(3, 0, 12, 8, 7)],
  ['icc_ap1r0_el1', k(3, 0, 12, 9, 0)],
  ['icc_ap1r1_el1', k(3, 0, 12, 9, 1)],
  ['icc_ap1r2_el1', k(3, 0, 12, 9, 2)],
  ['icc_ap1r3_el1', k(3, 0, 12, 9, 3)],
  ['icc_dir_el1', k(3, 0, 12, 11, 1)],
  ['icc_rpr_el1', k(3, 0, 12, 11, 3)],
  ['icc_sgi1r_el1', k(3, 0, 12, 11, 5)],
  ['icc_asgi1r_el1', k(3, 0, 12, 11, 6)],
  ['icc_sgi0r_el1', k(3, 0, 12, 11, 7)],
  ['icc_iar1_el1', k(3, 0, 12, 12, 0)],
  ['icc_eoir1_el1', k(3, 0, 12, 12, 1)],
  ['icc_hppir1_el1', k(3, 0, 12, 12, 2)],
  ['icc_bpr1_el1', k(3, 0, 12, 12, 3)],
  ['icc_ctlr_el1', k(3, 0, 12, 12, 4)],
  ['icc_sre_el1', k(3, 0, 12, 12, 5)],
  ['icc_igrpen0_el1', k(3, 0, 12, 12, 6)],
  ['icc_igrpen1_el1', k(3, 0, 12, 12, 7)],
]);

/**
 * The ESR_EL2 ISS of a trapped MSR/MRS (EC 0x18): Op0[21:20], Op2[19:17], Op1[16:14],
 * CRn[13:10], Rt[9:5], CRm[4:1], Direction[0] (1 = MRS, a read).
 * @param key - {@link sysRegKey} value of the register.
 * @param rt - the general register (31 = XZR).
 * @param read - true for MRS.
 * @returns the ISS (25 bits).
 */
export function sysRegTrapIss(key: number, rt: number, read: boolean): number {
  const op0 = key >>> 14,
    op1 = (key >>> 11) & 7,
    crn = (key >>> 7) & 15,
    crm = (key >>> 3) & 15,
    op2 = key & 7;
  return (
    (op0 << 20) | (op2 << 17) | (op1 << 14) | (crn << 10) | (rt << 5) | (crm << 1) | (read ? 1 : 0)
  );
}

/** The known system registers, by key. */
export const SYS_REGS: ReadonlyMap<number, SysRegInfo> = new Map(
  [...TABLE, ...ID_SPACE_RAZ].map(([name, key, minEl, reset, readOnly, affectsTranslation]) => [
    key,
    {
      name,
      key,
      minEl,
      reset,
      readOnly: readOnly ?? false,
      affectsTranslation: affectsTranslation ?? false,
    },
  ]),
);

/** Keys of system registers by name (the GICv3 CPU interface registers included). */
export const SYS_REG_BY_NAME: ReadonlyMap<string, number> = new Map([
  ...TABLE.map(([name, key]): [string, number] => [name, key]),
  ...GICV3_CPU_INTERFACE_REGS,
]);

const GICV3_NAME_BY_KEY: ReadonlyMap<number, string> = new Map(
  [...GICV3_CPU_INTERFACE_REGS].map(([name, key]) => [key, name]),
);

/**
 * The name GNU objdump prints for a system register key: the table name, or the generic
 * `s<op0>_<op1>_c<n>_c<m>_<op2>` form.
 * @param key - a {@link sysRegKey} value.
 * @returns the name.
 */
export function sysRegName(key: number): string {
  const info = SYS_REGS.get(key);
  if (info) return info.name;
  const gic = GICV3_NAME_BY_KEY.get(key);
  if (gic !== undefined) return gic;
  return `s${key >>> 14}_${(key >>> 11) & 7}_c${(key >>> 7) & 15}_c${(key >>> 3) & 15}_${key & 7}`;
}

/**
 * System registers the CPU keeps as 32-bit halves in a typed array instead of its map of
 * bigints (exception state, vector bases, thread pointers): plain storage with no side effect
 * on write, so exception entry and return, and MRS/MSR of them in compiled blocks, need no
 * BigInt. Value: the index of the low half in `Cpu.sysF` (the high half follows).
 * @internal
 */
export const FAST_SYS_SLOT: ReadonlyMap<number, number> = new Map(
  [
    'elr_el1',
    'elr_el2',
    'spsr_el1',
    'spsr_el2',
    'esr_el1',
    'esr_el2',
    'far_el1',
    'far_el2',
    'hpfar_el2',
    'vbar_el1',
    'vbar_el2',
    'tpidr_el0',
    'tpidr_el1',
    'tpidr_el2',
    'tpidrro_el0',
  ].map((name, i): [number, number] => [TABLE.find((e) => e[0] === name)![1], 2 * i]),
);

/**
 * MSR to these registers changes neither control flow, translation nor interrupt state, so
 * it does not end a decoded block (the fast registers and the banked SP_EL0/SP_EL1).
 * @internal
 */
export const MSR_CONTINUES: ReadonlySet<number> = new Set([
  ...FAST_SYS_SLOT.keys(),
  k(3, 0, 4, 1, 0),
  k(3, 4, 4, 1, 0),
]);
