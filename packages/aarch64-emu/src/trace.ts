// SPDX-License-Identifier: MIT
// Register dumps in the format of `qemu-aarch64 -singlestep -d cpu,nochain` (QEMU 7.2), so
// traces can be compared line by line.

import type { Cpu } from './cpu.js';

const h16 = (v: bigint): string => v.toString(16).padStart(16, '0');

/**
 * Formats the CPU state the way QEMU's `-d cpu` log prints it before each instruction
 * (PC, X0-X30, SP, PSTATE with flags and mode), ending with a newline.
 * @param cpu - the CPU.
 * @returns the text block (12 lines).
 */
export function formatCpuState(cpu: Cpu): string {
  let out = ` PC=${h16(cpu.pc)} `;
  for (let i = 0; i < 31; i++) {
    out += `X${String(i).padStart(2, '0')}=${h16(cpu.getX(i))}`;
    out += i % 3 === 1 ? '\n' : ' ';
  }
  out += ` SP=${h16(cpu.sp)}\n`;
  const p = cpu.getPstate();
  const flags =
    (p & 0x80000000 ? 'N' : '-') +
    (p & 0x40000000 ? 'Z' : '-') +
    (p & 0x20000000 ? 'C' : '-') +
    (p & 0x10000000 ? 'V' : '-');
  out += `PSTATE=${p.toString(16).padStart(8, '0')} ${flags} EL${cpu.el}${cpu.spsel ? 'h' : 't'}  SVCR=00000000 --  BTYPE=0\n`;
  return out;
}

/**
 * Formats the CPU state the way `qemu-aarch64 -cpu cortex-a57 -d cpu,fpu` prints it before
 * each instruction: as {@link formatCpuState} with the Cortex-A57's PSTATE line (no SVCR and
 * BTYPE) followed by FPCR, FPSR and the FP/SIMD registers Q0-Q31 (`Qnn=high:low`, two per
 * line).
 * @param cpu - the CPU.
 * @returns the text block (28 lines).
 */
export function formatCpuStateFp(cpu: Cpu): string {
  const base = formatCpuState(cpu);
  const cut = base.indexOf('  SVCR=');
  const h8 = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');
  let out = base.slice(0, cut) + `     FPCR=${h8(cpu.fpcr)} FPSR=${h8(cpu.fpsr)}\n`;
  for (let i = 0; i < 32; i++) {
    const v = cpu.getV(i);
    out += `Q${String(i).padStart(2, '0')}=${h16(v >> 64n)}:${h16(v & 0xffffffffffffffffn)}`;
    out += i % 2 === 1 ? '\n' : ' ';
  }
  return out;
}
