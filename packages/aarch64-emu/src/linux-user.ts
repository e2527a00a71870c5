// SPDX-License-Identifier: MIT
// Static Linux user-mode programs (the qemu-aarch64 role): loads a static AArch64 ELF
// executable at EL0, builds the initial stack and emulates the syscalls a freestanding test
// program needs (write, exit, exit_group) and those a static glibc program makes (brk, mmap,
// writev, the start-up queries), with answers like a Linux 6.1 kernel on a Cortex-A57.

import { ElfError, parseElf, PT_LOAD } from '@axebpf/obj/elf';
import { Cpu, EC } from './cpu.js';
import { CPU_MODELS, type CpuModel } from './cpu-model.js';
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
export const SYSCALL = {
  ioctl: 29, read: 63, readlinkat: 78, newfstatat: 79, fstat: 80, write: 64, writev: 66, close: 57, exit: 93, exit_group: 94,
  set_tid_address: 96, set_robust_list: 99, rt_sigaction: 134, rt_sigprocmask: 135, uname: 160,
  prctl: 167, getpid: 172, getuid: 174, geteuid: 175, getgid: 176, getegid: 177, gettid: 178, sysinfo: 179, brk: 214, munmap: 215, mmap: 222, mprotect: 226, madvise: 233,
  prlimit64: 261, getrandom: 278, rseq: 293,
} as const;

/** Heap (brk) size reserved after the image, and the base of anonymous mmap regions. */
const HEAP_SIZE = 64 << 20;
const MMAP_BASE = 0x7f00_0000_0000n;
/**
 * AT_HWCAP as Linux derives it from the ID registers: fp, asimd, aes, pmull, sha1, sha2, crc32,
 * and atomics (bit 8) for a model with LSE. Not set: evtstrm (no timer event stream in user
 * mode) and cpuid (MRS of the ID registers at EL0 is not emulated).
 */
function hwcap(model: CpuModel): bigint {
  const base = 1n | 2n | (1n << 3n) | (1n << 4n) | (1n << 5n) | (1n << 6n) | (1n << 7n);
  return CPU_MODELS[model].lse ? base | (1n << 8n) : base;
}

/** Options of {@link runLinuxProgram}. */
export interface LinuxRunOptions {
  /** Receives bytes written to fd 1 and 2. */
  output?: (fd: number, bytes: Uint8Array) => void;
  /** Program name placed in argv[0]; default `prog`. */
  argv0?: string;
  /** Arguments after argv[0]; default none. */
  args?: readonly string[];
  /** Bytes the program reads from fd 0 (then end of file); default empty. */
  stdin?: Uint8Array;
  /** Instruction limit; default 2^50. */
  maxInsns?: number;
  /** Initial stack pointer (default just below 0x7fff_f000_0000); the 8 MiB stack ends 64 KiB above it. */
  initialSp?: bigint;
  /** Initial NZCV (qemu-aarch64 starts with Z set: 0b0100); default 0. */
  initialNzcv?: number;
  /** Called before every instruction (slow: one instruction per block). */
  trace?: (cpu: Cpu) => void;
  /** The CPU model (ID registers, AT_HWCAP, whether LSE executes); default `'default'`. */
  model?: CpuModel;
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
  /** Start of the brk heap (the page after the image). */
  heapBase: bigint;
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
 * @param initialSp - initial stack pointer (default just below 0x7fff_f000_0000).
 * @param args - arguments after argv[0].
 * @param model - the CPU model (default `'default'`); AT_HWCAP follows it.
 * @returns the process.
 * @throws {EmuInputError} `BAD_ELF` (malformed, with `offset` and the ElfError as cause),
 *   `UNSUPPORTED_ELF` (not a static AArch64 executable), `SEGMENT_OUT_OF_MEMORY`.
 */
export function loadLinuxProgram(
  image: Uint8Array,
  argv0 = 'prog',
  initialSp?: bigint,
  args: readonly string[] = [],
  model: CpuModel = 'default',
): LinuxProcess {
  let elf;
  try {
    elf = parseElf(image);
  } catch (e) {
    if (ElfError.isInstance(e)) {
      throw new EmuInputError({
        code: 'BAD_ELF',
        message: `bad elf: ${e.message}`,
        offset: e.offset,
        cause: e,
      });
    }
    throw e;
  }
  if (elf.header.machine !== EM_AARCH64) {
    throw new EmuInputError({
      code: 'UNSUPPORTED_ELF',
      message: `elf machine \`${elf.header.machine}\` is not aarch64 (183)`,
      offset: 18,
      argument: 'e_machine',
    });
  }
  if (elf.header.type !== ET_EXEC) {
    throw new EmuInputError({
      code: 'UNSUPPORTED_ELF',
      message: `elf type \`${elf.header.type}\` is not a static executable (ET_EXEC)`,
      offset: 16,
      argument: 'e_type',
    });
  }
  const segs = elf.loadSegments().filter((p) => p.type === PT_LOAD && p.memsz > 0);
  if (segs.length === 0)
    throw new EmuInputError({
      code: 'UNSUPPORTED_ELF',
      message: 'elf has no PT_LOAD segment',
      offset: elf.header.phoff,
    });
  const memory = new PhysicalMemory();
  // One RAM region per run of overlapping/adjacent page ranges.
  const ranges = segs
    .map((p) => ({ lo: pageDown(p.vaddr), hi: pageUp(p.vaddr + BigInt(p.memsz)) }))
    .sort((a, b) => (a.lo < b.lo ? -1 : 1));
  const merged: { lo: bigint; hi: bigint }[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r.lo <= last.hi) {
      if (r.hi > last.hi) last.hi = r.hi;
    } else merged.push({ ...r });
  }
  // leave room for a small heap after the last segment
  for (const r of merged) {
    if (r.hi > 1n << 47n || r.hi - r.lo > 1n << 30n) {
      throw new EmuInputError({
        code: 'SEGMENT_OUT_OF_MEMORY',
        message: `segment at 0x${r.lo.toString(16)} does not fit`,
        address: r.lo,
      });
    }
    memory.addRam(r.lo, Number(r.hi - r.lo), 'image');
  }
  for (const p of segs) {
    if (p.data.length > 0)
      memory.write(p.vaddr, p.data.subarray(0, Math.min(p.filesz, p.data.length)));
  }
  const heapBase = merged[merged.length - 1]!.hi;
  memory.addRam(heapBase, HEAP_SIZE, 'heap');
  const top = initialSp === undefined ? STACK_TOP : (initialSp + 0x10000n) & ~0xfffn;
  memory.addRam(top - BigInt(STACK_SIZE), STACK_SIZE, 'stack');
  const cpu = new Cpu({ memory, highestEl: 1, model });
  // Initial stack: argv strings, then (16-aligned) argc, argv[], NULL, envp NULL, auxv.
  const argv = [argv0, ...args];
  let strAddr = top - 0x100n;
  const argvAddrs: bigint[] = [];
  for (let i = argv.length - 1; i >= 0; i--) {
    const bytes = new TextEncoder().encode(argv[i] + '\0');
    strAddr -= BigInt(bytes.length);
    memory.write(strAddr, bytes);
    argvAddrs.unshift(strAddr);
  }
  const sp = initialSp ?? (strAddr - 0x100n - BigInt(args.length * 8)) & ~0xfn;
  // AT_RANDOM: 16 bytes glibc takes its stack guard from; AT_PHDR/AT_PHNUM: where its static
  // start-up finds PT_TLS
  const random = strAddr - 0x20n;
  memory.write(random, new Uint8Array([...Array(16).keys()].map((i) => (i * 37 + 11) & 0xff)));
  const first = segs.reduce((a, b) => (a.vaddr < b.vaddr ? a : b));
  const phdr = first.offset === 0 ? first.vaddr + BigInt(elf.header.phoff) : 0n;
  const words = [
    BigInt(argv.length),
    ...argvAddrs,
    0n,
    0n,
    6n /* AT_PAGESZ */,
    4096n,
    16n /* AT_HWCAP */,
    hwcap(model),
    25n /* AT_RANDOM */,
    random,
  ];
  if (phdr !== 0n)
    words.push(
      3n /* AT_PHDR */,
      phdr,
      4n /* AT_PHENT */,
      56n,
      5n /* AT_PHNUM */,
      BigInt(elf.header.phnum),
    );
  words.push(0n /* AT_NULL */, 0n);
  const buf = new Uint8Array(words.length * 8);
  const dv = new DataView(buf.buffer);
  words.forEach((w, i) => dv.setBigUint64(i * 8, w, true));
  memory.write(sp, buf);
  cpu.setPstate(0); // EL0t, flags clear, interrupts unmasked
  cpu.setSysReg(sysRegKey(3, 0, 1, 0, 2), 3n << 20n); // CPACR_EL1.FPEN = 0b11: FP/SIMD at EL0, as Linux sets it
  cpu.sp = sp;
  cpu.pc = elf.header.entry;
  return { cpu, memory, entry: elf.header.entry, heapBase };
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
  const { cpu, memory, heapBase } = loadLinuxProgram(
    image,
    options.argv0,
    options.initialSp,
    options.args,
    options.model,
  );
  const stdin = options.stdin ?? new Uint8Array(0);
  let stdinPos = 0;
  let brk = heapBase;
  let mmapNext = MMAP_BASE;
  if (options.initialNzcv !== undefined) cpu.nzcv = options.initialNzcv;
  cpu.traceHook = options.trace;
  let exitCode = -1;
  let fault: A64Fault | undefined;
  cpu.onException = (c, info) => {
    if (info.ec === EC.SVC64) {
      const nr = Number(c.getX(8));
      if (nr === SYSCALL.write) {
        const fd = Number(c.getX(0)),
          addr = c.getX(1),
          len = Number(BigInt.asUintN(32, c.getX(2)));
        if (fd !== 1 && fd !== 2) {
          c.setX(0, -9n);
          return true;
        } // EBADF
        let bytes: Uint8Array;
        try {
          bytes = memory.read(addr, len);
        } catch {
          c.setX(0, -14n);
          return true;
        } // EFAULT
        options.output?.(fd, bytes);
        c.setX(0, BigInt(len));
        return true;
      }
      if (nr === SYSCALL.read) {
        const fd = Number(c.getX(0)),
          addr = c.getX(1),
          len = Number(c.getX(2) > 1n << 30n ? 1n << 30n : c.getX(2));
        if (fd !== 0) {
          c.setX(0, -9n);
          return true;
        } // EBADF
        const chunk = stdin.subarray(stdinPos, stdinPos + len);
        try {
          memory.write(addr, chunk);
        } catch {
          c.setX(0, -14n);
          return true;
        } // EFAULT
        stdinPos += chunk.length;
        c.setX(0, BigInt(chunk.length));
        return true;
      }
      const r = otherSyscall(nr, c);
      if (r !== undefined) {
        c.setX(0, r);
        return true;
      }
      if (nr === SYSCALL.exit || nr === SYSCALL.exit_group) {
        exitCode = Number(c.getX(0) & 0xffn);
        c.stop();
        return true;
      }
      fault = new A64Fault({
        code: 'UNSUPPORTED_SYSCALL',
        message: `unsupported syscall \`${nr}\``,
        pc: info.returnAddress - 4n,
        ec: info.ec,
        iss: nr,
      });
      c.stop();
      return true;
    }
    const sig = SIGNAL_OF[info.ec] ?? [4, 'EXCEPTION'];
    fault = new A64Fault({
      code: sig[1],
      message: `exception class \`0x${info.ec.toString(16)}\` at 0x${info.returnAddress.toString(16)} (signal ${sig[0]})`,
      pc: info.returnAddress,
      ec: info.ec,
      iss: info.iss,
      address: info.far,
    });
    c.stop();
    return true;
  };
  /** The start-up and memory syscalls of static glibc programs; undefined for the others. */
  function otherSyscall(nr: number, c: Cpu): bigint | undefined {
    const a0 = c.getX(0),
      a1 = c.getX(1),
      a2 = c.getX(2),
      a3 = c.getX(3);
    const put = (addr: bigint, bytes: Uint8Array): boolean => {
      try {
        memory.write(addr, bytes);
        return true;
      } catch {
        return false;
      }
    };
    switch (nr) {
      case SYSCALL.brk:
        if (a0 >= heapBase && a0 <= heapBase + BigInt(HEAP_SIZE)) brk = a0;
        return brk;
      case SYSCALL.mmap: {
        if ((Number(a3) & 0x20) === 0 || a1 === 0n || a1 > 1n << 30n) return -12n; // anonymous only (ENOMEM)
        const size = pageUp(a1);
        const base = mmapNext;
        memory.addRam(base, Number(size), 'mmap');
        mmapNext += size + 0x10000n;
        return base;
      }
      case SYSCALL.writev: {
        const fd = Number(a0);
        if (fd !== 1 && fd !== 2) return -9n;
        let total = 0n;
        for (let i = 0n; i < a2; i++) {
          let iov: Uint8Array;
          try {
            iov = memory.read(a1 + i * 16n, 16);
          } catch {
            return -14n;
          }
          const dv = new DataView(iov.buffer, iov.byteOffset, 16);
          const base = dv.getBigUint64(0, true),
            len = dv.getBigUint64(8, true);
          let bytes: Uint8Array;
          try {
            bytes = memory.read(base, Number(len));
          } catch {
            return -14n;
          }
          options.output?.(fd, bytes);
          total += len;
        }
        return total;
      }
      case SYSCALL.newfstatat:
      case SYSCALL.fstat: {
        const buf = nr === SYSCALL.fstat ? a1 : a2;
        const st = new Uint8Array(128);
        const dv = new DataView(st.buffer);
        dv.setUint32(16, 0o10600, true); // st_mode: a pipe, as qemu-aarch64's captured stdout
        dv.setUint32(56, 4096, true); // st_blksize
        return put(buf, st) ? 0n : -14n;
      }
      case SYSCALL.prlimit64: {
        if (a3 !== 0n) {
          const rl = new Uint8Array(16);
          const dv = new DataView(rl.buffer);
          dv.setBigUint64(0, Number(a1) === 3 ? BigInt(STACK_SIZE) : (1n << 64n) - 1n, true);
          dv.setBigUint64(8, (1n << 64n) - 1n, true);
          if (!put(a3, rl)) return -14n;
        }
        return 0n;
      }
      case SYSCALL.getrandom: {
        const n = Number(a1 > 256n ? 256n : a1);
        return put(a0, new Uint8Array([...Array(n).keys()].map((i) => (i * 101 + 7) & 0xff)))
          ? BigInt(n)
          : -14n;
      }
      case SYSCALL.uname: {
        const u = new Uint8Array(65 * 6);
        const fields = ['Linux', 'aarch64-emu', '6.1.0', '#1 SMP', 'aarch64', '(none)'];
        fields.forEach((f, i) => u.set(new TextEncoder().encode(f), i * 65));
        return put(a0, u) ? 0n : -14n;
      }
      case SYSCALL.sysinfo: {
        const si = new Uint8Array(112);
        const dv = new DataView(si.buffer);
        dv.setBigUint64(32, 1n << 30n, true); // totalram
        dv.setBigUint64(40, 1n << 29n, true); // freeram
        dv.setUint32(104, 1, true); // mem_unit
        return put(a0, si) ? 0n : -14n;
      }
      case SYSCALL.set_tid_address:
      case SYSCALL.getpid:
      case SYSCALL.gettid:
        return 1n;
      case SYSCALL.getuid:
      case SYSCALL.geteuid:
      case SYSCALL.getgid:
      case SYSCALL.getegid:
        return 0n;
      case SYSCALL.prctl:
        return -22n; // EINVAL
      case SYSCALL.close:
        return 0n;
      case SYSCALL.munmap:
      case SYSCALL.mprotect:
      case SYSCALL.madvise:
      case SYSCALL.rt_sigaction:
      case SYSCALL.rt_sigprocmask:
        return 0n;
      case SYSCALL.ioctl:
        return -25n; // ENOTTY
      case SYSCALL.readlinkat:
        return -2n; // ENOENT
      case SYSCALL.set_robust_list:
      case SYSCALL.rseq:
        return -38n; // ENOSYS
      default:
        return undefined;
    }
  }
  const limit = options.maxInsns ?? 2 ** 50;
  const why = cpu.run(limit);
  if (fault) throw fault;
  if (why === 'budget') {
    throw new EmuInputError({
      code: 'BAD_ARGUMENT',
      message: `instruction limit \`${limit}\` reached`,
      argument: 'maxInsns',
    });
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
