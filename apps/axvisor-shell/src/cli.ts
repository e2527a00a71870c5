// SPDX-License-Identifier: MIT
// The `axvisor` command.

import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
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

/** The command's version: its own and the axebpf packages' (from the package.json files). */
function version(): string {
  const read = (url: URL) => (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  const own = read(new URL('../package.json', import.meta.url));
  return `axvisor ${own} (axebpf ${read(new URL(import.meta.resolve('axebpf/package.json')))})`;
}

// Exit status: 0 success; 1 a command that ran and failed; 2 a usage error (unknown command or
// option, bad or missing argument), as ksym-gen and aarch64-emu.

function positive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** `256M`, `1G`, `65536K` or bytes; a multiple of 2 MiB (the stage-2 block size). */
function memSize(v: string): number {
  const m = /^(\d+)([KMG]?)i?B?$/i.exec(v.trim());
  if (m === null) throw new InvalidArgumentError('expected a size such as 256M or 1G');
  const n =
    Number(m[1]) *
    ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[
      m[2]!.toUpperCase()
    ]!;
  if (n === 0 || n % (2 * 1024 * 1024) !== 0)
    throw new InvalidArgumentError('the size must be a non-zero multiple of 2M');
  return n;
}

const program = new Command()
  .name('axvisor')
  .description('The simulated AxVisor hypervisor with the axebpf tracing stack')
  .version(version(), '-V, --version', 'print the version')
  .showHelpAfterError('(run `axvisor --help` for usage)')
  .exitOverride();

program
  .command('demo')
  .description(
    'boot the bundled, kprobe and cluster VMs, attach vmexit_stats, latency_hist, hprobes and guest kprobes, run, and report (the main job)',
  )
  // a bigint default needs its own description: commander's help cannot JSON-print a bigint
  .addOption(
    new Option('--for <duration>', 'virtual time to run, e.g. 1s, 250ms, 500us')
      .argParser(duration)
      .default(1_000_000_000n, '1s'),
  )
  .option('--trace <file>', 'where to write the Chrome trace-event file', 'axvisor-trace.json')
  .option(
    '--top <n>',
    'rows of the top-events table',
    (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0)
        throw new InvalidArgumentError('expected a positive integer');
      return n;
    },
    8,
  )
  .option(
    '--bt <program>',
    'also run a bpftrace-like program (`trace run` language; repeatable), reported at the end',
    (v: string, all: string[]) => [...all, v],
    [] as string[],
  )
  .option(
    '--linux',
    "boot Debian's arm64 kernel (tools/linux-guest/out) next to the bundled VMs and trace its exits, system calls and opened files",
  )
  .option('--images <dir>', 'with --linux: the directory holding Image and initrd.gz')
  .action(
    (opts: {
      for: bigint;
      trace: string;
      top: number;
      bt: string[];
      linux?: boolean;
      images?: string;
    }) => {
      if (opts.linux === true) {
        process.stderr.write(
          'axvisor: booting the Linux guest until /init powers off (a billion guest instructions: minutes)...\n',
        );
        const r = runLinuxDemo({
          traceFile: opts.trace === 'axvisor-trace.json' ? 'axvisor-linux-trace.json' : opts.trace,
          top: opts.top,
          ...(opts.images === undefined ? {} : { imagesDir: opts.images }),
        });
        process.stdout.write(`${r.report}\nwritten: ${r.traceFile}\n`);
        process.stderr.write(`axvisor: done in ${r.wallMs.toFixed(0)} ms of wall time\n`);
        return;
      }
      if (opts.images !== undefined)
        program.error('error: --images needs --linux', { exitCode: 2, code: 'axvisor.usage' });
      process.stderr.write(
        `axvisor: running ${formatVirtualDuration(opts.for)} of virtual time...\n`,
      );
      const result = runMainJob({
        durationNs: opts.for,
        traceFile: opts.trace,
        top: opts.top,
        scripts: opts.bt,
      });
      process.stdout.write(`${result.report}\nwritten: ${result.traceFile}\n`);
      process.stderr.write(`axvisor: done in ${result.wallMs.toFixed(0)} ms of wall time\n`);
    },
  );

program
  .command('run')
  .description(
    'boot VMs (default: the bundled ones), then run --exec commands or an interactive shell',
  )
  .argument('[configs...]', 'VM configuration files in AxVisor TOML')
  .option(
    '--exec <commands>',
    'commands separated by `;`; the exit status says whether all succeeded',
  )
  .addOption(
    new Option('--for <duration>', 'virtual time to run before the commands')
      .argParser(duration)
      .default(0n, '0s'),
  )
  .option(
    '--trace <tracepoints>',
    "enable tracepoints before the VMs are created ('vmm:*', 'shell:*', '*', names; comma-separated or repeated), so boot-time events are seen",
    (v: string, all: string[] = []) => [...all, v],
  )
  .option(
    '--prog <name>',
    'attach this precompiled program to each --trace tracepoint (as `trace enable --prog`)',
  )
  .option('--buffer-size <events>', 'event ring size in events (default 4096)', positive)
  .option('--record <file>', 'stream every event to this file from before boot (as `trace record`)')
  .option(
    '--overwrite',
    "when the event ring is full, overwrite the oldest event (ftrace's overwrite mode) instead of dropping the newest",
  )
  .option('--kernel <image>', 'boot a Linux arm64 Image as VM 1 (the config linuxVmToml writes)')
  .option('--initrd <cpio.gz>', 'initramfs for --kernel')
  .option('--dtb <file>', 'device tree blob for --kernel (default: generated)')
  .option('--cpus <n>', 'vCPUs of the --kernel VM', positive, 1)
  .option(
    '--mem <size>',
    'RAM of the --kernel VM: bytes or with K/M/G (multiple of 2M)',
    memSize,
    256 * 1024 * 1024,
  )
  .option('--append <cmdline>', 'kernel command line of the --kernel VM', 'console=ttyAMA0')
  .option(
    '--gic <version>',
    'interrupt controller of the --kernel VM: 2 or 3',
    (v) => {
      if (v !== '2' && v !== '3') throw new InvalidArgumentError('expected 2 or 3');
      return Number(v) as 2 | 3;
    },
    2 as 2 | 3,
  )
  .action(
    async (
      configs: string[],
      opts: {
        exec?: string;
        for: bigint;
        trace?: string[];
        prog?: string;
        bufferSize?: number;
        overwrite?: boolean;
        record?: string;
        kernel?: string;
        initrd?: string;
        dtb?: string;
        cpus: number;
        mem: number;
        append: string;
        gic: 2 | 3;
      },
    ) => {
      if (opts.kernel === undefined && (opts.initrd !== undefined || opts.dtb !== undefined))
        program.error('error: --initrd and --dtb need --kernel', {
          exitCode: 2,
          code: 'axvisor.usage',
        });
      const linux =
        opts.kernel === undefined
          ? undefined
          : {
              kernel: opts.kernel,
              initrd: opts.initrd,
              dtb: opts.dtb,
              cpus: opts.cpus,
              memBytes: opts.mem,
              cmdline: opts.append,
              gic: opts.gic,
            };
      const session = {
        ...(opts.trace === undefined
          ? {}
          : { trace: opts.trace.flatMap((t) => t.split(',')).filter((t) => t !== '') }),
        ...(opts.prog === undefined ? {} : { prog: opts.prog }),
        ...(opts.bufferSize === undefined ? {} : { ringCapacity: opts.bufferSize }),
        ...(opts.overwrite === true ? { ringMode: 'overwrite-oldest' as const } : {}),
        ...(opts.record === undefined ? {} : { record: opts.record }),
      };
      process.exitCode = await runShell({
        configs,
        exec: opts.exec,
        forNs: opts.for,
        session,
        linux,
      });
    },
  );

program.parseAsync(process.argv).catch((e: unknown) => {
  // commander has printed its message (or the help, or the version) already
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
    return;
  }
  process.stderr.write(`axvisor: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
