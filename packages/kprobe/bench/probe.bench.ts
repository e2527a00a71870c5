// SPDX-License-Identifier: MIT
// `pnpm bench` in packages/kprobe: the cost of one probe hit on the emulator, in emulated
// instructions and in wall time, against the same loop run without probes in the same run.
// The loop is the test program's f_loop: N calls of f_ret (`add x0, x0, #1; ret`).
import { readFileSync } from 'node:fs';
import { Cpu, PhysicalMemory } from '@axebpf/aarch64-emu';
import { EmuProbeMemory, KprobeManager, TrapFrameRegs, attachToCpu } from '../src/index.js';

const N = 50_000;
const RUNS = 3;
const dir = new URL('../test/programs/', import.meta.url);
const image = readFileSync(new URL('probes.bin', dir));
const syms = new Map(
  Object.entries(
    JSON.parse(readFileSync(new URL('probes.syms.json', dir), 'utf8')) as Record<string, string>,
  ).map(([k, v]) => [k, BigInt(v)]),
);
const sym = (name: string): bigint => syms.get(name)!;

type Setup = 'none' | 'kprobe-stepped' | 'kprobe-simulated' | 'kretprobe' | 'trap-frame';

function once(setup: Setup): { insns: number; ms: number; hits: number } {
  const mem = new PhysicalMemory();
  mem.addRam(0x4000_0000n, 1 << 20);
  mem.write(0x4000_0000n, image);
  const cpu = new Cpu({ memory: mem });
  cpu.setPstate(0x3c9);
  cpu.sp = sym('stack_top');
  cpu.pc = sym('f_loop');
  cpu.setX(0, BigInt(N));
  cpu.setX(30, sym('done'));
  let hits = (): number => 0;
  if (setup !== 'none') {
    const mgr = new KprobeManager({
      memory: new EmuProbeMemory(mem),
      slots: { base: 0x4008_0000n },
      resolveSymbol: (name) => syms.get(name),
    });
    if (setup === 'trap-frame') {
      // the program's EL2 vector saves a pt_regs frame and calls the host with HVC #0x4b50
      cpu.setSysReg((3 << 14) | (4 << 11) | (12 << 7), sym('vectors')); // VBAR_EL2
      cpu.onException = (c, info) => {
        if (info.ec !== 0x16 || info.iss !== 0x4b50) return false;
        const frameAt = c.getX(0);
        const bytes = mem.read(frameAt, 272);
        const regs = new TrapFrameRegs(bytes);
        const ok = mgr.handleException(regs, Number(c.getX(1)));
        if (ok) mem.write(frameAt, bytes);
        c.setX(0, ok ? 1n : 0n);
        return true;
      };
    } else {
      attachToCpu(cpu, mgr);
    }
    if (setup === 'kretprobe') {
      const rp = mgr.registerKretprobe({
        symbol: 'f_ret',
        returnHandler: () => undefined,
        maxactive: 4,
      });
      hits = () => rp.returns;
    } else {
      const p = mgr.registerKprobe({
        address: setup === 'kprobe-simulated' ? sym('p_ret') : sym('f_ret'),
        preHandler: () => undefined,
      });
      hits = () => p.hits;
    }
  }
  const t0 = performance.now();
  const why = cpu.run(100_000_000);
  const ms = performance.now() - t0;
  if (why !== 'wfi' || cpu.getX(0) !== BigInt(N))
    throw new Error(`${setup}: stopped with ${why}, x0 = ${cpu.getX(0)}`);
  return { insns: cpu.insnCount, ms, hits: hits() };
}

function best(setup: Setup): { insns: number; ms: number; hits: number } {
  let b = once(setup);
  for (let i = 1; i < RUNS; i++) {
    const r = once(setup);
    if (r.ms < b.ms) b = r;
  }
  return b;
}

const base = best('none');
console.log(
  `f_loop with ${N.toLocaleString('en-US')} calls of f_ret, best of ${RUNS} (node ${process.version})`,
);
console.log(
  '| setup | emulated insns | ratio | extra insns / hit | wall ms | ratio | extra µs / hit |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- |');
console.log(
  `| no probe (baseline) | ${base.insns.toLocaleString('en-US')} | 1.00 | – | ${base.ms.toFixed(1)} | 1.00 | – |`,
);
for (const setup of ['kprobe-stepped', 'kprobe-simulated', 'kretprobe', 'trap-frame'] as const) {
  const r = best(setup);
  if (r.hits !== N) throw new Error(`${setup}: ${r.hits} hits, expected ${N}`);
  const label = {
    'kprobe-stepped': 'kprobe on `add` (slot + BRK #6), onException',
    'kprobe-simulated': 'kprobe on `ret` (simulated), onException',
    kretprobe: 'kretprobe on f_ret, onException',
    'trap-frame': 'kprobe on `add`, EL2 vector + pt_regs frame',
  }[setup];
  console.log(
    `| ${label} | ${r.insns.toLocaleString('en-US')} | ${(r.insns / base.insns).toFixed(2)} | ${((r.insns - base.insns) / N).toFixed(1)} | ${r.ms.toFixed(1)} | ${(r.ms / base.ms).toFixed(2)} | ${(((r.ms - base.ms) * 1000) / N).toFixed(2)} |`,
  );
}
