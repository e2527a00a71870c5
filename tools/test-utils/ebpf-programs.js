// eBPF programs (in @axebpf/rbpf's assembler syntax) that the tests of more than one package load.

/**
 * A program that counts its runs per 32-bit key read from its context: the first run of a key
 * inserts 1 into the hash map, later runs add 1 to the value atomically; it returns 0.
 * @param {number} mapFd - the map (u32 key, u64 value).
 * @param {number} keyOffset - byte offset of the key in the context.
 * @returns {string} the assembly.
 */
export function countPerKeyAsm(mapFd, keyOffset) {
  return `
        ldxw %r2, [%r1+${keyOffset}]
        stxw [%r10-4], %r2
        lddw %r1, map[${mapFd}]
        mov %r2, %r10
        add %r2, -4
        call 1
        jne %r0, 0, found
        stdw [%r10-16], 1
        lddw %r1, map[${mapFd}]
        mov %r2, %r10
        add %r2, -4
        mov %r3, %r10
        add %r3, -16
        mov %r4, 0
        call 2
        mov %r0, 0
        exit
      found:
        mov %r1, 1
        lock add [%r0], %r1
        mov %r0, 0
        exit`;
}
