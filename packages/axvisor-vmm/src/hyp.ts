// SPDX-License-Identifier: MIT
// The EL2 image of the simulated AxVisor (hyp/hyp.elf, built by scripts/build-hyp.sh from
// hyp/entry.S and hyp/hyp.c): its symbols, the layout of its per-vCPU context, and the
// host-call interface it uses to reach the TypeScript VMM. The numbers mirror hyp/hyp.h; a
// test checks they agree.

import { readFileSync } from 'node:fs';
import type { HypSegment } from './elf-image.js';
import { imageError, readAarch64Image } from './elf-image.js';
import { HypervisorError } from './errors.js';

/**
 * Host calls: `HLT #imm` executed at EL2 by the image, arguments in x0–x6, result in x0.
 * See hyp/hyp.h for the contract of each.
 */
export const HOST_CALL = {
  /** About to restore the guest frame and ERET; the host's `run()` stops here. */
  ENTER_GUEST: 0xa000,
  /** x0 = context: decode and count the exit; returns the exit's trace code. */
  EXIT_DECODE: 0xa001,
  /** x0 = context: the device/VM semantics of the decoded exit (TypeScript `#handleExit`). */
  HANDLE_EXIT: 0xa002,
  /** x0 = event id ({@link HYP_TRACE_EVENT}), x1..x6 = arguments: fire a tracepoint. */
  TRACE: 0xa003,
  /** x0 = pt_regs frame, x1 = ESR_EL2: a synchronous exception at EL2 (hprobe BRKs); returns 1 if handled. */
  EL2_TRAP: 0xa004,
  /** x0 = reason, x1 = value: unrecoverable in the image; the host stops the VM. */
  PANIC: 0xa005,
} as const;

/** Events the image fires with `HOST_CALL.TRACE`. */
export const HYP_TRACE_EVENT = { VCPU_RUN_EXIT: 1, HYPERCALL: 2 } as const;

/** Byte offsets in the image's per-vCPU context (`struct vcpu_ctx`). */
export const VCPU_CTX = {
  X: 0,
  SP_EL0: 248,
  ELR: 256,
  SPSR: 264,
  ESR: 272,
  FAR: 280,
  HPFAR: 288,
  VECTOR: 296,
  VM_ID: 304,
  VCPU_ID: 312,
  HOST: 320,
  HOST_SP: 416,
  EXITS: 424,
  SIZE: 432,
} as const;

/**
 * Layout of the frame the EL2 synchronous vector saves (Linux `pt_regs`): x0–x30 at 8·i, then
 * sp, pc and pstate, 8 bytes each (272 bytes). hprobe programs get these bytes as context.
 */
export const PT_REGS = { X: 0, SP: 248, PC: 256, PSTATE: 264, SIZE: 272 } as const;

/** Names of the per-function call counters (`hyp_calls[]`, index order). */
export const HYP_FUNCTIONS = [
  'vcpu_run',
  'handle_exit',
  'handle_hvc',
  'handle_psci',
  'handle_smc',
  'handle_data_abort',
  'handle_inst_abort',
  'handle_sysreg',
  'handle_wfi',
  'handle_irq',
  'handle_brk',
  'handle_sstep',
  'handle_unknown',
  'hyp_trace',
  'host_exit',
] as const;

/** Most vCPUs one VM can have with this image (its context and stack arrays). */
export const HYP_MAX_VCPUS = 64;
const STACK_SIZE = 4096;

/** A symbol of the image. */
export interface HypSymbol {
  name: string;
  address: bigint;
  size: number;
  /** True for functions (STT_FUNC). */
  func: boolean;
}

/** The parsed EL2 image. */
export class HypImage {
  /** The ELF file. */
  readonly bytes: Uint8Array;
  /** The kallsyms blob injected into its `.kallsyms` section (Starry-OS/ksym layout). */
  readonly kallsyms: Uint8Array;
  /** Loadable segments. */
  readonly segments: HypSegment[];
  /** Symbols by name. */
  readonly symbols: ReadonlyMap<string, HypSymbol>;
  /** Lowest and end address of the loaded image. */
  readonly start: bigint;
  readonly end: bigint;
  /** Instructions from `__hyp_resume` to `__hyp_eret` inclusive (the straight-line guest restore). */
  readonly resumeLength: number;
  /** `[start, end)` of the exception entry code, which must never be probed. */
  readonly noProbe: readonly [bigint, bigint];
  /** Base of the 64 × 32-byte instruction slots for hprobes. */
  readonly slots: bigint;

  /**
   * @param bytes - the ELF file.
   * @throws {HypervisorError} `BAD_IMAGE` when it is not a usable EL2 image.
   */
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    const { elf, segments } = readAarch64Image(bytes, 'EL2 image');
    const symbols = new Map<string, HypSymbol>();
    // The symbol table is decoded here, eagerly, so a bad .symtab (st_name, st_shndx,
    // sh_entsize, sh_link) is a BAD_IMAGE of this constructor, not an ElfError later.
    let kallsyms: Uint8Array;
    try {
      for (const s of elf.symbols()) {
        if (s.name === '' || s.shndx === 0 || symbols.has(s.name)) continue;
        symbols.set(s.name, {
          name: s.name,
          address: s.value,
          size: Number(s.size),
          func: s.type === 2,
        });
      }
      kallsyms = elf.sectionByName('.kallsyms')?.data ?? new Uint8Array(0);
    } catch (e) {
      throw imageError(e, 'EL2 image');
    }
    this.symbols = symbols;
    const need = (name: string): bigint => {
      const s = symbols.get(name);
      if (s === undefined)
        throw new HypervisorError({
          code: 'BAD_IMAGE',
          message: `EL2 image lacks symbol \`${name}\``,
        });
      return s.address;
    };
    this.segments = segments;
    this.start = need('__hyp_start');
    this.end = need('__hyp_end');
    this.resumeLength = Number(need('__hyp_eret') - need('__hyp_resume')) / 4 + 1;
    this.noProbe = [need('__entry_text_start'), need('__entry_text_end')];
    this.slots = need('hyp_kprobe_slots');
    for (const n of [
      'vcpu_run',
      'hyp_vectors',
      'hyp_vcpus',
      'hyp_stacks',
      'hyp_calls',
      'hyp_trace_mask',
      '__hyp_resume',
    ])
      need(n);
    this.kallsyms = kallsyms;
  }

  /**
   * The address of a symbol.
   * @param name - symbol name.
   * @returns its address, or undefined.
   */
  address(name: string): bigint | undefined {
    return this.symbols.get(name)?.address;
  }

  /** @internal */
  sym(name: string): bigint {
    return this.symbols.get(name)!.address;
  }

  /**
   * The function containing an address.
   * @param addr - an address in the image.
   * @returns the function symbol, or undefined.
   */
  functionAt(addr: bigint): HypSymbol | undefined {
    for (const s of this.symbols.values())
      if (s.func && addr >= s.address && addr < s.address + BigInt(s.size)) return s;
    return undefined;
  }

  /** Address of vCPU `i`'s context. */
  contextAddress(i: number): bigint {
    return this.sym('hyp_vcpus') + BigInt(i * VCPU_CTX.SIZE);
  }

  /** Top of vCPU `i`'s EL2 stack. */
  stackTop(i: number): bigint {
    return this.sym('hyp_stacks') + BigInt((i + 1) * STACK_SIZE);
  }
}

let bundled: HypImage | undefined;

/**
 * The EL2 image shipped with this package (`hyp/hyp.elf`), parsed once.
 * @returns the image.
 * @throws {HypervisorError} `BAD_IMAGE` when the file is missing.
 */
export function bundledHypImage(): HypImage {
  if (bundled === undefined) {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(readFileSync(new URL('../hyp/hyp.elf', import.meta.url)));
    } catch (e) {
      throw new HypervisorError({
        code: 'BAD_IMAGE',
        cause: e,
        message: 'bundled file `hyp/hyp.elf` is missing from @axebpf/axvisor-vmm',
      });
    }
    bundled = new HypImage(bytes);
  }
  return bundled;
}
