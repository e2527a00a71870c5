// FEAT_LSE atomics (src/lse.ts): the test programs of test/programs-lse (C with __atomic
// builtins and inline asm, built with -march=armv8.1-a -mno-outline-atomics by
// scripts/build-lse.sh) against qemu-aarch64's recorded results and, when installed, a live
// qemu-aarch64; hand-encoded cases for what the programs cannot show (encodings checked with
// aarch64-linux-gnu-as -march=armv8.1-a).
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hasTool } from '@axebpf/test-utils/tools';
import { Cpu, disassemble, SYS_REG_BY_NAME } from '../src/index.js';
import { machine, RAM } from './machine.js';
import { runProgramFile } from './run-program.js';
import type { ProgramResult } from './run-program.js';

const dir = join(import.meta.dirname, 'programs-lse', 'bin');
const golden = JSON.parse(
  readFileSync(join(import.meta.dirname, 'programs-lse', 'golden.json'), 'utf8'),
) as Record<string, { stdout: string; status: number; insns: number }>;
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.elf'))
  .sort();
const key = (name: string): number => SYS_REG_BY_NAME.get(name)!;

const run = (file: string): ProgramResult => runProgramFile(join(dir, file));

describe('LSE atomics vs qemu-aarch64', () => {
  const threshold = Cpu.defaultJitThreshold;
  afterEach(() => {
    Cpu.defaultJitThreshold = threshold;
  });

  it('has the programs at -O0, -O2 and -Os, each with a golden result', () => {
    expect(files).toEqual(['atomics-O0.elf', 'atomics-O2.elf', 'atomics-Os.elf']);
    expect(files.filter((f) => golden[f] === undefined)).toEqual([]);
  });

  for (const f of files) {
    it(`${f}: same stdout, exit status and instruction count, with the JIT and without`, () => {
      expect(run(f)).toEqual(golden[f]);
      Cpu.defaultJitThreshold = Infinity;
      expect(run(f)).toEqual(golden[f]);
    }, 120_000);
  }

  it.skipIf(!hasTool('qemu-aarch64'))(
    'same stdout and exit status as a live qemu-aarch64 (skipped without qemu-user)',
    () => {
      for (const f of files) {
        const q = spawnSync('qemu-aarch64', [join(dir, f)]);
        const mine = run(f);
        expect(mine.stdout).toBe(q.stdout.toString('base64'));
        expect(mine.status).toBe(q.status);
      }
    },
    120_000,
  );
});

describe('LSE atomics, hand-encoded', () => {
  const LDADD_X1_X2_X0 = 0xf8210002; // ldadd x1, x2, [x0]
  const LDSMAXB = 0x38214002; // ldsmaxb w1, w2, [x0]
  const CAS_W = 0x88a17c02; // cas w1, w2, [x0]
  const CASP_X = 0x48207c82; // casp x0, x1, x2, x3, [x4]

  it('advertises FEAT_LSE in ID_AA64ISAR0_EL1.Atomic (0b0010)', () => {
    const cpu = machine([0]);
    expect((cpu.getSysReg(key('id_aa64isar0_el1')) >> 20n) & 0xfn).toBe(2n);
  });

  it('LDADD returns the old value and stores the sum; LDSMAXB compares signed bytes; CAS writes only on a match', () => {
    const data = RAM + 0x1000n;
    let cpu = machine([LDADD_X1_X2_X0]);
    cpu.memory.write(data, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]));
    cpu.setX(0, data);
    cpu.setX(1, 1n);
    cpu.run(1);
    expect(cpu.getX(2)).toBe(0xffffffffn);
    expect(new DataView(cpu.memory.read(data, 8).buffer).getBigUint64(0, true)).toBe(
      0x1_0000_0000n,
    );

    cpu = machine([LDSMAXB]);
    cpu.memory.write(data, new Uint8Array([0x80])); // -128
    cpu.setX(0, data);
    cpu.setX(1, 0x17fn);
    cpu.setX(2, ~0n); // operand byte 0x7f (127); upper bits ignored
    cpu.run(1);
    expect(cpu.getX(2)).toBe(0x80n); // old value, zero-extended
    expect(cpu.memory.read(data, 1)[0]).toBe(0x7f);

    cpu = machine([CAS_W, CAS_W]);
    cpu.memory.write(data, new Uint8Array([5, 0, 0, 0]));
    cpu.setX(0, data);
    cpu.setX(1, 0xffff_ffff_0000_0004n);
    cpu.setX(2, 9n);
    cpu.run(1); // 4 != 5: no store, w1 = 5
    expect(cpu.getX(1)).toBe(5n);
    expect(cpu.memory.read(data, 1)[0]).toBe(5);
    cpu.run(1); // 5 == 5: store 9
    expect(cpu.memory.read(data, 1)[0]).toBe(9);
  });

  it('faults a misaligned atomic with an alignment fault and leaves memory alone', () => {
    const cpu = machine([LDADD_X1_X2_X0]);
    cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
    cpu.memory.write(RAM + 0x1004n, new Uint8Array(8).fill(7));
    cpu.setX(0, RAM + 0x1004n);
    cpu.setX(1, 1n);
    cpu.run(1);
    const esr = cpu.getSysReg(key('esr_el1'));
    expect(Number(esr >> 26n)).toBe(0x25); // data abort, same EL
    expect(Number(esr & 0x3fn)).toBe(0x21); // alignment fault
    expect([...cpu.memory.read(RAM + 0x1004n, 8)]).toEqual(new Array(8).fill(7));
    expect(cpu.pc).toBe(RAM + 0x800n + 0x200n);
  });

  it('refuses CASP with an odd register pair as an undefined instruction', () => {
    const odd = (CASP_X | (1 << 16)) >>> 0; // Rs = x1
    const cpu = machine([odd]);
    cpu.setSysReg(key('vbar_el1'), RAM + 0x800n);
    cpu.run(1);
    expect(Number(cpu.getSysReg(key('esr_el1')) >> 26n)).toBe(0); // EC 0: unknown reason
  });
});

describe('LSE disassembly', () => {
  it('prints random LSE-group words as GNU objdump does (ST<op> aliases; undefined where it says so)', () => {
    // 900 random words of the atomic-memory, CAS and CASP encodings with aarch64-linux-gnu-objdump's text
    const rows = JSON.parse(
      readFileSync(join(import.meta.dirname, 'programs-lse', 'objdump-lse.json'), 'utf8'),
    ) as [string, string][];
    const bad: string[] = [];
    let defined = 0;
    for (const [w, t] of rows) {
      const got = disassemble(parseInt(w, 16));
      if (t.startsWith('st64bv')) continue; // FEAT_LS64: not implemented
      if (t.startsWith('.inst') && got.startsWith('.inst')) continue;
      defined++;
      if (got !== t) bad.push(`${w}: objdump ${JSON.stringify(t)}, got ${JSON.stringify(got)}`);
    }
    expect(bad.slice(0, 10)).toEqual([]);
    expect(defined).toBeGreaterThan(400);
  });
});
