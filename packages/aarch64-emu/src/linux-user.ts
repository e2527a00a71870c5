// SPDX-License-Identifier: MIT
// Static Linux user-mode programs (the qemu-aarch64 role): loads a static AArch64 ELF
// executable at EL0, builds the initial stack and emulates the few syscalls a freestanding
// test program needs (write, exit, exit_group).

import { ElfError, parseElf, PT_LOAD } from '@axebpf/obj/elf';
import { Cpu, EC } from './cpu.js';
import { A64Fault, EmuInputError } from './errors.js';
import type { A64FaultCode } from './errors.js';
import { PhysicalMemory } from './memory.js';
import { sysRegKey } from './sysregs.js';

const EM_AARCH64 = 183;
const ET_EXEC = 2;
/** Top of the initial stack (below 2^48, so VA = PA works with the MMU off). */
const STACK_TOP = 0x7fff_f000_0000n;
const STACK_SIZE = 8 << 20;

/** Linux syscall numbers (asm-generic) that are emulated. */
// prettier-ignore
export const SYSCALL = { write: 64, exit: 93, exit_group: 94 } as const;

/** Options of {@link runLinuxProgram}. */
export interface LinuxRunOptions {
  /** Receives bytes written to fd 1 and 2. */
  output?: (fd: number, bytes: Uint8Array) => void;
  /** Program name placed in argv[0]; default `prog`. */
  argv0?: string;
  /** Instruction limit; default 2^50. */
  maxInsns?: number;
  /** Initial stack pointer (default just below 0x7fff_f000_0000); the 8 MiB stack ends 64 KiB above it. */
  initialSp?: bigint;
  /** Initial NZCV (qemu-aarch64 starts with Z set: 0b0100); default 0. */
  initialNzcv?: number;
  /** Called before every instruction (slow: one instruction per block). */
  trace?: (cpu: Cpu) => void;
}

/** Result of {@link runLinuxProgram}. */
export interface LinuxRunResult {
  /** The exit status (0..255). */
  exitCode: number;
  /** Executed instructions, the final `svc` included. */
  insns: number;
  /** The CPU, for inspection. */
  cpu: Cpu;
}

/** A loaded user-mode program, ready to run. */
export interface LinuxProcess {
  /** The CPU at EL0, PC at the entry point. */
  cpu: Cpu;
  /** The memory. */
  memory: PhysicalMemory;
  /** Entry point. */
  entry: bigint;
}

const pageDown = (v: bigint): bigint => v & ~0xfffn;
const pageUp = (v: bigint): bigint => (v + 0xfffn) & ~0xfffn;

/**
 * Loads a static AArch64 Linux executable: PT_LOAD segments into RAM, an 8 MiB stack with
 * argc/argv/envp/auxv, the CPU at EL0 on the entry point.
 * @param image - the ELF file bytes.
 * @param argv0 - argv[0].
 * @returns the process.
 * @throws {EmuInputError} `BAD_ELF` (malformed, with `offset` and the ElfError as cause),
 *   `UNSUPPORTED_ELF` (not a static AArch64 executable), `SEGMENT_OUT_OF_MEMORY`.
 */
export function loadLinuxProgram(image: Uint8Array, argv0 = 'prog', initialSp?: bigint): LinuxProcess {
  let elf;
  try {
    elf = parseElf(image);
  } catch (e) {
    if (ElfError.isInstance(e)) {
      throw new EmuInputError({ code: 'BAD_ELF', message: `bad elf: ${e.message}`, offset: e.offset, cause: e });
    }
    throw e;
  }
  if (elf.header.machine !== EM_AARCH64) {
    throw new EmuInputError({ code: 'UNSUPPORTED_ELF', message: `elf machine \`${elf.header.machine}\` is not aarch64 (183)`, offset: 18, argument: 'e_machine' });
  }
  if (elf.header.type !== ET_EXEC) {
    throw new EmuInputError({ code: 'UNSUPPORTED_ELF', message: `elf type \`${elf.header.type}\` is not a static executable (ET_EXEC)`, offset: 16, argument: 'e_type' });
  }
  const segs = elf.loadSegments().filter((p) => p.type === PT_LOAD && p.memsz > 0);
  if (segs.length === 0) throw new EmuInputError({ code: 'UNSUPPORTED_ELF', message: 'elf has no PT_LOAD segment', offset: elf.header.phoff });
  const memory = new PhysicalMemory();
  // One RAM region per run of overlapping/adjacent page ranges.
  const ranges = segs.map((p) => ({ lo: pageDown(p.vaddr), hi: pageUp(p.vaddr + BigInt(p.memsz)) })).sort((a, b) => (a.lo < b.lo ? -1 : 1));
  const merged: { lo: bigint; hi: bigint }[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.lo <= last.hi) { if (r.hi > last.hi) last.hi = r.hi; } else merged.push({ ...r });
  }
  // leave room for a small heap after the last segment
  for (const r of merged) {
    if (r.hi > 1n << 47n || r.hi - r.lo > 1n << 30n) {
      throw new EmuInputError({ code: 'SEGMENT_OUT_OF_MEMORY', message: `segment at 0x${r.lo.toString(16)} does not fit`, address: r.lo });
    }
    memory.addRam(r.lo, Number(r.hi - r.lo), 'image');
  }
  for (const p of segs) {
    if (p.data.length > 0) memory.write(p.vaddr, p.data.subarray(0, Math.min(p.filesz, p.data.length)));
  }
  const top = initialSp === undefined ? STACK_TOP : ((initialSp + 0x10000n) & ~0xfffn);
  memory.addRam(top - BigInt(STACK_SIZE), STACK_SIZE, 'stack');
  const cpu = new Cpu({ memory, highestEl: 1 });
  // Initial stack: argv0 string, then (16-aligned) argc, argv[0], NULL, envp NULL, auxv.
  const name = new TextEncoder().encode(argv0 + '\0');
  const strAddr = top - 0x100n - BigInt(name.length);
  memory.write(strAddr, name);
  const sp = initialSp ?? ((strAddr - 0x100n) & ~0xfn);
  const words = [1n, strAddr, 0n, 0n, 6n /* AT_PAGESZ */, 4096n, 0n /* AT_NULL */, 0n];
  const buf = new Uint8Array(words.length * 8);
  const dv = new DataView(buf.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  memory.write(sp, buf);
  cpu.setPstate(0); // EL0t, flags clear, interrupts unmasked
  cpu.setSysReg(sysRegKey(3, 0, 1, 0, 2), 3n << 20n); // CPACR_EL1.FPEN = 0b11: FP/SIMD at EL0, as Linux sets it
  cpu.sp = sp;
  cpu.pc = elf.header.entry;
  return { cpu, memory, entry: elf.header.entry };
}

const SIGNAL_OF: Partial<Record<number, [number, A64FaultCode]>> = {
  [EC.UNKNOWN]: [4, 'UNDEFINED_INSTRUCTION'],
  [EC.BRK64]: [5, 'BREAKPOINT'],
  [EC.DABT_LOW]: [11, 'DATA_ABORT'],
  [EC.IABT_LOW]: [11, 'INSTRUCTION_ABORT'],
  [EC.PC_ALIGN]: [7, 'PC_ALIGNMENT'],
  [EC.SP_ALIGN]: [7, 'SP_ALIGNMENT'],
};

/**
 * Runs a static Linux user-mode program to completion.
 * @param image - the ELF file bytes.
 * @param options - output sink, argv0, instruction limit.
 * @returns exit code and instruction count.
 * @throws {EmuInputError} for a bad image or an instruction limit reached (`BAD_ARGUMENT`).
 * @throws {A64Fault} when the program takes an exception Linux would turn into a signal
 *   (`UNDEFINED_INSTRUCTION`, `DATA_ABORT`...), or makes an unsupported syscall
 *   (`UNSUPPORTED_SYSCALL`, `iss` = syscall number).
 * @example
 * ```ts
 * const { exitCode } = runLinuxProgram(readFileSync('hello.elf'), { output: (fd, b) => process.stdout.write(b) });
 * ```
 */
export function runLinuxProgram(image: Uint8Array, options: LinuxRunOptions = {}): LinuxRunResult {
  const { cpu, memory } = loadLinuxProgram(image, options.argv0, options.initialSp);
  if (options.initialNzcv !== undefined) cpu.nzcv = options.initialNzcv;
  cpu.traceHook = options.trace;
  let exitCode = -1;
  let fault: A64Fault | undefined;
  cpu.onException = (c, info) => {
    if (info.ec === EC.SVC64) {
      const nr = Number(c.getX(8));
      if (nr === SYSCALL.write) {
        const fd = Number(c.getX(0)), addr = c.getX(1), len = Number(BigInt.asUintN(32, c.getX(2)));
        if (fd !== 1 && fd !== 2) { c.setX(0, -9n); return true; } // EBADF
        let bytes: Uint8Array;
        try { bytes = memory.read(addr, len); } catch { c.setX(0, -14n); return true; } // EFAULT
        options.output?.(fd, bytes);
        c.setX(0, BigInt(len));
        return true;
      }
      if (nr === SYSCALL.exit || nr === SYSCALL.exit_group) {
        exitCode = Number(c.getX(0) & 0xffn);
        c.stop();
        return true;
      }
      fault = new A64Fault({ code: 'UNSUPPORTED_SYSCALL', message: `unsupported syscall \`${nr}\``, pc: info.returnAddress - 4n, ec: info.ec, iss: nr });
      c.stop();
      return true;
    }
    const sig = SIGNAL_OF[info.ec] ?? [4, 'EXCEPTION'];
    fault = new A64Fault({
      code: sig[1], message: `exception class \`0x${info.ec.toString(16)}\` at 0x${info.returnAddress.toString(16)} (signal ${sig[0]})`,
      pc: info.returnAddress, ec: info.ec, iss: info.iss, address: info.far,
    });
    c.stop();
    return true;
  };
  const limit = options.maxInsns ?? 2 ** 50;
  const why = cpu.run(limit);
  if (fault) throw fault;
  if (why === 'budget') {
    throw new EmuInputError({ code: 'BAD_ARGUMENT', message: `instruction limit \`${limit}\` reached`, argument: 'maxInsns' });
  }
  return { exitCode, insns: cpu.insnCount, cpu };
}

/**
 * The Linux signal number a fault maps to (for exit status 128 + signal, as qemu-aarch64 and
 * a shell report it).
 * @param fault - the fault.
 * @returns the signal number.
 */
export function signalOf(fault: A64Fault): number {
  return SIGNAL_OF[fault.ec]?.[0] ?? 4;
}
