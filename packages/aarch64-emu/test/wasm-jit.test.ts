// The WebAssembly tier against the interpreter on what only it does differently: calls into the
// CPU in the middle of a compiled block (the rare operations, MRS, devices) with the budget,
// instruction count, PC and exclusive monitor the interpreter would have there, chains of
// regions, and the arena of the physical memory. (The golden-trace, corpus and fault suites of
// jit.test.ts run on this tier too.)
import { describe, expect, it } from 'vitest';
import { Cpu, EmuInputError, PhysicalMemory, SYS_REG_BY_NAME } from '../src/index.js';

const RAM = 0x4000_0000n;
const DEV = 0x0900_0000n;

/** A CPU at EL1 with `words` at RAM; `wasm` puts the memory in an arena and compiles at once. */
function machine(words: number[], wasm: boolean): Cpu {
  const mem = new PhysicalMemory(wasm ? { arenaBytes: 8 << 20 } : {});
  mem.addRam(RAM, 1 << 20);
  const bytes = new Uint8Array(words.length * 4);
  words.forEach((w, i) => new DataView(bytes.buffer).setUint32(i * 4, w, true));
  mem.write(RAM, bytes);
  const cpu = new Cpu({ memory: mem });
  cpu.jitThreshold = wasm ? 1e9 : Infinity; // no JavaScript JIT: interpreter or WebAssembly
  cpu.wasmThreshold = 0;
  cpu.wasmBatch = 1;
  cpu.setPstate(0x3c5);
  cpu.pc = RAM;
  return cpu;
}

/** Registers x0..x30, PC, NZCV and the instruction count. */
function state(cpu: Cpu): string {
  const x = Array.from({ length: 31 }, (_, i) => cpu.getX(i).toString(16)).join(' ');
  return `${x} pc ${cpu.pc.toString(16)} nzcv ${cpu.nzcv} n ${cpu.insnCount}`;
}

describe('WebAssembly tier: calls into the CPU mid-block', () => {
  it('keeps to the budget in a loop with a rare operation (UMULH) run by the CPU', () => {
    // loop: umulh x3, x1, x2; add x0, x0, #1; subs x4, x4, #1; b.ne loop; b .
    const words = [0x9bc27c23, 0x91000400, 0xf1000484, 0x54ffffa1, 0x14000000];
    const runs = (wasm: boolean): string[] => {
      const cpu = machine(words, wasm);
      cpu.setX(1, 0xfedcba9876543210n);
      cpu.setX(2, 0x0123456789abcdefn);
      cpu.setX(4, 1_000_000n);
      const out: string[] = [];
      for (const budget of [1001, 7, 5000, 3]) {
        expect(cpu.run(budget)).toBe('budget');
        out.push(state(cpu));
      }
      if (wasm) expect(cpu.wasmRegions).toBeGreaterThan(0);
      return out;
    };
    const interp = runs(false);
    expect(runs(true)).toEqual(interp);
    expect(interp[3]).toContain(' n 6011');
    expect(interp[3]).toContain(
      `${((0xfedcba9876543210n * 0x0123456789abcdefn) >> 64n).toString(16)} `,
    );
  });

  for (const between of [true, false]) {
    it(`an exclusive store ${between ? 'fails after a plain store made in compiled code' : 'succeeds'}, as in the interpreter`, () => {
      // ldxr x5, [x6]; [str x9, [x10];] stxr w7, x8, [x6]; add x0, x0, #1; b .
      const words = between
        ? [0xc85f7cc5, 0xf9000149, 0xc8077cc8, 0x91000400, 0x14000000]
        : [0xc85f7cc5, 0xc8077cc8, 0x91000400, 0x14000000];
      const run = (wasm: boolean): { s: string; mem: bigint } => {
        const cpu = machine(words, wasm);
        cpu.setX(6, RAM + 0x1000n);
        cpu.setX(8, 0x1234n);
        cpu.setX(10, RAM + 0x2000n);
        cpu.setX(7, 5n);
        cpu.run(words.length); // the whole block (a shorter budget would interpret it)
        const b = cpu.memory.read(RAM + 0x1000n, 8);
        return { s: state(cpu), mem: new DataView(b.buffer).getBigUint64(0, true) };
      };
      const interp = run(false);
      expect(run(true)).toEqual(interp);
      expect(interp.s.split(' ')[7]).toBe(between ? '1' : '0'); // x7: the status
      expect(interp.mem).toBe(between ? 0n : 0x1234n);
    });
  }

  it('gives a device the instruction count and PC of the block start, as the interpreter does', () => {
    // loop: add x0, x0, #1; add x0, x0, #1; ldr x2, [x1]; str x2, [x3], #8; subs x4, x4, #1;
    //       b.ne loop; b .
    const words = [
      0x91000400, 0x91000400, 0xf9400022, 0xf8008462, 0xf1000484, 0x54ffff61, 0x14000000,
    ];
    const run = (wasm: boolean): { s: string; seen: string[] } => {
      const cpu = machine(words, wasm);
      const seen: string[] = [];
      cpu.memory.addMmio(DEV, 0x1000, {
        read: () => {
          seen.push(`${cpu.insnCount}@${cpu.pc.toString(16)}`);
          return BigInt(cpu.insnCount);
        },
        write: () => {},
      });
      cpu.setX(1, DEV);
      cpu.setX(3, RAM + 0x8000n);
      cpu.setX(4, 50n);
      cpu.run(200);
      cpu.run(1000);
      return { s: state(cpu), seen };
    };
    const interp = run(false);
    expect(run(true)).toEqual(interp);
    expect(interp.seen.length).toBe(50);
    expect(interp.seen[1]).toBe(`6@${RAM.toString(16)}`);
  });

  it("DC ZVA: zeroes plain RAM inside compiled code; a fault keeps the interpreter's syndrome", () => {
    // loop: dc zva, x1; add x1, x1, #64; subs x4, x4, #1; b.ne loop; dc zva, x2; b .
    const words = [0xd50b7421, 0x91010021, 0xf1000484, 0x54ffffa1, 0xd50b7422, 0x14000000];
    const run = (wasm: boolean): { s: string; ram: string; esr: bigint; far: bigint } => {
      const cpu = machine(words, wasm);
      cpu.memory.write(RAM + 0x2000n, new Uint8Array(512).fill(0xa5));
      cpu.setSysReg(SYS_REG_BY_NAME.get('vbar_el1')!, RAM + 0x800n);
      cpu.memory.write(RAM + 0xa00n, new Uint8Array([0x00, 0x00, 0x00, 0x14])); // vector: b .
      cpu.setX(1, RAM + 0x2010n); // not aligned: the 64 bytes at RAM + 0x2000
      cpu.setX(2, 0x0b00_0010n); // no memory there: an external abort
      cpu.setX(4, 4n);
      cpu.run(100);
      return {
        s: state(cpu),
        ram: Buffer.from(cpu.memory.read(RAM + 0x2000n, 512)).toString('hex'),
        esr: cpu.getSysReg(SYS_REG_BY_NAME.get('esr_el1')!),
        far: cpu.getSysReg(SYS_REG_BY_NAME.get('far_el1')!),
      };
    };
    const interp = run(false);
    expect(run(true)).toEqual(interp);
    expect(interp.ram).toBe('00'.repeat(256) + 'a5'.repeat(256));
    expect(interp.far).toBe(0x0b00_0010n); // Xt as given, not aligned
    expect(Number(interp.esr >> 26n)).toBe(0x25); // data abort, same EL
  });

  it('MSR of a register that does not end the block, and MRS of it, in compiled code', () => {
    // loop: add x2, x2, #3; msr tpidr_el1, x2; mrs x3, tpidr_el1; add x5, x5, x3;
    //       subs x4, x4, #1; b.ne loop; b .
    const words = [
      0x91000c42, 0xd518d082, 0xd538d083, 0x8b0300a5, 0xf1000484, 0x54ffff61, 0x14000000,
    ];
    const run = (wasm: boolean): string => {
      const cpu = machine(words, wasm);
      cpu.setX(4, 500n);
      cpu.run(5000);
      return `${state(cpu)} tpidr ${cpu.getSysReg(SYS_REG_BY_NAME.get('tpidr_el1')!)}`;
    };
    const interp = run(false);
    expect(run(true)).toBe(interp);
    expect(interp).toContain('tpidr 1500');
  });

  it('drops chains into code that was rewritten', () => {
    // f: add x0, x0, #1; ret      (at +0x1000: another page, so not part of the loop's region)
    // loop: bl f; subs x4, x4, #1; b.ne loop; b .   (at 0)
    const words = [0x94000400, 0xf1000484, 0x54ffffc1, 0x14000000];
    const f = [0x91000400, 0xd65f03c0];
    const run = (wasm: boolean): string => {
      const cpu = machine(words, wasm);
      const le = (ws: number[]): Uint8Array => {
        const b = new Uint8Array(ws.length * 4);
        ws.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w, true));
        return b;
      };
      cpu.memory.write(RAM + 0x1000n, le(f));
      cpu.setX(4, 2000n);
      cpu.run(3000); // regions chain only with more than 1024 instructions of budget left
      cpu.memory.write(RAM + 0x1000n, le([0x91000800])); // add x0, x0, #2
      cpu.run(20000);
      return state(cpu);
    };
    const interp = run(false);
    expect(run(true)).toBe(interp);
    expect(interp).toMatch(/^([0-9a-f]+) /);
    const x0 = BigInt('0x' + interp.split(' ')[0]);
    expect(x0).toBe(600n + 2n * 1400n); // 600 calls before the rewrite, 1400 after
  });
});

describe('WebAssembly tier: tracing and limits', () => {
  // f: add x0, x0, #1; ret   (at +0x1000)
  // loop: bl f; subs x4, x4, #1; b.ne loop; add x5, x5, #1; b .   (at 0)
  const words = [0x94000400, 0xf1000484, 0x54ffffc1, 0x910004a5, 0x14000000];
  const withF = (wasm: boolean): Cpu => {
    const cpu = machine(words, wasm);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setUint32(0, 0x91000400, true);
    new DataView(b.buffer).setUint32(4, 0xd65f03c0, true);
    cpu.memory.write(RAM + 0x1000n, b);
    cpu.setX(4, 1000n);
    return cpu;
  };

  it('calls a block-granular trace hook before every block, as the interpreter does', () => {
    const seen = (wasm: boolean): { pcs: string[]; s: string } => {
      const cpu = withF(wasm);
      const pcs: string[] = [];
      cpu.traceBlocks = true;
      cpu.traceHook = (c) => pcs.push(`${c.insnCount}:${c.pc.toString(16)}`);
      cpu.run(4000);
      return { pcs, s: state(cpu) };
    };
    const interp = seen(false);
    expect(seen(true)).toEqual(interp);
    expect(interp.pcs.length).toBeGreaterThan(1000);
  });

  it('drops its regions past Cpu.wasmSlotLimit and compiles them again, with the same results', () => {
    const limit = Cpu.wasmSlotLimit;
    Cpu.wasmSlotLimit = 2;
    try {
      const run = (wasm: boolean): { s: string; regions: number } => {
        const cpu = withF(wasm);
        for (let i = 0; i < 5; i++) cpu.run(1500);
        return { s: state(cpu), regions: cpu.wasmRegions };
      };
      const interp = run(false);
      const wasm = run(true);
      expect(wasm.s).toBe(interp.s);
      expect(wasm.regions).toBeGreaterThan(2); // compiled again after a reset
    } finally {
      Cpu.wasmSlotLimit = limit;
    }
  });
});

describe('PhysicalMemory arena', () => {
  it('places RAM, registers and TLB in the arena while there is room, then ordinary buffers', () => {
    const mem = new PhysicalMemory({ arenaBytes: 3 << 20 });
    expect(mem.arena?.buffer.byteLength).toBe(3 << 20);
    const a = mem.addRam(RAM, 2 << 20);
    expect(a.arenaOffset).toBe(0);
    expect(a.codeArenaOffset).toBe(2 << 20);
    expect(a.bytes.buffer).toBe(mem.arena!.buffer);
    const b = mem.addRam(RAM + 0x1000_0000n, 2 << 20); // no room left
    expect(b.arenaOffset).toBe(-1);
    expect(b.bytes.buffer).not.toBe(mem.arena!.buffer);
    const cpu = new Cpu({ memory: mem });
    expect(cpu.R.buffer).toBe(mem.arena!.buffer);
    expect(mem.allocArena(1 << 20)).toBe(-1);
  });

  it('takes no arena room for a region it rejects', () => {
    const mem = new PhysicalMemory({ arenaBytes: 1 << 20 });
    mem.addRam(RAM, 0x10000);
    const code = (f: () => void): string | undefined => {
      try {
        f();
      } catch (e) {
        return (e as EmuInputError).code;
      }
      return undefined;
    };
    expect(code(() => mem.addRam(RAM + 0x8000n, 0x10000))).toBe('BAD_ADDRESS'); // overlaps
    expect(code(() => mem.addRam(RAM + 0x20001n, 0x1000))).toBe('BAD_ADDRESS'); // misaligned
    // the next region starts at the first page after the first one's bytes and code map
    expect(mem.addRam(RAM + 0x100000n, 0x10000).arenaOffset).toBe(0x11000);
  });

  it('rejects a bad arena size with BAD_ARGUMENT', () => {
    for (const bad of [0, -1, Number.NaN, 2 ** 33]) {
      const e = (() => {
        try {
          new PhysicalMemory({ arenaBytes: bad });
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(e).toBeInstanceOf(EmuInputError);
      expect((e as EmuInputError).code).toBe('BAD_ARGUMENT');
    }
  });

  it('without an arena, no WebAssembly is compiled', () => {
    const cpu = machine([0x91000400, 0x17ffffff], false);
    cpu.jitThreshold = 0;
    cpu.run(100);
    expect(cpu.wasmRegions).toBe(0);
    expect(cpu.jitBlocks).toBeGreaterThan(0);
  });
});
