#!/usr/bin/env node
// Writes the committed golden excerpt of a /proc/kallsyms recording (scripts/record-kallsyms.sh):
// the kernel's `uname -r` and /proc/version, the symbol count, then `index address type name`
// for every STEP-th symbol and for well-known functions. Only core-kernel lines are counted
// (module lines, `name\t[module]`, are left out, as the Image decoder cannot see them).
//
// Usage: node scripts/kallsyms-golden.mjs RECORDING.txt BOOT(nokaslr|kaslr) OUT.txt [STEP]
import { readFileSync, writeFileSync } from 'node:fs';

const [recording, boot, out, stepArg] = process.argv.slice(2);
if (!recording || !boot || !out) {
  console.error('usage: kallsyms-golden.mjs RECORDING.txt nokaslr|kaslr OUT.txt [STEP]');
  process.exit(2);
}
const step = Number(stepArg ?? 256);
const text = readFileSync(recording, 'utf8').replace(/\r/g, '');
const lines = text.split('\n');
const uname = lines[lines.indexOf('--- uname ---') + 1];
const version = lines[lines.indexOf('--- uname ---') + 2];
const begin = lines.indexOf('--- kallsyms begin ---');
const end = lines.indexOf('--- kallsyms end ---');
if (begin < 0 || end < 0) throw new Error(`${recording}: no kallsyms markers`);
const syms = lines.slice(begin + 1, end).filter((l) => l !== '' && !l.includes('\t['));
const wellKnown = new Set([
  'do_sys_openat2',
  'invoke_syscall',
  'el0_svc_common',
  'el0_svc',
  'do_el0_svc',
  'schedule',
  '__schedule',
  'vfs_read',
  'vfs_write',
  'vfs_open',
  '__arm64_sys_write',
  '__arm64_sys_read',
  '__arm64_sys_openat',
  '__arm64_sys_execve',
  'kernel_clone',
  'do_exit',
  'kmalloc_trace',
  'kfree',
  'ksys_read',
  'ksys_write',
  'getname_flags',
  'do_filp_open',
  'path_openat',
  'copy_process',
  'wake_up_process',
  'try_to_wake_up',
  'handle_mm_fault',
  'do_page_fault',
  'vectors',
  'el0t_64_sync',
  'el1h_64_irq',
  'gic_handle_irq',
  'arch_timer_handler_virt',
  'printk',
  '_printk',
  'panic',
  'start_kernel',
  'kernel_init',
  'cpu_startup_entry',
  'do_idle',
  '_stext',
  '_etext',
  '_sinittext',
  '_einittext',
  'tick_handle_periodic',
  'hrtimer_interrupt',
]);
let body = '';
let picked = 0;
syms.forEach((line, i) => {
  const name = line.split(' ')[2];
  if (i % step === 0 || i === syms.length - 1 || wellKnown.has(name)) {
    body += `${i} ${line}\n`;
    picked++;
  }
});
const header = [
  `# /proc/kallsyms golden excerpt (${boot} boot under qemu-system-aarch64 -M virt -cpu cortex-a57),`,
  `# written by scripts/kallsyms-golden.mjs from scripts/record-kallsyms.sh output; columns: index address type name`,
  `# uname: ${uname}`,
  `# version: ${version}`,
  `# boot: ${boot}`,
  `# symbols: ${syms.length}`,
  `# lines: ${picked}`,
];
writeFileSync(out, `${header.join('\n')}\n${body}`);
console.log(`${out}: ${picked} of ${syms.length} symbols`);
