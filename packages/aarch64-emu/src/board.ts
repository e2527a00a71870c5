// SPDX-License-Identifier: MIT
// A QEMU-virt-like board for bare-metal images: RAM at 0x4000_0000, a PL011 UART at
// 0x0900_0000 (transmit only), PSCI SYSTEM_OFF/VERSION through SMC (EL2 boot) or HVC (EL1
// boot) as QEMU's built-in firmware does.

import { ElfError, parseElf, PT_LOAD } from '@axebpf/obj/elf';
import { Cpu } from './cpu.js';
import type { StopReason } from './cpu.js';
import { EmuInputError } from './errors.js';
import type { MmioDevice } from './memory.js';
import { PhysicalMemory } from './memory.js';

/** Base of RAM on the board. */
export const VIRT_RAM_BASE = 0x4000_0000n;
/** Base of the PL011 UART on the board. */
export const VIRT_UART_BASE = 0x0900_0000n;

const PSCI_VERSION = 0x8400_0000n;
const PSCI_SYSTEM_OFF = 0x8400_0008n;

/** Options of {@link bootImage}. */
export interface BootOptions {
  /** EL to start at: 2 (like `virtualization=on`, the default) or 1. */
  el?: 1 | 2;
  /** RAM size in bytes; default 128 MiB. */
  ramSize?: number;
  /** Receives the UART's output bytes. */
  console?: (byte: number) => void;
  /** Receives `-d int`-style exception log lines. */
  intLog?: (line: string) => void;
  /** Called before every instruction (slow: one instruction per block). */
  trace?: (cpu: Cpu) => void;
  /** Instruction budget; default 100 million. */
  maxInsns?: number;
}

/** Result of {@link bootImage}. */
export interface BootResult {
  /** `stopped` after PSCI SYSTEM_OFF, else why the run ended. */
  reason: StopReason;
  /** True when the guest called PSCI SYSTEM_OFF. */
  poweredOff: boolean;
  /** Executed instructions. */
  insns: number;
  /** The CPU. */
  cpu: Cpu;
}

/** PL011 transmit side: DR writes go to the console, FR reads 0x90 (TX empty, RX empty). */
class Pl011 implements MmioDevice {
  constructor(private readonly sink: (byte: number) => void) {}
  read(offset: number): bigint {
    if (offset === 0x18) return 0x90n;
    return 0n;
  }
  write(offset: number, _size: number, value: bigint): void {
    if (offset === 0) this.sink(Number(value & 0xffn));
  }
}

/**
 * Loads a bare-metal AArch64 ELF on the board and runs it until PSCI SYSTEM_OFF, a WFI with
 * interrupts that can never arrive, or the instruction budget.
 * @param image - ELF bytes (PT_LOAD segments are placed at their physical addresses).
 * @param options - EL, RAM size, console and log sinks, budget.
 * @returns why it stopped.
 * @throws {EmuInputError} `BAD_ELF`, `UNSUPPORTED_ELF`, `SEGMENT_OUT_OF_MEMORY`.
 */
export function bootImage(image: Uint8Array, options: BootOptions = {}): BootResult {
  let elf;
  try {
    elf = parseElf(image);
  } catch (e) {
    if (ElfError.isInstance(e))
      throw new EmuInputError({
        code: 'BAD_ELF',
        message: `bad elf: ${e.message}`,
        offset: e.offset,
        cause: e,
      });
    throw e;
  }
  if (elf.header.machine !== 183) {
    throw new EmuInputError({
      code: 'UNSUPPORTED_ELF',
      message: `elf machine \`${elf.header.machine}\` is not aarch64 (183)`,
      offset: 18,
      argument: 'e_machine',
    });
  }
  const ramSize = options.ramSize ?? 128 << 20;
  const memory = new PhysicalMemory();
  memory.addRam(VIRT_RAM_BASE, ramSize, 'ram');
  memory.addMmio(VIRT_UART_BASE, 0x1000, new Pl011(options.console ?? (() => undefined)), 'pl011');
  for (const p of elf.loadSegments()) {
    if (p.type !== PT_LOAD || p.memsz === 0) continue;
    if (p.paddr < VIRT_RAM_BASE || p.paddr + BigInt(p.memsz) > VIRT_RAM_BASE + BigInt(ramSize)) {
      throw new EmuInputError({
        code: 'SEGMENT_OUT_OF_MEMORY',
        message: `segment at 0x${p.paddr.toString(16)} is outside RAM`,
        address: p.paddr,
        offset: p.headerOffset,
      });
    }
    memory.write(p.paddr, p.data.subarray(0, p.filesz));
  }
  const el = options.el ?? 2;
  const cpu = new Cpu({ memory, highestEl: el });
  cpu.setPstate(el === 2 ? 0x3c9 : 0x3c5);
  cpu.pc = elf.header.entry;
  cpu.intLog = options.intLog;
  cpu.traceHook = options.trace;
  let poweredOff = false;
  cpu.onFirmwareCall = (c, kind) => {
    // QEMU's PSCI conduit: SMC when EL2 exists, HVC otherwise
    if ((kind === 'smc') !== (el === 2)) return false;
    const fn = c.getX(0);
    if (fn === PSCI_SYSTEM_OFF) {
      poweredOff = true;
      c.stop();
    } else if (fn === PSCI_VERSION) c.setX(0, 0x10000n);
    else c.setX(0, BigInt.asUintN(64, -1n)); // NOT_SUPPORTED
    return true;
  };
  const reason = cpu.run(options.maxInsns ?? 100_000_000);
  return { reason, poweredOff, insns: cpu.insnCount, cpu };
}
