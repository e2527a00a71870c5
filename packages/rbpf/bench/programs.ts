// Benchmark programs (written for this package): each loops N times (N in r1's low bits via
// the context's first 4 bytes) doing one kind of work.

/** 64-bit ALU: 8 ALU64 instructions + loop control per iteration. */
export const ALU64 = `
  ldxw %r1, [%r1]
  mov %r0, 0
  mov %r2, 1
  lddw %r3, 0x123456789
loop:
  add %r0, %r2
  xor %r0, %r3
  mul %r2, 3
  lsh %r3, 1
  rsh %r3, 1
  sub %r0, 7
  or %r2, 1
  and %r3, -2
  sub %r1, 1
  jne %r1, 0, loop
  exit`;

/** 32-bit ALU: 8 ALU32 instructions + loop control per iteration. */
export const ALU32 = `
  ldxw %r1, [%r1]
  mov32 %r0, 0
  mov32 %r2, 1
  mov32 %r3, 0x12345
loop:
  add32 %r0, %r2
  xor32 %r0, %r3
  mul32 %r2, 3
  lsh32 %r3, 1
  rsh32 %r3, 1
  sub32 %r0, 7
  or32 %r2, 1
  and32 %r3, -2
  sub %r1, 1
  jne %r1, 0, loop
  exit`;

/** Stack loads and stores: 4 stores + 4 loads per iteration. */
export const MEMORY = `
  ldxw %r1, [%r1]
  mov %r0, 0
  stdw [%r10-8], 0
loop:
  stxdw [%r10-16], %r1
  stxw [%r10-24], %r1
  ldxdw %r2, [%r10-16]
  ldxw %r3, [%r10-24]
  stxh [%r10-26], %r2
  ldxh %r4, [%r10-26]
  stxb [%r10-27], %r4
  ldxb %r5, [%r10-27]
  add %r0, %r5
  sub %r1, 1
  jne %r1, 0, loop
  exit`;

/** Helper calls: one call of helper 5 (returns its argument) per iteration. */
export const HELPER = `
  ldxw %r6, [%r1]
  mov %r7, 0
loop:
  mov %r1, %r6
  call 5
  add %r7, %r0
  sub %r6, 1
  jne %r6, 0, loop
  mov %r0, %r7
  exit`;

/**
 * Memory: 16 passes over a 4 KiB buffer (r1, the context), each dword loaded, incremented and
 * stored back (`ldxdw`/`add`/`stxdw`, 6 instructions per dword). The bounds are constants, so
 * the verifier proves every access (as `raw-memory` with a 4096-byte memory).
 */
export const MEM_4K = `
  mov %r6, 16
outer:
  mov %r2, %r1
  mov %r3, 512
inner:
  ldxdw %r4, [%r2]
  add %r4, %r3
  stxdw [%r2], %r4
  add %r2, 8
  sub %r3, 1
  jne %r3, 0, inner
  sub %r6, 1
  jne %r6, 0, outer
  mov %r0, 0
  exit`;

/** Helper calls with five arguments: r1..r5 set and helper 5 called once per iteration. */
export const CALL5 = `
  ldxw %r6, [%r1]
  mov %r7, 0
loop:
  mov %r1, %r6
  mov %r2, 2
  mov %r3, 3
  mov %r4, 4
  mov %r5, 5
  call 5
  add %r7, %r0
  sub %r6, 1
  jne %r6, 0, loop
  mov %r0, %r7
  exit`;
