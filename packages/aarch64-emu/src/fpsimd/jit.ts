// SPDX-License-Identifier: MIT
// Inline JavaScript for the most frequent FP/SIMD instructions in compiled blocks (internal):
// LDR/STR of S, D and Q registers (unsigned offset), LDP/STP of D and Q registers (offset,
// pre- and post-index) and the vector register move (ORR Vd, Vn, Vn). The code runs in the
// JIT's block function (`cpu`, `R`, `T` in scope) after the FP access check; memory goes
// through the CPU's ld64/st64/ld32/st32 helpers, whose FAULT the block function hands to the
// CPU with the instruction index already set. Every other FP/SIMD instruction is a call into
// the executor (see jit.ts).

const TWO32 = '4294967296';

/** `const al, ah` = R[rn] + off (64-bit, off a non-negative or signed int32). */
function addr(rn: number, off: number): string {
  const s = rn * 2;
  return `const l = (R[${s}] >>> 0) + ${off}; const al = l | 0, ah = (R[${s + 1}] + (l >= ${TWO32} ? 1 : l < 0 ? -1 : 0)) | 0;`;
}

/** Statements moving `bytes` (4, 8, 16) between memory at (a, b) and V[t]. */
function move(load: boolean, bytes: number, t: number, a: string, b: string): string {
  const v = t * 4;
  if (bytes === 4)
    return load
      ? `V[${v}] = cpu.ld32(${a}, ${b}); V[${v + 1}] = 0; V[${v + 2}] = 0; V[${v + 3}] = 0;`
      : `cpu.st32(${a}, ${b}, V[${v}]);`;
  if (bytes === 8)
    return load
      ? `cpu.ld64(${a}, ${b}); V[${v}] = T[0]; V[${v + 1}] = T[1]; V[${v + 2}] = 0; V[${v + 3}] = 0;`
      : `cpu.st64(${a}, ${b}, V[${v}], V[${v + 1}]);`;
  const second = `{ const m = (${a} >>> 0) + 8; const bl = m | 0, bh = (${b} + (m >= ${TWO32} ? 1 : 0)) | 0;`;
  if (load)
    return `cpu.ld64(${a}, ${b}); { const x0 = T[0], x1 = T[1]; ${second} cpu.ld64(bl, bh); } V[${v}] = x0; V[${v + 1}] = x1; V[${v + 2}] = T[0]; V[${v + 3}] = T[1]; }`;
  return `cpu.st64(${a}, ${b}, V[${v}], V[${v + 1}]); ${second} cpu.st64(bl, bh, V[${v + 2}], V[${v + 3}]); }`;
}

/**
 * Inline code for an FP/SIMD word, or undefined when it is not one of the inlined forms.
 * @param w - the instruction word.
 * @param fallback - statement handing this instruction to the interpreter (when FP traps).
 * @returns the JavaScript statement.
 * @internal
 */
export function simdInline(w: number, fallback: string): string | undefined {
  const rt = w & 31,
    rn = (w >>> 5) & 31;
  let body: string | undefined;
  if (((w >>> 24) & 0x3f) === 0x3d) {
    // LDR/STR (SIMD&FP, unsigned offset)
    const size = w >>> 30,
      opc = (w >>> 22) & 3;
    let bytes = 0,
      load = false;
    if (size === 0 && opc >= 2) {
      bytes = 16;
      load = opc === 3;
    } else if ((size === 2 || size === 3) && opc < 2) {
      bytes = size === 2 ? 4 : 8;
      load = opc === 1;
    }
    if (bytes === 0) return undefined;
    const off = ((w >>> 10) & 0xfff) * bytes;
    body = `${addr(rn, off)} ${move(load, bytes, rt, 'al', 'ah')}`;
  } else if (((w >>> 25) & 0x1f) === 0b10110) {
    // LDP/STP (SIMD&FP): bits [29:25] = 101 1 0
    const opc = w >>> 30,
      mode = (w >>> 23) & 3,
      load = ((w >>> 22) & 1) === 1,
      rt2 = (w >>> 10) & 31;
    if ((opc !== 1 && opc !== 2) || mode === 0 || (load && rt === rt2)) return undefined;
    const bytes = opc === 1 ? 8 : 16;
    const imm = ((w << 10) >> 25) * bytes;
    const s = rn * 2;
    body = addr(rn, mode === 1 ? 0 : imm);
    body += ` ${move(load, bytes, load ? 32 : rt, 'al', 'ah')}`;
    body += ` { const n = (al >>> 0) + ${bytes}; const cl = n | 0, ch = (ah + (n >= ${TWO32} ? 1 : 0)) | 0; ${move(load, bytes, load ? 33 : rt2, 'cl', 'ch')} }`;
    if (load)
      body += ` for (let k = 0; k < 4; k++) { V[${rt * 4} + k] = V[128 + k]; V[${rt2 * 4} + k] = V[132 + k]; }`;
    if (mode === 3) body += ` R[${s}] = al; R[${s + 1}] = ah;`;
    else if (mode === 1)
      body += ` { const p = (al >>> 0) + ${imm}; R[${s}] = p | 0; R[${s + 1}] = (ah + (p >= ${TWO32} ? 1 : p < 0 ? -1 : 0)) | 0; }`;
  } else if ((w & 0xbfe0fc00) === 0x0ea01c00 && ((w >>> 16) & 31) === rn) {
    // ORR Vd, Vn, Vn (MOV)
    const q = (w >>> 30) & 1,
      d = rt * 4,
      n = rn * 4;
    body = `V[${d}] = V[${n}]; V[${d + 1}] = V[${n + 1}]; V[${d + 2}] = ${q ? `V[${n + 2}]` : '0'}; V[${d + 3}] = ${q ? `V[${n + 3}]` : '0'};`;
  }
  if (body === undefined) return undefined;
  return `if (cpu.fpTrapEl() !== 0) { ${fallback} } else { const V = cpu.V; ${body} }`;
}
