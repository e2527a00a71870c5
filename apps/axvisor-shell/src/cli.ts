// SPDX-License-Identifier: MIT
// The `axvisor` command.

import { Command, InvalidArgumentError } from 'commander';
import { ShellError } from './errors.js';
import { runLinuxDemo } from './linux-demo.js';
import { runMainJob } from './main-job.js';
import { runShell } from './repl.js';
import { formatVirtualDuration, parseDuration } from './shell/duration.js';

function duration(text: string): bigint {
  try {
    return parseDuration(text);
  } catch (e) {
    throw new InvalidArgumentError(ShellError.isInstance(e) ? e.message : String(e));
  }
}

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** `256M`, `1G`, `65536K` or bytes; a multiple of 2 MiB (the stage-2 block size). */
function memSize(v: string): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(v.trim());
  if (m === null) throw new InvalidArgumentError('expected a size such as 256M or 1G');
  const n = Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2]!.toUpperCase()]!;
  if (n === 0 || n % (2 * 1024 * 1024) !== 0) throw new InvalidArgumentError('the size must be a non-zero multiple of 2M');
  return n;
}

const program = new Command()
  .name('axvisor')
  .description('The simulated AxVisor hypervisor with the axebpf tracing stack')
  .showHelpAfterError('(run `axvisor --help` for usage)');

program
  .command('demo')
  .description('boot the bundled, kprobe and cluster VMs, attach vmexit_stats, latency_hist, hprobes and guest kprobes, run, and report (the main job)')
  .option('--for <duration>', 'virtual time to run, e.g. 1s, 250ms, 500us', duration, 1_000_000_000n)
  .option('--trace <file>', 'where to write the Chrome trace-event file', 'axvisor-trace.json')
  .option('--top <n>', 'rows of the top-events table', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
    return n;
  }, 8)
  .option('--linux', "boot Debian's arm64 kernel (tools/linux-guest/out) next to the bundled VMs and trace its exits, system calls and opened files")
  .option('--images <dir>', 'with --linux: the directory holding Image and initrd.gz')
  .action((opts: { for: bigint; trace: string; top: number; linux?: boolean; images?: string }) => {
    if (opts.linux === true) {
      process.stderr.write('axvisor: booting the Linux guest until /init powers off (a billion guest instructions: minutes)...\n');
      const r = runLinuxDemo({ traceFile: opts.trace === 'axvisor-trace.json' ? 'axvisor-linux-trace.json' : opts.trace, top: opts.top, ...(opts.images === undefined ? {} : { imagesDir: opts.images }) });
      process.stdout.write(`${r.report}\nwritten: ${r.traceFile}\n`);
      process.stderr.write(`axvisor: done in ${r.wallMs.toFixed(0)} ms of wall time\n`);
      return;
    }
    if (opts.images !== undefined) throw new InvalidArgumentError('--images needs --linux');
    process.stderr.write(`axvisor: running ${formatVirtualDuration(opts.for)} of virtual time...\n`);
    const result = runMainJob({ durationNs: opts.for, traceFile: opts.trace, top: opts.top });
    process.stdout.write(`${result.report}\nwritten: ${result.traceFile}\n`);
    process.stderr.write(`axvisor: done in ${result.wallMs.toFixed(0)} ms of wall time\n`);
  });

program
  .command('run')
  .description('boot VMs (default: the bundled ones), then run --exec commands or an interactive shell')
  .argument('[configs...]', 'VM configuration files in AxVisor TOML')
  .option('--exec <commands>', 'commands separated by `;`; the exit status says whether all succeeded')
  .option('--for <duration>', 'virtual time to run before the commands', duration, 0n)
  .option('--kernel <image>', 'boot a Linux arm64 Image as VM 1 (the config linuxVmToml writes)')
  .option('--initrd <cpio.gz>', 'initramfs for --kernel')
  .option('--dtb <file>', 'device tree blob for --kernel (default: generated)')
  .option('--cpus <n>', 'vCPUs of the --kernel VM', positive, 1)
  .option('--mem <size>', 'RAM of the --kernel VM: bytes or with K/M/G (multiple of 2M)', memSize, 256 * 1024 * 1024)
  .option('--append <cmdline>', 'kernel command line of the --kernel VM', 'console=ttyAMA0')
  .option('--gic <version>', 'interrupt controller of the --kernel VM: 2 or 3', (v) => {
    if (v !== '2' && v !== '3') throw new InvalidArgumentError('expected 2 or 3');
    return Number(v) as 2 | 3;
  }, 2 as 2 | 3)
  .action(async (configs: string[], opts: { exec?: string; for: bigint; kernel?: string; initrd?: string; dtb?: string; cpus: number; mem: number; append: string; gic: 2 | 3 }) => {
    if (opts.kernel === undefined && (opts.initrd !== undefined || opts.dtb !== undefined)) throw new InvalidArgumentError('--initrd and --dtb need --kernel');
    const linux = opts.kernel === undefined ? undefined : { kernel: opts.kernel, initrd: opts.initrd, dtb: opts.dtb, cpus: opts.cpus, memBytes: opts.mem, cmdline: opts.append, gic: opts.gic };
    process.exitCode = await runShell({ configs, exec: opts.exec, forNs: opts.for, linux });
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  process.stderr.write(`axvisor: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
