import { describe, expect, it } from 'vitest';
import { decodeExit, exitCode, PSCI } from '../src/index.js';

const esr = (ec: number, iss: number) => (BigInt(ec) << 26n) | (1n << 25n) | BigInt(iss);
const regs = (values: Record<number, bigint>) => (i: number) => values[i] ?? 0n;
const src = (
  o: Partial<{
    esr: bigint;
    far: bigint;
    hpfar: bigint;
    vectorOffset: number;
    x: (i: number) => bigint;
  }>,
) => ({ esr: 0n, far: 0n, hpfar: 0n, vectorOffset: 0x400, x: regs({}), ...o });

describe('decodeExit (ESR_EL2 to AxVCpuExitReason)', () => {
  it('decodes HVC into PSCI reasons or a Hypercall with x0 as nr and x1..x6 as args', () => {
    expect(decodeExit(src({ esr: esr(0x16, 0), x: regs({ 0: PSCI.SYSTEM_OFF }) }))).toEqual({
      kind: 'SystemDown',
    });
    expect(decodeExit(src({ esr: esr(0x16, 0), x: regs({ 0: PSCI.CPU_OFF }) }))).toEqual({
      kind: 'CpuDown',
      state: 0n,
    });
    expect(
      decodeExit(
        src({ esr: esr(0x17, 0), x: regs({ 0: PSCI.CPU_ON_64, 1: 1n, 2: 0x40080000n, 3: 7n }) }),
      ),
    ).toEqual({ kind: 'CpuUp', targetCpu: 1n, entryPoint: 0x40080000n, arg: 7n });
    expect(
      decodeExit(src({ esr: esr(0x16, 0), x: regs({ 0: 0xc6000003n, 1: 5n, 6: 9n }) })),
    ).toEqual({ kind: 'Hypercall', nr: 0xc6000003n, args: [5n, 0n, 0n, 0n, 0n, 9n] });
  });

  it('decodes stage-2 translation faults with a valid syndrome into MMIO reads and writes', () => {
    // ISV=1, SAS=2 (4 bytes), SRT=3, WnR=1, DFSC=translation fault level 2
    const write = esr(0x24, (1 << 24) | (2 << 22) | (3 << 16) | (1 << 6) | 0x06);
    const hpfar = (0x09000000n >> 12n) << 4n;
    expect(
      decodeExit(src({ esr: write, far: 0x12345018n, hpfar, x: regs({ 3: 0x1_0000_0041n }) })),
    ).toEqual({ kind: 'MmioWrite', addr: 0x09000018n, width: 4, data: 0x41n });
    // ISV=1, SAS=0 (byte), SSE=1, SRT=5, SF=1, WnR=0
    const read = esr(0x24, (1 << 24) | (0 << 22) | (1 << 21) | (5 << 16) | (1 << 15) | 0x05);
    expect(decodeExit(src({ esr: read, far: 0x7n, hpfar }))).toEqual({
      kind: 'MmioRead',
      addr: 0x09000007n,
      width: 1,
      reg: 5,
      regWidth: 8,
      signedExt: true,
    });
  });

  it('reports faults without a valid syndrome, and instruction aborts, as nested page faults', () => {
    const hpfar = (0x50000000n >> 12n) << 4n;
    expect(decodeExit(src({ esr: esr(0x24, (1 << 6) | 0x0f), far: 0x10n, hpfar }))).toEqual({
      kind: 'NestedPageFault',
      addr: 0x50000010n,
      write: true,
    });
    expect(decodeExit(src({ esr: esr(0x20, 0x06), far: 0x4n, hpfar }))).toEqual({
      kind: 'NestedPageFault',
      addr: 0x50000004n,
      write: false,
    });
  });

  it('decodes WFI, system register traps and IRQs', () => {
    expect(decodeExit(src({ esr: esr(0x01, 0) }))).toEqual({ kind: 'Halt' });
    // MRS x7, ICC_SGI1R_EL1-like encoding: direction bit 0 = 1 (read), Rt = 7
    const iss = (3 << 20) | (2 << 17) | (0 << 14) | (12 << 10) | (11 << 1) | (7 << 5);
    expect(decodeExit(src({ esr: esr(0x18, iss | 1) }))).toEqual({
      kind: 'SysRegRead',
      addr: iss & ((0xfff << 10) | (0xf << 1)),
      reg: 7,
    });
    expect(decodeExit(src({ esr: esr(0x18, iss), x: regs({ 7: 0x55n }) }))).toEqual({
      kind: 'SysRegWrite',
      addr: iss & ((0xfff << 10) | (0xf << 1)),
      value: 0x55n,
    });
    expect(decodeExit(src({ vectorOffset: 0x480 }))).toEqual({
      kind: 'ExternalInterrupt',
      vector: 0,
    });
    expect(decodeExit(src({ esr: esr(0x3c, 4) })).kind).toBe('FailEntry');
  });

  it('gives each reason the trace code of the design study', () => {
    expect([
      exitCode({ kind: 'Hypercall', nr: 0n, args: [] }),
      exitCode({ kind: 'Halt' }),
      exitCode({ kind: 'SystemDown' }),
      exitCode({
        kind: 'SendIPI',
        targetCpu: 0n,
        targetCpuAux: 0n,
        sendToAll: false,
        sendToSelf: false,
        vector: 1,
      }),
    ]).toEqual([1, 10, 13, 16]);
  });
});
