// SPDX-License-Identifier: MIT
// The shell's commands: vm, run, trace, ksym, export, help (formats after AxVisor's shell,
// Iscreamx/axvisor kernel/src/shell/commands/trace.rs and builtin.rs).

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDuration, renderDecadeHistogram, renderHistogram, renderTable } from 'axebpf';
import type { EventFilter, TraceEvent } from 'axebpf';
import { chromeTraceFromRecording, EventRecorder, readRecording } from './record.js';
import {
  BENCHMARK_VMS,
  BUNDLED_VMS,
  bundledConfig,
  bundledImage,
  exitReasonName,
  LONG_RUNNING_VMS,
  parseVmConfig,
  PROBE_VMS,
} from '@axebpf/axvisor-vmm';
import { SYS_REG_BY_NAME } from '@axebpf/aarch64-emu';
import {
  isLinuxArm64Image,
  kaslrOffsetFromSymbol,
  readLinuxKallsyms,
  relocateLinuxKallsyms,
} from '@axebpf/ksym';
import { ShellError } from './errors.js';
import { registerScriptCommands } from './script-commands.js';
import {
  formatProgressDuration,
  formatVirtualDuration,
  MAX_VIRTUAL_NS,
  parseDuration,
} from './shell/duration.js';
import { CommandRegistry, parseOptions } from './shell/registry.js';
import { editDistance } from './shell/suggest.js';
import { loadVmSources } from './repl.js';
import { enableTracepoints } from './session.js';
import type { Session, VmSource } from './session.js';

const VBAR_EL1 = SYS_REG_BY_NAME.get('vbar_el1')!;

/** Where commands write. */
export interface Printer {
  /** Prints a block of text. */
  print(text: string): void;
  /**
   * In an interactive shell: calls `listener` with each key typed until the returned function
   * is called (`trace stream` stops on Enter or q). Absent with `--exec`.
   */
  onKey?: (listener: (key: string) => void) => () => void;
}

type Ctx = Session & Printer;

/** Wall time of one slice of `run` between looks at Ctrl-C and the progress line. */
const SLICE_MS = 50;

function need(args: readonly string[], n: number, usage: string): void {
  if (args.length < n)
    throw new ShellError({
      code: 'MISSING_ARGUMENT',
      message: `missing argument; usage: ${usage}`,
    });
}

function eventFilter(text: string | undefined): EventFilter | undefined {
  if (text === undefined) return undefined;
  // as AxVisor's shell: hprobe covers hretprobe, kprobe covers kretprobe
  if (text === 'tracepoint') return { probeTypes: ['tracepoint'] };
  if (text === 'hprobe') return { probeTypes: ['hprobe', 'hretprobe'] };
  if (text === 'kprobe') return { probeTypes: ['kprobe', 'kretprobe'] };
  const vm = /^vm(\d+)$/.exec(text);
  if (vm) return { vmId: Number(vm[1]) };
  throw new ShellError({
    code: 'BAD_ARGUMENT',
    message: `unknown filter \`${text}\`: use tracepoint, hprobe, kprobe or vm<N>`,
  });
}

function count(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new ShellError({
      code: 'BAD_ARGUMENT',
      message: `\`${text}\` is not a count: write a whole number, 0 or more`,
    });
  return n;
}

/** A 64-bit address written in hex (`0x...`); anything else, or wider, is BAD_ARGUMENT. */
function hexAddress(text: string): bigint {
  if (!/^0x[0-9a-f]+$/i.test(text))
    throw new ShellError({ code: 'BAD_ARGUMENT', message: `\`${text}\` is not a hex address` });
  const addr = BigInt(text);
  if (addr >> 64n !== 0n)
    throw new ShellError({
      code: 'BAD_ARGUMENT',
      message: `\`${text}\` is wider than a 64-bit address`,
    });
  return addr;
}

const tracepointNames = (c: Ctx) => c.rt.tracepoints.list().map((t) => t.name);

const hex18 = (v: bigint): string => `0x${v.toString(16).padStart(16, '0')}`;

/**
 * The hprobe table of `trace list` (AxVisor: SYMBOL 20, ADDRESS {:#018x}, HITS, PROG_ID, ENABLED, RET).
 * @param c - the session (its runtime).
 * @returns the "Hprobes (VMM probes):" block, starting with an empty line.
 */
export function hprobeTable(c: Pick<Session, 'rt'>): string {
  const rows = c.rt.hprobe.list();
  const head = '\nHprobes (VMM probes):';
  if (rows.length === 0) return `${head}\n  (none)`;
  return `${head}\n${renderTable(
    ['SYMBOL', 'ADDRESS', 'HITS', 'PROG_ID', 'ENABLED', 'RET'],
    rows.map((p) => [
      p.name.padEnd(20),
      hex18(p.address),
      String(p.hits),
      String(p.progId),
      p.enabled ? 'yes' : 'no',
      p.ret ? 'yes' : 'no',
    ]),
    ['l', 'l', 'r', 'r', 'l', 'l'],
  )}`;
}

/** A program by id (its fd) or name; a precompiled one is loaded on first use. */
function hprobeProgram(c: Ctx, arg: string): { name: string; fd: number; loadedNow?: boolean } {
  if (/^\d+$/.test(arg)) {
    const p = c.rt.ebpf.programs().find((q) => q.fd === Number(arg));
    if (p === undefined)
      throw new ShellError({ code: 'BAD_ARGUMENT', message: `no loaded program with id ${arg}` });
    return p;
  }
  const loaded = c.rt.ebpf.programs().find((q) => q.name === arg);
  if (loaded !== undefined) return loaded;
  if (!c.rt.precompiled.list().some((p) => p.name === arg)) {
    throw new ShellError({
      code: 'BAD_ARGUMENT',
      message: `Unknown program: ${arg}`,
      suggestion: `available: ${c.rt.precompiled
        .list()
        .map((p) => p.name)
        .join(', ')}`,
    });
  }
  const p = c.rt.ebpf.loadObject(arg, c.rt.precompiled.object(arg));
  c.print(`Loaded program '${arg}' with id ${p.fd}`);
  return { name: p.name, fd: p.fd, loadedNow: true };
}

/**
 * Builds the command registry.
 * @returns the commands.
 */
export function buildCommands(): CommandRegistry<Ctx> {
  const r = new CommandRegistry<Ctx>({ printHelp: (c, text) => c.print(text) });

  r.register({
    path: 'help',
    usage: 'help [command]',
    summary: 'list commands, or those under a word (`help trace`)',
    run: (args, c) => c.print(r.help(args)),
  });

  // ---- VMs ----
  r.register({
    path: 'vm list',
    usage: 'vm list',
    summary: 'VMs with status, vCPUs, guest instructions and exits',
    run: (_args, c) => {
      const rows = c.vmm.vms().map((vm) => {
        const insns = vm.vcpus.reduce((n, v) => n + v.insns, 0);
        const exits = vm.vcpus.reduce((n, v) => n + v.exitCounts.reduce((a, b) => a + b, 0), 0);
        return [
          `vm${vm.id}`,
          vm.config.name,
          vm.status,
          String(vm.vcpus.length),
          String(insns),
          String(exits),
        ];
      });
      c.print(
        renderTable(['VM', 'NAME', 'STATUS', 'VCPUS', 'INSNS', 'EXITS'], rows, [
          'l',
          'l',
          'l',
          'r',
          'r',
          'r',
        ]),
      );
      for (const note of c.notes) c.print(`note: ${note}`);
    },
  });
  for (const [verb, summary] of [
    ['start', 'boot or resume a VM'],
    ['stop', 'stop a VM'],
    ['pause', 'suspend a running VM'],
  ] as const) {
    r.register({
      path: `vm ${verb}`,
      usage: `vm ${verb} <id>`,
      summary,
      run: (args, c) => {
        need(args, 1, `vm ${verb} <id>`);
        const vm = c.vm(args[0]!);
        if (verb === 'start') c.vmm.startVm(vm.id);
        else if (verb === 'stop') c.vmm.stopVm(vm.id);
        else c.vmm.pauseVm(vm.id);
        c.print(`vm${vm.id} (${vm.config.name}): ${vm.status}`);
      },
      complete: (_a, c) => c.vmm.vms().map((v) => String(v.id)),
    });
  }
  r.register({
    path: 'vm create',
    usage: 'vm create <config.toml|bundled-name> [--start]',
    summary:
      'create a VM from an AxVisor TOML file or a bundled config (`vm create kprobe`); `--start` boots it',
    run: (args, c) => {
      const usage = 'vm create <config.toml|bundled-name> [--start]';
      const { values, positionals } = parseOptions({ usage }, args, { start: { type: 'boolean' } });
      need(positionals, 1, usage);
      const arg = positionals[0]!;
      const bundled = [
        ...BUNDLED_VMS,
        ...PROBE_VMS,
        ...LONG_RUNNING_VMS,
        ...BENCHMARK_VMS,
      ] as readonly string[];
      let source: VmSource;
      if (!arg.includes('/') && !arg.endsWith('.toml') && bundled.includes(arg)) {
        const config = parseVmConfig(bundledConfig(arg), `${arg}.toml`);
        source = { config, image: bundledImage(config.kernelPath), file: `${arg}.toml` };
      } else {
        source = loadVmSources([arg])[0]!;
      }
      const vm = c.addVm(source);
      if (values.start === true) c.vmm.startVm(vm.id);
      c.print(
        `vm${vm.id} (${vm.config.name}): ${vm.status}, ${vm.vcpus.length} vCPU${vm.vcpus.length === 1 ? '' : 's'}`,
      );
    },
    complete: () => [...BUNDLED_VMS, ...PROBE_VMS, ...LONG_RUNNING_VMS, '--start'],
  });
  r.register({
    path: 'vm destroy',
    usage: 'vm destroy <id>',
    summary: 'stop a VM if it runs, then destroy it (vCPUs, memory mappings, its symbol table)',
    run: (args, c) => {
      need(args, 1, 'vm destroy <id>');
      const vm = c.vm(args[0]!);
      c.destroyVm(vm.id);
      c.print(`vm${vm.id} (${vm.config.name}): destroyed`);
    },
    complete: (_a, c) => c.vmm.vms().map((v) => String(v.id)),
  });
  r.register({
    path: 'vm console',
    usage: 'vm console <id>',
    summary: 'what a VM printed on its UART',
    run: (args, c) => {
      need(args, 1, 'vm console <id>');
      const vm = c.vm(args[0]!);
      c.print(vm.console.length === 0 ? '(no output)' : vm.console.trimEnd());
    },
    complete: (_a, c) => c.vmm.vms().map((v) => String(v.id)),
  });

  r.register({
    path: 'run',
    usage: 'run <duration>',
    summary: 'advance virtual time (e.g. `run 100ms`, `run 1s`)',
    run: async (args, c) => {
      need(args, 1, 'run <duration>');
      const ns = parseDuration(args[0]!);
      const before = c.vmm.timeNs;
      if (before + ns > MAX_VIRTUAL_NS) {
        throw new ShellError({
          code: 'BAD_DURATION',
          message: `run ${args[0]}: virtual time would pass the clock's range (a u64 of nanoseconds; now at ${formatVirtualDuration(before)})`,
        });
      }
      const until = before + ns;
      const tty = process.stderr.isTTY === true;
      const totalExits = () =>
        c.vmm
          .vms()
          .reduce(
            (n, vm) =>
              n + vm.vcpus.reduce((m, v) => m + v.exitCounts.reduce((a, b) => a + b, 0), 0),
            0,
          );
      const wall0 = performance.now();
      const exits0 = totalExits();
      let progress = false;
      // Slices of at most SLICE_MS of wall time; between them the event loop runs, so Ctrl-C
      // (SIGINT, or the REPL's ^C through Session.interrupt) is seen and the run stops there,
      // after an exit, with everything collected so far kept. Slicing does not change what the
      // guests do (Vmm.run's contract).
      let interrupted = false;
      const onInterrupt = () => {
        interrupted = true;
      };
      const release = c.onInterrupt(onInterrupt);
      process.on('SIGINT', onInterrupt);
      try {
        while (
          c.vmm.timeNs < until &&
          !interrupted &&
          c.vmm.vms().some((vm) => vm.status === 'Running')
        ) {
          const sliceEnd = performance.now() + SLICE_MS;
          let cut = false;
          const at = c.vmm.timeNs;
          c.vmm.run(until - c.vmm.timeNs, {
            shouldStop: () => (cut = performance.now() >= sliceEnd),
          });
          if (!cut && c.vmm.timeNs === at) break; // nothing runnable and no timer to wait for
          const wall = performance.now() - wall0;
          if (tty && wall >= 500) {
            const rate = ((totalExits() - exits0) * 1000) / wall;
            process.stderr.write(
              `\r\x1b[K  ${formatProgressDuration(c.vmm.timeNs - before, ns)} / ${formatVirtualDuration(ns)} virtual, ${Math.round(rate)} exits/s (Ctrl-C stops)`,
            );
            progress = true;
          }
          if (cut) await new Promise<void>((r) => setImmediate(r));
        }
      } finally {
        process.off('SIGINT', onInterrupt);
        release();
        if (progress) process.stderr.write('\r\x1b[K');
      }
      const stopped = c.vmm.vms().every((vm) => vm.status !== 'Running')
        ? ' (no VM is running)'
        : '';
      const why = interrupted ? ' (interrupted: events and statistics so far are kept)' : stopped;
      c.print(
        `ran ${formatDuration(Number(c.vmm.timeNs - before))} of virtual time, now at ${formatDuration(Number(c.vmm.timeNs))}${why}`,
      );
    },
  });

  // ---- tracepoints and programs ----
  r.register({
    path: 'trace list',
    usage: 'trace list',
    summary: 'tracepoints with their status, id and hits',
    run: (_args, c) => {
      const rows = c.rt.tracepoints
        .list()
        .map((t) => [
          t.name,
          t.enabled ? 'enabled' : 'disabled',
          String(t.id),
          String(c.rt.tracepoints.counters(t.name).hits),
        ]);
      c.print(`${renderTable(['NAME', 'STATUS', 'ID', 'HITS'], rows, ['l', 'l', 'r', 'r'])}
Total: ${rows.length} tracepoints`);
      c.print(hprobeTable(c));
      c.print(`
${guestKprobeTable(c)}`);
    },
  });
  const hprobeAttach = (ret: boolean) => (args: readonly string[], c: Ctx) => {
    const usage = `trace ${ret ? 'hretprobe' : 'hprobe'} <symbol> <prog_name_or_id>`;
    need(args, 2, usage);
    const [symbol, prog] = args as [string, string];
    // The symbol first: a bad one leaves nothing loaded.
    const address = /^0x/i.test(symbol)
      ? hexAddress(symbol)
      : (c.rt.symbols.addressOf(symbol.includes(':') ? symbol : `axvisor:${symbol}`) ??
        c.rt.symbols.addressOf(symbol));
    if (address === undefined) {
      throw new ShellError({
        code: 'COMMAND_FAILED',
        message: `Symbol '${symbol}' not found in symbol table`,
        suggestion: `find it with \`ksym search ${symbol.slice(0, 6)}\``,
      });
    }
    const program = hprobeProgram(c, prog);
    c.print(`Symbol '${symbol}' found at ${hex18(address)}`);
    try {
      c.rt.hprobe.attach(address, program.name, { ret });
    } catch (e) {
      if (program.loadedNow) c.rt.ebpf.unload(program.name);
      throw new ShellError({
        code: 'COMMAND_FAILED',
        message: `Failed to attach ${ret ? 'hretprobe' : 'hprobe'}: ${(e as Error).message}`,
        cause: e,
      });
    }
    c.print(
      `${ret ? 'Hretprobe' : 'Hprobe'} attached: ${symbol} @ ${hex18(address)} -> prog ${program.fd}`,
    );
  };
  const hprobeComplete = (_a: readonly string[], c: Ctx) => [
    ...c.rt.symbols
      .search('', { limit: 200 })
      .filter((s) => s.table === 'axvisor')
      .map((s) => s.name),
    ...c.rt.precompiled.list().map((p) => p.name),
  ];
  r.register({
    path: 'trace hprobe',
    usage: 'trace hprobe <symbol> <prog_name_or_id>',
    summary:
      "attach a program to an EL2 function of the hypervisor (`trace hprobe handle_hvc hprobe_entry`); the program's context is the saved registers x0-x30, sp, pc, pstate",
    run: hprobeAttach(false),
    complete: hprobeComplete,
  });
  r.register({
    path: 'trace hretprobe',
    usage: 'trace hretprobe <symbol> <prog_name_or_id>',
    summary:
      'attach a program to the return of an EL2 function (x0 in its context is the return value); events carry the entry-to-return duration',
    run: hprobeAttach(true),
    complete: hprobeComplete,
  });
  r.register({
    path: 'trace unhprobe',
    usage: 'trace unhprobe <symbol>',
    summary:
      'remove the entry and return probes of an EL2 function (the original instructions come back)',
    run: (args, c) => {
      need(args, 1, 'trace unhprobe <symbol>');
      const symbol = args[0]!;
      const address = /^0x[0-9a-f]+$/i.test(symbol) ? BigInt(symbol) : undefined;
      const n = c.rt.hprobe.detach(address ?? symbol.replace(/^axvisor:/, ''));
      if (n === 0)
        throw new ShellError({ code: 'COMMAND_FAILED', message: `no hprobe on \`${symbol}\`` });
      c.print(`Hprobe detached: ${symbol}`);
    },
    complete: (_a, c) => c.rt.hprobe.list().map((p) => p.name),
  });
  r.register({
    path: 'trace enable',
    usage: 'trace enable <tp>... [--prog <name>]',
    summary:
      'enable tracepoints (a subsystem with `vmm:*`), optionally attaching a precompiled program',
    run: (args, c) => {
      const { values, positionals } = parseOptions(
        { usage: 'trace enable <tp>... [--prog <name>]' },
        args,
        { prog: { type: 'string' } },
      );
      need(positionals, 1, 'trace enable <tp>... [--prog <name>]');
      for (const pattern of positionals) {
        const names = enableTracepoints(c.rt, pattern);
        c.print(`Enabled: ${pattern}`);
        if (values.prog !== undefined) {
          const name = values.prog;
          const loadedHere = !c.rt.ebpf.programs().some((p) => p.name === name);
          if (loadedHere) {
            if (!c.rt.precompiled.list().some((p) => p.name === name)) {
              throw new ShellError({
                code: 'BAD_ARGUMENT',
                message: `Unknown program: ${name}`,
                suggestion: `Available: ${c.rt.precompiled
                  .list()
                  .map((p) => p.name)
                  .join(', ')}`,
              });
            }
            c.rt.ebpf.loadObject(name, c.rt.precompiled.object(name));
          }
          try {
            for (const tp of names) c.rt.ebpf.attach(name, tp);
          } catch (e) {
            // as the original: a program that cannot be attached is unloaded again
            if (loadedHere) c.rt.ebpf.unload(name);
            throw e;
          }
          c.print(`Attached: ${name} program`);
        }
      }
    },
    complete: (_a, c) => [...tracepointNames(c), '--prog'],
  });
  r.register({
    path: 'trace disable',
    usage: 'trace disable <tp>...',
    summary: 'disable tracepoints',
    run: (args, c) => {
      need(args, 1, 'trace disable <tp>...');
      for (const tp of args) {
        if (tp.endsWith(':*')) c.rt.tracepoints.disableSubsystem(tp.slice(0, -2));
        else c.rt.tracepoints.disable(tp);
        c.print(`Disabled: ${tp}`);
      }
    },
    complete: (_a, c) => tracepointNames(c),
  });
  r.register({
    path: 'trace filter',
    usage: "trace filter <tp> '<expression>'",
    summary: "set an ftrace filter on a tracepoint ('' clears it)",
    run: (args, c) => {
      need(args, 2, "trace filter <tp> '<expression>'");
      const [tp, expr] = args as [string, string];
      if (expr.trim() === '') {
        c.rt.tracepoints.clearFilter(tp);
        c.print(`Filter cleared: ${tp}`);
      } else {
        c.rt.tracepoints.setFilter(tp, expr);
        c.print(`Filter set: ${tp}: ${expr}`);
      }
    },
    complete: (_a, c) => tracepointNames(c),
  });
  r.register({
    path: 'trace progs',
    usage: 'trace progs',
    summary: 'precompiled and loaded programs',
    run: (_args, c) => {
      const width = Math.max(...c.rt.precompiled.list().map((p) => p.name.length));
      const pre = c.rt.precompiled
        .list()
        .map((p) => `  ${p.name.padEnd(width)} - ${p.description}`);
      const loaded = c.rt.ebpf
        .programs()
        .map((p) => [
          String(p.fd),
          p.name,
          String(p.vm.program.length * 8),
          p.attachedTo.join(',') || '-',
          String(p.stats.runs),
          String(p.stats.errors),
        ]);
      c.print(
        [
          'Pre-compiled programs:',
          ...pre,
          '',
          'Loaded programs:',
          loaded.length === 0
            ? '  (none)'
            : renderTable(['ID', 'NAME', 'SIZE', 'ATTACHED TO', 'RUNS', 'ERRORS'], loaded, [
                'r',
                'l',
                'r',
                'l',
                'r',
                'r',
              ]),
          `Total: ${loaded.length} loaded, ${c.rt.ebpf.programs().reduce((n, p) => n + p.attachedTo.length, 0)} attachments`,
        ].join('\n'),
      );
    },
  });
  r.register({
    path: 'trace load file',
    usage: 'trace load file <path.o> <tp> [--abi record|trace-context]',
    summary:
      'load your own clang-compiled eBPF object (verified) and attach it to a tracepoint; nothing stays loaded if that fails',
    details:
      "--abi: what the program reads. `record` is the ftrace record (Linux's SEC(\"tracepoint/<sys>/<name>\")),\n`trace-context` the Rust axebpf's 64-byte TraceContext (tp_id, timestamp, vm_id, vcpu_id, arg0 = duration,\narg1..arg3, probe_type). Default: trace-context for a section named `tracepoint` alone (aya's #[tracepoint],\nas the Rust original's programs are built) or `axebpf/...`, else record.",
    run: (args, c) => {
      const usage = 'trace load file <path.o> <tp> [--abi record|trace-context]';
      const { values, positionals } = parseOptions({ usage }, args, { abi: { type: 'string' } });
      need(positionals, 2, usage);
      if (values.abi !== undefined && values.abi !== 'record' && values.abi !== 'trace-context')
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `\`${values.abi}\` is not an ABI: record or trace-context`,
        });
      const [path, tp] = positionals as [string, string];
      if (c.rt.tracepoints.get(tp) === undefined)
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `Tracepoint not found: ${tp}`,
          suggestion: 'see `trace list`',
        });
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `cannot read \`${path}\`: ${(e as Error).message}`,
          cause: e,
        });
      }
      if (bytes.length === 0)
        throw new ShellError({ code: 'BAD_ARGUMENT', message: `file ${path} is empty` });
      const name = path.replace(/^.*\//, '').replace(/\.(bpf\.)?o$/, '');
      const prog = c.rt.ebpf.loadObject(
        name,
        bytes,
        values.abi === undefined ? {} : { context: values.abi as 'record' | 'trace-context' },
      );
      try {
        c.rt.ebpf.attach(prog.name, tp);
      } catch (e) {
        c.rt.ebpf.unload(prog.name); // all or nothing
        throw e;
      }
      c.print(
        `Loaded program ${prog.fd} (${bytes.length} bytes) from ${path} (${prog.context === 'trace-context' ? 'TraceContext' : 'record'} context)`,
      );
      c.print(`Attached: ${prog.name} to ${tp}`);
    },
  });
  r.register({
    path: 'trace load prog',
    usage: 'trace load prog <id|name> <tp>',
    summary:
      'attach a program that is loaded already (by id or name, see `trace progs`) to a tracepoint',
    run: (args, c) => {
      need(args, 2, 'trace load prog <id|name> <tp>');
      const [arg, tp] = args as [string, string];
      const p = /^\d+$/.test(arg)
        ? c.rt.ebpf.programs().find((q) => q.fd === Number(arg))
        : c.rt.ebpf.programs().find((q) => q.name === arg);
      if (p === undefined)
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `Program not found: ${arg}`,
          suggestion: 'see `trace progs`',
        });
      if (c.rt.tracepoints.get(tp) === undefined)
        throw new ShellError({ code: 'BAD_ARGUMENT', message: `Tracepoint not found: ${tp}` });
      if (p.attachedTo.includes(tp))
        throw new ShellError({
          code: 'COMMAND_FAILED',
          message: `Tracepoint already has attached program: ${tp}`,
        });
      c.rt.ebpf.attach(p.name, tp);
      c.print(`Attached program ${p.name} (${p.fd}) to ${tp}`);
    },
    complete: (_a, c) => [...c.rt.ebpf.programs().map((p) => p.name), ...tracepointNames(c)],
  });
  r.register({
    path: 'trace unload',
    usage: 'trace unload <tracepoint|program>',
    summary:
      'detach the programs of a tracepoint (as the original: they stay loaded), or detach and unload a program by name',
    run: (args, c) => {
      need(args, 1, 'trace unload <tracepoint|program>');
      const arg = args[0]!;
      if (c.rt.tracepoints.get(arg) !== undefined) {
        const attached = c.rt.ebpf.programs().filter((p) => p.attachedTo.includes(arg));
        if (attached.length === 0)
          throw new ShellError({
            code: 'COMMAND_FAILED',
            message: `No program attached to tracepoint: ${arg}`,
          });
        for (const p of attached) {
          c.rt.ebpf.detach(p.name, arg);
          c.print(`Detached program ${p.name} (${p.fd}) from ${arg}`);
        }
        return;
      }
      const p = c.rt.ebpf.programs().find((q) => q.name === arg);
      if (p === undefined)
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `\`${arg}\` is neither a tracepoint nor a loaded program`,
          suggestion: 'see `trace list` and `trace progs`',
        });
      const from = p.attachedTo.join(', ') || 'nothing';
      c.rt.ebpf.unload(p.name);
      c.print(`Unloaded program ${p.name} (${p.fd}), detached from ${from}`);
    },
    complete: (_a, c) => [
      ...c.rt.ebpf.programs().map((p) => p.name),
      ...c.rt.ebpf.programs().flatMap((p) => p.attachedTo),
    ],
  });
  r.register({
    path: 'trace reset',
    usage: 'trace reset',
    summary:
      'disable every tracepoint, unload every program (hprobes and guest kprobes included), clear the event ring and the statistics',
    run: (_args, c) => {
      const hp = c.rt.hprobe.list();
      for (const h of [...new Set(hp.map((h) => h.name))]) c.rt.hprobe.detach(h);
      const gk = c.rt.guestKprobes.list();
      for (const g of gk) c.rt.guestKprobes.detach(`vm${g.vmId}:0x${g.gva.toString(16)}`);
      const progs = c.rt.ebpf.programs().map((p) => p.name);
      for (const p of progs) c.rt.ebpf.unload(p);
      for (const t of c.rt.tracepoints.list()) if (t.enabled) c.rt.tracepoints.disable(t.name);
      const pending = c.rt.events.stats().pending;
      c.rt.events.clear();
      c.rt.stats.reset();
      c.print(
        `Reset: ${progs.length} programs unloaded, ${hp.length} hprobes and ${gk.length} guest kprobes removed, every tracepoint disabled, ${pending} buffered events and the statistics cleared`,
      );
    },
  });
  r.register({
    path: 'trace stat',
    usage: 'trace stat [--hist <event>] [--buckets log2|decade] [--top <n>]',
    summary:
      "per-event statistics, histograms (log2, or the original's 8 decade buckets 0-1us ... >1s), attachments and map data",
    run: (args, c) => {
      const { values } = parseOptions(
        { usage: 'trace stat [--hist <event>] [--buckets log2|decade] [--top <n>]' },
        args,
        { hist: { type: 'string' }, top: { type: 'string' }, buckets: { type: 'string' } },
      );
      if (values.buckets !== undefined && values.buckets !== 'log2' && values.buckets !== 'decade')
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `\`${values.buckets}\` is not a bucket kind: log2 or decade`,
        });
      let stats = c.rt.stats.all();
      let histMissing: string | undefined;
      const top = values.top === undefined ? undefined : count(values.top, 10);
      if (top !== undefined) stats = [...stats].sort((a, b) => b.count - a.count).slice(0, top);
      const out: string[] = [
        top === undefined ? 'PROBE STATISTICS:' : `TOP ${top} EVENTS (by count):`,
      ];
      out.push(
        stats.length === 0
          ? '  (no events recorded: enable tracepoints with `trace enable`)'
          : renderTable(
              ['EVENT', 'COUNT', 'MIN', 'MAX', 'AVG', 'LAST_TS'],
              stats.map((s) => [
                s.name,
                String(s.count),
                formatDuration(s.minNs),
                formatDuration(s.maxNs),
                formatDuration(s.avgNs),
                s.lastTimestampNs === undefined ? '-' : formatDuration(Number(s.lastTimestampNs)),
              ]),
            ),
      );
      if (values.hist !== undefined) {
        const matches = c.rt.stats.all().filter((s) => s.name.includes(values.hist!));
        if (matches.length === 0) histMissing = values.hist;
        for (const s of matches)
          out.push(
            '',
            values.buckets === 'decade'
              ? renderDecadeHistogram(s.decadeBuckets, `LATENCY HISTOGRAM (${s.name}):`)
              : renderHistogram(s.histogram, { title: `LATENCY HISTOGRAM (${s.name}):` }),
          );
      }
      const ring = c.rt.events.stats();
      out.push(
        '',
        'EVENT RING:',
        `  capacity ${ring.capacity} events (${ring.mode === 'drop-newest' ? 'drop mode: a full ring drops the newest' : 'overwrite mode: a full ring overwrites the oldest'}), ${ring.emitted} events, ${ring.pending} waiting, ${ring.lost} ${ring.mode === 'drop-newest' ? 'dropped' : 'overwritten'}`,
      );
      if (c.recorder !== undefined)
        out.push(`  recording every event to ${c.recorder.file}: ${c.recorder.count} so far`);
      else if (ring.lost > 0)
        out.push(
          '  (`trace record FILE` keeps every event; `trace buffer --size N` makes the ring larger)',
        );
      const programs = c.rt.ebpf.programs();
      out.push('', 'EBPF ATTACHMENTS:');
      out.push(
        programs.length === 0
          ? '  (none)'
          : renderTable(
              ['TRACEPOINT', 'PROG_ID', 'PROG_NAME', 'RUNS', 'ERRORS'],
              programs.flatMap((p) =>
                p.attachedTo.map((tp) => [
                  tp,
                  String(p.fd),
                  p.name,
                  String(p.stats.runs),
                  String(p.stats.errors),
                ]),
              ),
            ),
      );
      const hprobes = c.rt.hprobe.list();
      if (hprobes.length > 0)
        out.push(
          '',
          renderTable(
            ['HPROBE', 'PROG_ID', 'HITS', 'STATUS'],
            hprobes.map((p) => [
              `${p.name}${p.ret ? ' (ret)' : ''}`,
              String(p.progId),
              String(p.hits),
              p.enabled ? 'active' : 'disabled',
            ]),
          ),
        );
      const maps = c.rt.ebpf.maps();
      if (maps.length > 0) {
        const rows: string[][] = [];
        for (const m of maps) {
          let n = 0;
          if (m.name.includes(':.')) continue; // global data (.rodata, .bss): format strings and such, not results
          // ring buffers, queues and perf arrays cannot be iterated: they have no key/value rows
          try {
            m.map.forEach(() => true);
          } catch {
            continue;
          }
          m.map.forEach((key, value) => {
            const k =
              key.length >= 4
                ? new DataView(key.buffer, key.byteOffset).getUint32(0, true)
                : (key[0] ?? 0);
            const v =
              value.length >= 8
                ? new DataView(value.buffer, value.byteOffset).getBigUint64(0, true)
                : BigInt(
                    value.length >= 4
                      ? new DataView(value.buffer, value.byteOffset).getUint32(0, true)
                      : (value[0] ?? 0),
                  );
            if (v !== 0n) rows.push([m.name, String(k), String(v)]);
            return ++n >= 16;
          });
        }
        out.push(
          '',
          'MAP DATA:',
          rows.length === 0 ? '  (empty)' : renderTable(['MAP_NAME', 'KEY', 'VALUE'], rows),
        );
      }
      c.print(out.join('\n'));
      if (histMissing !== undefined) {
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `--hist: no event matches \`${histMissing}\``,
          suggestion: 'see the EVENT column of `trace stat`',
        });
      }
    },
  });
  const EVENT_HEADER = `${'TIMESTAMP'.padEnd(15)} ${'CPU'.padEnd(5)} ${'TYPE'.padEnd(12)} ${'EVENT'.padEnd(30)} DETAILS`;
  const renderEvent = eventRow;
  const lostNote = (c: Ctx) =>
    c.rt.events.stats().lost > 0
      ? [`(${c.rt.events.stats().lost} events lost so far: the ring was full)`]
      : [];
  r.register({
    path: 'trace dump',
    usage: 'trace dump [--filter <tracepoint|hprobe|kprobe|vm<N>>] [-n <count>]',
    summary: 'print and consume buffered events (at most 4096, or -n)',
    run: (args, c) => {
      const { values } = parseOptions({ usage: 'trace dump [--filter ...] [-n <count>]' }, args, {
        filter: { type: 'string' },
        n: { type: 'string', short: 'n' },
      });
      const filter = eventFilter(values.filter);
      const limit = count(values.n, 0);
      const events = c.rt.events.drain({
        max: limit === 0 ? 4096 : limit,
        ...(filter === undefined ? {} : { filter }),
      });
      c.print(
        [
          EVENT_HEADER,
          ...events.map((e) => renderEvent(e)),
          events.length === 0 ? '(no events)' : `${events.length} events displayed.`,
          ...lostNote(c),
        ].join('\n'),
      );
    },
  });
  r.register({
    path: 'trace stream',
    usage:
      'trace stream [--filter <tracepoint|hprobe|kprobe|vm<N>>] [-n <count>] [--for <duration>]',
    summary:
      'run virtual time and print events as they happen, until -n events (default 32), --for (default 100ms), or Enter / q in the interactive shell',
    run: async (args, c) => {
      const usage = 'trace stream [--filter ...] [-n <count>] [--for <duration>]';
      const { values } = parseOptions({ usage }, args, {
        filter: { type: 'string' },
        n: { type: 'string', short: 'n' },
        for: { type: 'string' },
      });
      const filter = eventFilter(values.filter);
      const limit = count(values.n, 32);
      const span = values.for === undefined ? 100_000_000n : parseDuration(values.for);
      c.print(
        `Streaming events for up to ${formatDuration(Number(span))} of virtual time...${c.onKey === undefined ? '' : ' (press Enter or q to stop)'}\n${EVENT_HEADER}`,
      );
      let shown = 0;
      let stopped = false;
      const unlisten = c.onKey?.((key) => {
        if (key === '\r' || key === '\n' || key === 'q' || key === 'Q') stopped = true;
      });
      const end = c.vmm.timeNs + span;
      const step = 1_000_000n;
      const show = () => {
        for (const e of c.rt.events.drain({
          max: limit - shown,
          ...(filter === undefined ? {} : { filter }),
        })) {
          c.print(renderEvent(e));
          shown++;
        }
      };
      show();
      try {
        while (
          !stopped &&
          shown < limit &&
          c.vmm.timeNs < end &&
          c.vmm.vms().some((vm) => vm.status === 'Running')
        ) {
          c.vmm.run(end - c.vmm.timeNs < step ? end - c.vmm.timeNs : step);
          show();
          // let a key press in (interactive only: --exec runs straight through, deterministic)
          if (unlisten !== undefined) await new Promise((r) => setImmediate(r));
        }
      } finally {
        unlisten?.();
      }
      c.print(
        [
          shown >= limit
            ? `Reached limit of ${limit} events.`
            : `Stream stopped. ${shown} events displayed.`,
          ...lostNote(c),
        ].join('\n'),
      );
    },
  });
  r.register({
    path: 'trace record',
    usage: 'trace record <file>|stop',
    summary:
      'stream every event to a file as it happens (JSON lines; nothing lost whatever the ring keeps); `trace record stop` ends it',
    details:
      'The file is complete after each command. `export trace out.json --from <file>` turns it into a Perfetto trace.\n`axvisor run --record <file>` starts recording before the VMs are created.',
    run: (args, c) => {
      need(args, 1, 'trace record <file>|stop');
      if (args[0] === 'stop') {
        if (c.recorder === undefined)
          throw new ShellError({ code: 'COMMAND_FAILED', message: 'no recording is running' });
        c.recorder.stop();
        c.print(`Recorded ${c.recorder.count} events to ${c.recorder.file}`);
        c.recorder = undefined;
        return;
      }
      if (c.recorder !== undefined)
        throw new ShellError({
          code: 'COMMAND_FAILED',
          message: `already recording to ${c.recorder.file}: \`trace record stop\` first`,
        });
      c.recorder = new EventRecorder(c.rt.events, resolve(args[0]!));
      c.print(`Recording every event to ${c.recorder.file}`);
    },
    complete: () => ['stop'],
  });
  r.register({
    path: 'trace buffer',
    usage: 'trace buffer [--size <events>] [--mode drop|overwrite]',
    summary:
      "event ring size and what a full ring does: drop the newest (default) or overwrite the oldest (ftrace's overwrite mode)",
    run: (args, c) => {
      const usage = 'trace buffer [--size <events>] [--mode drop|overwrite]';
      const { values } = parseOptions({ usage }, args, {
        size: { type: 'string' },
        mode: { type: 'string' },
      });
      if (values.mode !== undefined && values.mode !== 'drop' && values.mode !== 'overwrite')
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `\`${values.mode}\` is not a mode: drop or overwrite`,
        });
      const size = values.size === undefined ? undefined : count(values.size, 0);
      if (size === 0)
        throw new ShellError({ code: 'BAD_ARGUMENT', message: 'the ring holds at least 1 event' });
      c.rt.events.configure({
        ...(size === undefined ? {} : { capacity: size }),
        ...(values.mode === undefined
          ? {}
          : { mode: values.mode === 'drop' ? 'drop-newest' : 'overwrite-oldest' }),
      });
      const st = c.rt.events.stats();
      c.print(
        `event ring: ${st.capacity} events, ${st.mode === 'drop-newest' ? 'drop' : 'overwrite'} mode, ${st.pending} waiting, ${st.lost} lost so far`,
      );
    },
  });
  r.register({
    path: 'trace printk',
    usage: 'trace printk [-n <count>]',
    summary: 'the last lines programs printed with bpf_trace_printk',
    run: (args, c) => {
      const { values } = parseOptions({ usage: 'trace printk [-n <count>]' }, args, {
        n: { type: 'string', short: 'n' },
      });
      const lines = c.rt.ebpf.printk.slice(-count(values.n, 20));
      c.print(lines.length === 0 ? '(no printk output)' : lines.join('\n'));
    },
  });
  r.register({
    path: 'trace verbose',
    usage: 'trace verbose [on|off]',
    summary: 'print each event as it happens',
    run: (args, c) => {
      if (args.length > 0) {
        const v = args[0]!.toLowerCase();
        if (!['on', 'off', 'true', 'false', '1', '0'].includes(v))
          throw new ShellError({
            code: 'BAD_ARGUMENT',
            message: `\`${args[0]}\` is not on or off`,
          });
        c.verbose = ['on', 'true', '1'].includes(v);
      }
      c.print(`verbose: ${c.verbose ? 'on' : 'off'}`);
    },
  });

  // ---- guest kprobes ----
  r.register({
    path: 'trace kprobe',
    usage: 'trace kprobe vm<id>:<symbol[+off]|0xaddr> <prog> [--inject] [--ret]',
    summary:
      'attach a program to a guest kernel function (stage-2 fault, or BRK with --inject; --ret at its return)',
    run: (args, c) => {
      const usage = 'trace kprobe vm<id>:<symbol[+off]|0xaddr> <prog> [--inject] [--ret]';
      const { values, positionals } = parseOptions({ usage }, args, {
        inject: { type: 'boolean' },
        ret: { type: 'boolean' },
      });
      need(positionals, 2, usage);
      const [target, progArg] = positionals as [string, string];
      const { name, context, loadedNow } = guestProgram(c, progArg);
      const mode = values.inject === true ? 'BrkInject' : 'Stage2Fault';
      let e;
      try {
        e = c.rt.guestKprobes.attach(target, name, { mode, ret: values.ret === true, context });
      } catch (error) {
        // A bad target (unknown symbol, no such VM) leaves nothing loaded and prints nothing.
        if (loadedNow) c.rt.ebpf.unload(name);
        throw error;
      }
      if (loadedNow) c.print(`Loaded program '${name}' with id ${c.rt.ebpf.program(name).fd}`);
      const what = `${e.ret ? 'kretprobe' : 'kprobe'} ${e.enabled ? 'attached' : 'registered pending enable'}: vm${e.vmId}:0x${e.gva.toString(16)}${e.symbol === undefined ? '' : ` (${e.symbol})`} -> prog ${e.programFd} (mode=${modeText(e.mode)})`;
      c.print(
        e.enabled
          ? what
          : `${what}\n  the address has no guest translation yet; it is armed when the guest maps it (MMU on, tables written)`,
      );
    },
    complete: (a, c, fragment) => [
      ...(a.some((w) => !w.startsWith('--'))
        ? c.rt.ebpf.programs().map((p) => p.name)
        : guestTargetCompletions(c, fragment)),
      '--inject',
      '--ret',
    ],
  });
  r.register({
    path: 'trace unkprobe',
    usage: 'trace unkprobe vm<id>:<symbol[+off]|0xaddr>',
    summary: 'detach a guest kprobe (guest memory and stage-2 tables as before)',
    run: (args, c) => {
      need(args, 1, 'trace unkprobe vm<id>:<symbol[+off]|0xaddr>');
      const e = c.rt.guestKprobes.detach(args[0]!);
      c.print(`${e.ret ? 'kretprobe' : 'kprobe'} detached: vm${e.vmId}:0x${e.gva.toString(16)}`);
    },
    complete: (_a, c) =>
      c.rt.guestKprobes.list().map((e) => `vm${e.vmId}:${e.symbol ?? `0x${e.gva.toString(16)}`}`),
  });
  r.register({
    path: 'trace loadsyms',
    usage: 'trace loadsyms vm<id> [--kallsyms] <path> [--kaslr <0xoffset|vbar>]',
    summary:
      "load a guest's symbols from an ELF image, an nm / System.map file, or a Linux arm64 Image's kallsyms",
    run: (args, c) => {
      const usage = 'trace loadsyms vm<id> [--kallsyms] <path> [--kaslr <0xoffset|vbar>]';
      const { values, positionals } = parseOptions({ usage }, args, {
        kallsyms: { type: 'boolean' },
        kaslr: { type: 'string' },
      });
      need(positionals, 2, usage);
      const vm = c.vm(positionals[0]!);
      const path = positionals[1]!;
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `cannot read \`${path}\`: ${(e as Error).message}`,
          cause: e,
        });
      }
      const linux = isLinuxArm64Image(bytes);
      if ((values.kallsyms === true || values.kaslr !== undefined) && !linux) {
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `\`${path}\` is not a Linux arm64 Image (no \`ARM\\x64\` magic at 0x38)`,
        });
      }
      if (!linux) {
        const elf =
          bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
        const n = c.rt.guestKprobes.loadSymbols(
          vm.id,
          elf ? bytes : new TextDecoder().decode(bytes),
        );
        c.print(`Loaded ${n} symbols for vm${vm.id} from '${path}'`);
        return;
      }
      // A Linux arm64 Image: its own kallsyms tables, at link addresses (a nokaslr boot) or
      // moved by a KASLR offset, given or found from the running guest's VBAR_EL1 (`vectors`).
      let k = readLinuxKallsyms(bytes);
      let offset = 0n;
      if (values.kaslr === 'vbar') {
        const vbar = vm.vcpus[0]?.cpu.getSysReg(VBAR_EL1) ?? 0n;
        if (vbar === 0n)
          throw new ShellError({
            code: 'COMMAND_FAILED',
            message: `VBAR_EL1 of vm${vm.id} vCPU 0 is not set yet (the kernel sets it early in boot): run the guest first, or give --kaslr 0x<offset>`,
          });
        offset = kaslrOffsetFromSymbol(k, 'vectors', vbar);
      } else if (values.kaslr !== undefined) {
        if (!/^0x[0-9a-f]+$/i.test(values.kaslr))
          throw new ShellError({
            code: 'BAD_ARGUMENT',
            message: `bad --kaslr \`${values.kaslr}\`: use 0x<offset> or vbar; usage: ${usage}`,
          });
        offset = BigInt(values.kaslr);
      }
      if (offset !== 0n) k = relocateLinuxKallsyms(k, offset);
      const n = c.rt.guestKprobes.loadSymbols(vm.id, k.table);
      c.print(
        `Loaded ${n} symbols for vm${vm.id} from '${path}' (Linux kallsyms${offset === 0n ? '' : `, KASLR offset 0x${offset.toString(16)}`})`,
      );
    },
  });
  r.register({
    path: 'trace gsym',
    usage: 'trace gsym vm<id> <name|0xaddr|search <pattern>>',
    summary: 'guest symbols: address of a name, symbol of an address, or a search',
    run: (args, c) => {
      need(args, 2, 'trace gsym vm<id> <name|0xaddr|search <pattern>>');
      const vm = c.vm(args[0]!);
      const g = c.rt.guestKprobes;
      const hex16 = (a: bigint) => `0x${a.toString(16).padStart(16, '0')}`;
      if (args[1] === 'search') {
        need(args, 3, 'trace gsym vm<id> search <pattern>');
        const found = g.search(vm.id, args[2]!, 20);
        c.print(
          found.length === 0
            ? `No symbols for vm${vm.id} containing '${args[2]}'`
            : found.map((s) => `${hex16(s.address)} T ${s.name}`).join('\n'),
        );
        return;
      }
      if (/^0x/i.test(args[1]!)) {
        const addr = hexAddress(args[1]!);
        const hit = g.symbolAt(vm.id, addr);
        c.print(
          hit === undefined
            ? `No symbol for vm${vm.id} at ${hex16(addr)}`
            : `${hex16(addr)} ${hit.type} ${hit.name}${hit.offset === 0n ? '' : `+0x${hit.offset.toString(16)}`}`,
        );
        return;
      }
      const a = g.addressOf(vm.id, args[1]!);
      if (a !== undefined) {
        c.print(`${args[1]} = 0x${a.toString(16)}`);
        return;
      }
      const all = g.search(vm.id, '', 100_000).map((s) => s.name);
      const near = [...new Set(all)]
        .map((n) => [n, editDistance(n, args[1]!)] as const)
        .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1))
        .slice(0, 5)
        .filter((x) => x[1] <= Math.max(3, args[1]!.length / 2));
      c.print(
        [
          `Symbol '${args[1]}' not found for vm${vm.id}`,
          ...(near.length === 0 ? [] : ['Did you mean:', ...near.map(([n]) => `  ${n}`)]),
        ].join('\n'),
      );
    },
  });

  // ---- symbols ----
  r.register({
    path: 'ksym lookup',
    usage: 'ksym lookup <name>',
    summary: 'address of a symbol (`vm1:guest_main` for one table)',
    complete: (_a, c) => [...new Set(c.rt.symbols.search('').map((s) => s.name))],
    run: (args, c) => {
      need(args, 1, 'ksym lookup <name>');
      const a = c.rt.symbols.addressOf(args[0]!);
      c.print(
        a === undefined ? `Symbol '${args[0]}' not found` : `${args[0]} = 0x${a.toString(16)}`,
      );
    },
  });
  r.register({
    path: 'ksym search',
    usage: 'ksym search <pattern>',
    summary: 'symbols whose names contain a pattern (at most 50)',
    run: (args, c) => {
      need(args, 1, 'ksym search <pattern>');
      const found = c.rt.symbols.search(args[0]!, { limit: 50 });
      if (found.length === 0) {
        c.print(`No symbols found containing '${args[0]}'`);
        return;
      }
      const lines = [
        `Found ${found.length} symbol(s) matching '${args[0]}':`,
        ...found.map(
          (s) => `  0x${s.address.toString(16).padStart(16, '0')}  ${s.table}:${s.name}`,
        ),
      ];
      if (found.length === 50) lines.push('  ... (limited to 50 results)');
      c.print(lines.join('\n'));
    },
  });
  r.register({
    path: 'ksym addr',
    usage: 'ksym addr [<table>:]<hex>',
    summary:
      'the symbol containing an address; `vm1:0x40080000` or `axvisor:0x...` asks one table (guests all load at the same addresses)',
    run: (args, c) => {
      need(args, 1, 'ksym addr [<table>:]<hex>');
      const colon = args[0]!.indexOf(':');
      const table = colon > 0 ? args[0]!.slice(0, colon) : undefined;
      if (table !== undefined && c.rt.symbols.get(table) === undefined)
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `no symbol table \`${table}\` (have: ${c.rt.symbols.tables().join(', ')})`,
        });
      const text = args[0]!.slice(colon + 1);
      const addr = hexAddress(/^0x/i.test(text) ? text : `0x${text}`);
      // without a table, every table that has the address answers (the guests share addresses)
      const hits = (table === undefined ? c.rt.symbols.tables() : [table])
        .map((t) => c.rt.symbols.lookup(addr, t))
        .filter((h) => h !== undefined);
      c.print(
        hits.length === 0
          ? `No symbol found at address 0x${addr.toString(16)}`
          : hits
              .map(
                (hit) =>
                  `0x${addr.toString(16)} = ${hit.table}:${hit.name}+0x${hit.offset.toString(16)} (size: ${hit.size}, type: ${hit.type})`,
              )
              .join('\n'),
      );
    },
  });

  r.register({
    path: 'export trace',
    usage: 'export trace <file.json> [--from <recording>]',
    summary:
      'write vCPU slices, exits and VM events as Chrome trace-event JSON (Perfetto, chrome://tracing); --from: every event of a `trace record` file instead',
    run: (args, c) => {
      const usage = 'export trace <file.json> [--from <recording>]';
      const { values, positionals } = parseOptions({ usage }, args, { from: { type: 'string' } });
      need(positionals, 1, usage);
      const file = resolve(positionals[0]!);
      if (values.from !== undefined) {
        if (c.recorder !== undefined && resolve(values.from) === c.recorder.file)
          c.recorder.flush();
        const events = readRecording(values.from);
        writeFileSync(file, chromeTraceFromRecording(events));
        c.print(`wrote ${events.length} events from ${values.from} to ${file}`);
        return;
      }
      c.trace.finish(c.vmm.timeNs);
      writeFileSync(file, c.trace.toJson());
      c.print(`wrote ${c.trace.eventCount} events to ${file}`);
    },
  });
  registerScriptCommands(r);
  return r;
}

/**
 * One row of `trace dump` / `trace stream`, in the columns of their header (AxVisor's layout):
 * `[secs.usecs]` (15), `cpu<N>` (5), type (12), event (30), then args, duration and VM.
 * @param e - the event.
 * @returns the row.
 */
export function eventRow(e: TraceEvent): string {
  const secs = String(e.timestampNs / 1_000_000_000n).padStart(5);
  const us = String((e.timestampNs % 1_000_000_000n) / 1_000n).padStart(6, '0');
  const details = [`args=[${e.args.map((a) => `0x${a.toString(16)}`).join(', ')}]`];
  if (e.durationNs > 0n) details.push(`dur=${formatDuration(Number(e.durationNs))}`);
  if (e.vmId > 0) details.push(`vm${e.vmId}`);
  return `${`[${secs}.${us}]`.padEnd(15)} ${`cpu${String(e.cpuId).padEnd(2)}`.padEnd(5)} ${e.probeType.padEnd(12)} ${e.name.padEnd(30)} ${details.join(' ')}`;
}

function modeText(mode: 'Stage2Fault' | 'BrkInject'): string {
  return mode === 'BrkInject' ? 'brk-inject' : 's2fault';
}

/** At most this many guest symbols offered by one completion. */
export const GUEST_COMPLETION_LIMIT = 200;

/**
 * Completions of a guest kprobe target: `vm<id>:` for each VM, then, once the fragment names a
 * VM, that VM's symbols starting with what follows the colon (a Linux guest's kallsyms has over
 * 100,000 names: prefix search, at most {@link GUEST_COMPLETION_LIMIT}, each name once).
 * @param c - the session.
 * @param fragment - the word being typed.
 * @returns candidates (`vm1:do_sys_openat2`).
 */
export function guestTargetCompletions(c: Pick<Session, 'rt' | 'vmm'>, fragment: string): string[] {
  const m = /^vm(\d+):(.*)$/.exec(fragment);
  if (m === null) return c.vmm.vms().map((vm) => `vm${vm.id}:`);
  const table = c.rt.symbols.get(`vm${m[1]}`);
  if (table === undefined) return [];
  const names = new Set<string>();
  for (const e of table.search(m[2]!, { mode: 'prefix', limit: 4 * GUEST_COMPLETION_LIMIT })) {
    names.add(e.name);
    if (names.size === GUEST_COMPLETION_LIMIT) break;
  }
  return [...names].map((n) => `vm${m[1]}:${n}`);
}

/**
 * The "Guest Kprobes:" part of `trace list` (columns of AxVisor's shell).
 * @param c - the session (its runtime).
 * @returns the block.
 */
export function guestKprobeTable(
  c: Pick<Session, 'rt'> & Partial<Pick<Session, 'probes'>>,
): string {
  const rows = c.rt.guestKprobes.list().map((e) => [
    `vm${e.vmId}`,
    e.symbol ?? `0x${e.gva.toString(16).padStart(16, '0')}`,
    String(e.hits),
    String(e.programFd),
    // a stage-2 probe whose page was hot traps with a BRK now (GuestProbeInfo.brkFallback)
    e.mode === 'BrkInject'
      ? 'brk'
      : c.probes?.get(e.vmId, e.gva)?.brkFallback === true
        ? 's2fault->brk'
        : 's2fault',
    e.ret ? 'yes' : 'no',
    e.enabled ? 'yes' : 'pending',
  ]);
  return `Guest Kprobes:\n${rows.length === 0 ? '  (none)' : renderTable(['VM', 'TARGET', 'HITS', 'PROG_ID', 'MODE', 'RET', 'ENABLED'], rows, ['l', 'l', 'r', 'r', 'l', 'l', 'l'])}`;
}

/**
 * The program of `trace kprobe`: a loaded program by name or fd, or a precompiled one (loaded
 * under its own name). Precompiled `kprobe/` and `kretprobe/` programs read the register
 * context; others get the TraceContext + x0..x7 context.
 */
function guestProgram(
  c: Ctx,
  arg: string,
): { name: string; context: 'trace-context' | 'pt-regs'; loadedNow: boolean } {
  const loaded = c.rt.ebpf.programs();
  const byFd = /^\d+$/.test(arg) ? loaded.find((p) => p.fd === Number(arg)) : undefined;
  const name = byFd?.name ?? arg;
  let loadedNow = false;
  if (!loaded.some((p) => p.name === name)) {
    if (/^\d+$/.test(arg))
      throw new ShellError({ code: 'BAD_ARGUMENT', message: `no loaded program with id ${arg}` });
    c.rt.ebpf.loadObject(name, c.rt.precompiled.object(name));
    loadedNow = true;
  }
  const pre = c.rt.precompiled.list().find((p) => p.name === name);
  return {
    name,
    context: pre !== undefined && /^k(ret)?probe\//.test(pre.section) ? 'pt-regs' : 'trace-context',
    loadedNow,
  };
}

/** Exit reason code as `Name (code)`. @param code - trace code. @returns the text. */
export function exitReasonText(code: number): string {
  return `${exitReasonName(code) ?? '?'} (${code})`;
}
