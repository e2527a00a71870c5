// SPDX-License-Identifier: MIT
// The interpreter's fast path for loops: the basic blocks inside a program's loops translated
// once into JavaScript functions (`new Function`), registers in local variables, the budget
// checked once per block. The switch interpreter in interpreter.ts drives every run: it enters
// a compiled region when it reaches one of its blocks, and the region returns to it when
// control leaves the loop, when the budget runs out inside a block (the switch then names the
// exact instruction) and for an instruction this compiler does not translate. Semantics, errors
// and budget accounting are the switch's. Where code generation is refused (a CSP, Node's
// --disallow-code-generation-from-strings) everything runs on the switch.
//
// Only loops are compiled: straight-line code runs once per run, and a large generated function
// takes V8 long to optimise (tens of ms per region on a loaded machine) while its unoptimised
// form runs several times slower than the switch, which is one function already hot for every
// program.

import type { InterpreterState } from './interpreter.js';
import { atomic, callHelper, enterLocalCall, leaveLocalCall } from './interpreter.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, OP } from './opcodes.js';
import { bswap32, divMod32, divMod64, mulHigh32 } from './u64.js';

/**
 * A compiled region: runs blocks from `pc` (one of its block starts) with the registers in
 * `state.regs` and returns the pc where the switch continues, with `ctl` updated (`skip`: the
 * switch must run that instruction itself before entering a region again), or -1 when the run
 * ended (`ctl.count` is its instruction count).
 */
export type RegionFn = (state: InterpreterState, pc: number, ctl: RegionControl) => number;

/** What a region and the switch hand each other. */
export interface RegionControl {
  depth: number;
  count: number;
  skip: boolean;
}

/** A program's compiled loops. */
export interface CompiledLoops {
  /** Per instruction: the region whose block starts there, or -1. */
  entry: Int32Array;
  /** The region functions. */
  regions: RegionFn[];
}

/**
 * Switches and counters of the block compiler (tests turn it off to run the switch alone).
 * @internal
 */
export const blockCompiler = {
  /** Whether the interpreter compiles loops. */
  enabled: true,
  /** Programs compiled so far in this process. */
  compiled: 0,
  /** Set once code generation was refused: every later run uses the switch alone. */
  refused: false,
  /** Programs longer than this many slots are not compiled. */
  maxSlots: 16_384,
};

/** Compiled loops by the VM's packed code (one per VM; callbacks share their VM's); null: none. */
const cache = new WeakMap<Int32Array, CompiledLoops | null>();

/**
 * The compiled loops of a run state's program, compiling them on first use.
 * @param state - the run state.
 * @returns the loops, or undefined when the program has none, is too long, or code generation
 * is not available.
 * @internal
 */
export function compiledLoops(state: InterpreterState): CompiledLoops | undefined {
  if (!blockCompiler.enabled) return undefined;
  let loops = cache.get(state.code);
  if (loops === undefined) {
    loops =
      blockCompiler.refused || state.code.length > blockCompiler.maxSlots
        ? null
        : compileProgram(state);
    cache.set(state.code, loops);
  }
  return loops ?? undefined;
}

const TWO_32 = 4294967296;

/** Length in slots of the instruction at `pc` (`lddw` takes two). */
function width(op: number): number {
  return op === OP.LDDW ? 2 : 1;
}

function isJump(op: number): boolean {
  const cls = op & 7;
  return cls === 0x05 || cls === 0x06;
}

/** Opcodes this compiler translates (everything the switch knows; others hand over to it). */
const KNOWN = new Set<number>([
  0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x97, 0x9f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f,
  0x77, 0x7f, 0xc7, 0xcf, 0x87, 0xa7, 0xaf, 0xb7, 0xbf, 0xd7, 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c,
  0x34, 0x3c, 0x94, 0x9c, 0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0xc4, 0xcc, 0x84, 0xa4,
  0xac, 0xb4, 0xbc, 0xd4, 0xdc, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a,
  0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x18, 0x05, 0x15, 0x1d, 0x55, 0x5d, 0x45, 0x4d, 0x25, 0x2d,
  0x35, 0x3d, 0xa5, 0xad, 0xb5, 0xbd, 0x65, 0x6d, 0x75, 0x7d, 0xc5, 0xcd, 0xd5, 0xdd, 0x06, 0x16,
  0x1e, 0x56, 0x5e, 0x46, 0x4e, 0x26, 0x2e, 0x36, 0x3e, 0xa6, 0xae, 0xb6, 0xbe, 0x66, 0x6e, 0x76,
  0x7e, 0xc6, 0xce, 0xd6, 0xde, 0x85, 0x8d, 0x95,
]);

/**
 * Generated source of one region is kept under this many characters: V8 optimises no function
 * whose bytecode passes 60 KiB, and an unoptimised region runs slower than the switch.
 */
const REGION_CHARS = 20_000;
/**
 * Longest loop compiled (slots): a longer body runs few iterations per region call, and its
 * regions take V8 long to optimise (measured: a 16,000-instruction loop ran at 13 M insn/s).
 */
const MAX_LOOP = 4096;
/** Longest block: longer straight-line code is split (each part checks the budget). */
const MAX_BLOCK = 64;

/**
 * Translates the program into functions of consecutive blocks (regions): in each, a `switch`
 * over block starts inside a loop, each block checking the budget once for all its instructions
 * and falling through to the next. Jumps within a region stay in its loop; others return to a
 * small dispatcher.
 * @param state - the run state (its packed code, resolved immediates and program).
 * @returns the runner, or null when `new Function` is refused.
 */
function compileProgram(state: InterpreterState): CompiledLoops | null {
  const generated = generate(state);
  if (generated === undefined) return null;
  let factory: (deps: unknown) => RegionFn[];
  try {
    factory = new Function('deps', generated.source) as (deps: unknown) => RegionFn[];
  } catch {
    blockCompiler.refused = true;
    return null;
  }
  blockCompiler.compiled++;
  const regions = factory({
    atomic,
    callHelper,
    enterLocalCall,
    leaveLocalCall,
    bswap32,
    divMod32,
    divMod64,
    mulHigh32,
  });
  return { entry: generated.entry, regions };
}

/**
 * The generated source (a function body taking `deps` and returning the region functions) and,
 * per instruction, the region whose block starts there (-1: not a compiled block start).
 * @param state - the run state.
 * @returns JavaScript source and the entry table, or undefined when the program has no loop.
 * @internal
 */
export function generate(
  state: InterpreterState,
): { source: string; entry: Int32Array } | undefined {
  const prog = state.program;
  const code = state.code;
  const IMM = state.imm;
  const IMM2 = state.imm2;
  const length = code.length;

  // Block starts: 0, jump and call targets, callback entries, whatever follows a jump, a call
  // or an exit, and any instruction this compiler hands over to the switch.
  const leader = new Uint8Array(length + 1);
  leader[0] = 1;
  const used = new Set<number>([0, 1, 2, 3, 4, 5, 10]);
  for (let pc = 0; pc < length; pc += width(code[pc]! & 0xff)) {
    const w = code[pc]!;
    const op = w & 0xff;
    used.add((w >> 8) & 0xf);
    used.add((w >> 12) & 0xf);
    if (!KNOWN.has(op)) {
      leader[pc] = 1;
      if (pc + 1 <= length) leader[pc + 1] = 1;
      continue;
    }
    if (op === OP.LDDW && prog.src[pc] === BPF_PSEUDO_FUNC) {
      const target = IMM[pc]!;
      if (target >= 0 && target < length) leader[target] = 1;
    }
    if (!isJump(op)) continue;
    leader[pc + 1] = 1;
    if (op === 0x85) {
      if (((w >> 12) & 0xf) === BPF_PSEUDO_CALL) {
        const target = pc + IMM[pc]! + 1;
        if (target >= 0 && target <= length) leader[target] = 1;
      }
    } else if (op !== 0x8d && op !== 0x95) {
      const target = pc + (op === 0x06 ? IMM[pc]! : w >> 16) + 1;
      if (target >= 0 && target <= length) leader[target] = 1;
    }
  }
  // split long straight-line runs
  for (let pc = 0, run = 0; pc < length; pc += width(code[pc]! & 0xff)) {
    if (leader[pc] === 1 || run >= MAX_BLOCK) {
      leader[pc] = 1;
      run = 0;
    }
    run++;
  }
  // blocks inside loops: from a backward jump's target to the jump
  const hot = new Uint8Array(length + 1);
  let loops = 0;
  for (let pc = 0; pc < length; pc += width(code[pc]! & 0xff)) {
    const w = code[pc]!;
    const op = w & 0xff;
    if (!isJump(op) || op === 0x85 || op === 0x8d || op === 0x95 || !KNOWN.has(op)) continue;
    const target = pc + (op === 0x06 ? IMM[pc]! : w >> 16) + 1;
    if (target < 0 || target > pc || pc - target >= MAX_LOOP) continue;
    loops++;
    hot.fill(1, target, pc + 1);
  }
  if (loops === 0) return undefined;
  const regs = [...used].filter((r) => r <= 10).sort((a, b) => a - b);
  const load = regs.map((r) => `l${r} = R[${2 * r}]; h${r} = R[${2 * r + 1}];`).join(' ');
  // registers back to R: one shared function keeps the many fault paths short
  const spillParams = regs.map((r) => `l${r}, h${r}`).join(', ');
  const spillFn = `function spill(R, ${spillParams}) { ${regs.map((r) => `R[${2 * r}] = l${r}; R[${2 * r + 1}] = h${r};`).join(' ')} }`;
  const spill = `spill(R, ${spillParams});`;
  const handover = (pc: number): string =>
    `{ ${spill} ctl.depth = depth; ctl.count = count; ctl.skip = true; return ${pc}; }`;

  // blocks, in order
  const blocks: { start: number; code: string; next: number; fallsThrough: boolean }[] = [];
  let pc = 0;
  while (pc < length) {
    // one block: from this leader to the next leader or a jump
    const start = pc;
    const w0 = code[pc]!;
    if (!KNOWN.has(w0 & 0xff) || hot[pc] === 0) {
      pc += KNOWN.has(w0 & 0xff) ? width(w0 & 0xff) : 1;
      continue;
    }
    const body: string[] = [];
    let n = 0;
    let fallsThrough = true;
    for (;;) {
      const w = code[pc]!;
      const op = w & 0xff;
      n++;
      const r = translate(pc, w, IMM[pc]!, IMM2[pc]!, spill, load, handover);
      body.push(r.code);
      fallsThrough = r.fallsThrough;
      pc += width(op);
      if (isJump(op) || pc >= length || leader[pc] === 1) break;
    }
    blocks.push({
      start,
      code: `case ${start}: if (count + ${n} > budget) ${handover(start)} count += ${n};\n${body.join('\n')}`,
      next: pc,
      fallsThrough,
    });
  }

  const entry = new Int32Array(length).fill(-1);
  const regions: string[] = [];
  for (let i = 0; i < blocks.length; ) {
    const out: string[] = [];
    out.push(`function region${regions.length}(state, pc, ctl) {`);
    out.push(
      'const R = state.regs; const mem = state.memory; const frames = state.frames; const budget = state.maxInstructions;',
    );
    out.push(
      'let view = mem.view; let t = 0, u = 0, a = 0; let depth = ctl.depth, count = ctl.count;',
    );
    out.push(`let ${regs.map((r) => `l${r} = R[${2 * r}], h${r} = R[${2 * r + 1}]`).join(', ')};`);
    out.push('for (;;) { switch (pc) {');
    let size = 0;
    let block = blocks[i]!;
    for (;;) {
      entry[block.start] = regions.length;
      out.push(block.code);
      size += block.code.length;
      i++;
      if (
        i >= blocks.length ||
        blocks[i]!.start !== block.next ||
        size + blocks[i]!.code.length > REGION_CHARS
      )
        break;
      block = blocks[i]!;
    }
    // the last block may fall through into the next region (or off the end)
    if (block.fallsThrough) out.push(`pc = ${block.next};`);
    out.push(
      `default: { ${spill} ctl.depth = depth; ctl.count = count; ctl.skip = false; return pc; }`,
    );
    out.push('} } }');
    regions.push(out.join('\n'));
  }
  const source = [
    'const { atomic, callHelper, enterLocalCall, leaveLocalCall, bswap32, divMod32, divMod64, mulHigh32 } = deps;',
    spillFn,
    ...regions,
    `return [${regions.map((_, i) => `region${i}`).join(', ')}];`,
  ].join('\n');
  return { source, entry };
}

interface Translated {
  code: string;
  fallsThrough: boolean;
}

/**
 * One instruction as JavaScript on the register locals `lN`/`hN` (low/high halves, int32).
 */
function translate(
  pc: number,
  w: number,
  imm: number,
  imm2: number,
  spill: string,
  load: string,
  handover: (pc: number) => string,
): Translated {
  const op = w & 0xff;
  const d = (w >> 8) & 0xf;
  const s = (w >> 12) & 0xf;
  const off = w >> 16;
  const ld = `l${d}`;
  const hd = `h${d}`;
  const ls = `l${s}`;
  const hs = `h${s}`;
  const ih = imm >> 31; // the immediate's sign-extended high half
  const iu = imm >>> 0;
  const reg = (op & 0x08) !== 0;
  const bl = reg ? ls : String(imm);
  const bh = reg ? hs : String(ih);
  const ok = (code: string): Translated => ({ code, fallsThrough: true });
  const jump = (cond: string, target: number): Translated => ({
    code: `if (${cond}) { pc = ${target}; continue; }`,
    fallsThrough: true,
  });
  const target = pc + off + 1;

  // Address of [base + off] into (u, t), then its byte offset into a or a fault.
  const address = (base: number, size: number, write: boolean): string => {
    let c = `t = (l${base} >>> 0) + ${off}; u = h${base};`;
    if (off < 0) c += ` if (t < 0) { t += ${TWO_32}; u = (u - 1) | 0; }`;
    if (off > 0) c += ` if (t >= ${TWO_32}) { t -= ${TWO_32}; u = (u + 1) | 0; }`;
    c += ` a = mem.offsetOf(u, t, ${size}, ${write}); if (a < 0) { ${spill} throw mem.accessError(u, t, ${size}, '${write ? 'store' : 'load'}', ${pc}); }`;
    return c;
  };
  const shift64 = (
    kind: 'lsh' | 'rsh' | 'arsh',
    n: string,
    constant: number | undefined,
  ): string => {
    const big =
      kind === 'lsh'
        ? `${hd} = ${ld} << (${n} - 32); ${ld} = 0;`
        : kind === 'rsh'
          ? `${ld} = (${hd} >>> (${n} - 32)) | 0; ${hd} = 0;`
          : `${ld} = ${hd} >> (${n} - 32); ${hd} = ${hd} >> 31;`;
    const small =
      kind === 'lsh'
        ? `${hd} = (${hd} << ${n}) | (${ld} >>> (32 - ${n})); ${ld} = ${ld} << ${n};`
        : kind === 'rsh'
          ? `${ld} = (${ld} >>> ${n}) | (${hd} << (32 - ${n})); ${hd} = (${hd} >>> ${n}) | 0;`
          : `${ld} = (${ld} >>> ${n}) | (${hd} << (32 - ${n})); ${hd} = ${hd} >> ${n};`;
    if (constant !== undefined) return constant >= 32 ? big : constant !== 0 ? small : '';
    return `u = ${n}; if (u >= 32) { ${big.replaceAll(n, 'u')} } else if (u !== 0) { ${small.replaceAll(n, 'u')} }`;
  };
  const bswap = (width: number): string =>
    width === 16
      ? `${ld} = ((${ld} & 0xff) << 8) | ((${ld} >>> 8) & 0xff); ${hd} = 0;`
      : width === 32
        ? `${ld} = bswap32(${ld}) | 0; ${hd} = 0;`
        : `t = ${ld}; ${ld} = bswap32(${hd}) | 0; ${hd} = bswap32(t) | 0;`;
  // 64-bit unsigned / signed compare of (hd, ld) with (bh, bl): strict compare of the high
  // halves when they differ, the low halves (unsigned) when equal.
  const cmp64 = (rel: '>' | '>=' | '<' | '<=', signed: boolean): string => {
    const strict = rel[0]!;
    const ah = signed ? hd : `(${hd} >>> 0)`;
    const bhx = signed ? bh : reg ? `(${hs} >>> 0)` : String(ih >>> 0);
    const blx = reg ? `(${ls} >>> 0)` : String(iu);
    return `${ah} !== ${bhx} ? ${ah} ${strict} ${bhx} : (${ld} >>> 0) ${rel} ${blx}`;
  };
  const zx = `${hd} = 0;`;

  switch (op) {
    // ALU64
    case 0x07:
      return ok(
        `t = (${ld} + ${imm}) | 0; ${hd} = (${hd} + ${ih} + ((t >>> 0) < (${ld} >>> 0) ? 1 : 0)) | 0; ${ld} = t;`,
      );
    case 0x0f:
      return ok(
        `t = (${ld} + ${ls}) | 0; ${hd} = (${hd} + ${hs} + ((t >>> 0) < (${ld} >>> 0) ? 1 : 0)) | 0; ${ld} = t;`,
      );
    case 0x17:
      return ok(
        `${hd} = (${hd} - ${ih} - ((${ld} >>> 0) < ${iu} ? 1 : 0)) | 0; ${ld} = (${ld} - ${imm}) | 0;`,
      );
    case 0x1f:
      return ok(
        `${hd} = (${hd} - ${hs} - ((${ld} >>> 0) < (${ls} >>> 0) ? 1 : 0)) | 0; ${ld} = (${ld} - ${ls}) | 0;`,
      );
    case 0x27:
      return ok(
        `t = ${ld}; ${hd} = (mulHigh32(t, ${imm}) + Math.imul(t, ${ih}) + Math.imul(${hd}, ${imm})) | 0; ${ld} = Math.imul(t, ${imm});`,
      );
    case 0x2f:
      return ok(
        `t = ${ld}; u = ${ls}; ${hd} = (mulHigh32(t, u) + Math.imul(t, ${hs}) + Math.imul(${hd}, u)) | 0; ${ld} = Math.imul(t, u);`,
      );
    case 0x37:
    case 0x97:
    case 0x3f:
    case 0x9f:
      return ok(
        `R[${2 * d}] = ${ld}; R[${2 * d + 1}] = ${hd}; divMod64(R, ${2 * d}, ${bl}, ${bh}, ${off === 1}, ${(op & 0xf0) === 0x90}); ${ld} = R[${2 * d}]; ${hd} = R[${2 * d + 1}];`,
      );
    case 0x47:
    case 0x4f:
      return ok(`${ld} = ${ld} | ${bl}; ${hd} = ${hd} | ${bh};`);
    case 0x57:
    case 0x5f:
      return ok(`${ld} = ${ld} & ${bl}; ${hd} = ${hd} & ${bh};`);
    case 0xa7:
    case 0xaf:
      return ok(`${ld} = ${ld} ^ ${bl}; ${hd} = ${hd} ^ ${bh};`);
    case 0x67:
      return ok(shift64('lsh', String(imm & 63), imm & 63));
    case 0x6f:
      return ok(shift64('lsh', `(${ls} & 63)`, undefined));
    case 0x77:
      return ok(shift64('rsh', String(imm & 63), imm & 63));
    case 0x7f:
      return ok(shift64('rsh', `(${ls} & 63)`, undefined));
    case 0xc7:
      return ok(shift64('arsh', String(imm & 63), imm & 63));
    case 0xcf:
      return ok(shift64('arsh', `(${ls} & 63)`, undefined));
    case 0x87:
      return ok(`t = ${ld}; ${ld} = (-t) | 0; ${hd} = (~${hd} + (t === 0 ? 1 : 0)) | 0;`);
    case 0xb7:
      return ok(`${ld} = ${imm}; ${hd} = ${ih};`);
    case 0xbf:
      if (off === 0) return ok(`${ld} = ${ls}; ${hd} = ${hs};`);
      if (off === 32) return ok(`t = ${ls}; ${ld} = t; ${hd} = t >> 31;`);
      return ok(
        `t = (${ls} << ${off === 8 ? 24 : 16}) >> ${off === 8 ? 24 : 16}; ${ld} = t; ${hd} = t >> 31;`,
      );
    case 0xd7:
      return ok(bswap(imm === 16 ? 16 : imm === 32 ? 32 : 64));

    // ALU32
    case 0x04:
    case 0x0c:
      return ok(`${ld} = (${ld} + ${bl}) | 0; ${zx}`);
    case 0x14:
    case 0x1c:
      return ok(`${ld} = (${ld} - ${bl}) | 0; ${zx}`);
    case 0x24:
    case 0x2c:
      return ok(`${ld} = Math.imul(${ld}, ${bl}); ${zx}`);
    case 0x34:
    case 0x94:
    case 0x3c:
    case 0x9c:
      return ok(`${ld} = divMod32(${ld}, ${bl}, ${off === 1}, ${(op & 0xf0) === 0x90}) | 0; ${zx}`);
    case 0x44:
    case 0x4c:
      return ok(`${ld} = ${ld} | ${bl}; ${zx}`);
    case 0x54:
    case 0x5c:
      return ok(`${ld} = ${ld} & ${bl}; ${zx}`);
    case 0xa4:
    case 0xac:
      return ok(`${ld} = ${ld} ^ ${bl}; ${zx}`);
    case 0x64:
      return ok(`${ld} = ${ld} << ${imm & 31}; ${zx}`);
    case 0x6c:
      return ok(`${ld} = ${ld} << (${ls} & 31); ${zx}`);
    case 0x74:
      return ok(`${ld} = (${ld} >>> ${imm & 31}) | 0; ${zx}`);
    case 0x7c:
      return ok(`${ld} = (${ld} >>> (${ls} & 31)) | 0; ${zx}`);
    case 0xc4:
      return ok(`${ld} = ${ld} >> ${imm & 31}; ${zx}`);
    case 0xcc:
      return ok(`${ld} = ${ld} >> (${ls} & 31); ${zx}`);
    case 0x84:
      return ok(`${ld} = (-${ld}) | 0; ${zx}`);
    case 0xb4:
      return ok(`${ld} = ${imm}; ${zx}`);
    case 0xbc:
      if (off === 0) return ok(`${ld} = ${ls}; ${zx}`);
      return ok(`${ld} = (${ls} << ${off === 8 ? 24 : 16}) >> ${off === 8 ? 24 : 16}; ${zx}`);
    case 0xd4:
      return ok(`${imm === 16 ? `${ld} = ${ld} & 0xffff;` : ''} ${imm !== 64 ? zx : ''}`);
    case 0xdc:
      return ok(bswap(imm === 16 ? 16 : imm === 32 ? 32 : 64));

    // Loads and stores
    case 0x61:
      return ok(`${address(s, 4, false)} ${ld} = view.getInt32(a, true); ${zx}`);
    case 0x69:
      return ok(`${address(s, 2, false)} ${ld} = view.getUint16(a, true); ${zx}`);
    case 0x71:
      return ok(`${address(s, 1, false)} ${ld} = view.getUint8(a); ${zx}`);
    case 0x79:
      return ok(
        `${address(s, 8, false)} ${ld} = view.getInt32(a, true); ${hd} = view.getInt32(a + 4, true);`,
      );
    case 0x81:
      return ok(`${address(s, 4, false)} ${ld} = view.getInt32(a, true); ${hd} = ${ld} >> 31;`);
    case 0x89:
      return ok(`${address(s, 2, false)} ${ld} = view.getInt16(a, true); ${hd} = ${ld} >> 31;`);
    case 0x91:
      return ok(`${address(s, 1, false)} ${ld} = view.getInt8(a); ${hd} = ${ld} >> 31;`);
    case 0x62:
      return ok(`${address(d, 4, true)} view.setInt32(a, ${imm}, true);`);
    case 0x6a:
      return ok(`${address(d, 2, true)} view.setInt16(a, ${imm}, true);`);
    case 0x72:
      return ok(`${address(d, 1, true)} view.setInt8(a, ${imm});`);
    case 0x7a:
      return ok(
        `${address(d, 8, true)} view.setInt32(a, ${imm}, true); view.setInt32(a + 4, ${ih}, true);`,
      );
    case 0x63:
      return ok(`${address(d, 4, true)} view.setInt32(a, ${ls}, true);`);
    case 0x6b:
      return ok(`${address(d, 2, true)} view.setInt16(a, ${ls}, true);`);
    case 0x73:
      return ok(`${address(d, 1, true)} view.setInt8(a, ${ls});`);
    case 0x7b:
      return ok(
        `${address(d, 8, true)} view.setInt32(a, ${ls}, true); view.setInt32(a + 4, ${hs}, true);`,
      );
    case 0xc3:
    case 0xdb:
      return ok(
        `${spill} atomic(mem, R, ${2 * d}, ${2 * s}, ${off}, ${imm}, ${op === 0xdb}, ${pc}); ${load}`,
      );
    case 0x18:
      return ok(`${ld} = ${imm}; ${hd} = ${imm2};`);

    // JMP
    case 0x05:
      return { code: `pc = ${target}; continue;`, fallsThrough: false };
    case 0x15:
    case 0x1d:
      return jump(`${ld} === ${bl} && ${hd} === ${bh}`, target);
    case 0x55:
    case 0x5d:
      return jump(`${ld} !== ${bl} || ${hd} !== ${bh}`, target);
    case 0x45:
    case 0x4d:
      return jump(`(${ld} & ${bl}) !== 0 || (${hd} & ${bh}) !== 0`, target);
    case 0x25:
    case 0x2d:
      return jump(cmp64('>', false), target);
    case 0x35:
    case 0x3d:
      return jump(cmp64('>=', false), target);
    case 0xa5:
    case 0xad:
      return jump(cmp64('<', false), target);
    case 0xb5:
    case 0xbd:
      return jump(cmp64('<=', false), target);
    case 0x65:
    case 0x6d:
      return jump(cmp64('>', true), target);
    case 0x75:
    case 0x7d:
      return jump(cmp64('>=', true), target);
    case 0xc5:
    case 0xcd:
      return jump(cmp64('<', true), target);
    case 0xd5:
    case 0xdd:
      return jump(cmp64('<=', true), target);

    // JMP32
    case 0x06:
      return { code: `pc = ${pc + imm + 1}; continue;`, fallsThrough: false };
    case 0x16:
    case 0x1e:
      return jump(`${ld} === ${bl}`, target);
    case 0x56:
    case 0x5e:
      return jump(`${ld} !== ${bl}`, target);
    case 0x46:
    case 0x4e:
      return jump(`(${ld} & ${bl}) !== 0`, target);
    case 0x26:
    case 0x2e:
      return jump(`(${ld} >>> 0) > (${bl} >>> 0)`, target);
    case 0x36:
    case 0x3e:
      return jump(`(${ld} >>> 0) >= (${bl} >>> 0)`, target);
    case 0xa6:
    case 0xae:
      return jump(`(${ld} >>> 0) < (${bl} >>> 0)`, target);
    case 0xb6:
    case 0xbe:
      return jump(`(${ld} >>> 0) <= (${bl} >>> 0)`, target);
    case 0x66:
    case 0x6e:
      return jump(`${ld} > ${bl}`, target);
    case 0x76:
    case 0x7e:
      return jump(`${ld} >= ${bl}`, target);
    case 0xc6:
    case 0xce:
      return jump(`${ld} < ${bl}`, target);
    case 0xd6:
    case 0xde:
      return jump(`${ld} <= ${bl}`, target);

    // Calls and exit: registers go through R (helpers read r1–r5 there; a fault leaves them
    // there for EbpfVm.register).
    case 0x85:
      if (s === BPF_PSEUDO_CALL) {
        return {
          code: `${spill} enterLocalCall(R, frames, depth, ${pc}); depth++; ${load} pc = ${pc + imm + 1}; continue;`,
          fallsThrough: false,
        };
      }
      return ok(
        `${spill} count = callHelper(state, ${imm}, ${pc}, count); view = mem.view; ${load}`,
      );
    case 0x8d:
      return ok(
        `${spill} count = callHelper(state, ${hd} === 0 ? ${ld} : -1, ${pc}, count); view = mem.view; ${load}`,
      );
    case 0x95:
      return {
        code: `${spill} if (depth === 0) { state.counter.executed = count; ctl.count = count; return -1; } depth--; pc = leaveLocalCall(R, frames, depth) + 1; ${load} continue;`,
        fallsThrough: false,
      };
    default:
      // unreachable: unknown opcodes are blocks of their own that hand over to the switch
      return { code: handover(pc), fallsThrough: false };
  }
}
