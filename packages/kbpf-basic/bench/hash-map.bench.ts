// Hash map update + lookup from an eBPF program (run: pnpm --filter @axebpf/kbpf-basic bench).
// Each loop iteration does one bpf_map_update_elem and one bpf_map_lookup_elem (2 map ops) on
// 1024 keys of a 4-byte-key hash map, and increments the value through the returned pointer.
// Baselines measured in the same run: the same operations through the map's program face
// called directly from JavaScript (no VM), and a plain JavaScript Map.
import { EbpfVm, ProgramBuilder, reg } from '@axebpf/rbpf';
import { BPF_FUNC, BPF_MAP_TYPE_HASH, BpfSystem, createMockPlatform } from '../src/index.js';

const ITER = 500_000;
const KEYS = 1024;

function program(fd: number) {
  const b = new ProgramBuilder().alu64('mov', 6, 0).lddw(7, ITER).label('loop');
  b.alu64('mov', 1, reg(6))
    .alu64('and', 1, KEYS - 1)
    .store('w', 10, -4, reg(1))
    .store('dw', 10, -16, reg(6));
  b.lddw(1, fd, 1)
    .alu64('mov', 2, reg(10))
    .alu64('add', 2, -4)
    .alu64('mov', 3, reg(10))
    .alu64('add', 3, -16)
    .alu64('mov', 4, 0)
    .call(BPF_FUNC.map_update_elem);
  b.lddw(1, fd, 1).alu64('mov', 2, reg(10)).alu64('add', 2, -4).call(BPF_FUNC.map_lookup_elem);
  b.jump('jeq', 0, 0, 'skip').load('dw', 8, 0, 0).alu64('add', 8, 1).store('dw', 0, 0, reg(8));
  b.label('skip').alu64('add', 6, 1).jump('jlt', 6, reg(7), 'loop').alu64('mov', 0, 0).exit();
  return b.build();
}

function best(run: () => void, reps = 5): number {
  run(); // warm-up
  let bestNs = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    run();
    bestNs = Math.min(bestNs, Number(process.hrtime.bigint() - t0));
  }
  return (2 * ITER) / (bestNs / 1e9);
}

const rows: [string, number][] = [];
for (const engine of ['interpreter', 'wasm'] as const) {
  const bpf = new BpfSystem({ platform: createMockPlatform() });
  const fd = bpf.mapCreate({
    mapType: BPF_MAP_TYPE_HASH,
    keySize: 4,
    valueSize: 8,
    maxEntries: KEYS,
  });
  let vm: EbpfVm;
  try {
    const prog = program(fd);
    const map = bpf.map(fd);
    vm = new EbpfVm(prog, {
      memory: bpf.space,
      helpers: bpf.helpers,
      maxInstructions: 2 ** 40,
      resolveLddw: () => map.address,
      engine,
    });
  } catch (e) {
    console.log(`${engine}: skipped (${(e as Error).message})`);
    continue;
  }
  rows.push([`eBPF program on the ${engine}`, best(() => vm.run())]);
}

{
  // Program face from JS: the cost of the maps alone.
  const bpf = new BpfSystem({ platform: createMockPlatform() });
  const fd = bpf.mapCreate({
    mapType: BPF_MAP_TYPE_HASH,
    keySize: 4,
    valueSize: 8,
    maxEntries: KEYS,
  });
  const map = bpf.map(fd);
  const scratch = bpf.space.map('bench', 16, true);
  rows.push([
    'map program face from JS (no VM)',
    best(() => {
      const v = bpf.space.view;
      for (let i = 0; i < ITER; i++) {
        v.setUint32(scratch.offset, i & (KEYS - 1), true);
        v.setUint32(scratch.offset + 8, i, true);
        map.progUpdate(scratch.offset, scratch.offset + 8, 0);
        const a = map.progLookup(scratch.offset);
        if (a !== 0) {
          const o = map.offsetOfAddress(a);
          v.setUint32(o, v.getUint32(o, true) + 1, true);
        }
      }
    }),
  ]);
}
{
  const m = new Map<number, { v: number }>();
  rows.push([
    'plain JS Map (baseline)',
    best(() => {
      for (let i = 0; i < ITER; i++) {
        const k = i & (KEYS - 1);
        const e = m.get(k);
        if (e === undefined) m.set(k, { v: i });
        else e.v = i;
        const r = m.get(k);
        if (r !== undefined) r.v++;
      }
    }),
  ]);
}

const base = rows[rows.length - 1]![1];
console.log(`hash map update+lookup, ${ITER} iterations x 2 ops, ${KEYS} keys (best of 5)`);
for (const [name, ops] of rows)
  console.log(
    `${name.padEnd(36)} ${(ops / 1e6).toFixed(2).padStart(7)} M ops/s   ${(ops / base).toFixed(3)}x of plain Map`,
  );
