// Memory of a long traced run (issue 25, item 2): the cluster guest with every tracepoint
// enabled and four programs attached, as `axvisor run cluster.toml --exec "trace enable vmm:*
// ...; run 180s"` does, with RSS and heap (after a full GC) printed at virtual-time checkpoints.
// Run: node --expose-gc --import tsx scripts/traced-rss.ts [checkpoints in s, default 2 20 60 180]
import { fileURLToPath } from 'node:url';
import { buildCommands } from '../src/commands.js';
import { loadVmSources } from '../src/repl.js';
import { Session } from '../src/session.js';
import { runLine } from '../src/shell/shell.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');
const checkpoints = (
  process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['2', '20', '60', '180']
).map(Number);
const cluster = fileURLToPath(
  new URL('../../../packages/axvisor-vmm/configs/cluster.toml', import.meta.url),
);
const session = new Session(loadVmSources([cluster]));
for (const vm of session.vmm.vms()) session.vmm.startVm(vm.id);
const ctx = Object.assign(session, { print: () => undefined });
const errors: string[] = [];
const out = { out: () => undefined, err: (t: string) => errors.push(t) };
await runLine(
  buildCommands(),
  'trace enable vmm:* shell:*; trace enable vmm:vcpu_run_exit --prog vmexit_stats; trace enable vmm:vcpu_run_exit --prog latency_hist; trace enable vmm:hypercall --prog printk; trace enable vmm:hypercall --prog counter',
  ctx,
  out,
);
if (errors.length > 0) throw new Error(errors.join('\n'));
const mb = (n: number) => (n / 1048576).toFixed(1);
const exits = () =>
  session.vmm
    .vms()
    .reduce(
      (n, vm) => n + vm.vcpus.reduce((m, v) => m + v.exitCounts.reduce((a, b) => a + b, 0), 0),
      0,
    );
const rows: { s: number; rss: number; heap: number; exits: number }[] = [];
for (const s of checkpoints) {
  const target = BigInt(s) * 1_000_000_000n;
  while (session.vmm.timeNs < target) {
    session.vmm.run(
      target - session.vmm.timeNs < 1_000_000_000n ? target - session.vmm.timeNs : 1_000_000_000n,
    );
    session.rt.events.drain({ max: 1 << 30 }); // as a user streaming or dumping would
  }
  gc();
  const m = process.memoryUsage();
  rows.push({ s, rss: m.rss, heap: m.heapUsed, exits: exits() });
  const first = rows[0]!;
  const perExit =
    rows.length > 1
      ? ` heap growth per exit since ${first.s}s: ${((m.heapUsed - first.heap) / Math.max(1, exits() - first.exits)).toFixed(0)} B`
      : '';
  console.log(
    `${String(s).padStart(4)} s virtual: rss ${mb(m.rss)} MB, heap ${mb(m.heapUsed)} MB, ${exits()} exits, chrome trace ${session.trace.eventCount} events${perExit}`,
  );
}
const at20 = rows.find((r) => r.s === 20);
const last = rows[rows.length - 1]!;
if (at20 !== undefined && last !== at20)
  console.log(`rss at ${last.s} s / rss at 20 s = ${(last.rss / at20.rss).toFixed(2)}`);
