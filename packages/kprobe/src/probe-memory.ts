// SPDX-License-Identifier: MIT
// The host interface through which the probe manager reads and patches code.
// Role of Starry-OS/kprobe KprobeAuxiliaryOps (copy_memory, set_writeable_for_address) plus
// the instruction-cache flush axebpf's hprobe does after patching (src/cache.rs).

/**
 * Code and data access the probe manager needs from its host (a kernel, the VMM, or the
 * emulator adapter `EmuProbeMemory`).
 *
 * @remarks Addresses are the addresses the probed code runs at (virtual addresses when the
 * MMU is on); translating them is the host's job.
 */
export interface ProbeMemory {
  /**
   * Reads one instruction word (little-endian).
   * @param address - a 4-byte aligned address.
   * @returns the word as an unsigned number.
   * @throws anything when the address is not readable (the manager wraps it as `UNKNOWN_ADDRESS`).
   */
  readInsn(address: bigint): number;
  /**
   * Writes one instruction word (little-endian), making read-only text writable for the
   * write if needed. No cache maintenance is expected here.
   * @param address - a 4-byte aligned address.
   * @param word - the instruction.
   */
  writeInsn(address: bigint, word: number): void;
  /**
   * Makes written code visible to instruction fetch: instruction-cache maintenance and, in
   * an emulator, dropping decoded blocks of the range.
   * @param address - start of the written range.
   * @param length - its length in bytes.
   */
  syncIcache(address: bigint, length: number): void;
  /**
   * Reads data for simulated literal loads (LDR/LDRSW literal).
   * @param address - the literal's address.
   * @param size - 4 or 8 bytes.
   * @returns the value zero-extended.
   * @throws anything when unreadable (the manager reports it as a fault of the probed insn).
   */
  readData(address: bigint, size: 4 | 8): bigint;
}
