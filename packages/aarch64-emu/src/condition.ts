// SPDX-License-Identifier: MIT
// The A64 condition codes (Arm ARM C1.2.4, "Condition code"): EQ/NE, CS/CC, MI/PL, VS/VC,
// HI/LS, GE/LT, GT/LE, AL/NV. Each even code tests a flag expression, the odd code after it
// its negation; AL and NV both always hold.

/**
 * Whether condition `cond` holds for the given flags (each 0 or 1).
 * @param cond - the 4-bit condition.
 * @param n - N flag.
 * @param z - Z flag.
 * @param c - C flag.
 * @param v - V flag.
 * @returns true when the condition holds.
 */
export function conditionHoldsFlags(
  cond: number,
  n: number,
  z: number,
  c: number,
  v: number,
): boolean {
  let r: boolean;
  switch (cond >> 1) {
    case 0:
      r = z === 1;
      break; // EQ / NE
    case 1:
      r = c === 1;
      break; // CS / CC
    case 2:
      r = n === 1;
      break; // MI / PL
    case 3:
      r = v === 1;
      break; // VS / VC
    case 4:
      r = c === 1 && z === 0;
      break; // HI / LS
    case 5:
      r = n === v;
      break; // GE / LT
    case 6:
      r = n === v && z === 0;
      break; // GT / LE
    default:
      return true; // AL / NV
  }
  return (cond & 1) === 1 ? !r : r;
}

/**
 * Whether condition `cond` holds for a PSTATE value.
 * @param cond - the 4-bit condition.
 * @param pstate - PSTATE in SPSR layout (NZCV in bits 31:28).
 * @returns true when the condition holds.
 */
export function conditionHolds(cond: number, pstate: number): boolean {
  return conditionHoldsFlags(
    cond,
    (pstate >>> 31) & 1,
    (pstate >>> 30) & 1,
    (pstate >>> 29) & 1,
    (pstate >>> 28) & 1,
  );
}
