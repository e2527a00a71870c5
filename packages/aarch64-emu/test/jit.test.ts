// The block JIT against the same oracles as the interpreter: qemu's register traces compared
// at every block boundary with every block compiled on first use, the corpus goldens, the
// bare-metal boot logs, self-modifying code inside a compiled block and a data abort in the
// middle of one (exact ELR, instruction count and flags).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  bootImage,
  Cpu,
  formatCpuState,
  PhysicalMemory,
  runLinuxProgram,
  SYS_REG_BY_NAME,
} from '../src/index.js';
import { generateBlock } from '../src/jit.js';
import { decodeInto } from '../src/decode.js';
import { STRIDE } from '../src/ops.js';
import { machine, RAM } from './machine.js';
import { TIERS, useTier } from './tiers.js';

const programs = join(import.meta.dirname, 'programs');
const risu = join(import.meta.dirname, 'risu');
const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;

// Every suite runs twice: compiled to JavaScript (no arena), and compiled to WebAssembly (every
// machine with an arena, regions compiled after the same number of runs).

/**
 * Runs a program from qemu's initial SP and flags, recording the state before every block
 * (the first trace call switches the CPU to block granularity), and compares each with qemu's
 * record before the same instruction number. Returns the first difference ('' when none).
 */
function compareAtBlocks(
  elf: string,
  golden: string,
  blockInsns: number,
  threshold: number,
): { diff: string; blocks: number; compiled: number; regions: number; wasm: number } {
  const lines = golden.split('\n');
  const sp = BigInt('0x' + /SP=([0-9a-f]{16})/.exec(golden)![1]!);
  const nzcv = parseInt(/PSTATE=([0-9a-f]{8})/.exec(golden)![1]!, 16) >>> 28;
  let diff = '';
  let blocks = 0;
  let cpu: Cpu | undefined;
  runLinuxProgram(readFileSync(elf), {
    initialSp: sp,
    initialNzcv: nzcv,
    trace: (c) => {
      cpu = c;
      c.traceBlocks = true;
      c.maxBlockInsns = blockInsns;
      c.jitThreshold = threshold;
      c.wasmThreshold = threshold;
      blocks++;
      if (diff) return;
      const want = lines.slice(c.insnCount * 12, c.insnCount * 12 + 12).join('\n') + '\n';
      const got = formatCpuState(c);
      if (got !== want) {
        diff = `before instruction ${c.insnCount}:\n${got}qemu:\n${want}`;
        c.stop();
      }
    },
  });
  // blocks compiled together with successors (regions of more than one block)
  const blocksOf = (cpu as unknown as { blocks: Map<number, { members?: readonly unknown[] }> })
    .blocks;
  const regions = [...blocksOf.values()].filter((b) => (b.members?.length ?? 0) > 1).length;
  return { diff, blocks, compiled: cpu!.jitBlocks, regions, wasm: cpu!.wasmRegions };
}

for (const tier of TIERS) {
  describe(`${tier} tier`, () => {
    useTier(tier);

    describe(`JIT (${tier}): register state at every block boundary vs qemu-aarch64 -d cpu (golden traces)`, () => {
      const cases: [string, string][] = [
        ['strings-O2', join(programs, 'bin', 'strings-O2.elf')],
        ['int128-O2', join(programs, 'bin', 'int128-O2.elf')],
        ...['dpimm', 'dpreg', 'ldst', 'branch'].map((c): [string, string] => [
          `risu ${c}`,
          join(risu, `${c}.elf`),
        ]),
      ];
      for (const [name, elf] of cases) {
        // blocks of one instruction compare after every compiled instruction; longer blocks
        // exercise flags kept in locals across instructions
        // threshold 2: successors are decoded by the time a block compiles (multi-block regions)
        for (const [size, threshold] of [
          [1, 0],
          [3, 0],
          [64, 0],
          [3, 2],
          [64, 2],
        ] as const) {
          it(`${name}, blocks of up to ${size}, compiled after ${threshold} runs: identical state before every block`, () => {
            const log = name.startsWith('risu')
              ? join(risu, `${name.slice(5)}.cpu.log.gz`)
              : join(programs, 'traces', `${name}.cpu.log.gz`);
            const golden = gunzipSync(readFileSync(log)).toString();
            const r = compareAtBlocks(elf, golden, size, threshold);
            expect(r.diff).toBe('');
            // the risu streams are straight-line code: blocks of up to 64 instructions
            expect(r.blocks).toBeGreaterThan(name.startsWith('risu') ? 6 : 50);
            if (threshold === 0) expect(r.compiled).toBeGreaterThan(5);
            if (tier === 'wasm' && threshold === 0) expect(r.wasm).toBeGreaterThan(5);
            if (threshold === 2 && !name.startsWith('risu')) expect(r.regions).toBeGreaterThan(3);
          }, 60_000);
        }
      }
    });

    describe(`JIT (${tier}): corpus programs and bare-metal boots`, () => {
      const golden = JSON.parse(readFileSync(join(programs, 'golden.json'), 'utf8')) as Record<
        string,
        { stdout: string; status: number; insns: number }
      >;
      for (const f of [
        'arith-O0.elf',
        'switch-Os.elf',
        'hash-O2.elf',
        'sort-O0.elf',
        'recursion-Os.elf',
      ]) {
        it(`${f}: same stdout, exit status and instruction count as qemu-aarch64`, () => {
          const chunks: Uint8Array[] = [];
          const r = runLinuxProgram(readFileSync(join(programs, 'bin', f)), {
            output: (fd, b) => {
              if (fd === 1) chunks.push(b);
            },
            maxInsns: golden[f]!.insns + 1000,
          });
          expect({
            stdout: Buffer.concat(chunks).toString('base64'),
            status: r.exitCode,
            insns: r.insns,
          }).toEqual(golden[f]);
          expect(r.cpu.jitBlocks).toBeGreaterThan(10);
        }, 60_000);
      }

      const dir = join(import.meta.dirname, 'baremetal');
      for (const el of [2, 1] as const) {
        it(`boot at EL${el}: same console and exception log as qemu-system-aarch64`, () => {
          const log: string[] = [];
          let con = '';
          const r = bootImage(readFileSync(join(dir, 'guest.elf')), {
            el,
            console: (b) => {
              con += String.fromCharCode(b);
            },
            intLog: (l) => log.push(l),
          });
          expect(r.poweredOff).toBe(true);
          expect(r.cpu.jitBlocks).toBeGreaterThan(5);
          expect(con).toBe(readFileSync(join(dir, `qemu-el${el}.console.txt`), 'utf8'));
          const mask = (l: string): string =>
            l.replace(
              /PSTATE 0x([0-9a-f]+)$/,
              (_, p: string) => `PSTATE 0x${(parseInt(p, 16) & 0x0fffffff).toString(16)}`,
            );
          expect(log.map(mask)).toEqual(
            readFileSync(join(dir, `qemu-el${el}.int.log`), 'utf8')
              .trimEnd()
              .split('\n')
              .map(mask),
          );
        });
      }
    });

    describe(`JIT (${tier}): block cache and faults`, () => {
      for (const threshold of [0, Infinity]) {
        const mode = threshold === 0 ? 'compiled' : 'interpreted';
        it(`${mode}: a store into the running block drops it; the patched instruction runs next`, () => {
          // loop: str w2, [x1]; add x0, x0, #1 (x1 points here); subs x3, x3, #1; b.ne loop; b .
          const cpu = machine(
            [0xb9000022, 0x91000400, 0xf1000463, 0x54ffffa1, 0x14000000],
            1,
            threshold,
          );
          cpu.setX(1, RAM + 4n);
          cpu.setX(2, 0x91000800n); // add x0, x0, #2
          cpu.setX(3, 10n);
          cpu.run(41);
          expect(cpu.getX(0)).toBe(20n);
          expect(cpu.getX(3)).toBe(0n);
          expect(cpu.pc).toBe(RAM + 16n);
          expect(cpu.insnCount).toBe(41);
          expect(cpu.jitBlocks > 0).toBe(threshold === 0);
        });

        it(`${mode}: host writes drop a hot block`, () => {
          // loop: add x0, x0, #1; subs x3, x3, #1; b.ne loop; b .
          const cpu = machine([0x91000400, 0xf1000463, 0x54ffffc1, 0x14000000], 1, threshold);
          cpu.setX(3, 50n);
          cpu.run(150);
          expect(cpu.getX(0)).toBe(50n);
          cpu.memory.write(RAM, new Uint8Array([0x00, 0x0c, 0x00, 0x91])); // add x0, x0, #3
          cpu.pc = RAM;
          cpu.setX(3, 2n);
          cpu.run(6);
          expect(cpu.getX(0)).toBe(56n);
        });

        it(`${mode}: a data abort in the middle of a block has the exact ELR, count, flags and no writeback`, () => {
          // add x0, x0, #1; subs x5, x5, x5 (Z=1, C=1); ldr x3, [x1, #8]!; add x0, x0, #1; b .
          const cpu = machine(
            [0x91000400, 0xeb0500a5, 0xf8408c23, 0x91000400, 0x14000000],
            2,
            threshold,
          );
          cpu.setSysReg(key('vbar_el2'), RAM + 0x800n);
          cpu.stopOnEl2 = true;
          cpu.setX(1, 0x0b000000n);
          expect(cpu.run(100)).toBe('exception-el2');
          expect(cpu.getSysReg(key('elr_el2'))).toBe(RAM + 8n);
          expect(cpu.getSysReg(key('esr_el2'))).toBe(0x96000010n);
          expect(cpu.getSysReg(key('far_el2'))).toBe(0x0b000008n);
          expect(Number(cpu.getSysReg(key('spsr_el2')) >> 28n)).toBe(0b0110);
          expect(cpu.getX(0)).toBe(1n);
          expect(cpu.getX(1)).toBe(0x0b000000n);
          expect(cpu.insnCount).toBe(3);
          expect(cpu.pc).toBe(RAM + 0xa00n);
        });
      }

      it('clamps an out-of-range maxBlockInsns instead of decoding empty blocks', () => {
        for (const bad of [0, -5, Number.NaN, 1e9]) {
          const cpu = machine([0x91000400, 0x91000400, 0x91000400, 0x14000000], 1, 0);
          cpu.maxBlockInsns = bad;
          expect(cpu.run(10)).toBe('budget');
          expect(cpu.getX(0)).toBe(3n);
          expect(cpu.pc).toBe(RAM + 12n);
        }
      });

      it('leaves a block starting with a system instruction to the interpreter; hands over at one later', () => {
        const words = [0x91000400 /* add */, 0xd53b4200 /* mrs x0, nzcv */, 0xd65f03c0 /* ret */];
        const ops = new Int32Array(words.length * STRIDE);
        words.forEach((w, i) => decodeInto(w, ops, i * STRIDE));
        expect(generateBlock(ops.subarray(STRIDE), 2)).toBeUndefined();
        expect(generateBlock(ops, 3)).toContain('cpu.execBlock(blk, 3, 1)');
      });
    });

    describe(`JIT (${tier}): system registers and EL2 memory`, () => {
      // A world switch in the style of a hypervisor's (MMU off at EL2, code and context above
      // 4 GiB, so the inline fast RAM windows take 64-bit addresses): the lower-EL sync vector saves
      // registers and ELR/SPSR/ESR/SP_EL0 with MRS into the context, the restore path writes them
      // back with MSR and ERETs to an EL1 loop that stores, updates TPIDR_EL1 and HVCs again.
      const H = 0x1_0010_0000n;
      const ENTRY = [0xd51cd040 /* msr tpidr_el2, x0 */, 0x1400010c /* b enter (+0x434) */];
      const VECTOR = [
        0xa9bf07e0, // stp x0, x1, [sp, #-16]!
        0xd53cd041, // mrs x1, tpidr_el2
        0xa9010c22, // stp x2, x3, [x1, #16]
        0xf9001829, // str x9, [x1, #48]
        0xd53c4022, // mrs x2, elr_el2
        0xd53c4003, // mrs x3, spsr_el2
        0xa9040c22, // stp x2, x3, [x1, #64]
        0xd53c5204, // mrs x4, esr_el2
        0xd5384105, // mrs x5, sp_el0
        0xa9051424, // stp x4, x5, [x1, #80]
        0xa8c10fe2, // ldp x2, x3, [sp], #16
        0xa9000c22, // stp x2, x3, [x1]
        0x910004e7, // add x7, x7, #1
        0xd53cd041, // enter: mrs x1, tpidr_el2
        0xa9440c22, // ldp x2, x3, [x1, #64]
        0xd51c4022, // msr elr_el2, x2
        0xd51c4003, // msr spsr_el2, x3
        0xf9402c25, // ldr x5, [x1, #88]
        0x910040a5, // add x5, x5, #16
        0xd5184105, // msr sp_el0, x5
        0xf9401829, // ldr x9, [x1, #48]
        0xa9400420, // ldp x0, x1, [x1]
        0xd69f03e0, // eret
      ];
      const GUEST = [
        0x91000529, // add x9, x9, #1
        0xf8008549, // str x9, [x10], #8
        0xd538d08b, // mrs x11, tpidr_el1
        0x91000d6b, // add x11, x11, #3
        0xd518d08b, // msr tpidr_el1, x11
        0xd40000e2, // hvc #7
        0x17fffffa, // b guest
      ];
      const le = (words: number[]): Uint8Array => {
        const b = new Uint8Array(words.length * 4);
        words.forEach((w, i) => new DataView(b.buffer).setUint32(i * 4, w, true));
        return b;
      };

      function worldSwitch(
        threshold: number,
        budget: number,
      ): { cpu: Cpu; state: string; ctx: Uint8Array; stores: Uint8Array } {
        const mem = new PhysicalMemory();
        mem.addRam(RAM, 1 << 20);
        mem.addRam(H, 0x4000);
        mem.write(H, le(ENTRY));
        mem.write(H + 0x400n, le(VECTOR));
        mem.write(RAM, le(GUEST));
        const ctx = H + 0x1000n;
        const init = new Uint8Array(96);
        const dv = new DataView(init.buffer);
        dv.setBigUint64(64, RAM, true); // ELR: the guest loop
        dv.setBigUint64(72, 0x3c5n, true); // SPSR: EL1h, DAIF masked
        dv.setBigUint64(88, 0x4008_0000n, true); // SP_EL0
        mem.write(ctx, init);
        const cpu = new Cpu({ memory: mem });
        cpu.jitThreshold = threshold;
        cpu.setSysReg(key('vbar_el2'), H);
        cpu.setPstate(0x3c9); // EL2h
        cpu.sp = H + 0x2000n;
        cpu.setX(0, ctx);
        cpu.setX(10, RAM + 0x1000n);
        cpu.pc = H;
        expect(cpu.run(budget)).toBe('budget');
        const regs = Array.from({ length: 31 }, (_, i) => cpu.getX(i).toString(16)).join(' ');
        const sys = ['elr_el2', 'spsr_el2', 'esr_el2', 'tpidr_el2', 'tpidr_el1', 'sp_el0']
          .map((n) => cpu.getSysReg(key(n)).toString(16))
          .join(' ');
        const state = `${regs} | pc ${cpu.pc.toString(16)} el ${cpu.el} sp ${cpu.sp.toString(16)} n ${cpu.insnCount} | ${sys}`;
        return { cpu, state, ctx: mem.read(ctx, 96), stores: mem.read(RAM + 0x1000n, 8 * 64) };
      }

      for (const budget of [997, 1000, 1003]) {
        it(`compiled and interpreted runs of an EL2 world switch agree after ${budget} instructions`, () => {
          const jit = worldSwitch(0, budget);
          const interp = worldSwitch(Infinity, budget);
          expect(jit.cpu.jitBlocks).toBeGreaterThan(0);
          expect(interp.cpu.jitBlocks).toBe(0);
          expect(jit.state).toBe(interp.state);
          expect(jit.ctx).toEqual(interp.ctx);
          expect(jit.stores).toEqual(interp.stores);
          // 30 instructions per round trip: the exits and what the guest did are as the code says
          const exits = jit.cpu.getX(7);
          expect(exits).toBeGreaterThan(30n);
          expect(jit.cpu.getSysReg(key('esr_el2'))).toBe(0x5a000007n); // EC 0x16 (HVC64), IL, imm 7
          expect(jit.cpu.getSysReg(key('tpidr_el1'))).toBeGreaterThanOrEqual(3n * exits);
          expect(new DataView(jit.stores.buffer).getBigUint64(8, true)).toBe(2n);
        });
      }

      it('reads the counter and CNTV_TVAL in the middle of a block with the exact count, compiled and interpreted alike', () => {
        // loop: add x9, x9, #1; add x9, x9, #1; mrs x0, cntvct_el0; mrs x1, cntv_tval_el0;
        //       str x0, [x10], #8; str x1, [x10], #8; b loop
        const words = [
          0x91000529, 0x91000529, 0xd53be040, 0xd53be301, 0xf8008540, 0xf8008541, 0x17fffffa,
        ];
        const run = (threshold: number): { cpu: Cpu; values: bigint[] } => {
          const cpu = machine(words, 1, threshold);
          cpu.setSysReg(key('cntv_cval_el0'), 1000n);
          cpu.setX(10, RAM + 0x10000n);
          expect(cpu.run(700)).toBe('budget');
          const bytes = cpu.memory.read(RAM + 0x10000n, 8 * 200);
          const dv = new DataView(bytes.buffer, bytes.byteOffset);
          return {
            cpu,
            values: Array.from({ length: 200 }, (_, i) => dv.getBigUint64(i * 8, true)),
          };
        };
        const jit = run(0);
        const interp = run(Infinity);
        expect(jit.cpu.jitBlocks).toBeGreaterThan(0);
        expect(jit.values).toEqual(interp.values);
        // the third instruction of iteration k reads count 7k + 3 (itself included); TVAL = CVAL - count
        for (let k = 0; k < 100; k++) {
          expect(interp.values[2 * k]).toBe(BigInt(7 * k + 3));
          expect(interp.values[2 * k + 1]).toBe(BigInt.asUintN(32, 1000n - BigInt(7 * k + 4)));
        }
      });

      for (const threshold of [0, Infinity]) {
        it(`${threshold === 0 ? 'compiled' : 'interpreted'}: MRS of FPCR traps (EC 0x07) while CPACR_EL1.FPEN traps FP`, () => {
          // add x0, x0, #1; mrs x1, fpcr; add x0, x0, #1; b .   (vector: b .)
          const cpu = machine([0x91000400, 0xd53b4401, 0x91000400, 0x14000000], 1, threshold);
          cpu.memory.write(RAM + 0xa00n, new Uint8Array([0x00, 0x00, 0x00, 0x14]));
          cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
          cpu.setSysReg(key('cpacr_el1'), 0n);
          cpu.setX(1, 5n);
          cpu.run(20); // the whole block: compiled with threshold 0
          expect(cpu.getX(0)).toBe(1n);
          expect(cpu.getX(1)).toBe(5n);
          expect(cpu.getSysReg(key('esr_el1')) >> 26n).toBe(0x07n);
          expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM + 4n);
          expect(cpu.pc).toBe(RAM + 0xa00n);
          if (threshold === 0) expect(cpu.jitBlocks).toBeGreaterThan(0);
        });
        it(`${threshold === 0 ? 'compiled' : 'interpreted'}: MRS of an EL2 register at EL1 is UNDEFINED`, () => {
          // add x0, x0, #1; mrs x1, elr_el2; add x0, x0, #1; b .
          const cpu = machine([0x91000400, 0xd53c4021, 0x91000400, 0x14000000], 1, threshold);
          cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
          cpu.setSysReg(key('elr_el2'), 0x1234n);
          for (let i = 0; i < 3; i++) {
            cpu.pc = RAM;
            cpu.setPstate(0x3c5);
            cpu.run(2);
          }
          expect(cpu.getX(0)).toBe(3n);
          expect(cpu.getX(1)).toBe(0n);
          expect(cpu.getSysReg(key('esr_el1'))).toBe(0x02000000n); // EC 0 (unknown), IL
          expect(cpu.getSysReg(key('elr_el1'))).toBe(RAM + 4n);
          expect(cpu.pc).toBe(RAM + 0xa00n);
        });
      }
    });
  });
}
