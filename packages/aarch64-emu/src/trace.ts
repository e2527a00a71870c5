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
  const flags = (p & 0x80000000 ? 'N' : '-') + (p & 0x40000000 ? 'Z' : '-') + (p & 0x20000000 ? 'C' : '-') + (p & 0x10000000 ? 'V' : '-');
  out += `PSTATE=${p.toString(16).padStart(8, '0')} ${flags} EL${cpu.el}${cpu.spsel ? 'h' : 't'}  SVCR=00000000 --  BTYPE=0\n`;
  return out;
}
