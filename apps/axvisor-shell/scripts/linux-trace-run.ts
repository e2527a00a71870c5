// Development run: boots the Linux guest of tools/linux-guest/out with the syscall and openat
// programs and two plain kprobes attached, prints what they saw and writes the console to
// the file given as the first argument (default /tmp/linux-traced-console.txt).
import { readFileSync, writeFileSync } from 'node:fs';
import { attachLinuxTracing, attachWhenBooted, runLinuxVm } from '../src/linux-trace.js';
import { linuxVmSource } from '../src/repl.js';
import { Session } from '../src/session.js';

const out = new URL('../../../tools/linux-guest/out/', import.meta.url).pathname;
const mode = (process.argv[3] ?? 'BrkInject') as 'BrkInject' | 'Stage2Fault';
const source = linuxVmSource({
  kernel: `${out}Image`,
  initrd: `${out}initrd.gz`,
  cpus: Number(process.argv[4] ?? 1),
  memBytes: 256 * 1024 * 1024,
  cmdline: 'console=ttyAMA0',
  gic: 2,
});
const session = new Session([source]);
const vm = session.vmm.vms()[0]!;
let tracing: ReturnType<typeof attachLinuxTracing> | undefined;
session.rt.ebpf.load('nop', { asm: 'mov r0, 0\nexit' }, { contextSize: 128 });
const t0 = performance.now();
const { poll } = attachWhenBooted(session, vm, () => {
  tracing = attachLinuxTracing(session, vm.id, readFileSync(`${out}Image`), mode);
  for (const fn of ['__arm64_sys_newuname', 'kernel_clone', '__arm64_sys_execve'])
    session.rt.guestKprobes.attach(`vm${vm.id}:${fn}`, 'nop', { mode });
  console.log('attached at', session.vmm.timeNs, 'comm offset', tracing.commOffset);
});
session.vmm.startVm(vm.id);
runLinuxVm(session, vm, poll);
writeFileSync(process.argv[2] ?? '/tmp/linux-traced-console.txt', vm.console);
console.log(
  'wall',
  ((performance.now() - t0) / 1000).toFixed(1),
  's, virtual',
  session.vmm.timeNs,
  vm.status,
  vm.stopReason,
);
for (const p of session.rt.guestKprobes.list())
  console.log(p.symbol, p.ret ? 'ret' : 'entry', p.hits, 'errors', p.errors, p.enabled);
console.log(
  tracing
    ?.syscalls()
    .map((r) => `${r.comm}:${r.name}=${r.count}`)
    .join(' '),
);
console.log(tracing?.opens());
console.log(JSON.stringify(session.probes.stats(vm.id)));
for (const p of session.rt.ebpf.programs()) console.log(p.name, p.stats.runs, p.stats.errors);
