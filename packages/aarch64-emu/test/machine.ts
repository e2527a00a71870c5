// The bare machine the hand-encoded instruction tests run on: 1 MiB of RAM at 0x4000_0000
// holding the test's words, and a CPU at the chosen EL about to execute the first one.
import { Cpu, PhysicalMemory } from '../src/index.js';
import type { CpuModel } from '../src/index.js';

/** Where the test machine's RAM (and its code) starts. */
export const RAM = 0x40000000n;

/**
 * A CPU at `el` (EL0t, or ELxh with SP_ELx) with D, A, I and F masked, `words` at {@link RAM}
 * and the PC on the first one.
 * @param words - instruction words (little-endian in memory).
 * @param el - exception level (default 1).
 * @param jitThreshold - the CPU's `jitThreshold`, when given.
 * @param model - the CPU model (default: the emulator's default).
 * @returns the CPU.
 */
export function machine(words: number[], el = 1, jitThreshold?: number, model?: CpuModel): Cpu {
  const mem = new PhysicalMemory();
  mem.addRam(RAM, 1 << 20);
  const bytes = new Uint8Array(words.length * 4);
  const dv = new DataView(bytes.buffer);
  words.forEach((w, i) => dv.setUint32(i * 4, w, true));
  mem.write(RAM, bytes);
  const cpu = new Cpu({ memory: mem, model: model ?? 'default' });
  if (jitThreshold !== undefined) cpu.jitThreshold = jitThreshold;
  cpu.setPstate((el << 2) | (el ? 1 : 0) | (0xf << 6));
  cpu.pc = RAM;
  return cpu;
}
