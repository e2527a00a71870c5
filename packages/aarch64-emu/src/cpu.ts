// SPDX-License-Identifier: MIT
// The AArch64 CPU: register file as 32-bit halves, PSTATE, system registers, the predecoded
// basic-block cache and the executor, exception entry/return. Semantics follow the Arm ARM
// (DDI 0487) pseudocode; QEMU target/arm was used to check corner cases, not copied.

import { conditionHoldsFlags } from './condition.js';
import { decodeInto, TERMINATES } from './decode.js';
import { FAULT, compileRegion } from './jit.js';
import {
  LEAVE_NOW,
  LEAVE_SOON,
  ST_CNT,
  ST_ENTRY,
  ST_FLAGS,
  ST_KEY,
  ST_LV,
  ST_PC,
  ST_POS,
  ST_SCR,
  ST_SLOT,
  ST_STORED,
  ST_TB,
  STATE_BYTES,
  assembleWasmBatch,
  CHAIN_ENTRIES,
  generateWasmRegion,
  helperNames,
  runtimeModule,
  wasmApi,
  type WasmTable,
  type WasmLayout,
  type WasmRegion,
} from './wasm-jit.js';

import { execLse } from './lse.js';
import { CPU_MODELS, type CpuModel } from './cpu-model.js';
import { EmuInputError } from './errors.js';
import type { JitFn } from './jit.js';
import { PhysicalMemory } from './memory.js';
import type { Region } from './memory.js';
import { OP, REGFILE_WORDS, SLOT_SP, STRIDE } from './ops.js';
import { ACC_EXEC, ACC_READ, ACC_WRITE, translate, translateStage1 } from './mmu.js';
import type { TranslationRegs } from './mmu.js';
import { FAST_SYS_SLOT, SYS_REGS, sysRegKey, sysRegTrapIss } from './sysregs.js';
import { crc32Update } from './crc32.js';
import { execSimd, simdImplemented } from './fpsimd/execute.js';
import type { SimdHost } from './fpsimd/execute.js';
import {
  T,
  asr64,
  clz64,
  fromBig,
  lsl64,
  lsr64,
  mul64,
  rbit32,
  rev16x2,
  rev32,
  ror64,
  sdiv32,
  sdiv64,
  shift32,
  shift64,
  smulh64,
  smull32,
  toBig,
  udiv32,
  udiv64,
  umulh64,
  umull32,
} from './u64.js';

/** The WebAssembly tier's trampoline: runs the region in a table slot (wasm-jit.ts). */
type WasmTrampoline = (slot: number, pcLo: number, pcHi: number, budget: number) => number;

/** Exception classes (ESR_ELx.EC) used by the emulator. */
// prettier-ignore
export const EC = {
  UNKNOWN: 0x00, WFX: 0x01, FP_ACCESS: 0x07, SVC64: 0x15, HVC64: 0x16, SMC64: 0x17, SYS64: 0x18,
  IABT_LOW: 0x20, IABT_CUR: 0x21, PC_ALIGN: 0x22, DABT_LOW: 0x24, DABT_CUR: 0x25, SP_ALIGN: 0x26,
  SOFTSTEP_LOW: 0x32, SOFTSTEP_CUR: 0x33, BRK64: 0x3c,
} as const;

/** Why {@link Cpu.run} returned. */
export type StopReason = 'budget' | 'stopped' | 'exception-el2' | 'wfi' | 'host-call';

/** Information about a synchronous exception, given to {@link Cpu.onException}. */
export interface ExceptionInfo {
  /** ESR exception class. */
  ec: number;
  /** ESR instruction-specific syndrome. */
  iss: number;
  /** Preferred return address. */
  returnAddress: bigint;
  /** Faulting address for aborts. */
  far: bigint | undefined;
  /** The EL the exception would be taken to. */
  targetEl: number;
}

interface Block {
  readonly pa: number;
  readonly n: number;
  readonly ops: Int32Array;
  readonly words: Uint32Array;
  valid: boolean;
  /** Translation generation the successor links belong to. */
  linkGen: number;
  /** Successor cache (two entries: last taken and last fall-through targets). */
  s0: Block | undefined;
  s0Lo: number;
  s0Hi: number;
  s1: Block | undefined;
  s1Lo: number;
  s1Hi: number;
  /** Executions so far (until compiled). */
  hits: number;
  /** The compiled block; null when the JIT declined it. */
  fn: JitFn | null | undefined;
  /** The blocks compiled with it (itself first), referred to by the compiled code. */
  members: readonly Block[] | undefined;
}
const TWO32 = 4294967296;
/** Scratch of `Cpu.fetchBlock` for the longest block (1024 instructions). */
const DECODE_OPS = new Int32Array(1024 * STRIDE);
const DECODE_WORDS = new Uint32Array(1024);
/** Results of `Cpu.execCold`: next instruction, block ended, store into decoded code. */
const COLD_NEXT = 0,
  COLD_END = 1,
  COLD_DIRTY = 2;
/**
 * Soft-TLB entries per EL and kind (a power of two, at least 512: TLBI by VA clears the 512 pages
 * of a 2 MiB block). 4096 (16 MiB of 4 KiB pages): the Linux boot's first 400 M instructions
 * took 13 % less time than with 512, 16384 gave nothing more.
 */
const TLB_WAYS = 4096;

const K_NZCV = sysRegKey(3, 3, 4, 2, 0);
const K_DAIF = sysRegKey(3, 3, 4, 2, 1);
const K_CURRENTEL = sysRegKey(3, 0, 4, 2, 2);
const K_SPSEL = sysRegKey(3, 0, 4, 2, 0);
const K_SP_EL0 = sysRegKey(3, 0, 4, 1, 0);
const K_SP_EL1 = sysRegKey(3, 4, 4, 1, 0);
const K_CNTVCT = sysRegKey(3, 3, 14, 0, 2);
const K_CNTPCT = sysRegKey(3, 3, 14, 0, 1);
const K_CNTVOFF = sysRegKey(3, 4, 14, 0, 3);
const K_CNTP_TVAL = sysRegKey(3, 3, 14, 2, 0);
const K_CNTP_CVAL = sysRegKey(3, 3, 14, 2, 2);
const K_CNTV_TVAL = sysRegKey(3, 3, 14, 3, 0);
const K_CNTV_CVAL = sysRegKey(3, 3, 14, 3, 2);
const K_TPIDRRO = sysRegKey(3, 3, 13, 0, 3);
const K_MIDR = sysRegKey(3, 0, 0, 0, 0);
const K_MPIDR = sysRegKey(3, 0, 0, 0, 5);
const K_VPIDR = sysRegKey(3, 4, 0, 0, 0);
const K_VMPIDR = sysRegKey(3, 4, 0, 0, 5);
const K_ISAR0 = sysRegKey(3, 0, 0, 6, 0);
/** ELR, SPSR, ESR, FAR, VBAR keys per EL (index 1 and 2). */
const K_ELR = [0, sysRegKey(3, 0, 4, 0, 1), sysRegKey(3, 4, 4, 0, 1)];
const K_SPSR = [0, sysRegKey(3, 0, 4, 0, 0), sysRegKey(3, 4, 4, 0, 0)];
const K_ESR = [0, sysRegKey(3, 0, 5, 2, 0), sysRegKey(3, 4, 5, 2, 0)];
const K_FAR = [0, sysRegKey(3, 0, 6, 0, 0), sysRegKey(3, 4, 6, 0, 0)];
const K_VBAR = [0, sysRegKey(3, 0, 12, 0, 0), sysRegKey(3, 4, 12, 0, 0)];
const K_HCR = sysRegKey(3, 4, 1, 1, 0);
const K_HPFAR = sysRegKey(3, 4, 6, 0, 4);
const K_PAR = sysRegKey(3, 0, 7, 4, 0);
const K_SCTLR1 = sysRegKey(3, 0, 1, 0, 0);
const K_SCTLR2 = sysRegKey(3, 4, 1, 0, 0);
const K_MDCR = sysRegKey(3, 4, 1, 1, 1);
const K_MDSCR = sysRegKey(2, 0, 0, 2, 2);
const K_CPACR = sysRegKey(3, 0, 1, 0, 2);
const K_CPTR = sysRegKey(3, 4, 1, 1, 2);
const K_FPCR = sysRegKey(3, 3, 4, 4, 0);
const K_FPSR = sysRegKey(3, 3, 4, 4, 1);
/** FPCR bits that hold state (AHP, DN, FZ, RMode, Stride, Len); the trap enables are RAZ/WI. */
const FPCR_MASK = 0x07ff0000;
/** FPSR bits that hold state (QC and the cumulative exception flags). */
const FPSR_MASK = 0x0800009f;
/** ISS of an FP/SIMD access trap from AArch64 (CV = 1, COND = 0xE, as QEMU reports it). */
const FP_TRAP_ISS = 0x1e00000;
const slot = (key: number): number => FAST_SYS_SLOT.get(key)!;
// slots in Cpu.sysF of the exception registers by target EL
const S_ELR = [0, slot(K_ELR[1]!), slot(K_ELR[2]!)];
const S_SPSR = [0, slot(K_SPSR[1]!), slot(K_SPSR[2]!)];
const S_ESR = [0, slot(K_ESR[1]!), slot(K_ESR[2]!)];
const S_FAR = [0, slot(K_FAR[1]!), slot(K_FAR[2]!)];
const S_VBAR = [0, slot(K_VBAR[1]!), slot(K_VBAR[2]!)];
const S_HPFAR = slot(K_HPFAR);
/** Registers whose low half the CPU also keeps as a number (control bits read on hot paths). */
const CACHED = new Set([K_HCR, K_MDSCR, K_MDCR, K_SCTLR1, K_SCTLR2, K_CPACR, K_CPTR]);

/** Options of the {@link Cpu} constructor. */
export interface CpuOptions {
  /** Physical memory. */
  memory: PhysicalMemory;
  /** Highest implemented EL (1 or 2); default 2. */
  highestEl?: number;
  /**
   * The processor presented (MIDR_EL1, ID_AA64ISAR0_EL1, whether LSE atomics execute); default
   * `'default'`. `'cortex-a57'` is QEMU's `-cpu cortex-a57` (no LSE). See {@link CpuModel}.
   */
  model?: CpuModel;
}

/**
 * An AArch64 processing element (EL0 to EL2, AArch64 only).
 *
 * @remarks Registers are kept as int32 halves; use {@link Cpu.getX}/{@link Cpu.setX} with
 * bigints at the API edge. Hot blocks are compiled to JavaScript with `new Function` (see
 * {@link Cpu.jitThreshold}; set `Cpu.defaultJitThreshold = Infinity` where code generation is
 * not allowed). Unfinished: SP alignment checks (see the README).
 *
 * @example
 * ```ts
 * const mem = new PhysicalMemory(); mem.addRam(0x40000000n, 1 << 20);
 * const cpu = new Cpu({ memory: mem }); cpu.pc = 0x40000000n; cpu.run(1000);
 * ```
 */
export class Cpu {
  /** The processor this CPU presents ({@link CpuOptions.model}). */
  readonly model: CpuModel;
  /** FEAT_LSE instructions execute (else they are UNDEFINED). */
  private readonly lse: boolean;
  /** Register file: X0..X30, current SP, zero slot, sink slot; lo at 2i, hi at 2i+1. */
  readonly R = new Int32Array(REGFILE_WORDS);
  /** Banked stack pointers SP_EL0, SP_EL1, SP_EL2 as lo/hi pairs. */
  readonly spBank = new Int32Array(6);
  /** NZCV flags as 0/1 numbers. */
  n = 0;
  z = 0;
  c = 0;
  v = 0;
  /** PSTATE.DAIF as a 4-bit value (D=8, A=4, I=2, F=1). */
  daif = 0xf;
  /** PSTATE.SS and PSTATE.IL. */
  ss = 0;
  il = 0;
  /** Current EL (0..2). */
  el = 2;
  /** PSTATE.SP: 1 uses SP_ELx, 0 uses SP_EL0. */
  spsel = 1;
  /** Program counter halves. */
  pcLo = 0;
  pcHi = 0;
  /** Executed instructions (the faulting ones included). */
  insnCount = 0;
  /**
   * The FP/SIMD register file: V0..V31 as four int32 words each, lanes little-endian (word
   * 4i is bits [31:0] of Vi), followed by two scratch registers of the executor. Use
   * {@link Cpu.getV}/{@link Cpu.setV} at the API edge.
   */
  readonly V = new Int32Array(34 * 4);
  /** Byte view of {@link Cpu.V}. @internal */
  readonly VB = new Uint8Array(this.V.buffer);
  /** Halfword view of {@link Cpu.V}. @internal */
  readonly VH = new Uint16Array(this.V.buffer);
  /** 64-bit view of {@link Cpu.V}. @internal */
  readonly VQ = new BigUint64Array(this.V.buffer);
  /** FPCR (only the implemented bits: AHP, DN, FZ, RMode, Stride, Len). */
  fpcr = 0;
  /** FPSR (QC and the cumulative exception flags IDC, IXC, UFC, OFC, DZC, IOC). */
  fpsr = 0;
  /** The memory. */
  readonly memory: PhysicalMemory;
  /** Highest implemented EL. */
  readonly highestEl: number;
  /**
   * Host hook consulted before a synchronous exception is taken. Returning true means the
   * host handled it (the PC is then the preferred return address unless the hook changed it).
   */
  onException: ((cpu: Cpu, info: ExceptionInfo) => boolean) | undefined;
  /**
   * Firmware hook for SMC with no EL3 (and HVC with no EL2), like QEMU's built-in PSCI.
   * Returning true means handled: execution continues after the instruction.
   */
  onFirmwareCall: ((cpu: Cpu, kind: 'smc' | 'hvc', imm: number) => boolean) | undefined;
  /** Receives exception log lines in the format of `qemu-system-aarch64 -d int`. */
  intLog: ((line: string) => void) | undefined;
  /** Called before every instruction when set (the executor then runs one instruction per block). */
  traceHook: ((cpu: Cpu) => void) | undefined;
  /**
   * With {@link Cpu.traceHook} set: when true, the hook is called before every block instead of
   * every instruction, and blocks run as without a hook (JIT included). For tests comparing
   * states at block boundaries.
   */
  traceBlocks = false;
  /**
   * Default of {@link Cpu.jitThreshold} for CPUs created afterwards (16). Set it to `Infinity`
   * to run everything in the interpreter, or to 0 to compile every block on first use.
   */
  static defaultJitThreshold = 16;

  private static warm = false;

  /**
   * Warms up the interpreter once per process: runs it over 6,000 pseudo-random instructions of
   * the integer, load/store, branch and FP/SIMD groups (fixed seed, each with registers holding
   * RAM addresses or random values, so loads and stores both succeed and fault) on a private
   * CPU with 64 KiB of RAM. V8 then has type feedback for nearly every path of the interpreter
   * before it optimises it; without it, a long guest run keeps reaching paths for the first
   * time, and each one throws the optimised interpreter away until V8 has recompiled it (34
   * times over a Linux boot). Changes no other CPU and no shared state; takes a few tens of
   * milliseconds. Worth it for long runs (the simulated AxVisor calls it for Linux VMs).
   */
  static warmUp(): void {
    if (Cpu.warm) return;
    Cpu.warm = true;
    const ram = 0x4000_0000,
      size = 64 << 10;
    const mem = new PhysicalMemory();
    mem.addRam(BigInt(ram), size);
    const cpu = new Cpu({ memory: mem });
    cpu.jitThreshold = Infinity;
    cpu.maxBlockInsns = 1;
    cpu.setSysReg(sysRegKey(3, 0, 1, 0, 2), 3n << 20n); // CPACR_EL1.FPEN: FP/SIMD allowed
    const tmp = new Int32Array(STRIDE);
    const word = new Uint8Array(4);
    const view = new DataView(word.buffer);
    let x = 0x2545f491;
    const rnd = (): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return x;
    };
    const R = cpu.R;
    for (let n = 0, tries = 0; n < 6000 && tries < 100_000; tries++) {
      const w = rnd() >>> 0;
      decodeInto(w, tmp, 0);
      const op = tmp[0]!;
      // system instructions and exception generation change the private CPU's state: left out
      if (op === OP.UNDEF || op === OP.ERET || (op >= OP.SVC && op <= OP.ISB)) continue;
      const at = ram + ((n * 4) % (size - 4096)) + 2048;
      n++;
      view.setUint32(0, w, true);
      mem.write(BigInt(at), word);
      for (let r = 0; r < 64; r += 2) {
        if ((rnd() & 3) !== 0) {
          R[r] = ram + ((rnd() >>> 0) % (size - 256)) + 64;
          R[r + 1] = 0;
        } else {
          R[r] = rnd();
          R[r + 1] = rnd() & 0x8000ffff;
        }
      }
      cpu.setPstate(0x3c5 | ((rnd() & 15) << 28)); // EL1h, random NZCV
      cpu.pcLo = at;
      cpu.pcHi = 0;
      cpu.run(1);
    }
  }
  /**
   * Executions of a block after which it is compiled to a JavaScript function (the block
   * JIT); `Infinity` keeps every block interpreted.
   */
  jitThreshold = Cpu.defaultJitThreshold;
  /** Number of blocks compiled by the JIT so far (both tiers). */
  jitBlocks = 0;
  /**
   * Default of {@link Cpu.wasmThreshold} for CPUs created afterwards (256).
   */
  static defaultWasmThreshold = 256;
  /**
   * With an arena in the CPU's memory ({@link PhysicalMemory} with `arenaBytes`): executions
   * of a block after which its region is compiled to WebAssembly (the JavaScript JIT is then
   * not used). `jitThreshold = Infinity` turns both tiers off.
   */
  wasmThreshold = Cpu.defaultWasmThreshold;
  /** Number of regions compiled to WebAssembly so far. */
  wasmRegions = 0;
  /**
   * Most WebAssembly regions a CPU keeps (65536): when more are needed (a long run whose code
   * keeps changing), all of them are dropped and blocks compile again as they get hot.
   */
  static wasmSlotLimit = 65536;
  /** Default of {@link Cpu.wasmBatch} for CPUs created afterwards (16). */
  static defaultWasmBatch = 16;
  /**
   * Regions compiled together into one WebAssembly module: a region that reaches
   * {@link Cpu.wasmThreshold} waits until this many are queued or the next {@link Cpu.run}
   * starts (V8's fixed cost per module is several times that of a region's code). 1 compiles
   * each region at once.
   */
  wasmBatch = Cpu.defaultWasmBatch;
  /**
   * Longest decoded block in instructions (1..1024, default 64; other values are clamped, NaN
   * counts as 1). Smaller values only make blocks shorter: a test tracing with
   * {@link Cpu.traceBlocks} then sees more boundaries.
   */
  maxBlockInsns = 64;
  /** When true, {@link Cpu.run} returns `exception-el2` after taking an exception to EL2. */
  stopOnEl2 = false;
  /**
   * Host-call hook: `HLT #imm` executed at the highest implemented EL calls it (synchronously,
   * arguments in the registers) instead of being UNDEFINED; execution then continues after the
   * HLT. Returning `'stop'` also ends {@link Cpu.run} with the reason `host-call` (the PC is
   * already past the HLT, so the next `run()` resumes there). HLT is UNDEFINED without halting
   * debug, so the hook does not collide with the architecture (QEMU semihosting uses HLT
   * #0xF000 the same way). HLT at lower ELs stays UNDEFINED.
   */
  onHostCall: ((imm: number, cpu: Cpu) => 'continue' | 'stop') | undefined;
  /**
   * Source of the generic timer's counter (CNTVCT_EL0/CNTPCT_EL0, ticks of CNTFRQ_EL0). Default:
   * the retired-instruction count. A VMM sets it to derive guest time from its own clock.
   */
  counter: (() => bigint) | undefined;
  /**
   * System registers whose MRS/MSR at EL0/EL1 traps to EL2 (EC 0x18, ISS from
   * `sysRegTrapIss`, ELR_EL2 = the instruction), by {@link sysRegKey} value; checked before the
   * access rules, so registers the emulator does not implement (the GICv3 `ICC_*_EL1`) can be
   * emulated by the host at EL2. Only with EL2 implemented. Default: none.
   */
  trappedSysRegs: ReadonlySet<number> | undefined;

  private readonly sys = new Map<number, bigint>();
  /** The registers of `FAST_SYS_SLOT` as lo/hi int32 halves (not in `sys`). @internal */
  readonly sysF = new Int32Array(2 * FAST_SYS_SLOT.size);
  // low halves of HCR_EL2, MDSCR_EL1, MDCR_EL2, SCTLR_EL1, SCTLR_EL2 (kept in step with `sys`)
  private hcrLo = 0;
  private mdscrLo = 0;
  private mdcrLo = 0;
  private sctlr1Lo = 0;
  private sctlr2Lo = 0;
  private cpacrLo = 0;
  private cptrLo = 0;
  private readonly blocks = new Map<number, Block>();
  private readonly pageBlocks = new Map<number, Block[]>();
  private blockDirty = false;
  /** Bumped whenever cached VA -> block links may be stale (translation state changes). */
  private gen = 0;
  /** An instruction soft-TLB entry was replaced by another page since `gen` last changed. */
  private itlbEvicted = false;
  private stopFlag = false;
  /** Instruction count at which the current {@link Cpu.run} ends (compiled loops stop there). */
  private runEnd = 0;
  private stopReason: StopReason = 'stopped';
  private last: Region;
  private monitorValid = false;
  private monitorPa = 0;
  // fault details set by the memory path
  private faultEc = 0;
  private faultIss = 0;
  private faultFarLo = 0;
  private faultFarHi = 0;
  private faultHasFar = false;
  private pendingDataSyn = 0;
  private faultToEl2 = false;
  private faultS1ptw = false;
  private faultIpa = -1;
  /** Set when interrupts or software step need checking between blocks. */
  private attention = false;
  /** The physical IRQ line. */
  private irqLine = false;
  /** True while executing an instruction under software step. */
  private stepping = false;
  /** Number of exceptions taken (to detect one during a stepped instruction). */
  private excCount = 0;
  /** True when any translation stage is enabled for the current EL. */
  private mmuOn = false;
  /**
   * Soft TLB: direct-mapped, {@link TLB_WAYS} instruction and as many data entries per EL. Entry
   * `idx` is two numbers side by side (one cache line for a lookup): at 2 * idx the VA page number
   * (-1 when empty), at 2 * idx + 1 the PA page * 8 + permission bits (r=1, w=2, x=4).
   */
  private readonly tlb = new Float64Array(12 * TLB_WAYS).fill(-1);
  /**
   * The 2 MiB regions (VA page number / 512) with TLB entries that came from a stage-1 block
   * mapping since the last full flush: TLBI by VA scans all 512 pages only there.
   */
  private readonly tlbBlocks = new Set<number>();
  /** The WebAssembly tier's view of the arena (undefined without an arena). */
  private readonly wasm:
    | {
        rb: number;
        tlbOff: number;
        S: Int32Array;
        chain: number;
        runtime:
          | { tramp: WasmTrampoline; imports: Record<string, Record<string, unknown>>[] }
          | undefined;
        runtimeKey: string;
        table: WasmTable;
        /** Regions by table slot. */
        regions: WasmRegion[];
        /** Entry blocks by table slot. */
        entries: Block[];
        /** Chain-key epoch: advances when the translation generation or the code changes. */
        epoch: number;
        /** Translation generation and code invalidations of the epoch (the call's, in callouts). */
        lastGen: number;
        lastInvals: number;
        /** Table slots in use. */
        tableUsed: number;
        /** Regions waiting for compilation, MMU off and on. */
        pending0: Block[];
        pending1: Block[];
      }
    | undefined;
  /** Part of the chain's ST_CNT already added to insnCount by callouts. */
  private wasmCounted = 0;
  /** Pages of decoded code invalidated so far. */
  private codeInvals = 0;
  // Fast RAM window: the RAM region of the last slow-path access (base, size, views).
  private fBase = 0;
  private fSize = 0;
  private fI32: Int32Array = new Int32Array(0);
  private fU8: Uint8Array = new Uint8Array(0);
  private fView: DataView = new DataView(new ArrayBuffer(0));
  private fCode: Uint8Array = new Uint8Array(0);
  private fRegion: Region;
  // Second fast window: the RAM region the first one held before (program data and stack).
  private gBase = 0;
  private gSize = 0;
  private gI32: Int32Array = new Int32Array(0);
  private gU8: Uint8Array = new Uint8Array(0);
  private gView: DataView = new DataView(new ArrayBuffer(0));
  private gCode: Uint8Array = new Uint8Array(0);
  private gRegion: Region;

  /** @param options - memory and configuration. */
  constructor(options: CpuOptions) {
    this.memory = options.memory;
    // with an arena: the register file and the soft TLB live in it (the WebAssembly tier's view)
    const stateOff = this.memory.allocArena(STATE_BYTES, 64);
    const tlbOff = stateOff < 0 ? -1 : this.memory.allocArena(this.tlb.byteLength, 64);
    const chainOff = tlbOff < 0 ? -1 : this.memory.allocArena(CHAIN_ENTRIES * 16, 64);
    if (chainOff >= 0) {
      const buf = this.memory.arena!.buffer;
      this.R = new Int32Array(buf, stateOff, REGFILE_WORDS);
      this.tlb = new Float64Array(buf, tlbOff, this.tlb.length).fill(-1);
      this.wasm = {
        rb: stateOff,
        tlbOff,
        S: new Int32Array(buf),
        chain: chainOff,
        runtime: undefined,
        runtimeKey: '',
        table: new wasmApi!.Table({ element: 'anyfunc', initial: 0 }),
        regions: [],
        entries: [],
        epoch: 0,
        lastGen: -1,
        lastInvals: -1,
        tableUsed: 0,
        pending0: [],
        pending1: [],
      };
    }
    this.highestEl = options.highestEl ?? 2;
    const model = options.model ?? 'default';
    if (!Object.hasOwn(CPU_MODELS, model))
      throw new EmuInputError({
        code: 'BAD_ARGUMENT',
        argument: 'model',
        message: `unknown CPU model ${JSON.stringify(model)} (known: ${Object.keys(CPU_MODELS).join(', ')})`,
      });
    this.model = model;
    this.lse = CPU_MODELS[model].lse;
    this.el = this.highestEl;
    for (const [key, info] of SYS_REGS) {
      const s = FAST_SYS_SLOT.get(key);
      if (s === undefined) this.sys.set(key, info.reset);
      else {
        fromBig(info.reset);
        this.sysF[s] = T[0]!;
        this.sysF[s + 1] = T[1]!;
      }
      if (CACHED.has(key)) this.cache(key, info.reset);
    }
    // the model's identity and feature registers (VPIDR_EL2 resets to MIDR_EL1)
    const m = CPU_MODELS[model];
    this.writeSys(K_MIDR, m.midr);
    this.writeSys(K_VPIDR, m.midr);
    this.writeSys(K_ISAR0, m.isar0);
    this.last = {
      base: -1,
      size: 0,
      name: '',
      bytes: new Uint8Array(0),
      view: new DataView(new ArrayBuffer(0)),
      words: new Int32Array(0),
      code: new Uint8Array(0),
      device: undefined,
      arenaOffset: -1,
      codeArenaOffset: -1,
    };
    this.fRegion = this.last;
    this.gRegion = this.last;
    // Several CPUs may share one memory (the vCPUs of a VM): each one's decoded blocks of a
    // written page must go, so the callbacks chain instead of replacing each other.
    const previous = this.memory.onCodeWrite;
    this.memory.onCodeWrite =
      previous === undefined
        ? (page) => this.invalidatePage(page)
        : (page) => {
            previous(page);
            this.invalidatePage(page);
          };
  }

  // ---- API edge -------------------------------------------------------------------------

  /** The program counter. */
  get pc(): bigint {
    return toBig(this.pcLo, this.pcHi);
  }
  set pc(v: bigint) {
    fromBig(v);
    this.pcLo = T[0]!;
    this.pcHi = T[1]!;
  }

  /** The current stack pointer (SP_EL0 or SP_ELx by PSTATE.SP). */
  get sp(): bigint {
    return toBig(this.R[SLOT_SP]!, this.R[SLOT_SP + 1]!);
  }
  set sp(v: bigint) {
    fromBig(v);
    this.R[SLOT_SP] = T[0]!;
    this.R[SLOT_SP + 1] = T[1]!;
  }

  /**
   * Reads X0..X30 (31 reads as zero).
   * @param i - register number.
   * @returns the value, unsigned.
   */
  getX(i: number): bigint {
    if (i >= 31) return 0n;
    return toBig(this.R[i * 2]!, this.R[i * 2 + 1]!);
  }

  /**
   * Writes X0..X30 (31 is ignored).
   * @param i - register number.
   * @param v - value (taken modulo 2^64).
   */
  setX(i: number, v: bigint): void {
    if (i >= 31) return;
    fromBig(v);
    this.R[i * 2] = T[0]!;
    this.R[i * 2 + 1] = T[1]!;
  }

  /**
   * Reads V0..V31 as a 128-bit value.
   * @param i - register number.
   * @returns the value, unsigned.
   */
  getV(i: number): bigint {
    return (this.VQ[i * 2 + 1]! << 64n) | this.VQ[i * 2]!;
  }

  /**
   * Writes V0..V31.
   * @param i - register number.
   * @param v - value (taken modulo 2^128).
   */
  setV(i: number, v: bigint): void {
    this.VQ[i * 2] = BigInt.asUintN(64, v);
    this.VQ[i * 2 + 1] = BigInt.asUintN(64, v >> 64n);
  }

  /** NZCV as the 4-bit value N<<3|Z<<2|C<<1|V. */
  get nzcv(): number {
    return (this.n << 3) | (this.z << 2) | (this.c << 1) | this.v;
  }
  set nzcv(x: number) {
    this.n = (x >> 3) & 1;
    this.z = (x >> 2) & 1;
    this.c = (x >> 1) & 1;
    this.v = x & 1;
  }

  /**
   * PSTATE packed as SPSR bits: NZCV[31:28], SS[21], IL[20], DAIF[9:6], M[3:0].
   * @returns the value.
   */
  getPstate(): number {
    return (
      ((this.nzcv << 28) |
        (this.ss << 21) |
        (this.il << 20) |
        (this.daif << 6) |
        (this.el << 2) |
        this.spsel) >>>
      0
    );
  }

  /**
   * Sets PSTATE from SPSR bits (see {@link Cpu.getPstate}), switching the banked SP.
   * @param p - the value.
   */
  setPstate(p: number): void {
    this.saveSp();
    this.nzcv = p >>> 28;
    this.ss = (p >>> 21) & 1;
    this.il = (p >>> 20) & 1;
    this.daif = (p >>> 6) & 15;
    this.el = (p >>> 2) & 3;
    this.spsel = this.el === 0 ? 0 : p & 1;
    this.loadSp();
    this.updateMmu();
    this.refreshAttention();
  }

  /**
   * Reads a system register by key without access checks (host side).
   * @param key - {@link sysRegKey} value.
   * @returns the value.
   */
  getSysReg(key: number): bigint {
    return this.readSys(key);
  }

  /**
   * Writes a system register by key without access checks (host side).
   * @param key - {@link sysRegKey} value.
   * @param value - the value.
   */
  setSysReg(key: number, value: bigint): void {
    this.writeSys(key, BigInt.asUintN(64, value));
  }

  /** Drops every decoded block (like IC IALLU). */
  flushCode(): void {
    for (const b of this.blocks.values()) b.valid = false;
    this.blocks.clear();
    this.pageBlocks.clear();
    for (const r of this.memory.regions) r.code.fill(0);
    this.blockDirty = true;
  }

  /** Stops {@link Cpu.run} at the end of the current block. */
  stop(): void {
    this.stopFlag = true;
    this.stopReason = 'stopped';
  }

  // ---- system registers ------------------------------------------------------------------

  private saveSp(): void {
    const i = this.spsel ? this.el * 2 : 0;
    this.spBank[i] = this.R[SLOT_SP]!;
    this.spBank[i + 1] = this.R[SLOT_SP + 1]!;
  }

  private loadSp(): void {
    const i = this.spsel ? this.el * 2 : 0;
    this.R[SLOT_SP] = this.spBank[i]!;
    this.R[SLOT_SP + 1] = this.spBank[i + 1]!;
  }

  /**
   * The value an MRS instruction reads: with EL2 implemented, EL0/EL1 reads of MIDR_EL1 and
   * MPIDR_EL1 return VPIDR_EL2 and VMPIDR_EL2 (the identity the hypervisor gives its vCPU).
   */
  private mrsValue(key: number): bigint {
    if (this.el < 2 && this.highestEl === 2) {
      if (key === K_MPIDR) return this.readSys(K_VMPIDR);
      if (key === K_MIDR) return this.readSys(K_VPIDR);
    }
    return this.readSys(key);
  }

  private readSys(key: number): bigint {
    switch (key) {
      case K_NZCV:
        return BigInt((this.nzcv << 28) >>> 0);
      case K_DAIF:
        return BigInt(this.daif << 6);
      case K_CURRENTEL:
        return BigInt(this.el << 2);
      case K_SPSEL:
        return BigInt(this.spsel);
      case K_CNTPCT:
        return this.counter === undefined ? BigInt(this.insnCount) : this.counter();
      // the virtual count is the physical count minus CNTVOFF_EL2
      case K_CNTVCT:
        return BigInt.asUintN(
          64,
          this.readSys(K_CNTPCT) - (this.highestEl === 2 ? (this.sys.get(K_CNTVOFF) ?? 0n) : 0n),
        );
      // TVAL: the signed 32-bit distance from the count to the compare value
      case K_CNTV_TVAL:
        return BigInt.asUintN(32, (this.sys.get(K_CNTV_CVAL) ?? 0n) - this.readSys(K_CNTVCT));
      case K_CNTP_TVAL:
        return BigInt.asUintN(32, (this.sys.get(K_CNTP_CVAL) ?? 0n) - this.readSys(K_CNTPCT));
      case K_FPCR:
        return BigInt(this.fpcr >>> 0);
      case K_FPSR:
        return BigInt(this.fpsr >>> 0);
      case K_SP_EL0:
      case K_SP_EL1: {
        const i = key === K_SP_EL0 ? 0 : 2;
        this.saveSp();
        return toBig(this.spBank[i]!, this.spBank[i + 1]!);
      }
      default: {
        const s = FAST_SYS_SLOT.get(key);
        if (s !== undefined) return toBig(this.sysF[s]!, this.sysF[s + 1]!);
        return this.sys.get(key) ?? 0n;
      }
    }
  }

  /** Updates the number copy of a cached control register. */
  private cache(key: number, v: bigint): void {
    const lo = Number(v & 0xffffffffn) | 0;
    if (key === K_HCR) this.hcrLo = lo;
    else if (key === K_MDSCR) this.mdscrLo = lo;
    else if (key === K_MDCR) this.mdcrLo = lo;
    else if (key === K_SCTLR1) this.sctlr1Lo = lo;
    else if (key === K_SCTLR2) this.sctlr2Lo = lo;
    else if (key === K_CPACR) this.cpacrLo = lo;
    else if (key === K_CPTR) this.cptrLo = lo;
  }

  private writeSys(key: number, v: bigint): void {
    switch (key) {
      case K_NZCV:
        this.nzcv = Number(v >> 28n) & 15;
        return;
      case K_DAIF:
        this.daif = Number(v >> 6n) & 15;
        return;
      case K_SPSEL:
        this.saveSp();
        this.spsel = Number(v & 1n);
        this.loadSp();
        return;
      case K_CNTV_TVAL:
        this.sys.set(
          K_CNTV_CVAL,
          BigInt.asUintN(64, this.readSys(K_CNTVCT) + BigInt.asIntN(32, v)),
        );
        return;
      case K_CNTP_TVAL:
        this.sys.set(
          K_CNTP_CVAL,
          BigInt.asUintN(64, this.readSys(K_CNTPCT) + BigInt.asIntN(32, v)),
        );
        return;
      case K_FPCR:
        this.fpcr = Number(v & BigInt(FPCR_MASK));
        return;
      case K_FPSR:
        this.fpsr = Number(v & BigInt(FPSR_MASK));
        return;
      case K_SP_EL0:
      case K_SP_EL1: {
        const i = key === K_SP_EL0 ? 0 : 2;
        this.saveSp();
        fromBig(v);
        this.spBank[i] = T[0]!;
        this.spBank[i + 1] = T[1]!;
        this.loadSp();
        return;
      }
      default: {
        const s = FAST_SYS_SLOT.get(key);
        if (s !== undefined) {
          fromBig(v);
          this.sysF[s] = T[0]!;
          this.sysF[s + 1] = T[1]!;
          return;
        }
        this.sys.set(key, v);
        if (CACHED.has(key)) this.cache(key, v);
        if (SYS_REGS.get(key)?.affectsTranslation) this.flushTlb();
        if (key === K_MDSCR || key === K_HCR || key === K_MDCR) this.refreshAttention();
      }
    }
  }

  private refreshAttention(): void {
    const hcr = this.highestEl === 2 ? this.hcrLo : 0;
    this.attention = (this.mdscrLo & 1) === 1 || this.irqLine || (hcr & 0x80) !== 0;
  }

  /**
   * Sets the level of the physical IRQ line (a GIC stand-in). With HCR_EL2.IMO set, an IRQ
   * while running at EL0/EL1 is taken to EL2; otherwise to the current EL (at least EL1)
   * when PSTATE.I is clear.
   * @param level - true for asserted.
   */
  setIrqLine(level: boolean): void {
    this.irqLine = level;
    this.refreshAttention();
  }

  /**
   * Sets or clears the virtual IRQ (HCR_EL2.VI), taken at EL1 when HCR_EL2.IMO is set, the
   * CPU runs at EL0/EL1 and PSTATE.I is clear.
   * @param pending - true to raise it.
   */
  setVirtualIrq(pending: boolean): void {
    const hcr = this.sys.get(K_HCR) ?? 0n;
    const v = pending ? hcr | (1n << 7n) : hcr & ~(1n << 7n);
    this.sys.set(K_HCR, v);
    this.cache(K_HCR, v);
    this.refreshAttention();
  }

  /** True when software step is enabled at the current EL (MDSCR_EL1.SS and the debug target). */
  private stepEnabled(): boolean {
    const mdscr = this.mdscrLo;
    if ((mdscr & 1) === 0) return false;
    const tde = this.highestEl === 2 && ((this.mdcrLo >>> 8) & 1) === 1;
    const tge = this.highestEl === 2 && ((this.hcrLo >>> 27) & 1) === 1;
    const target = tde || tge ? 2 : 1;
    if (this.el < target) return true;
    if (this.el === target) return ((mdscr >>> 13) & 1) === 1 && (this.daif & 8) === 0; // KDE, PSTATE.D
    return false;
  }

  /** Interrupts and software step between blocks; returns true when an exception was taken. */
  private slowChecks(): boolean {
    const hcr = this.highestEl === 2 ? this.hcrLo : 0;
    const imo = (hcr & 0x10) !== 0 && this.el < 2;
    if (this.irqLine && (imo || (this.daif & 2) === 0)) {
      this.enter(imo ? 2 : Math.max(this.el, 1), -1, 0, this.pcLo, this.pcHi, false, 0, 0, 0x80);
      return true;
    }
    if (imo && (hcr & 0x80) !== 0 && (this.daif & 2) === 0) {
      this.enter(1, -2, 0, this.pcLo, this.pcHi, false, 0, 0, 0x80);
      return true;
    }
    this.stepping = false;
    if (this.stepEnabled()) {
      if (this.ss === 0) {
        // active-pending: the step exception comes before the next instruction
        this.exception(EC.SOFTSTEP_LOW, 0x22, this.pcLo, this.pcHi, false, 0, 0);
        return true;
      }
      this.stepping = true;
    }
    return false;
  }

  /** Drops every soft-TLB entry (TLBI, translation register writes, host page-table edits). */
  flushTlb(): void {
    this.regsCache = undefined;
    this.tlb.fill(-1);
    this.tlbBlocks.clear();
    this.gen++;
    this.itlbEvicted = false;
    this.updateMmu();
  }

  private updateMmu(): void {
    if (this.el === 2) this.mmuOn = (this.sctlr2Lo & 1) === 1;
    else this.mmuOn = (this.sctlr1Lo & 1) === 1 || (this.highestEl === 2 && (this.hcrLo & 1) === 1);
  }

  /** The translation registers as the walker takes them; dropped with the soft TLB. */
  private regsCache: TranslationRegs | undefined;

  private regs(): TranslationRegs {
    if (this.regsCache !== undefined) return this.regsCache;
    const g = (op0: number, op1: number, crn: number, crm: number, op2: number): bigint =>
      this.readSys(sysRegKey(op0, op1, crn, crm, op2));
    return (this.regsCache = {
      sctlrEl1: g(3, 0, 1, 0, 0),
      tcrEl1: g(3, 0, 2, 0, 2),
      ttbr0El1: g(3, 0, 2, 0, 0),
      ttbr1El1: g(3, 0, 2, 0, 1),
      sctlrEl2: g(3, 4, 1, 0, 0),
      tcrEl2: g(3, 4, 2, 0, 2),
      ttbr0El2: g(3, 4, 2, 0, 0),
      hcrEl2: this.highestEl === 2 ? g(3, 4, 1, 1, 0) : 0n,
      vttbrEl2: g(3, 4, 2, 1, 0),
      vtcrEl2: g(3, 4, 2, 1, 2),
      s2cache: new Map(),
    });
  }

  /**
   * Translates a VA for an access at the current EL, or throws FAULT with the abort details
   * set.
   * @returns the physical address.
   */
  private xlate(lo: number, hi: number, acc: number): number {
    const vpn = (hi >>> 0) * 1048576 + (lo >>> 12);
    // separate instruction and data halves (as hardware has an ITLB and a DTLB)
    const idx =
      (this.el * 2 + (acc === ACC_EXEC ? 1 : 0)) * TLB_WAYS + ((lo >>> 12) & (TLB_WAYS - 1));
    const need = acc === ACC_WRITE ? 2 : acc === ACC_EXEC ? 4 : 1;
    const tlb = this.tlb;
    if (tlb[2 * idx] === vpn) {
      const e = tlb[2 * idx + 1]!;
      if ((e & need) !== 0) return (e - (e & 7)) * 512 + (lo & 0xfff);
    }
    return this.xlateMiss(lo, hi, acc, idx, vpn);
  }

  /**
   * The soft-TLB miss of {@link Cpu.xlate} (kept apart so that the hit path stays small enough
   * for V8 to inline into the load/store helpers): walks the tables, fills the entry or throws.
   */
  private xlateMiss(lo: number, hi: number, acc: number, idx: number, vpn: number): number {
    const r = translate(this.memory, this.regs(), this.el, lo, hi, acc);
    if (r.fault) {
      const ifetch = acc === ACC_EXEC;
      this.faultEc = ifetch
        ? this.el === 0
          ? EC.IABT_LOW
          : EC.IABT_CUR
        : this.el === 0
          ? EC.DABT_LOW
          : EC.DABT_CUR;
      this.faultIss =
        (!ifetch && acc === ACC_WRITE && !r.s1ptw ? 1 << 6 : 0) | (r.s1ptw ? 1 << 7 : 0) | r.fault;
      this.faultFarLo = lo;
      this.faultFarHi = hi;
      this.faultHasFar = true;
      this.faultToEl2 = r.stage2;
      this.faultIpa = r.stage2 ? r.ipa : -1;
      this.faultS1ptw = r.s1ptw;
      throw FAULT;
    }
    const tlb = this.tlb;
    if (r.block) this.tlbBlocks.add(Math.floor(vpn / 512));
    if (acc === ACC_EXEC && tlb[2 * idx] !== -1 && tlb[2 * idx] !== vpn) this.itlbEvicted = true;
    tlb[2 * idx] = vpn;
    tlb[2 * idx + 1] = Math.floor(r.pa / 4096) * 8 + r.perm;
    return r.pa;
  }

  /** Returns true when MRS/MSR of `key` is allowed at the current EL. */
  private sysAccessible(key: number, write: boolean): boolean {
    const info = SYS_REGS.get(key);
    if (!info) return false;
    if (this.el < info.minEl) return false;
    if (write && info.readOnly) return false;
    if (write && key === K_TPIDRRO && this.el === 0) return false;
    if (this.el === 0 && key === K_DAIF) return false; // SCTLR_EL1.UMA=0
    if (this.highestEl < 2 && info.minEl === 2) return false;
    return true;
  }

  // ---- exceptions ------------------------------------------------------------------------

  /**
   * Takes a synchronous exception (or lets the host hook handle it).
   * @param ec - exception class.
   * @param iss - syndrome.
   * @param retLo - preferred return address, low half.
   * @param retHi - preferred return address, high half.
   * @param hasFar - whether FAR is written.
   * @param farLo - FAR low half.
   * @param farHi - FAR high half.
   */
  private exception(
    ec: number,
    iss: number,
    retLo: number,
    retHi: number,
    hasFar: boolean,
    farLo: number,
    farHi: number,
  ): void {
    let target = this.el === 0 ? 1 : this.el;
    const hcr = this.hcrLo;
    if (this.el < 2 && this.highestEl === 2) {
      if (ec === EC.HVC64) target = 2;
      else if ((ec === EC.BRK64 || ec === EC.SOFTSTEP_LOW) && (this.mdcrLo & 0x100) !== 0)
        target = 2; // MDCR_EL2.TDE
      else if ((hcr & (1 << 27)) !== 0 && this.el === 0) target = 2; // HCR_EL2.TGE
    }
    if (this.faultToEl2) {
      target = 2;
      this.faultToEl2 = false;
    }
    if (ec === EC.DABT_LOW || ec === EC.DABT_CUR)
      ec = target === this.el ? EC.DABT_CUR : EC.DABT_LOW;
    else if (ec === EC.IABT_LOW || ec === EC.IABT_CUR)
      ec = target === this.el ? EC.IABT_CUR : EC.IABT_LOW;
    else if (ec === EC.SOFTSTEP_LOW) ec = target === this.el ? EC.SOFTSTEP_CUR : EC.SOFTSTEP_LOW;
    // a stepped SVC/HVC/SMC completes: the step is pending when the handler returns
    if (this.stepping && (ec === EC.SVC64 || ec === EC.HVC64 || ec === EC.SMC64)) this.ss = 0;
    // ISV and the access description are only reported to EL2 (as QEMU does for ARMv8.0)
    if (target === 2) iss |= this.pendingDataSyn;
    this.pendingDataSyn = 0;
    this.pcLo = retLo;
    this.pcHi = retHi;
    if (this.onException) {
      const info: ExceptionInfo = {
        ec,
        iss,
        returnAddress: toBig(retLo, retHi),
        far: hasFar ? toBig(farLo, farHi) : undefined,
        targetEl: target,
      };
      if (this.onException(this, info)) return;
    }
    this.enter(target, ec, iss, retLo, retHi, hasFar, farLo, farHi, 0);
  }

  private enter(
    target: number,
    ec: number,
    iss: number,
    retLo: number,
    retHi: number,
    hasFar: boolean,
    farLo: number,
    farHi: number,
    kind: number,
  ): void {
    const spsr = this.getPstate();
    const f = this.sysF;
    const se = S_ELR[target]!,
      ss = S_SPSR[target]!;
    f[se] = retLo;
    f[se + 1] = retHi;
    f[ss] = spsr;
    f[ss + 1] = 0;
    if (kind === 0) {
      const sr = S_ESR[target]!;
      f[sr] = (ec << 26) | (1 << 25) | (iss & 0x1ffffff);
      f[sr + 1] = 0;
      if (hasFar) {
        const sf = S_FAR[target]!;
        f[sf] = farLo;
        f[sf + 1] = farHi;
      }
      if (target === 2 && this.faultIpa >= 0) {
        const v = Math.floor(this.faultIpa / 4096) * 16; // HPFAR_EL2.FIPA at [43:4]
        f[S_HPFAR] = v % TWO32 | 0;
        f[S_HPFAR + 1] = Math.floor(v / TWO32) | 0;
      }
    }
    this.faultIpa = -1;
    let off = kind;
    if (target === this.el) off += this.spsel ? 0x200 : 0;
    else off += 0x400;
    const fromEl = this.el;
    this.excCount++;
    this.saveSp();
    this.el = target;
    this.spsel = 1;
    this.daif = 0xf;
    this.ss = 0;
    this.il = 0;
    this.loadSp();
    this.updateMmu();
    this.refreshAttention();
    const sv = S_VBAR[target]!;
    const l = (f[sv]! >>> 0) + off;
    this.pcLo = l | 0;
    this.pcHi = (f[sv + 1]! + (l > 0xffffffff ? 1 : 0)) | 0;
    if (this.intLog) {
      const [num, name] = excName(ec);
      const esr = this.readSys(K_ESR[target]!);
      this.intLog(`Taking exception ${num} [${name}] on CPU 0`);
      this.intLog(`...from EL${fromEl} to EL${target}`);
      if (kind === 0) this.intLog(`...with ESR 0x${ec.toString(16)}/0x${esr.toString(16)}`);
      if (hasFar) this.intLog(`...with FAR 0x${toBig(farLo, farHi).toString(16)}`);
      this.intLog(`...with ELR 0x${toBig(retLo, retHi).toString(16)}`);
      this.intLog(
        `...to EL${target} PC 0x${this.pc.toString(16)} PSTATE 0x${this.getPstate().toString(16)}`,
      );
    }
    if (target === 2 && this.stopOnEl2) {
      this.stopFlag = true;
      this.stopReason = 'exception-el2';
    }
  }

  private eret(): void {
    this.monitorValid = false; // an exception return clears the local exclusive monitor (Arm ARM B2.9)
    const el = this.el;
    const f = this.sysF;
    // only SPSR bits [31:0] are defined; PSTATE is taken from them
    const spsr = f[S_SPSR[el]!]! >>> 0;
    const target = (spsr >>> 2) & 3;
    const se = S_ELR[el]!;
    const eLo = f[se]!,
      eHi = f[se + 1]!;
    if (target > el || spsr & 0x10 || (spsr >>> 1) & 1) {
      // illegal exception return: PSTATE.IL set, EL unchanged
      this.pcLo = eLo;
      this.pcHi = eHi;
      this.il = 1;
      return;
    }
    this.setPstate(spsr);
    this.pcLo = eLo;
    this.pcHi = eHi;
    if (this.intLog)
      this.intLog(
        `Exception return from AArch64 EL${el} to AArch64 EL${this.el} PC 0x${toBig(eLo, eHi).toString(16)}`,
      );
  }

  // ---- memory ----------------------------------------------------------------------------

  /** @internal FEAT_LSE atomics (lse.ts): a zero-extended load of `1 << size` bytes into T. */
  lseLoad(lo: number, hi: number, size: number): void {
    if (size === 3) {
      this.ld64(lo, hi);
      return;
    }
    T[0] = size === 2 ? this.ld32(lo, hi) : size === 1 ? this.ld16(lo, hi) : this.ld8(lo, hi);
    T[1] = 0;
  }

  /** @internal FEAT_LSE atomics (lse.ts): a store of the low `1 << size` bytes. */
  lseStore(lo: number, hi: number, size: number, vl: number, vh: number): void {
    if (size === 3) this.st64(lo, hi, vl, vh);
    else if (size === 2) this.st32(lo, hi, vl);
    else if (size === 1) this.st16(lo, hi, vl);
    else this.st8(lo, hi, vl);
  }

  /** @internal FEAT_LSE atomics (lse.ts): the alignment fault of a misaligned atomic access. */
  lseAlignmentFault(lo: number, hi: number, write: boolean): never {
    return this.dataAbort(lo, hi, write, 0x21);
  }

  private dataAbort(lo: number, hi: number, write: boolean, dfsc: number): never {
    this.faultEc = this.el === 0 ? EC.DABT_LOW : EC.DABT_CUR;
    this.faultIss = (write ? 1 << 6 : 0) | dfsc;
    this.faultFarLo = lo;
    this.faultFarHi = hi;
    this.faultHasFar = true;
    throw FAULT;
  }

  /**
   * Physical address of a data access: translated when the MMU is on; -1 for a VA with bits
   * [63:48] set while it is off (the slow path raises the address size fault).
   */
  private dataPa(lo: number, hi: number, acc: number): number {
    if (this.mmuOn) return this.xlate(lo, hi, acc);
    if (hi === 0) return lo >>> 0;
    return hi >>> 16 !== 0 ? -1 : hi * TWO32 + (lo >>> 0);
  }

  /**
   * Slow path of a data access: finds the region of `pa` (or raises the abort), makes a RAM
   * region the first fast window (the previous one becomes the second), and returns the
   * offset into `this.last`.
   */
  private slowOff(pa: number, lo: number, hi: number, size: number, write: boolean): number {
    if (pa < 0) this.dataAbort(lo, hi, write, 0x00); // address size fault, level 0
    const r = this.memory.find(pa, size);
    // an external abort after translation reports the PA (known difference, see README)
    if (!r) this.dataAbort(pa % TWO32 | 0, Math.floor(pa / TWO32), write, 0x10);
    this.last = r;
    if (!r.device && r !== this.fRegion) {
      if (r !== this.gRegion) {
        this.gRegion = this.fRegion;
        this.gBase = this.fBase;
        this.gSize = this.fSize;
        this.gI32 = this.fI32;
        this.gU8 = this.fU8;
        this.gView = this.fView;
        this.gCode = this.fCode;
      }
      this.fRegion = r;
      this.fBase = r.base;
      this.fSize = r.size;
      this.fI32 = r.words;
      this.fU8 = r.bytes;
      this.fView = r.view;
      this.fCode = r.code;
    }
    return pa - r.base;
  }

  // Loads and stores: a small fast path (aligned, in one of the two windows; stores only to
  // pages without decoded code) the JIT's functions inline, and the rest (unaligned, other
  // regions, MMIO, aborts, code pages) out of line.

  /** Exchanges the two fast RAM windows. */
  private swapWindows(): void {
    const r = this.gRegion,
      b = this.gBase,
      n = this.gSize,
      i32 = this.gI32,
      u8 = this.gU8,
      v = this.gView,
      c = this.gCode;
    this.gRegion = this.fRegion;
    this.gBase = this.fBase;
    this.gSize = this.fSize;
    this.gI32 = this.fI32;
    this.gU8 = this.fU8;
    this.gView = this.fView;
    this.gCode = this.fCode;
    this.fRegion = r;
    this.fBase = b;
    this.fSize = n;
    this.fI32 = i32;
    this.fU8 = u8;
    this.fView = v;
    this.fCode = c;
  }

  private ld8(lo: number, hi: number): number {
    const pa = this.dataPa(lo, hi, ACC_READ);
    const off = pa - this.fBase;
    if (pa >= 0 && off >= 0 && off < this.fSize) return this.fU8[off]!;
    return this.ld8Slow(pa, lo, hi);
  }

  private ld8Slow(pa: number, lo: number, hi: number): number {
    const off = pa - this.gBase;
    if (pa >= 0 && off >= 0 && off < this.gSize) {
      this.swapWindows();
      return this.fU8[off]!;
    }
    const o = this.slowOff(pa, lo, hi, 1, false),
      r = this.last;
    if (r.device) return Number(r.device.read(o, 1) & 0xffn);
    return r.bytes[o]!;
  }

  private ld16(lo: number, hi: number): number {
    if (this.mmuOn && (lo & 0xfff) > 0xffe) return this.ldCross(lo, hi, 2);
    const pa = this.dataPa(lo, hi, ACC_READ);
    const off = pa - this.fBase;
    if (pa >= 0 && off >= 0 && off + 2 <= this.fSize) return this.fView.getUint16(off, true);
    return this.ld16Slow(pa, lo, hi);
  }

  private ld16Slow(pa: number, lo: number, hi: number): number {
    const off = pa - this.gBase;
    if (pa >= 0 && off >= 0 && off + 2 <= this.gSize) {
      this.swapWindows();
      return this.fView.getUint16(off, true);
    }
    const o = this.slowOff(pa, lo, hi, 2, false),
      r = this.last;
    if (r.device) return Number(r.device.read(o, 2) & 0xffffn);
    return r.view.getUint16(o, true);
  }

  private ld32(lo: number, hi: number): number {
    if (this.mmuOn && (lo & 0xfff) > 0xffc) return this.ldCross(lo, hi, 4);
    const pa = this.dataPa(lo, hi, ACC_READ);
    const off = pa - this.fBase;
    if (pa >= 0 && off >= 0 && off + 4 <= this.fSize && (off & 3) === 0)
      return this.fI32[off >>> 2]!;
    const og = pa - this.gBase;
    if (pa >= 0 && og >= 0 && og + 4 <= this.gSize && (og & 3) === 0) return this.gI32[og >>> 2]!;
    return this.ld32Slow(pa, lo, hi);
  }

  private ld32Slow(pa: number, lo: number, hi: number): number {
    let off = pa - this.fBase;
    if (pa >= 0 && off >= 0 && off + 4 <= this.fSize) return this.fView.getInt32(off, true);
    off = pa - this.gBase;
    if (pa >= 0 && off >= 0 && off + 4 <= this.gSize) {
      this.swapWindows();
      return (off & 3) === 0 ? this.fI32[off >>> 2]! : this.fView.getInt32(off, true);
    }
    const o = this.slowOff(pa, lo, hi, 4, false),
      r = this.last;
    if (r.device) return Number(r.device.read(o, 4) & 0xffffffffn) | 0;
    return r.view.getInt32(o, true);
  }

  /** 64-bit load into T. */
  private ld64(lo: number, hi: number): void {
    if (this.mmuOn && (lo & 0xfff) > 0xff8) {
      this.ldCross(lo, hi, 8);
      return;
    }
    const pa = this.dataPa(lo, hi, ACC_READ);
    const off = pa - this.fBase;
    if (pa >= 0 && off >= 0 && off + 8 <= this.fSize && (off & 3) === 0) {
      const k = off >>> 2,
        w = this.fI32;
      T[0] = w[k]!;
      T[1] = w[k + 1]!;
      return;
    }
    const og = pa - this.gBase;
    if (pa >= 0 && og >= 0 && og + 8 <= this.gSize && (og & 3) === 0) {
      const k = og >>> 2,
        w = this.gI32;
      T[0] = w[k]!;
      T[1] = w[k + 1]!;
      return;
    }
    this.ld64Slow(pa, lo, hi);
  }

  private ld64Slow(pa: number, lo: number, hi: number): void {
    let off = pa - this.fBase;
    if (pa >= 0 && off >= 0 && off + 8 <= this.fSize) {
      T[0] = this.fView.getInt32(off, true);
      T[1] = this.fView.getInt32(off + 4, true);
      return;
    }
    off = pa - this.gBase;
    if (pa >= 0 && off >= 0 && off + 8 <= this.gSize) {
      this.swapWindows();
      if ((off & 3) === 0) {
        const k = off >>> 2;
        T[0] = this.fI32[k]!;
        T[1] = this.fI32[k + 1]!;
      } else {
        T[0] = this.fView.getInt32(off, true);
        T[1] = this.fView.getInt32(off + 4, true);
      }
      return;
    }
    const o = this.slowOff(pa, lo, hi, 8, false),
      r = this.last;
    if (r.device) {
      fromBig(r.device.read(o, 8));
      return;
    }
    T[0] = r.view.getInt32(o, true);
    T[1] = r.view.getInt32(o + 4, true);
  }

  /**
   * A load of `size` bytes whose VA range crosses into the next page with the MMU on: byte by
   * byte, each byte translated (the two pages need not be adjacent in PA). Returns the low 32
   * bits; a 64-bit load leaves the value in T.
   */
  private ldCross(lo: number, hi: number, size: number): number {
    let vlo = 0,
      vhi = 0;
    for (let k = 0; k < size; k++) {
      const l = (lo >>> 0) + k;
      const b = this.ld8(l | 0, (hi + (l > 0xffffffff ? 1 : 0)) | 0);
      if (k < 4) vlo |= b << (k * 8);
      else vhi |= b << ((k - 4) * 8);
    }
    T[0] = vlo;
    T[1] = vhi;
    return vlo;
  }

  /**
   * A store of `size` bytes whose VA range crosses into the next page with the MMU on: both
   * pages are translated for writing first (an abort on either leaves memory unchanged, so the
   * instruction can be restarted), then the bytes are stored one by one.
   */
  private stCross(lo: number, hi: number, size: number, vlo: number, vhi: number): void {
    const l = (lo >>> 0) + size - 1;
    this.dataPa(lo, hi, ACC_WRITE);
    this.dataPa(l | 0, (hi + (l > 0xffffffff ? 1 : 0)) | 0, ACC_WRITE);
    for (let k = 0; k < size; k++) {
      const a = (lo >>> 0) + k;
      this.st8(
        a | 0,
        (hi + (a > 0xffffffff ? 1 : 0)) | 0,
        k < 4 ? vlo >>> (k * 8) : vhi >>> ((k - 4) * 8),
      );
    }
  }

  /**
   * Offset of a RAM store of `size` bytes in the first fast window after making the region
   * of `pa` that window (the second window is swapped in without a search); -1 after an MMIO
   * store (done through the device).
   */
  private stOff(
    pa: number,
    lo: number,
    hi: number,
    size: number,
    vlo: number,
    vhi: number,
  ): number {
    const off = pa - this.gBase;
    if (pa >= 0 && off >= 0 && off + size <= this.gSize) {
      this.swapWindows();
      return off;
    }
    const o = this.slowOff(pa, lo, hi, size, true),
      r = this.last;
    if (r.device) {
      r.device.write(
        o,
        size,
        size === 8
          ? toBig(vlo, vhi)
          : BigInt(size === 4 ? vlo >>> 0 : vlo & (size === 2 ? 0xffff : 0xff)),
      );
      return -1;
    }
    return o;
  }

  private st8(lo: number, hi: number, val: number): void {
    const pa = this.dataPa(lo, hi, ACC_WRITE);
    let off = pa - this.fBase;
    if (!(pa >= 0 && off >= 0 && off < this.fSize) && (off = this.stOff(pa, lo, hi, 1, val, 0)) < 0)
      return;
    this.fU8[off] = val;
    if (this.fCode[off >>> 12]) this.memory.noteWrite(this.fRegion, off, 1);
    this.monitorValid = false;
  }

  private st16(lo: number, hi: number, val: number): void {
    if (this.mmuOn && (lo & 0xfff) > 0xffe) {
      this.stCross(lo, hi, 2, val, 0);
      return;
    }
    const pa = this.dataPa(lo, hi, ACC_WRITE);
    let off = pa - this.fBase;
    if (
      !(pa >= 0 && off >= 0 && off + 2 <= this.fSize) &&
      (off = this.stOff(pa, lo, hi, 2, val, 0)) < 0
    )
      return;
    this.fView.setUint16(off, val & 0xffff, true);
    if (this.fCode[off >>> 12] || this.fCode[(off + 1) >>> 12])
      this.memory.noteWrite(this.fRegion, off, 2);
    this.monitorValid = false;
  }

  private st32(lo: number, hi: number, val: number): void {
    if (this.mmuOn && (lo & 0xfff) > 0xffc) {
      this.stCross(lo, hi, 4, val, 0);
      return;
    }
    const pa = this.dataPa(lo, hi, ACC_WRITE);
    const off = pa - this.fBase;
    if (
      pa >= 0 &&
      off >= 0 &&
      off + 4 <= this.fSize &&
      (off & 3) === 0 &&
      this.fCode[off >>> 12] === 0
    ) {
      this.fI32[off >>> 2] = val;
      this.monitorValid = false;
      return;
    }
    const og = pa - this.gBase;
    if (
      pa >= 0 &&
      og >= 0 &&
      og + 4 <= this.gSize &&
      (og & 3) === 0 &&
      this.gCode[og >>> 12] === 0
    ) {
      this.gI32[og >>> 2] = val;
      this.monitorValid = false;
      return;
    }
    this.st32Slow(pa, lo, hi, val);
  }

  private st32Slow(pa: number, lo: number, hi: number, val: number): void {
    let off = pa - this.fBase;
    if (
      !(pa >= 0 && off >= 0 && off + 4 <= this.fSize) &&
      (off = this.stOff(pa, lo, hi, 4, val, 0)) < 0
    )
      return;
    if ((off & 3) === 0) this.fI32[off >>> 2] = val;
    else this.fView.setInt32(off, val, true);
    if (this.fCode[off >>> 12] || this.fCode[(off + 3) >>> 12])
      this.memory.noteWrite(this.fRegion, off, 4);
    this.monitorValid = false;
  }

  private st64(lo: number, hi: number, vlo: number, vhi: number): void {
    if (this.mmuOn && (lo & 0xfff) > 0xff8) {
      this.stCross(lo, hi, 8, vlo, vhi);
      return;
    }
    const pa = this.dataPa(lo, hi, ACC_WRITE);
    const off = pa - this.fBase;
    if (
      pa >= 0 &&
      off >= 0 &&
      off + 8 <= this.fSize &&
      (off & 7) === 0 &&
      this.fCode[off >>> 12] === 0
    ) {
      const k = off >>> 2,
        w = this.fI32;
      w[k] = vlo;
      w[k + 1] = vhi;
      this.monitorValid = false;
      return;
    }
    const og = pa - this.gBase;
    if (
      pa >= 0 &&
      og >= 0 &&
      og + 8 <= this.gSize &&
      (og & 7) === 0 &&
      this.gCode[og >>> 12] === 0
    ) {
      const k = og >>> 2,
        w = this.gI32;
      w[k] = vlo;
      w[k + 1] = vhi;
      this.monitorValid = false;
      return;
    }
    this.st64Slow(pa, lo, hi, vlo, vhi);
  }

  private st64Slow(pa: number, lo: number, hi: number, vlo: number, vhi: number): void {
    let off = pa - this.fBase;
    if (
      !(pa >= 0 && off >= 0 && off + 8 <= this.fSize) &&
      (off = this.stOff(pa, lo, hi, 8, vlo, vhi)) < 0
    )
      return;
    if ((off & 3) === 0) {
      const k = off >>> 2;
      this.fI32[k] = vlo;
      this.fI32[k + 1] = vhi;
    } else {
      this.fView.setInt32(off, vlo, true);
      this.fView.setInt32(off + 4, vhi, true);
    }
    if (this.fCode[off >>> 12] || this.fCode[(off + 7) >>> 12])
      this.memory.noteWrite(this.fRegion, off, 8);
    this.monitorValid = false;
  }

  // ---- block cache -----------------------------------------------------------------------

  private invalidatePage(page: number): void {
    const list = this.pageBlocks.get(page);
    if (!list) return;
    for (const b of list) {
      b.valid = false;
      if (this.blocks.get(b.pa) === b) this.blocks.delete(b.pa);
    }
    this.pageBlocks.delete(page);
    this.blockDirty = true;
    this.codeInvals++;
  }

  /** Returns the block at the PC, or undefined after taking an instruction abort. */
  private fetchBlock(): Block | undefined {
    const lo = this.pcLo,
      hi = this.pcHi;
    if (lo & 3) {
      this.exception(EC.PC_ALIGN, 0, lo, hi, true, lo, hi);
      return undefined;
    }
    let pa = -1;
    if (this.mmuOn) {
      try {
        pa = this.xlate(lo, hi, ACC_EXEC);
      } catch (e) {
        if (e !== FAULT) throw e;
        this.faultS1ptw = false;
        this.exception(this.faultEc, this.faultIss, lo, hi, true, lo, hi);
        return undefined;
      }
    } else if (hi >>> 16 === 0) pa = hi * TWO32 + (lo >>> 0);
    const cached = pa >= 0 ? this.blocks.get(pa) : undefined;
    if (cached) return cached;
    const r = pa >= 0 ? this.memory.find(pa, 4) : undefined;
    if (!r || r.device) {
      this.exception(
        this.el === 0 ? EC.IABT_LOW : EC.IABT_CUR,
        pa < 0 ? 0x00 : 0x10,
        lo,
        hi,
        true,
        lo,
        hi,
      );
      return undefined;
    }
    let off = pa - r.base;
    const pageEnd = Math.min((off | 0xfff) + 1, r.size);
    const limit = this.maxBlockInsns >= 1 ? Math.min(this.maxBlockInsns | 0, 1024) : 1; // out-of-range values clamp
    const max = Math.min(limit, (pageEnd - off) >>> 2);
    const tmp = DECODE_OPS,
      words = DECODE_WORDS; // scratch: the block keeps copies of what it used
    let n = 0;
    while (n < max) {
      const w = r.view.getUint32(off, true);
      words[n] = w;
      const t = decodeInto(w, tmp, n * STRIDE);
      n++;
      off += 4;
      if (t === TERMINATES) break;
    }
    const block: Block = {
      pa,
      n,
      ops: tmp.slice(0, n * STRIDE),
      words: words.slice(0, n),
      valid: true,
      linkGen: this.gen,
      s0: undefined,
      s0Lo: 0,
      s0Hi: 0,
      s1: undefined,
      s1Lo: 0,
      s1Hi: 0,
      hits: 0,
      fn: undefined,
      members: undefined,
    };
    this.blocks.set(pa, block);
    const page = Math.floor(pa / 4096);
    r.code[(pa - r.base) >>> 12] = 1;
    let list = this.pageBlocks.get(page);
    if (!list) {
      list = [];
      this.pageBlocks.set(page, list);
    }
    list.push(block);
    return block;
  }

  /** Decoded block at a physical address (the JIT's region candidates). */
  private readonly lookupBlock = (pa: number): Block | undefined => this.blocks.get(pa);

  // ---- run loop --------------------------------------------------------------------------

  /**
   * Runs until `budget` instructions have executed, the host stops the CPU, an exception is
   * taken to EL2 with {@link Cpu.stopOnEl2} set, or a WFI is reached at the highest EL.
   * @param budget - maximum number of instructions.
   * @returns why it returned.
   */
  run(budget: number): StopReason {
    const end = this.insnCount + budget;
    this.runEnd = end;
    this.stopFlag = false;
    // regions queued for the WebAssembly tier wait at most until the next run
    const w = this.wasm;
    if (w !== undefined) {
      if (w.pending0.length > 0) this.flushWasm(false);
      if (w.pending1.length > 0) this.flushWasm(true);
    }
    let prev: Block | undefined;
    while (!this.stopFlag) {
      const left = end - this.insnCount;
      if (left <= 0) return 'budget';
      if (this.traceHook !== undefined && !this.attention && !this.traceBlocks) {
        const blk1 = this.fetchBlock();
        prev = undefined;
        if (blk1 === undefined) continue;
        this.traceHook(this);
        this.execBlock(blk1, 1);
        continue;
      }
      if (this.attention) {
        if (this.slowChecks()) {
          prev = undefined;
          continue;
        }
        if (this.stepping) {
          const blk1 = this.fetchBlock();
          prev = undefined;
          if (blk1 === undefined) continue;
          const exc = this.excCount;
          this.traceHook?.(this);
          this.execBlock(blk1, 1);
          if (this.excCount === exc) this.ss = 0; // the stepped instruction completed
          continue;
        }
      }
      let blk: Block | undefined;
      // Successor cache: valid while no translation-affecting state changed (the MMU is off
      // and EL changes end the chain, so VA -> PA is the identity within a chain).
      const lo = this.pcLo,
        hi = this.pcHi;
      if (prev !== undefined && prev.linkGen === this.gen) {
        if (prev.s0 !== undefined && prev.s0Lo === lo && prev.s0Hi === hi && prev.s0.valid)
          blk = prev.s0;
        else if (prev.s1 !== undefined && prev.s1Lo === lo && prev.s1Hi === hi && prev.s1.valid)
          blk = prev.s1;
      }
      if (blk === undefined) {
        blk = this.fetchBlock();
        if (blk === undefined) {
          prev = undefined;
          continue;
        }
        if (prev !== undefined) {
          if (prev.linkGen !== this.gen) {
            prev.linkGen = this.gen;
            prev.s0 = undefined;
            prev.s1 = undefined;
          }
          if (prev.s0 === undefined) {
            prev.s0 = blk;
            prev.s0Lo = lo;
            prev.s0Hi = hi;
          } else {
            prev.s1 = blk;
            prev.s1Lo = lo;
            prev.s1Hi = hi;
          }
        }
      }
      const el = this.el;
      if (this.traceBlocks && this.traceHook !== undefined) this.traceHook(this);
      let fn = blk.fn;
      if (left < blk.n) this.execBlock(blk, left);
      else {
        if (fn === undefined) {
          const h = ++blk.hits;
          if (
            this.wasm !== undefined &&
            h === this.wasmThreshold + 1 &&
            this.jitThreshold !== Infinity
          ) {
            this.queueWasm(blk);
            fn = blk.fn;
          } else if (h > this.jitThreshold) {
            const r = compileRegion(blk, this.lookupBlock, this.mmuOn);
            fn = blk.fn = r === undefined ? null : r.fn;
            if (r !== undefined) {
              blk.members = r.members as Block[];
              this.jitBlocks++;
            }
          }
        }
        if (fn) fn(this, blk);
        else this.execBlock(blk, blk.n);
      }
      prev = this.el === el ? blk : undefined;
    }
    return this.stopReason;
  }

  // ---- WebAssembly tier ---------------------------------------------------------------------

  /**
   * Queues the region entered at `blk` for the WebAssembly tier; every {@link Cpu.wasmBatch}
   * regions of one translation regime are compiled together into one module.
   */
  private queueWasm(blk: Block): void {
    const w = this.wasm!;
    const q = this.mmuOn ? w.pending1 : w.pending0;
    q.push(blk);
    if (q.length >= this.wasmBatch) this.flushWasm(this.mmuOn);
  }

  /** Compiles the queued regions of one translation regime (see {@link Cpu.queueWasm}). */
  private flushWasm(mmuOn: boolean): void {
    const w = this.wasm!;
    const q = mmuOn ? w.pending1 : w.pending0;
    const blocks = q.splice(0);
    const arena = this.memory.arena!;
    const pages = arena.buffer.byteLength / 65536;
    const rams = this.memory.regions
      .filter((r) => r.arenaOffset >= 0)
      .sort((a, b) => b.size - a.size)
      .slice(0, 4)
      .map((r) => ({ base: r.base, size: r.size, off: r.arenaOffset, codeOff: r.codeArenaOffset }));
    const layout: WasmLayout = { rb: w.rb, tlbWays: TLB_WAYS, chain: w.chain, rams };
    const regions: WasmRegion[] = [],
      entries: Block[] = [];
    for (const blk of blocks) {
      if (!blk.valid || blk.fn !== undefined) continue;
      regions.push(generateWasmRegion(blk, this.lookupBlock, layout, mmuOn));
      entries.push(blk);
    }
    if (regions.length === 0) return;
    try {
      // past the slot limit (long runs whose code keeps changing), every compiled region is
      // dropped; blocks compile again as they get hot
      if (w.tableUsed + regions.length > Cpu.wasmSlotLimit) this.resetWasm();
      // the runtime (helpers for the RAM regions in the arena, trampoline): rebuilt when those
      // regions change; modules made before keep the helpers they were linked with
      const key = rams.map((r) => `${r.base}:${r.size}:${r.off}`).join(',');
      if (w.runtime === undefined || w.runtimeKey !== key) {
        const rt = new wasmApi!.Instance(new wasmApi!.Module(runtimeModule(layout, pages)), {
          e: { m: arena, t: w.table, ...this.wasmCallouts() },
        }).exports;
        const imports = (on: boolean): Record<string, Record<string, unknown>> => {
          const e: Record<string, unknown> = {
            m: arena,
            mrs: rt['mrs'],
            cold: rt['cold'],
            sys: rt['sys'],
            msr: rt['msr'],
            zva: rt[on ? 'Z' : 'z'],
          };
          helperNames(on).forEach((n, i) => (e[`h${i}`] = rt[n]));
          return { e };
        };
        w.runtime = { tramp: rt['t'] as WasmTrampoline, imports: [imports(false), imports(true)] };
        w.runtimeKey = key;
      }
      // the table grows in steps of 1024 slots (a grow costs about as much as a compile)
      const base = w.tableUsed;
      w.tableUsed += regions.length;
      if (w.tableUsed > w.table.length) w.table.grow(Math.max(1024, w.tableUsed - w.table.length));
      const fns = new wasmApi!.Instance(
        new wasmApi!.Module(assembleWasmBatch(regions, pages)),
        w.runtime.imports[mmuOn ? 1 : 0]!,
      ).exports;
      for (let i = 0; i < regions.length; i++) {
        const blk = entries[i]!,
          r = regions[i]!,
          slot = base + i;
        w.table.set(slot, fns[`f${i}`]);
        w.regions[slot] = r;
        w.entries[slot] = blk;
        blk.fn = (_cpu, b) => this.runWasm(slot, r, b as Block);
        blk.members = r.members as Block[];
      }
      this.wasmRegions += regions.length;
      this.jitBlocks += regions.length;
    } catch (e) {
      // code generation refused by the embedder (CSP): blocks stay interpreted or go to the
      // JavaScript JIT; any other CompileError is a bug of the generator and is thrown
      // (a RangeError: no memory for more code or table slots: the tier stops the same way)
      if (
        (e instanceof wasmApi!.CompileError && /disallowed/i.test(e.message)) ||
        e instanceof RangeError
      ) {
        this.wasmThreshold = Infinity;
        return;
      }
      throw e;
    }
  }

  /** Drops every compiled WebAssembly region of this CPU (see {@link Cpu.wasmSlotLimit}). */
  private resetWasm(): void {
    const w = this.wasm!;
    for (const blk of w.entries) {
      blk.fn = undefined;
      blk.members = undefined;
      blk.hits = 0;
    }
    w.table = new wasmApi!.Table({ element: 'anyfunc', initial: 0 });
    w.runtime = undefined;
    w.tableUsed = 0;
    w.regions = [];
    w.entries = [];
    w.epoch++; // every chain entry names a slot of the old table
    w.lastGen = this.gen;
    w.lastInvals = this.codeInvals;
  }

  /** The load, store and MRS callouts of the WebAssembly tier (see wasm-jit.ts). */
  private wasmCallouts(): Record<string, (...a: number[]) => number> {
    const w = this.wasm!,
      S = w.S,
      scr = (w.rb + ST_SCR) >>> 2;
    return {
      ld: (kind, lo, hi) => {
        this.wasmAt(S[(w.rb + ST_POS) >>> 2]!, false);
        if (kind === 3) {
          this.ld64(lo!, hi!);
          S[scr] = T[0]!;
          S[scr + 1] = T[1]!;
        } else {
          S[scr] =
            kind === 2
              ? this.ld32(lo!, hi!)
              : kind === 1
                ? this.ld16(lo!, hi!)
                : this.ld8(lo!, hi!);
          S[scr + 1] = 0;
        }
        return this.wasmLeave();
      },
      st: (kind, lo, hi, vl, vh) => {
        this.wasmAt(S[(w.rb + ST_POS) >>> 2]!, false);
        if (kind === 3) this.st64(lo!, hi!, vl!, vh!);
        else if (kind === 2) this.st32(lo!, hi!, vl!);
        else if (kind === 1) this.st16(lo!, hi!, vl!);
        else this.st8(lo!, hi!, vl!);
        let r = this.wasmLeave();
        if (this.blockDirty) {
          this.blockDirty = false;
          r |= LEAVE_NOW;
        }
        return r;
      },
      mrs: (key, rd) => (this.jitMrs(key!, rd!) ? 1 : 0),
      msr: (key, rt) => {
        if (!this.jitMsr(key!, rt!)) return 0;
        this.wasmLeaveSoon();
        return 1;
      },
      cold: (pos) => {
        const at = this.wasmAt(pos!, true);
        const r = this.execCold(at.m.ops, at.k * STRIDE, at.k, at.lo, at.hi);
        this.wasmFlagsToState();
        this.wasmLeaveSoon();
        if (r === COLD_NEXT) return 0;
        if (r === COLD_DIRTY) {
          // a store wrote decoded code: the block ends after this instruction
          this.blockDirty = false;
          this.pcLo = (at.lo + (at.k + 1) * 4) | 0;
          this.pcHi = at.hi;
          this.insnCount += at.k + 1;
        }
        return 1;
      },
      sys: (pos) => {
        const at = this.wasmAt(pos!, true);
        this.insnCount += at.k + 1;
        this.system(at.m.ops, at.k * STRIDE, (at.lo + at.k * 4) | 0, at.hi, at.m.words[at.k]!);
        this.wasmFlagsToState();
        return 1;
      },
    };
  }

  /**
   * Instruction `pos` (member << 16 | index) of the running WebAssembly region, for a callout
   * into the CPU: records the position (for a fault) and brings the CPU to the state the
   * interpreter has in the middle of that block: the instruction count and PC of the block's
   * start, the exclusive monitor, and (with `flags`) NZCV. Returns the member block and its
   * address.
   */
  private wasmAt(pos: number, flags: boolean): { m: Block; k: number; lo: number; hi: number } {
    const w = this.wasm!,
      S = w.S,
      b = w.rb >>> 2;
    S[b + (ST_POS >>> 2)] = pos;
    // a store done in the module since the last look clears the exclusive monitor now (an
    // STXR after it must fail, as in the interpreter)
    if (S[b + (ST_STORED >>> 2)] !== 0) {
      S[b + (ST_STORED >>> 2)] = 0;
      this.monitorValid = false;
    }
    // (ST_CNT itself stays: the module's budget checks count from the chain's start)
    const done = S[b + (ST_CNT >>> 2)]!;
    this.insnCount += done - this.wasmCounted;
    this.wasmCounted = done;
    if (flags) this.wasmFlagsFromState();
    // the PC of the running block, as the interpreter has it during a block
    const at = this.wasmPos();
    this.pcLo = at.lo;
    this.pcHi = at.hi;
    return at;
  }

  /**
   * The instruction ST_POS names in the region ST_SLOT names (the last one entered in the
   * chain): its member block, index, and the member's address.
   */
  private wasmPos(): { m: Block; k: number; lo: number; hi: number } {
    const w = this.wasm!,
      S = w.S,
      b = w.rb >>> 2;
    const pos = S[b + (ST_POS >>> 2)]!,
      j = pos >>> 16;
    const cur = w.regions[S[b + (ST_SLOT >>> 2)]!]!;
    return {
      m: cur.members[j]! as Block,
      k: pos & 0xffff,
      lo: (S[b + (ST_ENTRY >>> 2)]! + cur.rel[j]!) | 0,
      hi: S[b + (ST_ENTRY >>> 2) + 1]!,
    };
  }

  /** Copies the CPU's NZCV into the WebAssembly state block. */
  private wasmFlagsToState(): void {
    const S = this.wasm!.S,
      F = (this.wasm!.rb + ST_FLAGS) >>> 2;
    S[F] = this.n;
    S[F + 1] = this.z;
    S[F + 2] = this.c;
    S[F + 3] = this.v;
  }

  /** Copies NZCV from the WebAssembly state block into the CPU. */
  private wasmFlagsFromState(): void {
    const S = this.wasm!.S,
      F = (this.wasm!.rb + ST_FLAGS) >>> 2;
    this.n = S[F]!;
    this.z = S[F + 1]!;
    this.c = S[F + 2]!;
    this.v = S[F + 3]!;
  }

  /** Or-s {@link Cpu.wasmLeave} into ST_LV (a callout that returns no leave bits itself). */
  private wasmLeaveSoon(): void {
    const w = this.wasm!,
      lv = (w.rb + ST_LV) >>> 2;
    w.S[lv] = w.S[lv]! | this.wasmLeave();
  }

  /** LEAVE_SOON when the run loop has work after a callout (what compiled JS checks between members). */
  private wasmLeave(): number {
    return this.stopFlag ||
      this.attention ||
      this.traceHook !== undefined ||
      this.gen !== this.wasm!.lastGen ||
      this.codeInvals !== this.wasm!.lastInvals
      ? LEAVE_SOON
      : 0;
  }

  /** Runs a WebAssembly region entered at `blk` (the run loop's `blk.fn`). */
  private runWasm(slot: number, r: WasmRegion, blk: Block): void {
    if (this.mmuOn !== r.mmuOn) {
      // compiled for the other translation regime: the interpreter (still correct)
      this.execBlock(blk, blk.n);
      return;
    }
    const w = this.wasm!,
      S = w.S,
      b = w.rb >>> 2;
    // chain key: regions chain only under the translation regime, EL and code they were
    // entered with (a translation or code change makes every older chain entry stale)
    if (this.gen !== w.lastGen || this.codeInvals !== w.lastInvals) {
      w.epoch++;
      w.lastGen = this.gen;
      w.lastInvals = this.codeInvals;
    }
    const key = (w.epoch << 3) | (this.el << 1) | (this.mmuOn ? 1 : 0);
    const pb = this.pcLo,
      bh = this.pcHi;
    const e = (w.chain >>> 2) + ((pb >>> 2) & (CHAIN_ENTRIES - 1)) * 4;
    S[e] = pb;
    S[e + 1] = bh;
    S[e + 2] = key;
    S[e + 3] = slot;
    this.wasmFlagsToState();
    S[b + (ST_CNT >>> 2)] = 0;
    S[b + (ST_STORED >>> 2)] = 0;
    // a block-granular trace hook sees every block: no chaining, no running on past a member
    S[b + (ST_LV >>> 2)] = this.traceHook === undefined ? 0 : LEAVE_SOON;
    S[b + (ST_TB >>> 2)] = w.tlbOff + this.el * 2 * TLB_WAYS * 16;
    S[b + (ST_KEY >>> 2)] = key;
    this.wasmCounted = 0;
    const left = this.runEnd - this.insnCount;
    let status: number;
    try {
      status = w.runtime!.tramp(slot, pb, bh, left > 0x40000000 ? 0x40000000 : left);
    } catch (e) {
      if (e !== FAULT) throw e;
      status = 2;
    }
    this.insnCount += S[b + (ST_CNT >>> 2)]! - this.wasmCounted;
    this.wasmFlagsFromState();
    if (S[b + (ST_STORED >>> 2)] !== 0) this.monitorValid = false;
    if (status === 0) {
      this.pcLo = S[b + (ST_PC >>> 2)]!;
      this.pcHi = S[b + (ST_PC >>> 2) + 1]!;
      return;
    }
    if (status === 3) return; // a callout ended the block (PC and count are set)
    // a fault (2) at the instruction of the last callout
    const at = this.wasmPos();
    this.blockFault(at.m.ops, at.k, at.lo, at.hi);
  }

  private cond(c: number): boolean {
    return conditionHoldsFlags(c, this.n, this.z, this.c, this.v);
  }

  /** Adds with carry-in and optional flags; b must already be inverted for subtraction. */
  private addc(
    d: number,
    aLo: number,
    aHi: number,
    bLo: number,
    bHi: number,
    cin: number,
    sf: number,
    flags: boolean,
  ): void {
    const R = this.R;
    if (sf) {
      const l = (aLo >>> 0) + (bLo >>> 0) + cin;
      const h = (aHi >>> 0) + (bHi >>> 0) + (l > 0xffffffff ? 1 : 0);
      const rl = l | 0,
        rh = h | 0;
      R[d] = rl;
      R[d + 1] = rh;
      if (flags) {
        this.n = rh >>> 31;
        this.z = (rl | rh) === 0 ? 1 : 0;
        this.c = h > 0xffffffff ? 1 : 0;
        this.v = ((aHi ^ rh) & (bHi ^ rh)) >>> 31;
      }
    } else {
      const s = (aLo >>> 0) + (bLo >>> 0) + cin;
      const r = s | 0;
      R[d] = r;
      R[d + 1] = 0;
      if (flags) {
        this.n = r >>> 31;
        this.z = r === 0 ? 1 : 0;
        this.c = s > 0xffffffff ? 1 : 0;
        this.v = ((aLo ^ r) & (bLo ^ r)) >>> 31;
      }
    }
  }

  private logicFlags(lo: number, hi: number, sf: number): void {
    if (sf) {
      this.n = hi >>> 31;
      this.z = (lo | hi) === 0 ? 1 : 0;
    } else {
      this.n = lo >>> 31;
      this.z = lo === 0 ? 1 : 0;
    }
    this.c = 0;
    this.v = 0;
  }

  /** Extended-register operand into T. */
  private extend(s: number, option: number, amount: number): void {
    const R = this.R;
    let lo = R[s]!,
      hi = 0;
    switch (option) {
      case 0:
        lo &= 0xff;
        break;
      case 1:
        lo &= 0xffff;
        break;
      case 2:
        break;
      case 3:
        hi = R[s + 1]!;
        break;
      case 4:
        lo = (lo << 24) >> 24;
        hi = lo >> 31;
        break;
      case 5:
        lo = (lo << 16) >> 16;
        hi = lo >> 31;
        break;
      case 6:
        hi = lo >> 31;
        break;
      default:
        hi = R[s + 1]!;
        break;
    }
    lsl64(lo, hi, amount);
  }

  /** Shifted-register operand into T. */
  private shifted(s: number, type: number, amount: number, sf: number): void {
    if (sf) shift64(this.R[s]!, this.R[s + 1]!, type, amount);
    else {
      T[0] = shift32(this.R[s]!, type, amount);
      T[1] = 0;
    }
  }

  /** Effective address of a load/store op into T; returns the writeback mode. */
  private address(ops: Int32Array, o: number): void {
    const R = this.R;
    const rn = ops[o + 2]!,
      mode = ops[o + 5]!;
    const bLo = R[rn]!,
      bHi = R[rn + 1]!;
    if (mode === 0) {
      // immediate offset, the common case
      const l = (bLo >>> 0) + ops[o + 4]!;
      T[0] = l | 0;
      T[1] = (bHi + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
      return;
    }
    if (mode === 2) {
      T[0] = bLo;
      T[1] = bHi;
      return;
    }
    let oLo: number, oHi: number;
    if (mode === 3) {
      this.extend(ops[o + 3]!, ops[o + 6]!, ops[o + 7]!);
      oLo = T[0]!;
      oHi = T[1]!;
    } else {
      oLo = ops[o + 4]!;
      oHi = oLo >> 31;
    }
    const l = (bLo >>> 0) + (oLo >>> 0);
    T[0] = l | 0;
    T[1] = (bHi + oHi + (l > 0xffffffff ? 1 : 0)) | 0;
  }

  private writeback(ops: Int32Array, o: number, aLo: number, aHi: number): void {
    const mode = ops[o + 5]!;
    if (mode === 1 || mode === 2) {
      const rn = ops[o + 2]!;
      if (mode === 1) {
        this.R[rn] = aLo;
        this.R[rn + 1] = aHi;
        return;
      }
      const imm = ops[o + 4]!;
      const l = (aLo >>> 0) + (imm >>> 0);
      this.R[rn] = l | 0;
      this.R[rn + 1] = (aHi + (imm >> 31) + (l > 0xffffffff ? 1 : 0)) | 0;
    }
  }

  /**
   * Interprets instructions `start` to `count - 1` of a block whose first instruction is at
   * the PC (the JIT hands over the rest of a block with `start` > 0).
   */
  private execBlock(blk: Block, count: number, start = 0): void {
    const R = this.R;
    const ops = blk.ops;
    const baseLo = this.pcLo,
      baseHi = this.pcHi;
    let i = start;
    let o = start * STRIDE;
    try {
      for (; i < count; i++, o += STRIDE) {
        const rd = ops[o + 1]!,
          rn = ops[o + 2]!,
          rm = ops[o + 3]!;
        // Case labels are number literals (the OP value, its name in the comment; checked by
        // test/dispatch.test.ts): V8 turns a switch into a jump table only when every label is
        // a literal. With `OP.NOP` as labels each dispatch ran down a chain of about a hundred
        // comparisons (the Linux boot's first 400 M instructions: 12.3 -> 11.1 s).
        switch (ops[o]!) {
          case 1 /* NOP */:
            break;
          case 2 /* ADD_I */: {
            const a = ops[o + 4]!;
            if (ops[o + 6]) {
              const l = (R[rn]! >>> 0) + a;
              R[rd + 1] = (R[rn + 1]! + (l > 0xffffffff ? 1 : 0)) | 0;
              R[rd] = l | 0;
            } else {
              R[rd] = (R[rn]! + a) | 0;
              R[rd + 1] = 0;
            }
            break;
          }
          case 4 /* SUB_I */: {
            const a = ops[o + 4]!;
            if (ops[o + 6]) {
              const l = (R[rn]! >>> 0) - a;
              R[rd + 1] = (R[rn + 1]! - (l < 0 ? 1 : 0)) | 0;
              R[rd] = l | 0;
            } else {
              R[rd] = (R[rn]! - a) | 0;
              R[rd + 1] = 0;
            }
            break;
          }
          case 3 /* ADDS_I */:
            this.addc(rd, R[rn]!, R[rn + 1]!, ops[o + 4]!, 0, 0, ops[o + 6]!, true);
            break;
          case 5 /* SUBS_I */:
            this.addc(rd, R[rn]!, R[rn + 1]!, ~ops[o + 4]!, -1, 1, ops[o + 6]!, true);
            break;
          case 6 /* ADD_R */:
          case 7 /* ADDS_R */:
          case 8 /* SUB_R */:
          case 9 /* SUBS_R */: {
            const op = ops[o]!;
            const sf = ops[o + 6]!;
            let bl: number, bh: number;
            if (ops[o + 5] === 0) {
              bl = R[rm]!; // no shift (the common case) without the call
              bh = R[rm + 1]!;
            } else {
              this.shifted(rm, ops[o + 4]!, ops[o + 5]!, sf);
              bl = T[0]!;
              bh = T[1]!;
            }
            if (op === OP.ADD_R || op === OP.ADDS_R)
              this.addc(rd, R[rn]!, R[rn + 1]!, bl, bh, 0, sf, op === OP.ADDS_R);
            else this.addc(rd, R[rn]!, R[rn + 1]!, ~bl, ~bh, 1, sf, op === OP.SUBS_R);
            break;
          }
          case 10 /* ADD_X */:
          case 11 /* ADDS_X */:
          case 12 /* SUB_X */:
          case 13 /* SUBS_X */: {
            const op = ops[o]!;
            this.extend(rm, ops[o + 4]!, ops[o + 5]!);
            if (op === OP.ADD_X || op === OP.ADDS_X)
              this.addc(rd, R[rn]!, R[rn + 1]!, T[0]!, T[1]!, 0, ops[o + 6]!, op === OP.ADDS_X);
            else
              this.addc(rd, R[rn]!, R[rn + 1]!, ~T[0]!, ~T[1]!, 1, ops[o + 6]!, op === OP.SUBS_X);
            break;
          }
          case 40 /* EXTR */: {
            const lsb = ops[o + 4]!;
            if (ops[o + 6]) {
              // (Rn:Rm) >> lsb, low 64 bits
              if (lsb === 0) {
                R[rd] = R[rm]!;
                R[rd + 1] = R[rm + 1]!;
                break;
              }
              lsr64(R[rm]!, R[rm + 1]!, lsb);
              const ll = T[0]!,
                lh = T[1]!;
              lsl64(R[rn]!, R[rn + 1]!, 64 - lsb);
              R[rd] = ll | T[0]!;
              R[rd + 1] = lh | T[1]!;
            } else {
              R[rd] = lsb === 0 ? R[rm]! : (R[rm]! >>> lsb) | (R[rn]! << (32 - lsb));
              R[rd + 1] = 0;
            }
            break;
          }
          case 49 /* RBIT */: {
            if (ops[o + 6]) {
              const l = R[rn]!,
                h = R[rn + 1]!;
              R[rd] = rbit32(h);
              R[rd + 1] = rbit32(l);
            } else {
              R[rd] = rbit32(R[rn]!);
              R[rd + 1] = 0;
            }
            break;
          }
          case 50 /* REV16 */: {
            if (ops[o + 6]) {
              const l = R[rn]!,
                h = R[rn + 1]!;
              R[rd] = rev16x2(l);
              R[rd + 1] = rev16x2(h);
            } else {
              R[rd] = rev16x2(R[rn]!);
              R[rd + 1] = 0;
            }
            break;
          }
          case 51 /* REV32 */: {
            const l = R[rn]!,
              h = R[rn + 1]!;
            R[rd] = rev32(l);
            R[rd + 1] = rev32(h);
            break;
          }
          case 52 /* REV */: {
            if (ops[o + 6]) {
              const l = R[rn]!,
                h = R[rn + 1]!;
              R[rd] = rev32(h);
              R[rd + 1] = rev32(l);
            } else {
              R[rd] = rev32(R[rn]!);
              R[rd + 1] = 0;
            }
            break;
          }
          case 53 /* CLZ */: {
            R[rd] = ops[o + 6] ? clz64(R[rn]!, R[rn + 1]!) : Math.clz32(R[rn]!);
            R[rd + 1] = 0;
            break;
          }
          case 54 /* CLS */: {
            if (ops[o + 6]) {
              const l = R[rn]!,
                h = R[rn + 1]!,
                s = h >> 31;
              R[rd] = clz64(l ^ s, h ^ s) - 1;
            } else {
              const x = R[rn]!;
              R[rd] = Math.clz32(x ^ (x >> 31)) - 1;
            }
            R[rd + 1] = 0;
            break;
          }
          case 57 /* LSLV */:
          case 58 /* LSRV */:
          case 59 /* ASRV */:
          case 60 /* RORV */: {
            const type = ops[o]! - OP.LSLV;
            if (ops[o + 6]) {
              shift64(R[rn]!, R[rn + 1]!, type, R[rm]! & 63);
              R[rd] = T[0]!;
              R[rd + 1] = T[1]!;
            } else {
              R[rd] = shift32(R[rn]!, type, R[rm]! & 31);
              R[rd + 1] = 0;
            }
            break;
          }
          case 61 /* MADD */:
          case 62 /* MSUB */: {
            const ra = ops[o + 4]!;
            if (ops[o + 6]) mul64(R[rn]!, R[rn + 1]!, R[rm]!, R[rm + 1]!);
            else {
              T[0] = Math.imul(R[rn]!, R[rm]!);
              T[1] = 0;
            }
            const pl = T[0]!,
              ph = T[1]!;
            if (ops[o] === OP.MADD)
              this.addc(rd, R[ra]!, R[ra + 1]!, pl, ph, 0, ops[o + 6]!, false);
            else this.addc(rd, R[ra]!, R[ra + 1]!, ~pl, ~ph, 1, ops[o + 6]!, false);
            break;
          }
          case 55 /* UDIV */:
          case 56 /* SDIV */:
          case 63 /* SMADDL */:
          case 64 /* SMSUBL */:
          case 65 /* UMADDL */:
          case 66 /* UMSUBL */:
          case 117 /* CRC32 */:
          case 67 /* SMULH */:
          case 68 /* UMULH */:
          case 99 /* LDXR */:
          case 101 /* LDXP */:
          case 100 /* STXR */:
          case 102 /* STXP */:
          case 103 /* CLREX */:
          case 200 /* LSE_AMO */:
          case 201 /* LSE_CAS */:
          case 202 /* LSE_CASP */:
          case 116 /* SIMD */: {
            const r = this.execCold(ops, o, i, baseLo, baseHi);
            if (r === COLD_NEXT) break;
            if (r === COLD_END) return;
            i++; // COLD_DIRTY
            o += STRIDE;
            throw FAULT_DIRTY;
          }
          case 14 /* ADC */:
            this.addc(rd, R[rn]!, R[rn + 1]!, R[rm]!, R[rm + 1]!, this.c, ops[o + 6]!, false);
            break;
          case 15 /* ADCS */:
            this.addc(rd, R[rn]!, R[rn + 1]!, R[rm]!, R[rm + 1]!, this.c, ops[o + 6]!, true);
            break;
          case 16 /* SBC */:
            this.addc(rd, R[rn]!, R[rn + 1]!, ~R[rm]!, ~R[rm + 1]!, this.c, ops[o + 6]!, false);
            break;
          case 17 /* SBCS */:
            this.addc(rd, R[rn]!, R[rn + 1]!, ~R[rm]!, ~R[rm + 1]!, this.c, ops[o + 6]!, true);
            break;
          case 18 /* AND_I */:
          case 19 /* ORR_I */:
          case 20 /* EOR_I */:
          case 21 /* ANDS_I */: {
            const op = ops[o]!,
              sf = ops[o + 6]!;
            let lo = R[rn]!,
              hi = sf ? R[rn + 1]! : 0;
            const ml = ops[o + 4]!,
              mh = ops[o + 5]!;
            if (op === OP.ORR_I) {
              lo |= ml;
              hi |= mh;
            } else if (op === OP.EOR_I) {
              lo ^= ml;
              hi ^= mh;
            } else {
              lo &= ml;
              hi &= mh;
            }
            if (op === OP.ANDS_I) this.logicFlags(lo, hi, sf);
            R[rd] = lo;
            R[rd + 1] = hi;
            break;
          }
          case 22 /* AND_R */:
          case 23 /* BIC_R */:
          case 24 /* ORR_R */:
          case 25 /* ORN_R */:
          case 26 /* EOR_R */:
          case 27 /* EON_R */:
          case 28 /* ANDS_R */:
          case 29 /* BICS_R */: {
            const op = ops[o]!,
              sf = ops[o + 6]!;
            let bl: number, bh: number;
            if (ops[o + 5] === 0) {
              bl = R[rm]!; // no shift (the common case) without the call
              bh = sf ? R[rm + 1]! : 0;
            } else {
              this.shifted(rm, ops[o + 4]!, ops[o + 5]!, sf);
              bl = T[0]!;
              bh = T[1]!;
            }
            if (op === OP.BIC_R || op === OP.ORN_R || op === OP.EON_R || op === OP.BICS_R) {
              bl = ~bl;
              bh = sf ? ~bh : 0;
            }
            let lo = R[rn]!,
              hi = sf ? R[rn + 1]! : 0;
            if (op === OP.ORR_R || op === OP.ORN_R) {
              lo |= bl;
              hi |= bh;
            } else if (op === OP.EOR_R || op === OP.EON_R) {
              lo ^= bl;
              hi ^= bh;
            } else {
              lo &= bl;
              hi &= bh;
            }
            if (op === OP.ANDS_R || op === OP.BICS_R) this.logicFlags(lo, hi, sf);
            R[rd] = lo;
            R[rd + 1] = hi;
            break;
          }
          case 30 /* MOV_R */:
            R[rd] = R[rm]!;
            R[rd + 1] = ops[o + 6] ? R[rm + 1]! : 0;
            break;
          case 31 /* MOVI */:
            R[rd] = ops[o + 4]!;
            R[rd + 1] = ops[o + 5]!;
            break;
          case 32 /* MOVK */: {
            const pos = ops[o + 4]!,
              imm = ops[o + 5]!;
            if (pos === 0) R[rd] = (R[rd]! & ~0xffff) | imm;
            else if (pos === 16) R[rd] = (R[rd]! & 0xffff) | (imm << 16);
            else if (pos === 32) R[rd + 1] = (R[rd + 1]! & ~0xffff) | imm;
            else R[rd + 1] = (R[rd + 1]! & 0xffff) | (imm << 16);
            if (!ops[o + 6]) R[rd + 1] = 0;
            break;
          }
          case 33 /* ADR */: {
            let pl = (baseLo + i * 4) >>> 0;
            if (ops[o + 6]) pl = (pl & ~0xfff) >>> 0;
            const l = pl + (ops[o + 4]! >>> 0);
            R[rd + 1] = (baseHi + ops[o + 5]! + (l > 0xffffffff ? 1 : 0)) | 0;
            R[rd] = l | 0;
            break;
          }
          case 37 /* LSL_I */: {
            const sh = ops[o + 4]!;
            if (ops[o + 6]) {
              lsl64(R[rn]!, R[rn + 1]!, sh);
              R[rd] = T[0]!;
              R[rd + 1] = T[1]!;
            } else {
              R[rd] = R[rn]! << sh;
              R[rd + 1] = 0;
            }
            break;
          }
          case 38 /* LSR_I */: {
            const sh = ops[o + 4]!;
            if (ops[o + 6]) {
              lsr64(R[rn]!, R[rn + 1]!, sh);
              R[rd] = T[0]!;
              R[rd + 1] = T[1]!;
            } else {
              R[rd] = (R[rn]! >>> sh) | 0;
              R[rd + 1] = 0;
            }
            break;
          }
          case 39 /* ASR_I */: {
            const sh = ops[o + 4]!;
            if (ops[o + 6]) {
              asr64(R[rn]!, R[rn + 1]!, sh);
              R[rd] = T[0]!;
              R[rd + 1] = T[1]!;
            } else {
              R[rd] = R[rn]! >> sh;
              R[rd + 1] = 0;
            }
            break;
          }
          case 34 /* SBFM */:
          case 35 /* BFM */:
          case 36 /* UBFM */:
            this.bitfield(ops, o);
            break;
          case 41 /* CCMP_R */:
          case 42 /* CCMN_R */:
          case 43 /* CCMP_I */:
          case 44 /* CCMN_I */: {
            if (this.cond(ops[o + 5]!)) {
              const op = ops[o]!;
              let bl: number, bh: number;
              if (op === OP.CCMP_I || op === OP.CCMN_I) {
                bl = ops[o + 4]!;
                bh = 0;
              } else {
                bl = R[rm]!;
                bh = R[rm + 1]!;
              }
              if (op === OP.CCMP_R || op === OP.CCMP_I)
                this.addc(66, R[rn]!, R[rn + 1]!, ~bl, ~bh, 1, ops[o + 6]!, true);
              else this.addc(66, R[rn]!, R[rn + 1]!, bl, bh, 0, ops[o + 6]!, true);
            } else this.nzcv = ops[o + 7]!;
            break;
          }
          case 45 /* CSEL */:
          case 46 /* CSINC */:
          case 47 /* CSINV */:
          case 48 /* CSNEG */: {
            const sf = ops[o + 6]!;
            if (this.cond(ops[o + 5]!)) {
              R[rd] = R[rn]!;
              R[rd + 1] = sf ? R[rn + 1]! : 0;
              break;
            }
            const op = ops[o]!;
            let lo = R[rm]!,
              hi = sf ? R[rm + 1]! : 0;
            if (op === OP.CSINC) {
              const l = (lo >>> 0) + 1;
              lo = l | 0;
              if (sf) hi = (hi + (l > 0xffffffff ? 1 : 0)) | 0;
            } else if (op === OP.CSINV) {
              lo = ~lo;
              hi = sf ? ~hi : 0;
            } else if (op === OP.CSNEG) {
              lo = ~lo;
              hi = sf ? ~hi : 0;
              const l = (lo >>> 0) + 1;
              lo = l | 0;
              if (sf) hi = (hi + (l > 0xffffffff ? 1 : 0)) | 0;
            }
            R[rd] = lo;
            R[rd + 1] = hi;
            break;
          }

          // ---- loads and stores
          case 83 /* LDRX */: {
            let al: number, ah: number;
            if (ops[o + 5] === 0) {
              // immediate offset (the common case) without the call
              const l = (R[rn]! >>> 0) + ops[o + 4]!;
              al = l | 0;
              ah = (R[rn + 1]! + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            } else {
              this.address(ops, o);
              al = T[0]!;
              ah = T[1]!;
            }
            this.ld64(al, ah);
            const vl = T[0]!,
              vh = T[1]!;
            if (ops[o + 5] !== 0) this.writeback(ops, o, al, ah);
            R[rd] = vl;
            R[rd + 1] = vh;
            break;
          }
          case 82 /* LDRW */:
          case 88 /* LDRSW */: {
            let al: number, ah: number;
            if (ops[o + 5] === 0) {
              // immediate offset (the common case) without the call
              const l = (R[rn]! >>> 0) + ops[o + 4]!;
              al = l | 0;
              ah = (R[rn + 1]! + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            } else {
              this.address(ops, o);
              al = T[0]!;
              ah = T[1]!;
            }
            const v = this.ld32(al, ah);
            if (ops[o + 5] !== 0) this.writeback(ops, o, al, ah);
            R[rd] = v;
            R[rd + 1] = ops[o] === OP.LDRSW ? v >> 31 : 0;
            break;
          }
          case 81 /* LDRH */:
          case 86 /* LDRSH_W */:
          case 87 /* LDRSH_X */: {
            let al: number, ah: number;
            if (ops[o + 5] === 0) {
              // immediate offset (the common case) without the call
              const l = (R[rn]! >>> 0) + ops[o + 4]!;
              al = l | 0;
              ah = (R[rn + 1]! + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            } else {
              this.address(ops, o);
              al = T[0]!;
              ah = T[1]!;
            }
            let v = this.ld16(al, ah);
            if (ops[o + 5] !== 0) this.writeback(ops, o, al, ah);
            const op = ops[o]!;
            if (op !== OP.LDRH) v = (v << 16) >> 16;
            R[rd] = op === OP.LDRSH_W ? v & 0xffffffff : v;
            R[rd + 1] = op === OP.LDRSH_X ? v >> 31 : 0;
            break;
          }
          case 80 /* LDRB */:
          case 84 /* LDRSB_W */:
          case 85 /* LDRSB_X */: {
            let al: number, ah: number;
            if (ops[o + 5] === 0) {
              // immediate offset (the common case) without the call
              const l = (R[rn]! >>> 0) + ops[o + 4]!;
              al = l | 0;
              ah = (R[rn + 1]! + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            } else {
              this.address(ops, o);
              al = T[0]!;
              ah = T[1]!;
            }
            let v = this.ld8(al, ah);
            if (ops[o + 5] !== 0) this.writeback(ops, o, al, ah);
            const op = ops[o]!;
            if (op !== OP.LDRB) v = (v << 24) >> 24;
            R[rd] = v;
            R[rd + 1] = op === OP.LDRSB_X ? v >> 31 : 0;
            break;
          }
          case 92 /* STRX */: {
            const vl = R[rd]!,
              vh = R[rd + 1]!;
            let al: number, ah: number;
            if (ops[o + 5] === 0) {
              // immediate offset (the common case) without the call
              const l = (R[rn]! >>> 0) + ops[o + 4]!;
              al = l | 0;
              ah = (R[rn + 1]! + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            } else {
              this.address(ops, o);
              al = T[0]!;
              ah = T[1]!;
            }
            this.st64(al, ah, vl, vh);
            if (ops[o + 5] !== 0) this.writeback(ops, o, al, ah);
            if (this.blockDirty) {
              i++;
              o += STRIDE;
              throw FAULT_DIRTY;
            }
            break;
          }
          case 91 /* STRW */:
          case 90 /* STRH */:
          case 89 /* STRB */: {
            const val = R[rd]!,
              op = ops[o]!;
            let al: number, ah: number;
            if (ops[o + 5] === 0) {
              // immediate offset (the common case) without the call
              const l = (R[rn]! >>> 0) + ops[o + 4]!;
              al = l | 0;
              ah = (R[rn + 1]! + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            } else {
              this.address(ops, o);
              al = T[0]!;
              ah = T[1]!;
            }
            if (op === OP.STRW) this.st32(al, ah, val);
            else if (op === OP.STRH) this.st16(al, ah, val);
            else this.st8(al, ah, val);
            if (ops[o + 5] !== 0) this.writeback(ops, o, al, ah);
            if (this.blockDirty) {
              i++;
              o += STRIDE;
              throw FAULT_DIRTY;
            }
            break;
          }
          case 94 /* LDP_X */:
          case 93 /* LDP_W */:
          case 95 /* LDPSW */: {
            let al: number, ah: number;
            if (ops[o + 5] === 0) {
              // immediate offset (the common case) without the call
              const l = (R[rn]! >>> 0) + ops[o + 4]!;
              al = l | 0;
              ah = (R[rn + 1]! + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            } else {
              this.address(ops, o);
              al = T[0]!;
              ah = T[1]!;
            }
            const op = ops[o]!;
            let l1: number, h1: number, l2: number, h2: number;
            if (op === OP.LDP_X) {
              this.ld64(al, ah);
              l1 = T[0]!;
              h1 = T[1]!;
              const l = (al >>> 0) + 8;
              this.ld64(l | 0, (ah + (l > 0xffffffff ? 1 : 0)) | 0);
              l2 = T[0]!;
              h2 = T[1]!;
            } else {
              l1 = this.ld32(al, ah);
              const l = (al >>> 0) + 4;
              l2 = this.ld32(l | 0, (ah + (l > 0xffffffff ? 1 : 0)) | 0);
              h1 = op === OP.LDPSW ? l1 >> 31 : 0;
              h2 = op === OP.LDPSW ? l2 >> 31 : 0;
            }
            if (ops[o + 5] !== 0) this.writeback(ops, o, al, ah);
            R[rd] = l1;
            R[rd + 1] = h1;
            R[rm] = l2;
            R[rm + 1] = h2;
            break;
          }
          case 97 /* STP_X */:
          case 96 /* STP_W */: {
            const l1 = R[rd]!,
              h1 = R[rd + 1]!,
              l2 = R[rm]!,
              h2 = R[rm + 1]!;
            let al: number, ah: number;
            if (ops[o + 5] === 0) {
              // immediate offset (the common case) without the call
              const l = (R[rn]! >>> 0) + ops[o + 4]!;
              al = l | 0;
              ah = (R[rn + 1]! + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            } else {
              this.address(ops, o);
              al = T[0]!;
              ah = T[1]!;
            }
            if (ops[o] === OP.STP_X) {
              this.st64(al, ah, l1, h1);
              const l = (al >>> 0) + 8;
              this.st64(l | 0, (ah + (l > 0xffffffff ? 1 : 0)) | 0, l2, h2);
            } else {
              this.st32(al, ah, l1);
              const l = (al >>> 0) + 4;
              this.st32(l | 0, (ah + (l > 0xffffffff ? 1 : 0)) | 0, l2);
            }
            if (ops[o + 5] !== 0) this.writeback(ops, o, al, ah);
            if (this.blockDirty) {
              i++;
              o += STRIDE;
              throw FAULT_DIRTY;
            }
            break;
          }
          case 98 /* LDR_LIT */: {
            const l = ((baseLo + i * 4) >>> 0) + (ops[o + 4]! >>> 0);
            const al = l | 0,
              ah = (baseHi + (ops[o + 4]! >> 31) + (l > 0xffffffff ? 1 : 0)) | 0;
            const kind = ops[o + 6]!;
            if (kind === 1) {
              this.ld64(al, ah);
              R[rd] = T[0]!;
              R[rd + 1] = T[1]!;
            } else {
              const v = this.ld32(al, ah);
              R[rd] = v;
              R[rd + 1] = kind === 2 ? v >> 31 : 0;
            }
            break;
          }
          // ---- branches (block terminators)
          case 69 /* B */:
          case 70 /* BL */: {
            const pl = (baseLo + i * 4) >>> 0;
            if (ops[o] === OP.BL) this.link(rd, pl, baseHi);
            const l = pl + ops[o + 4]!;
            this.pcLo = l | 0;
            this.pcHi = (baseHi + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            this.insnCount += i + 1;
            return;
          }
          case 71 /* BCOND */:
          case 72 /* CBZ */:
          case 73 /* CBNZ */:
          case 74 /* TBZ */:
          case 75 /* TBNZ */: {
            const op = ops[o]!;
            let taken: boolean;
            if (op === OP.BCOND) taken = this.cond(ops[o + 5]!);
            else if (op === OP.CBZ || op === OP.CBNZ) {
              const zero = ops[o + 6] ? (R[rd]! | R[rd + 1]!) === 0 : R[rd] === 0;
              taken = op === OP.CBZ ? zero : !zero;
            } else {
              const bit = ops[o + 5]!;
              const set = ((bit >= 32 ? R[rd + 1]! >>> (bit - 32) : R[rd]! >>> bit) & 1) === 1;
              taken = op === OP.TBNZ ? set : !set;
            }
            const l = ((baseLo + i * 4) >>> 0) + (taken ? ops[o + 4]! : 4);
            this.pcLo = l | 0;
            this.pcHi = (baseHi + (l >= TWO32 ? 1 : l < 0 ? -1 : 0)) | 0;
            this.insnCount += i + 1;
            return;
          }
          case 76 /* BR */:
          case 77 /* BLR */:
          case 78 /* RET */: {
            const tl = R[rn]!,
              th = R[rn + 1]!;
            if (ops[o] === OP.BLR) this.link(0, (baseLo + i * 4) >>> 0, baseHi);
            this.pcLo = tl;
            this.pcHi = th;
            this.insnCount += i + 1;
            return;
          }
          case 111 /* MRS */:
            // the common registers without ending the block (as compiled code does); the rest
            // (traps, undefined, counters) through the slow path
            if (this.jitMrs(ops[o + 4]!, rd)) break;
            this.insnCount += i + 1;
            this.system(ops, o, (baseLo + i * 4) | 0, baseHi, blk.words[i]!);
            return;
          default: {
            // system instructions and exceptions: the slow path, always ends the block
            this.insnCount += i + 1;
            this.system(ops, o, (baseLo + i * 4) | 0, baseHi, blk.words[i]!);
            return;
          }
        }
      }
      this.pcLo = (baseLo + count * 4) | 0;
      this.pcHi = baseHi;
      this.insnCount += count;
    } catch (e) {
      if (e === FAULT_DIRTY) {
        // a store wrote to a page holding decoded code: continue with a fresh block
        this.blockDirty = false;
        this.pcLo = (baseLo + i * 4) | 0;
        this.pcHi = baseHi;
        this.insnCount += i;
        return;
      }
      if (e !== FAULT) throw e;
      this.blockFault(ops, i, baseLo, baseHi);
    }
  }

  /**
   * The less frequent operations of {@link Cpu.execBlock} (divide, long and high multiplies,
   * CRC32, exclusives, LSE, FP/SIMD), kept out of its switch so that V8's optimised interpreter
   * loop stays small: the first use of one of these after the loop was optimised no longer
   * deoptimises it and recompiles all of it. Faults are thrown to the caller as there.
   * @returns COLD_NEXT (go on), COLD_END (the block ended: PC and count are set) or
   *   COLD_DIRTY (a store wrote decoded code: the block ends after this instruction).
   */
  private execCold(ops: Int32Array, o: number, i: number, baseLo: number, baseHi: number): number {
    const R = this.R;
    const rd = ops[o + 1]!,
      rn = ops[o + 2]!,
      rm = ops[o + 3]!;
    switch (ops[o]!) {
      case 55 /* UDIV */: {
        if (ops[o + 6]) {
          udiv64(R[rn]!, R[rn + 1]!, R[rm]!, R[rm + 1]!);
          R[rd] = T[0]!;
          R[rd + 1] = T[1]!;
        } else {
          R[rd] = udiv32(R[rn]!, R[rm]!);
          R[rd + 1] = 0;
        }
        break;
      }
      case 56 /* SDIV */: {
        if (ops[o + 6]) {
          sdiv64(R[rn]!, R[rn + 1]!, R[rm]!, R[rm + 1]!);
          R[rd] = T[0]!;
          R[rd + 1] = T[1]!;
        } else {
          R[rd] = sdiv32(R[rn]!, R[rm]!);
          R[rd + 1] = 0;
        }
        break;
      }
      case 63 /* SMADDL */:
      case 64 /* SMSUBL */:
      case 65 /* UMADDL */:
      case 66 /* UMSUBL */: {
        const op = ops[o]!,
          ra = ops[o + 4]!;
        if (op === OP.SMADDL || op === OP.SMSUBL) smull32(R[rn]!, R[rm]!);
        else umull32(R[rn]!, R[rm]!);
        const pl = T[0]!,
          ph = T[1]!;
        if (op === OP.SMADDL || op === OP.UMADDL)
          this.addc(rd, R[ra]!, R[ra + 1]!, pl, ph, 0, 1, false);
        else this.addc(rd, R[ra]!, R[ra + 1]!, ~pl, ~ph, 1, 1, false);
        break;
      }
      case 117 /* CRC32 */:
        R[rd] = crc32Update(R[rn]!, R[rm]!, R[rm + 1]!, ops[o + 4]!, ops[o + 5] === 1);
        R[rd + 1] = 0;
        break;
      case 67 /* SMULH */:
        smulh64(R[rn]!, R[rn + 1]!, R[rm]!, R[rm + 1]!);
        R[rd] = T[0]!;
        R[rd + 1] = T[1]!;
        break;
      case 68 /* UMULH */:
        umulh64(R[rn]!, R[rn + 1]!, R[rm]!, R[rm + 1]!);
        R[rd] = T[0]!;
        R[rd + 1] = T[1]!;
        break;
      case 99 /* LDXR */:
      case 101 /* LDXP */: {
        const al = R[rn]!,
          ah = R[rn + 1]!,
          size = ops[o + 6]!;
        if (al & (((1 << size) << (ops[o] === OP.LDXP ? 1 : 0)) - 1))
          this.dataAbort(al, ah, false, 0x21); // alignment fault
        let vl: number,
          vh = 0;
        if (size === 3) {
          this.ld64(al, ah);
          vl = T[0]!;
          vh = T[1]!;
        } else if (size === 2) vl = this.ld32(al, ah);
        else if (size === 1) vl = this.ld16(al, ah);
        else vl = this.ld8(al, ah);
        if (ops[o] === OP.LDXP) {
          const step = size === 3 ? 8 : 4;
          const l = (al >>> 0) + step,
            bl = l | 0,
            bh = (ah + (l > 0xffffffff ? 1 : 0)) | 0;
          if (size === 3) {
            this.ld64(bl, bh);
            R[rm] = T[0]!;
            R[rm + 1] = T[1]!;
          } else {
            R[rm] = this.ld32(bl, bh);
            R[rm + 1] = 0;
          }
        }
        R[rd] = vl;
        R[rd + 1] = vh;
        this.monitorValid = true;
        this.monitorPa = ah * TWO32 + (al >>> 0);
        break;
      }
      case 100 /* STXR */:
      case 102 /* STXP */: {
        const al = R[rn]!,
          ah = R[rn + 1]!,
          size = ops[o + 6]!;
        if (al & (((1 << size) << (ops[o] === OP.STXP ? 1 : 0)) - 1))
          this.dataAbort(al, ah, true, 0x21); // alignment fault
        const status = ops[o] === OP.STXR ? rm : ops[o + 4]!;
        const ok = this.monitorValid && this.monitorPa === ah * TWO32 + (al >>> 0);
        if (ok) {
          const l1 = R[rd]!,
            h1 = R[rd + 1]!;
          if (ops[o] === OP.STXP) {
            const l2 = R[rm]!,
              h2 = R[rm + 1]!;
            const l = (al >>> 0) + (size === 3 ? 8 : 4),
              bl = l | 0,
              bh = (ah + (l > 0xffffffff ? 1 : 0)) | 0;
            if (size === 3) {
              this.st64(al, ah, l1, h1);
              this.st64(bl, bh, l2, h2);
            } else {
              this.st32(al, ah, l1);
              this.st32(bl, bh, l2);
            }
          } else if (size === 3) this.st64(al, ah, l1, h1);
          else if (size === 2) this.st32(al, ah, l1);
          else if (size === 1) this.st16(al, ah, l1);
          else this.st8(al, ah, l1);
        }
        this.monitorValid = false;
        R[status] = ok ? 0 : 1;
        R[status + 1] = 0;
        if (this.blockDirty) {
          return COLD_DIRTY;
        }
        break;
      }
      case 103 /* CLREX */:
        this.monitorValid = false;
        break;
      case 200 /* LSE_AMO */:
      case 201 /* LSE_CAS */:
      case 202 /* LSE_CASP */: // FEAT_LSE (lse.ts)
        if (!this.lse) {
          // a model without FEAT_LSE (Cortex-A57): UNDEFINED
          this.insnCount += i + 1;
          this.exception(EC.UNKNOWN, 0, (baseLo + i * 4) | 0, baseHi, false, 0, 0);
          return COLD_END;
        }
        execLse(this, ops, o, R);
        if (this.blockDirty) {
          return COLD_DIRTY;
        }
        break;

      // ---- FP and Advanced SIMD (decoded and run by fpsimd/execute.ts)
      case 116 /* SIMD */: {
        const pl = (baseLo + i * 4) | 0;
        const trap = this.fpTrapEl();
        if (trap !== 0 || !execSimd(this as unknown as SimdHost, ops[o + 4]!, pl, baseHi)) {
          this.insnCount += i + 1;
          this.simdFail(trap, pl, baseHi, ops[o + 4]!);
          return COLD_END;
        }
        if (this.blockDirty) {
          return COLD_DIRTY;
        }
        break;
      }

      default:
        break;
    }
    return COLD_NEXT;
  }

  /** Takes the abort raised by instruction `i` of a block at `baseLo`/`baseHi` (interpreter and JIT). */
  private blockFault(ops: Int32Array, i: number, baseLo: number, baseHi: number): void {
    this.insnCount += i + 1;
    const iss = this.faultIss;
    this.pendingDataSyn =
      (this.faultEc === EC.DABT_LOW || this.faultEc === EC.DABT_CUR) && !this.faultS1ptw
        ? this.dataSyndrome(ops, i * STRIDE)
        : 0;
    this.faultS1ptw = false;
    this.exception(
      this.faultEc,
      iss,
      (baseLo + i * 4) | 0,
      baseHi,
      this.faultHasFar,
      this.faultFarLo,
      this.faultFarHi,
    );
  }

  /** ISV/SAS/SSE/SRT/SF bits for a data abort on the op at `o`. */
  private dataSyndrome(ops: Int32Array, o: number): number {
    const op = ops[o]!;
    let size = -1,
      sse = 0,
      sf = 0;
    switch (op) {
      case 80 /* LDRB */:
        size = 0;
        break;
      case 84 /* LDRSB_W */:
        size = 0;
        sse = 1;
        break;
      case 85 /* LDRSB_X */:
        size = 0;
        sse = 1;
        sf = 1;
        break;
      case 81 /* LDRH */:
        size = 1;
        break;
      case 86 /* LDRSH_W */:
        size = 1;
        sse = 1;
        break;
      case 87 /* LDRSH_X */:
        size = 1;
        sse = 1;
        sf = 1;
        break;
      case 82 /* LDRW */:
        size = 2;
        break;
      case 88 /* LDRSW */:
        size = 2;
        sse = 1;
        sf = 1;
        break;
      case 83 /* LDRX */:
        size = 3;
        sf = 1;
        break;
      case 89 /* STRB */:
        size = 0;
        break;
      case 90 /* STRH */:
        size = 1;
        break;
      case 91 /* STRW */:
        size = 2;
        break;
      case 92 /* STRX */:
        size = 3;
        sf = 1;
        break;
    }
    const mode = ops[o + 5]!;
    if (size < 0 || mode === 1 || mode === 2) return 0; // no valid syndrome for pairs, writeback, exclusives
    const rt = ops[o + 1]! >= 64 ? 31 : ops[o + 1]! >> 1;
    return (1 << 24) | (size << 22) | (sse << 21) | (rt << 16) | (sf << 15);
  }

  private link(_unused: number, pl: number, ph: number): void {
    const l = pl + 4;
    this.R[60] = l | 0;
    this.R[61] = (ph + (l > 0xffffffff ? 1 : 0)) | 0;
  }

  private bitfield(ops: Int32Array, o: number): void {
    const R = this.R;
    const rd = ops[o + 1]!,
      rn = ops[o + 2]!,
      packed = ops[o + 3]!;
    const r = packed & 63,
      s = (packed >>> 8) & 63,
      sf = (packed >>> 16) & 1,
      rdSrc = packed >>> 17;
    const wl = ops[o + 4]!,
      wh = ops[o + 5]!,
      tl = ops[o + 6]!,
      th = ops[o + 7]!;
    const op = ops[o]!;
    let srcL = R[rn]!,
      srcH = sf ? R[rn + 1]! : 0;
    let dstL = 0,
      dstH = 0;
    if (op === OP.BFM) {
      dstL = R[rdSrc]!;
      dstH = sf ? R[rdSrc + 1]! : 0;
    }
    let rotL: number, rotH: number;
    if (sf) {
      ror64(srcL, srcH, r);
      rotL = T[0]!;
      rotH = T[1]!;
    } else {
      rotL = r === 0 ? srcL : (srcL >>> r) | (srcL << (32 - r));
      rotH = 0;
    }
    const botL = (dstL & ~wl) | (rotL & wl),
      botH = (dstH & ~wh) | (rotH & wh);
    let topL = dstL,
      topH = dstH;
    if (op === OP.SBFM) {
      const bit = s >= 32 ? (srcH >>> (s - 32)) & 1 : (srcL >>> s) & 1;
      topL = bit ? -1 : 0;
      topH = sf && bit ? -1 : 0;
    }
    srcL = (topL & ~tl) | (botL & tl);
    srcH = (topH & ~th) | (botH & th);
    R[rd] = srcL;
    R[rd + 1] = sf ? srcH : 0;
  }

  /**
   * The EL an FP/SIMD instruction at the current EL traps to (CPACR_EL1.FPEN, then
   * CPTR_EL2.TFP), or 0 when it may execute.
   */
  private fpTrapEl(): number {
    if (this.el < 2) {
      const fpen = (this.cpacrLo >>> 20) & 3;
      if (fpen === 0 || fpen === 2 || (fpen === 1 && this.el === 0))
        return this.el === 0 && this.highestEl === 2 && (this.hcrLo & (1 << 27)) !== 0 ? 2 : 1;
    }
    if (this.highestEl === 2 && (this.cptrLo & 0x400) !== 0) return 2;
    return 0;
  }

  /** Raises the FP access trap (EC 0x07) to `trap`, or UNDEFINED when `trap` is 0. */
  private simdFail(trap: number, pcLo: number, pcHi: number, word?: number): void {
    if (trap !== 0 && word !== undefined && !simdImplemented(word)) trap = 0; // UNDEFINED comes before the trap
    if (trap === 0) this.exception(EC.UNKNOWN, 0, pcLo, pcHi, false, 0, 0);
    else if (trap === 2) this.exceptionTo(2, EC.FP_ACCESS, FP_TRAP_ISS, pcLo, pcHi);
    else this.exception(EC.FP_ACCESS, FP_TRAP_ISS, pcLo, pcHi, false, 0, 0);
  }

  /**
   * One FP/SIMD instruction for compiled blocks: false when it traps or is UNDEFINED (the
   * interpreter then raises the exception). Memory aborts throw FAULT as the loads do.
   */
  private jitSimd(w: number, pcLo: number, pcHi: number): boolean {
    if (this.fpTrapEl() !== 0) return false;
    return execSimd(this as unknown as SimdHost, w, pcLo, pcHi);
  }

  /**
   * MRS in the middle of a block (compiled code and the interpreter): reads the register `key`
   * into register slot `d` when the access is allowed at the current EL, not trapped to EL2 and
   * not one of {@link Cpu.slowSysReg}'s. False leaves the instruction to the slow path
   * (`system`), which brings the instruction count up to date and raises any exception.
   */
  private jitMrs(key: number, d: number): boolean {
    if (
      this.trappedSysRegs !== undefined &&
      this.el < 2 &&
      this.highestEl === 2 &&
      this.trappedSysRegs.has(key)
    )
      return false;
    if (!this.sysAccessible(key, false) || this.slowSysReg(key)) return false;
    if (this.mrsInt(key, d)) return true;
    const R = this.R;
    fromBig(this.mrsValue(key));
    R[d] = T[0]!;
    R[d + 1] = T[1]!;
    return true;
  }

  /**
   * Registers `jitMrs`/`jitMsr` leave to the slow path: the counter and the timer values
   * (CNTPCT, CNTVCT, CNTP_TVAL, CNTV_TVAL depend on the instruction count, which the slow path
   * brings up to date first) and FPCR/FPSR while FP/SIMD accesses trap.
   */
  private slowSysReg(key: number): boolean {
    if (key === K_FPCR || key === K_FPSR) return this.fpTrapEl() !== 0;
    return key === K_CNTVCT || key === K_CNTPCT || key === K_CNTV_TVAL || key === K_CNTP_TVAL;
  }

  /**
   * MRS of a register kept as int32 halves, without BigInt (Linux reads SP_EL0, its `current`,
   * and DAIF all the time): those of `FAST_SYS_SLOT`, SP_EL0/SP_EL1, DAIF and NZCV. Returns
   * false for the others.
   */
  private mrsInt(key: number, d: number): boolean {
    const R = this.R;
    const s = FAST_SYS_SLOT.get(key);
    if (s !== undefined) {
      R[d] = this.sysF[s]!;
      R[d + 1] = this.sysF[s + 1]!;
      return true;
    }
    switch (key) {
      case K_SP_EL0:
      case K_SP_EL1: {
        const i = key === K_SP_EL0 ? 0 : 2;
        this.saveSp();
        R[d] = this.spBank[i]!;
        R[d + 1] = this.spBank[i + 1]!;
        return true;
      }
      case K_DAIF:
        R[d] = this.daif << 6;
        R[d + 1] = 0;
        return true;
      case K_NZCV:
        R[d] = this.nzcv << 28;
        R[d + 1] = 0;
        return true;
      default:
        return false;
    }
  }

  /** MSR for compiled blocks (as {@link Cpu.jitMrs}): writes register slot `t` to `key`. */
  private jitMsr(key: number, t: number): boolean {
    if (
      this.trappedSysRegs !== undefined &&
      this.el < 2 &&
      this.highestEl === 2 &&
      this.trappedSysRegs.has(key)
    )
      return false;
    if (!this.sysAccessible(key, true) || this.slowSysReg(key)) return false;
    const R = this.R;
    const s = FAST_SYS_SLOT.get(key);
    if (s !== undefined) {
      this.sysF[s] = R[t]!;
      this.sysF[s + 1] = R[t + 1]!;
      return true;
    }
    this.writeSys(key, toBig(R[t]!, R[t + 1]!));
    return true;
  }

  /** System instructions and exception generation (slow path). */
  private system(ops: Int32Array, o: number, pcLo: number, pcHi: number, word: number): void {
    const nextL = (pcLo >>> 0) + 4;
    const nLo = nextL | 0,
      nHi = (pcHi + (nextL > 0xffffffff ? 1 : 0)) | 0;
    const imm = ops[o + 4]!;
    const R = this.R;
    switch (ops[o]!) {
      case 104 /* SVC */:
        this.exception(EC.SVC64, imm, nLo, nHi, false, 0, 0);
        return;
      case 105 /* HVC */:
        if (this.el === 0 || (this.el === 1 && (this.hcrLo & (1 << 29)) !== 0)) break; // HCD
        if (this.highestEl < 2) {
          if (this.firmware('hvc', imm, nLo, nHi)) return;
          break;
        }
        this.exception(EC.HVC64, imm, nLo, nHi, false, 0, 0);
        return;
      case 106 /* SMC */:
        if (this.el === 0) break;
        if (this.el === 1 && this.highestEl === 2 && (this.hcrLo & (1 << 19)) !== 0) {
          this.exceptionTo(2, EC.SMC64, imm, pcLo, pcHi);
          return;
        }
        if (this.firmware('smc', imm, nLo, nHi)) return;
        break; // no EL3: undefined
      case 107 /* BRK */:
        this.exception(EC.BRK64, imm, pcLo, pcHi, false, 0, 0);
        return;
      case 108 /* HLT */:
        if (this.onHostCall === undefined || this.el !== this.highestEl) break;
        this.pcLo = nLo;
        this.pcHi = nHi;
        if (this.onHostCall(imm, this) === 'stop') {
          this.stopFlag = true;
          this.stopReason = 'host-call';
        }
        return;
      case 109 /* WFI */:
      case 110 /* WFE */: {
        const ti = ops[o] === OP.WFE ? 1 : 0;
        if (this.el < 2 && this.highestEl === 2 && (this.hcrLo & (1 << (ti ? 14 : 13))) !== 0) {
          this.exceptionTo(2, EC.WFX, (1 << 24) | (0xe << 20) | ti, pcLo, pcHi);
          return;
        }
        this.pcLo = nLo;
        this.pcHi = nHi;
        if (!ti) {
          this.stopFlag = true;
          this.stopReason = 'wfi';
        }
        return;
      }
      case 115 /* ISB */:
        this.pcLo = nLo;
        this.pcHi = nHi;
        return;
      case 79 /* ERET */:
        if (this.el === 0) break;
        this.eret();
        return;
      case 111 /* MRS */: {
        const key = imm;
        if (
          this.trappedSysRegs !== undefined &&
          this.el < 2 &&
          this.highestEl === 2 &&
          this.trappedSysRegs.has(key)
        ) {
          this.exceptionTo(2, EC.SYS64, sysRegTrapIss(key, ops[o + 5]!, true), pcLo, pcHi);
          return;
        }
        if (!this.sysAccessible(key, false)) break;
        if ((key === K_FPCR || key === K_FPSR) && this.fpTrapEl() !== 0) {
          this.simdFail(this.fpTrapEl(), pcLo, pcHi);
          return;
        }
        if (!this.mrsInt(key, ops[o + 1]!)) {
          fromBig(this.mrsValue(key));
          R[ops[o + 1]!] = T[0]!;
          R[ops[o + 1]! + 1] = T[1]!;
        }
        this.pcLo = nLo;
        this.pcHi = nHi;
        return;
      }
      case 112 /* MSR */: {
        const key = imm;
        if (
          this.trappedSysRegs !== undefined &&
          this.el < 2 &&
          this.highestEl === 2 &&
          this.trappedSysRegs.has(key)
        ) {
          this.exceptionTo(2, EC.SYS64, sysRegTrapIss(key, ops[o + 5]!, false), pcLo, pcHi);
          return;
        }
        if (!this.sysAccessible(key, true)) break;
        if ((key === K_FPCR || key === K_FPSR) && this.fpTrapEl() !== 0) {
          this.simdFail(this.fpTrapEl(), pcLo, pcHi);
          return;
        }
        const rt = ops[o + 2]!;
        this.writeSys(key, toBig(R[rt]!, R[rt + 1]!));
        this.pcLo = nLo;
        this.pcHi = nHi;
        return;
      }
      case 113 /* MSR_IMM */: {
        const field = imm,
          crm = ops[o + 5]!;
        if (this.el === 0) break; // UMA=0: DAIFSet/Clr undefined at EL0
        if (field === 5) {
          this.saveSp();
          this.spsel = crm & 1;
          this.loadSp();
        } else if (field === 30) this.daif |= crm;
        else this.daif &= ~crm;
        this.pcLo = nLo;
        this.pcHi = nHi;
        return;
      }
      case 114 /* SYS */: {
        const key = imm; // op0=1
        const op1 = (key >>> 11) & 7,
          crn = (key >>> 7) & 15,
          crm = (key >>> 3) & 15,
          op2 = key & 7;
        if (crn === 7 && op1 === 3 && crm === 4 && op2 === 1) {
          // DC ZVA
          const rt = ops[o + 2]!;
          const l = R[rt]! & ~63,
            h = R[rt + 1]!;
          try {
            for (let k = 0; k < 64; k += 8) this.st64((l + k) | 0, h, 0, 0);
          } catch (e) {
            if (e !== FAULT) throw e;
            this.exception(this.faultEc, this.faultIss | (1 << 6), pcLo, pcHi, true, R[rt]!, h);
            return;
          }
          this.blockDirty = false;
        } else if (crn === 7 && op1 === 3) {
          // DC CVAU/CIVAC/..., IC IVAU at EL0: allowed (SCTLR.UCI=1 in Linux)
          if (crm === 5) this.icInvalidateVa(ops[o + 2]!);
        } else if (this.el === 0) break;
        else if (crn === 7 && crm === 5 && op2 === 0)
          this.flushCode(); // IC IALLU
        else if (crn === 7 && crm === 1 && op2 === 0)
          this.flushCode(); // IC IALLUIS
        else if (crn === 8 && op1 === 0 && (op2 & 1) === 1 && (crm === 3 || crm === 7))
          this.tlbiVa(ops[o + 2]!); // TLBI VAE1/VAAE1/VALE1/VAALE1(IS)
        else if (crn === 8)
          this.flushTlb(); // other TLBIs flush the whole soft TLB
        else if (crn === 7 && crm === 8) this.at(op1, op2, ops[o + 2]!);
        // DC set/way and the other cache maintenance: no caches, nothing to do
        this.blockDirty = false;
        this.pcLo = nLo;
        this.pcHi = nHi;
        return;
      }
      default:
        break; // UNDEF
    }
    void word;
    this.exception(EC.UNKNOWN, 0, pcLo, pcHi, false, 0, 0);
  }

  /**
   * TLBI by VA at EL1: drops the EL1&0 soft-TLB entries (EL0 and EL1, both halves) of the 2 MiB
   * region around the address (the TLB keeps 4 KiB entries even for block mappings, and Linux
   * invalidates a block with one TLBI). Decoded-block links are renewed as after a full flush
   * only when they may point into that region: when an instruction entry of it was dropped, or
   * when an instruction entry was evicted since the last renewal (a link's target page then
   * need not be in the TLB any more).
   */
  private tlbiVa(rt: number): void {
    // Xt[43:0] = VA[55:12]; VA[55] (bit 43) selects the upper or lower half: the page number
    // (VA >> 12, 52 bits) of the region's first page, as xlate's tags hold it
    const hi = this.R[rt + 1]!;
    const first =
      ((hi & 0xfff) | ((hi & 0x800) !== 0 ? 0xff000 : 0)) * TWO32 + ((this.R[rt]! & ~511) >>> 0);
    // every page of the 2 MiB the address lies in (a block mapping's translation is cached per
    // page): direct-mapped by the low bits of the page number, so page first + j can only be
    // in slot (first + j) mod TLB_WAYS of each half
    const tlb = this.tlb;
    const slot0 = this.R[rt]! & ~511;
    let code = this.itlbEvicted;
    if (!this.tlbBlocks.has(first / 512)) {
      // no entry of this 2 MiB came from a block mapping since the last flush: only the page
      const j = this.R[rt]! & 511;
      for (let half = 0; half < 4; half++) {
        const k = half * TLB_WAYS + ((slot0 + j) & (TLB_WAYS - 1));
        if (tlb[2 * k] === first + j) {
          tlb[2 * k] = -1;
          if ((half & 1) === 1) code = true;
        }
      }
    } else
      for (let half = 0; half < 4; half++) {
        const base = half * TLB_WAYS;
        for (let j = 0; j < 512; j++) {
          const k = base + ((slot0 + j) & (TLB_WAYS - 1));
          if (tlb[2 * k] === first + j) {
            tlb[2 * k] = -1;
            if ((half & 1) === 1) code = true;
          }
        }
      }
    if (code) {
      this.gen++;
      this.itlbEvicted = false;
    }
  }

  /**
   * IC IVAU: drops the decoded blocks of the page holding the address (stores into decoded
   * code drop them already; this covers code changed behind the CPU's back). The address is
   * translated for execution or, failing that, for reading; one that does neither drops every
   * block.
   */
  private icInvalidateVa(rt: number): void {
    let pa = -1;
    const lo = this.R[rt]!,
      hi = this.R[rt + 1]!;
    if (!this.mmuOn) pa = hi >>> 16 === 0 ? hi * TWO32 + (lo >>> 0) : -1;
    else {
      try {
        pa = this.xlate(lo, hi, ACC_EXEC);
      } catch (e) {
        if (e !== FAULT) throw e;
        // not executable there (Linux cleans code through its linear map, which is never
        // executable, when it maps a user page or loads code): the page still names the code
        try {
          pa = this.xlate(lo, hi, ACC_READ);
        } catch (e2) {
          if (e2 !== FAULT) throw e2;
          pa = -1;
        }
      }
    }
    if (pa < 0) this.flushCode();
    else this.invalidatePage(Math.floor(pa / 4096));
  }

  /** AT S1E1R/W, S1E0R/W, S1E2R/W: stage-1 translation into PAR_EL1 (no exception). */
  private at(op1: number, op2: number, rt: number): void {
    const va = toBig(this.R[rt]!, this.R[rt + 1]!);
    const el = op1 === 4 ? 2 : op2 & 2 ? 0 : 1;
    const r = translateStage1(this.memory, this.regs(), el, va, op2 & 1 ? ACC_WRITE : ACC_READ);
    if (r.fault)
      this.sys.set(
        K_PAR,
        BigInt(1 | (r.fault << 1) | (r.s1ptw ? 1 << 8 : 0) | (r.stage2 ? 1 << 9 : 0)),
      );
    else this.sys.set(K_PAR, BigInt(r.pa) & 0xffff_ffff_f000n);
  }

  private firmware(kind: 'smc' | 'hvc', imm: number, nLo: number, nHi: number): boolean {
    if (!this.onFirmwareCall) return false;
    this.pcLo = nLo;
    this.pcHi = nHi;
    if (this.intLog) {
      const smc = kind === 'smc';
      this.intLog(
        `Taking exception ${smc ? 13 : 11} [${smc ? 'Secure Monitor Call' : 'Hypervisor Call'}] on CPU 0`,
      );
      this.intLog(`...from EL${this.el} to EL${smc ? 3 : 2}`);
      const ec = smc ? EC.SMC64 : EC.HVC64;
      this.intLog(
        `...with ESR 0x${ec.toString(16)}/0x${(((ec << 26) | (1 << 25) | imm) >>> 0).toString(16)}`,
      );
      this.intLog('...handled as PSCI call');
    }
    return this.onFirmwareCall(this, kind, imm);
  }

  private exceptionTo(target: number, ec: number, iss: number, lo: number, hi: number): void {
    this.pcLo = lo;
    this.pcHi = hi;
    if (this.onException) {
      const info: ExceptionInfo = {
        ec,
        iss,
        returnAddress: toBig(lo, hi),
        far: undefined,
        targetEl: target,
      };
      if (this.onException(this, info)) return;
    }
    this.enter(target, ec, iss, lo, hi, false, 0, 0, 0);
  }
}

const FAULT_DIRTY = { dirty: true };

/** QEMU's exception number and name for an exception class (as `-d int` prints them). */
function excName(ec: number): [number, string] {
  switch (ec) {
    case -1:
      return [5, 'IRQ'];
    case -2:
      return [14, 'Virtual IRQ'];
    case EC.SVC64:
      return [2, 'SVC'];
    case EC.HVC64:
      return [11, 'Hypervisor Call'];
    case EC.SMC64:
      return [13, 'Secure Monitor Call'];
    case EC.BRK64:
      return [7, 'Breakpoint'];
    case EC.DABT_LOW:
    case EC.DABT_CUR:
    case EC.SP_ALIGN:
      return [4, 'Data Abort'];
    case EC.IABT_LOW:
    case EC.IABT_CUR:
    case EC.PC_ALIGN:
      return [3, 'Prefetch Abort'];
    case EC.SOFTSTEP_LOW:
    case EC.SOFTSTEP_CUR:
      return [18, 'Debug Exception'];
    default:
      return [1, 'Undefined Instruction'];
  }
}
