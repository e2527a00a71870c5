// SPDX-License-Identifier: MIT
// The shell's commands: vm, run, trace, ksym, export, help (formats after AxVisor's shell,
// Iscreamx/axvisor kernel/src/shell/commands/trace.rs and builtin.rs).

import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatDuration, renderEvent, renderHistogram, renderTable } from 'axebpf';
import type { EventFilter } from 'axebpf';
import { exitReasonName } from '@axebpf/axvisor-vmm';
import { SYS_REG_BY_NAME } from '@axebpf/aarch64-emu';
import { isLinuxArm64Image, kaslrOffsetFromSymbol, readLinuxKallsyms, relocateLinuxKallsyms } from '@axebpf/ksym';
import { ShellError } from './errors.js';
import { formatVirtualDuration, parseDuration } from './shell/duration.js';
import { CommandRegistry, parseOptions } from './shell/registry.js';
import { editDistance } from './shell/suggest.js';
import type { Session } from './session.js';

const VBAR_EL1 = SYS_REG_BY_NAME.get('vbar_el1')!;

/** Where commands write. */
export interface Printer {
  /** Prints a block of text. */
  print(text: string): void;
}

type Ctx = Session & Printer;

function need(args: readonly string[], n: number, usage: string): void {
  if (args.length < n) throw new ShellError({ code: 'MISSING_ARGUMENT', message: `missing argument; usage: ${usage}` });
}

function eventFilter(text: string | undefined): EventFilter | undefined {
  if (text === undefined) return undefined;
  // as AxVisor's shell: hprobe covers hretprobe, kprobe covers kretprobe
  if (text === 'tracepoint') return { probeTypes: ['tracepoint'] };
  if (text === 'hprobe') return { probeTypes: ['hprobe', 'hretprobe'] };
  if (text === 'kprobe') return { probeTypes: ['kprobe', 'kretprobe'] };
  const vm = /^vm(\d+)$/.exec(text);
  if (vm) return { vmId: Number(vm[1]) };
  throw new ShellError({ code: 'BAD_ARGUMENT', message: `unknown filter \`${text}\`: use tracepoint, hprobe, kprobe or vm<N>` });
}

function count(text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new ShellError({ code: 'BAD_ARGUMENT', message: `\`${text}\` is not a count` });
  return n;
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
  return `${head}\n${renderTable(['SYMBOL', 'ADDRESS', 'HITS', 'PROG_ID', 'ENABLED', 'RET'], rows.map((p) => [p.name.padEnd(20), hex18(p.address), String(p.hits), String(p.progId), p.enabled ? 'yes' : 'no', p.ret ? 'yes' : 'no']), ['l', 'l', 'r', 'r', 'l', 'l'])}`;
}

/** A program by id (its fd) or name; a precompiled one is loaded on first use. */
function hprobeProgram(c: Ctx, arg: string): { name: string; fd: number } {
  if (/^\d+$/.test(arg)) {
    const p = c.rt.ebpf.programs().find((q) => q.fd === Number(arg));
    if (p === undefined) throw new ShellError({ code: 'BAD_ARGUMENT', message: `no loaded program with id ${arg}` });
    return p;
  }
  const loaded = c.rt.ebpf.programs().find((q) => q.name === arg);
  if (loaded !== undefined) return loaded;
  if (!c.rt.precompiled.list().some((p) => p.name === arg)) {
    throw new ShellError({ code: 'BAD_ARGUMENT', message: `Unknown program: ${arg}`, suggestion: `available: ${c.rt.precompiled.list().map((p) => p.name).join(', ')}` });
  }
  const p = c.rt.ebpf.loadObject(arg, c.rt.precompiled.object(arg));
  c.print(`Loaded program '${arg}' with id ${p.fd}`);
  return p;
}

/**
 * Builds the command registry.
 * @returns the commands.
 */
export function buildCommands(): CommandRegistry<Ctx> {
  const r = new CommandRegistry<Ctx>();

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
        return [`vm${vm.id}`, vm.config.name, vm.status, String(vm.vcpus.length), String(insns), String(exits)];
      });
      c.print(renderTable(['VM', 'NAME', 'STATUS', 'VCPUS', 'INSNS', 'EXITS'], rows, ['l', 'l', 'l', 'r', 'r', 'r']));
    },
  });
  for (const [verb, summary] of [['start', 'boot or resume a VM'], ['stop', 'stop a VM'], ['pause', 'suspend a running VM']] as const) {
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
    path: 'vm console',
    usage: 'vm console <id>',
    summary: "what a VM printed on its UART",
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
    run: (args, c) => {
      need(args, 1, 'run <duration>');
      const ns = parseDuration(args[0]!);
      const before = c.vmm.timeNs;
      const step = 100_000_000n;
      for (let done = 0n; done < ns; done += step) {
        c.vmm.run(ns - done < step ? ns - done : step);
        if (ns > step && process.stderr.isTTY) process.stderr.write(`\r  ${formatVirtualDuration(c.vmm.timeNs - before)} / ${formatVirtualDuration(ns)}`);
        if (c.vmm.vms().every((vm) => vm.status !== 'Running')) break;
      }
      if (ns > step && process.stderr.isTTY) process.stderr.write('\n');
      const stopped = c.vmm.vms().every((vm) => vm.status !== 'Running') ? ' (no VM is running)' : '';
      c.print(`ran ${formatDuration(Number(c.vmm.timeNs - before))} of virtual time, now at ${formatDuration(Number(c.vmm.timeNs))}${stopped}`);
    },
  });

  // ---- tracepoints and programs ----
  r.register({
    path: 'trace list',
    usage: 'trace list',
    summary: 'tracepoints with their status, id and hits',
    run: (_args, c) => {
      const rows = c.rt.tracepoints.list().map((t) => [t.name, t.enabled ? 'enabled' : 'disabled', String(t.id), String(c.rt.tracepoints.counters(t.name).hits)]);
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
    const program = hprobeProgram(c, prog);
    const address = /^0x[0-9a-f]+$/i.test(symbol) ? BigInt(symbol) : c.rt.symbols.addressOf(symbol.includes(':') ? symbol : `axvisor:${symbol}`) ?? c.rt.symbols.addressOf(symbol);
    if (address === undefined) {
      throw new ShellError({ code: 'COMMAND_FAILED', message: `Symbol '${symbol}' not found in symbol table`, suggestion: `find it with \`ksym search ${symbol.slice(0, 6)}\`` });
    }
    c.print(`Symbol '${symbol}' found at ${hex18(address)}`);
    try {
      c.rt.hprobe.attach(address, program.name, { ret });
    } catch (e) {
      throw new ShellError({ code: 'COMMAND_FAILED', message: `Failed to attach ${ret ? 'hretprobe' : 'hprobe'}: ${(e as Error).message}`, cause: e });
    }
    c.print(`${ret ? 'Hretprobe' : 'Hprobe'} attached: ${symbol} @ ${hex18(address)} -> prog ${program.fd}`);
  };
  const hprobeComplete = (_a: readonly string[], c: Ctx) => [...c.rt.symbols.search('', { limit: 200 }).filter((s) => s.table === 'axvisor').map((s) => s.name), ...c.rt.precompiled.list().map((p) => p.name)];
  r.register({
    path: 'trace hprobe',
    usage: 'trace hprobe <symbol> <prog_name_or_id>',
    summary: "attach a program to an EL2 function of the hypervisor (`trace hprobe handle_hvc hprobe_entry`); the program's context is the saved registers x0-x30, sp, pc, pstate",
    run: hprobeAttach(false),
    complete: hprobeComplete,
  });
  r.register({
    path: 'trace hretprobe',
    usage: 'trace hretprobe <symbol> <prog_name_or_id>',
    summary: 'attach a program to the return of an EL2 function (x0 in its context is the return value); events carry the entry-to-return duration',
    run: hprobeAttach(true),
    complete: hprobeComplete,
  });
  r.register({
    path: 'trace unhprobe',
    usage: 'trace unhprobe <symbol>',
    summary: 'remove the entry and return probes of an EL2 function (the original instructions come back)',
    run: (args, c) => {
      need(args, 1, 'trace unhprobe <symbol>');
      const symbol = args[0]!;
      const address = /^0x[0-9a-f]+$/i.test(symbol) ? BigInt(symbol) : undefined;
      const n = c.rt.hprobe.detach(address ?? symbol.replace(/^axvisor:/, ''));
      if (n === 0) throw new ShellError({ code: 'COMMAND_FAILED', message: `no hprobe on \`${symbol}\`` });
      c.print(`Hprobe detached: ${symbol}`);
    },
    complete: (_a, c) => c.rt.hprobe.list().map((p) => p.name),
  });
  r.register({
    path: 'trace enable',
    usage: 'trace enable <tp>... [--prog <name>]',
    summary: 'enable tracepoints (a subsystem with `vmm:*`), optionally attaching a precompiled program',
    run: (args, c) => {
      const { values, positionals } = parseOptions({ usage: 'trace enable <tp>... [--prog <name>]' }, args, { prog: { type: 'string' } });
      need(positionals, 1, 'trace enable <tp>... [--prog <name>]');
      for (const tp of positionals) {
        if (tp.endsWith(':*')) c.rt.tracepoints.enableSubsystem(tp.slice(0, -2));
        else c.rt.tracepoints.enable(tp);
        c.print(`Enabled: ${tp}`);
        if (values.prog !== undefined) {
          const name = values.prog;
          if (!c.rt.ebpf.programs().some((p) => p.name === name)) c.rt.ebpf.loadObject(name, c.rt.precompiled.object(name));
          c.rt.ebpf.attach(name, tp);
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
      const pre = c.rt.precompiled.list().map((p) => `  ${p.name.padEnd(13)} - ${p.description}`);
      const loaded = c.rt.ebpf.programs().map((p) => [String(p.fd), p.name, String(p.vm.program.length * 8), p.attachedTo.join(',') || '-', String(p.stats.runs), String(p.stats.errors)]);
      c.print(['Pre-compiled programs:', ...pre, '', 'Loaded programs:', loaded.length === 0 ? '  (none)' : renderTable(['ID', 'NAME', 'SIZE', 'ATTACHED TO', 'RUNS', 'ERRORS'], loaded, ['r', 'l', 'r', 'l', 'r', 'r']), `Total: ${loaded.length} loaded, ${c.rt.ebpf.programs().reduce((n, p) => n + p.attachedTo.length, 0)} attachments`].join('\n'));
    },
  });
  r.register({
    path: 'trace load file',
    usage: 'trace load file <path.o> <tp>',
    summary: 'load your own clang-compiled eBPF object (verified) and attach it to a tracepoint',
    run: (args, c) => {
      need(args, 2, 'trace load file <path.o> <tp>');
      const [path, tp] = args as [string, string];
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new ShellError({ code: 'BAD_ARGUMENT', message: `cannot read \`${path}\`: ${(e as Error).message}`, cause: e });
      }
      if (bytes.length === 0) throw new ShellError({ code: 'BAD_ARGUMENT', message: `file ${path} is empty` });
      const name = path.replace(/^.*\//, '').replace(/\.(bpf\.)?o$/, '');
      const prog = c.rt.ebpf.loadObject(name, bytes);
      c.print(`Loaded program ${prog.fd} (${bytes.length} bytes) from ${path}`);
      c.rt.ebpf.attach(prog.name, tp);
      c.print(`Attached: ${prog.name} to ${tp}`);
    },
  });
  r.register({
    path: 'trace unload',
    usage: 'trace unload <program>',
    summary: 'detach and unload a program',
    run: (args, c) => {
      need(args, 1, 'trace unload <program>');
      const p = c.rt.ebpf.program(args[0]!);
      const from = p.attachedTo.join(', ') || 'nothing';
      c.rt.ebpf.unload(p.name);
      c.print(`Unloaded program ${p.name} (${p.fd}), detached from ${from}`);
    },
    complete: (_a, c) => c.rt.ebpf.programs().map((p) => p.name),
  });
  r.register({
    path: 'trace stat',
    usage: 'trace stat [--hist <event>] [--top <n>]',
    summary: 'per-event statistics, histograms, attachments and map data',
    run: (args, c) => {
      const { values } = parseOptions({ usage: 'trace stat [--hist <event>] [--top <n>]' }, args, { hist: { type: 'string' }, top: { type: 'string' } });
      let stats = c.rt.stats.all();
      const top = values.top === undefined ? undefined : count(values.top, 10);
      if (top !== undefined) stats = [...stats].sort((a, b) => b.count - a.count).slice(0, top);
      const out: string[] = [top === undefined ? 'PROBE STATISTICS:' : `TOP ${top} EVENTS (by count):`];
      out.push(
        stats.length === 0
          ? '  (no events recorded: enable tracepoints with `trace enable`)'
          : renderTable(['EVENT', 'COUNT', 'MIN', 'MAX', 'AVG', 'LAST_TS'], stats.map((s) => [s.name, String(s.count), formatDuration(s.minNs), formatDuration(s.maxNs), formatDuration(s.avgNs), s.lastTimestampNs === undefined ? '-' : formatDuration(Number(s.lastTimestampNs))])),
      );
      if (values.hist !== undefined) {
        const matches = c.rt.stats.all().filter((s) => s.name.includes(values.hist!));
        if (matches.length === 0) out.push(`no event matches \`${values.hist}\``);
        for (const s of matches) out.push('', renderHistogram(s.histogram, { title: `LATENCY HISTOGRAM (${s.name}):` }));
      }
      const programs = c.rt.ebpf.programs();
      out.push('', 'EBPF ATTACHMENTS:');
      out.push(programs.length === 0 ? '  (none)' : renderTable(['TRACEPOINT', 'PROG_ID', 'PROG_NAME', 'RUNS', 'ERRORS'], programs.flatMap((p) => p.attachedTo.map((tp) => [tp, String(p.fd), p.name, String(p.stats.runs), String(p.stats.errors)]))));
      const hprobes = c.rt.hprobe.list();
      if (hprobes.length > 0) out.push('', renderTable(['HPROBE', 'PROG_ID', 'HITS', 'STATUS'], hprobes.map((p) => [`${p.name}${p.ret ? ' (ret)' : ''}`, String(p.progId), String(p.hits), p.enabled ? 'active' : 'disabled'])));
      const maps = c.rt.ebpf.maps();
      if (maps.length > 0) {
        const rows: string[][] = [];
        for (const m of maps) {
          let n = 0;
          // ring buffers, queues and perf arrays cannot be iterated: they have no key/value rows
          try {
            m.map.forEach(() => true);
          } catch {
            continue;
          }
          m.map.forEach((key, value) => {
            const k = key.length >= 4 ? new DataView(key.buffer, key.byteOffset).getUint32(0, true) : key[0] ?? 0;
            const v = value.length >= 8 ? new DataView(value.buffer, value.byteOffset).getBigUint64(0, true) : BigInt(value.length >= 4 ? new DataView(value.buffer, value.byteOffset).getUint32(0, true) : value[0] ?? 0);
            if (v !== 0n) rows.push([m.name, String(k), String(v)]);
            return ++n >= 16;
          });
        }
        out.push('', 'MAP DATA:', rows.length === 0 ? '  (empty)' : renderTable(['MAP_NAME', 'KEY', 'VALUE'], rows));
      }
      c.print(out.join('\n'));
    },
  });
  const EVENT_HEADER = `${'TIMESTAMP'.padEnd(15)} ${'CPU'.padEnd(5)} ${'TYPE'.padEnd(12)} ${'EVENT'.padEnd(30)} DETAILS`;
  const lostNote = (c: Ctx) => (c.rt.events.stats().lost > 0 ? [`(${c.rt.events.stats().lost} events lost so far: the ring was full)`] : []);
  r.register({
    path: 'trace dump',
    usage: 'trace dump [--filter <tracepoint|hprobe|kprobe|vm<N>>] [-n <count>]',
    summary: 'print and consume buffered events (at most 4096, or -n)',
    run: (args, c) => {
      const { values } = parseOptions({ usage: 'trace dump [--filter ...] [-n <count>]' }, args, { filter: { type: 'string' }, n: { type: 'string', short: 'n' } });
      const filter = eventFilter(values.filter);
      const limit = count(values.n, 0);
      const events = c.rt.events.drain({ max: limit === 0 ? 4096 : limit, ...(filter === undefined ? {} : { filter }) });
      c.print([EVENT_HEADER, ...events.map((e) => renderEvent(e)), events.length === 0 ? '(no events)' : `${events.length} events displayed.`, ...lostNote(c)].join('\n'));
    },
  });
  r.register({
    path: 'trace stream',
    usage: 'trace stream [--filter <tracepoint|hprobe|kprobe|vm<N>>] [-n <count>] [--for <duration>]',
    summary: 'run virtual time and print events as they happen, until -n events (default 32) or --for (default 100ms)',
    run: (args, c) => {
      const usage = 'trace stream [--filter ...] [-n <count>] [--for <duration>]';
      const { values } = parseOptions({ usage }, args, { filter: { type: 'string' }, n: { type: 'string', short: 'n' }, for: { type: 'string' } });
      const filter = eventFilter(values.filter);
      const limit = count(values.n, 32);
      const span = values.for === undefined ? 100_000_000n : parseDuration(values.for);
      c.print(`Streaming events for up to ${formatDuration(Number(span))} of virtual time...\n${EVENT_HEADER}`);
      let shown = 0;
      const end = c.vmm.timeNs + span;
      const step = 1_000_000n;
      const show = () => {
        for (const e of c.rt.events.drain({ max: limit - shown, ...(filter === undefined ? {} : { filter }) })) {
          c.print(renderEvent(e));
          shown++;
        }
      };
      show();
      while (shown < limit && c.vmm.timeNs < end && c.vmm.vms().some((vm) => vm.status === 'Running')) {
        c.vmm.run(end - c.vmm.timeNs < step ? end - c.vmm.timeNs : step);
        show();
      }
      c.print([shown >= limit ? `Reached limit of ${limit} events.` : `Stream stopped. ${shown} events displayed.`, ...lostNote(c)].join('\n'));
    },
  });
  r.register({
    path: 'trace printk',
    usage: 'trace printk [-n <count>]',
    summary: 'the last lines programs printed with bpf_trace_printk',
    run: (args, c) => {
      const { values } = parseOptions({ usage: 'trace printk [-n <count>]' }, args, { n: { type: 'string', short: 'n' } });
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
        if (!['on', 'off', 'true', 'false', '1', '0'].includes(v)) throw new ShellError({ code: 'BAD_ARGUMENT', message: `\`${args[0]}\` is not on or off` });
        c.verbose = ['on', 'true', '1'].includes(v);
      }
      c.print(`verbose: ${c.verbose ? 'on' : 'off'}`);
    },
  });

  // ---- guest kprobes ----
  r.register({
    path: 'trace kprobe',
    usage: 'trace kprobe vm<id>:<symbol[+off]|0xaddr> <prog> [--inject] [--ret]',
    summary: 'attach a program to a guest kernel function (stage-2 fault, or BRK with --inject; --ret at its return)',
    run: (args, c) => {
      const usage = 'trace kprobe vm<id>:<symbol[+off]|0xaddr> <prog> [--inject] [--ret]';
      const { values, positionals } = parseOptions({ usage }, args, { inject: { type: 'boolean' }, ret: { type: 'boolean' } });
      need(positionals, 2, usage);
      const [target, progArg] = positionals as [string, string];
      const { name, context } = guestProgram(c, progArg);
      const mode = values.inject === true ? 'BrkInject' : 'Stage2Fault';
      const e = c.rt.guestKprobes.attach(target, name, { mode, ret: values.ret === true, context });
      const what = `${e.ret ? 'kretprobe' : 'kprobe'} ${e.enabled ? 'attached' : 'registered pending enable'}: vm${e.vmId}:0x${e.gva.toString(16)}${e.symbol === undefined ? '' : ` (${e.symbol})`} -> prog ${e.programFd} (mode=${modeText(e.mode)})`;
      c.print(e.enabled ? what : `${what}\n  the address has no guest translation yet; it is armed when the guest maps it (MMU on, tables written)`);
    },
    complete: (a, c, fragment) => [...(a.some((w) => !w.startsWith('--')) ? c.rt.ebpf.programs().map((p) => p.name) : guestTargetCompletions(c, fragment)), '--inject', '--ret'],
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
    complete: (_a, c) => c.rt.guestKprobes.list().map((e) => `vm${e.vmId}:${e.symbol ?? `0x${e.gva.toString(16)}`}`),
  });
  r.register({
    path: 'trace loadsyms',
    usage: 'trace loadsyms vm<id> [--kallsyms] <path> [--kaslr <0xoffset|vbar>]',
    summary: "load a guest's symbols from an ELF image, an nm / System.map file, or a Linux arm64 Image's kallsyms",
    run: (args, c) => {
      const usage = 'trace loadsyms vm<id> [--kallsyms] <path> [--kaslr <0xoffset|vbar>]';
      const { values, positionals } = parseOptions({ usage }, args, { kallsyms: { type: 'boolean' }, kaslr: { type: 'string' } });
      need(positionals, 2, usage);
      const vm = c.vm(positionals[0]!);
      const path = positionals[1]!;
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(readFileSync(path));
      } catch (e) {
        throw new ShellError({ code: 'BAD_ARGUMENT', message: `cannot read \`${path}\`: ${(e as Error).message}`, cause: e });
      }
      const linux = isLinuxArm64Image(bytes);
      if ((values.kallsyms === true || values.kaslr !== undefined) && !linux) {
        throw new ShellError({ code: 'BAD_ARGUMENT', message: `\`${path}\` is not a Linux arm64 Image (no \`ARM\\x64\` magic at 0x38)` });
      }
      if (!linux) {
        const elf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
        const n = c.rt.guestKprobes.loadSymbols(vm.id, elf ? bytes : new TextDecoder().decode(bytes));
        c.print(`Loaded ${n} symbols for vm${vm.id} from '${path}'`);
        return;
      }
      // A Linux arm64 Image: its own kallsyms tables, at link addresses (a nokaslr boot) or
      // moved by a KASLR offset, given or found from the running guest's VBAR_EL1 (`vectors`).
      let k = readLinuxKallsyms(bytes);
      let offset = 0n;
      if (values.kaslr === 'vbar') {
        const vbar = vm.vcpus[0]?.cpu.getSysReg(VBAR_EL1) ?? 0n;
        if (vbar === 0n) throw new ShellError({ code: 'COMMAND_FAILED', message: `VBAR_EL1 of vm${vm.id} vCPU 0 is not set yet (the kernel sets it early in boot): run the guest first, or give --kaslr 0x<offset>` });
        offset = kaslrOffsetFromSymbol(k, 'vectors', vbar);
      } else if (values.kaslr !== undefined) {
        if (!/^0x[0-9a-f]+$/i.test(values.kaslr)) throw new ShellError({ code: 'BAD_ARGUMENT', message: `bad --kaslr \`${values.kaslr}\`: use 0x<offset> or vbar; usage: ${usage}` });
        offset = BigInt(values.kaslr);
      }
      if (offset !== 0n) k = relocateLinuxKallsyms(k, offset);
      const n = c.rt.guestKprobes.loadSymbols(vm.id, k.table);
      c.print(`Loaded ${n} symbols for vm${vm.id} from '${path}' (Linux kallsyms${offset === 0n ? '' : `, KASLR offset 0x${offset.toString(16)}`})`);
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
        c.print(found.length === 0 ? `No symbols for vm${vm.id} containing '${args[2]}'` : found.map((s) => `${hex16(s.address)} T ${s.name}`).join('\n'));
        return;
      }
      if (/^0x[0-9a-f]+$/i.test(args[1]!)) {
        const addr = BigInt(args[1]!);
        const hit = g.symbolAt(vm.id, addr);
        c.print(hit === undefined ? `No symbol for vm${vm.id} at ${hex16(addr)}` : `${hex16(addr)} ${hit.type} ${hit.name}${hit.offset === 0n ? '' : `+0x${hit.offset.toString(16)}`}`);
        return;
      }
      const a = g.addressOf(vm.id, args[1]!);
      if (a !== undefined) {
        c.print(`${args[1]} = 0x${a.toString(16)}`);
        return;
      }
      const all = g.search(vm.id, '', 100_000).map((s) => s.name);
      const near = [...new Set(all)].map((n) => [n, editDistance(n, args[1]!)] as const).sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1)).slice(0, 5).filter((x) => x[1] <= Math.max(3, args[1]!.length / 2));
      c.print([`Symbol '${args[1]}' not found for vm${vm.id}`, ...(near.length === 0 ? [] : ['Did you mean:', ...near.map(([n]) => `  ${n}`)])].join('\n'));
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
      c.print(a === undefined ? `Symbol '${args[0]}' not found` : `${args[0]} = 0x${a.toString(16)}`);
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
      const lines = [`Found ${found.length} symbol(s) matching '${args[0]}':`, ...found.map((s) => `  0x${s.address.toString(16).padStart(16, '0')}  ${s.table}:${s.name}`)];
      if (found.length === 50) lines.push('  ... (limited to 50 results)');
      c.print(lines.join('\n'));
    },
  });
  r.register({
    path: 'ksym addr',
    usage: 'ksym addr <hex>',
    summary: 'the symbol containing an address',
    run: (args, c) => {
      need(args, 1, 'ksym addr <hex>');
      const text = args[0]!.replace(/^0x/i, '');
      if (!/^[0-9a-f]+$/i.test(text)) throw new ShellError({ code: 'BAD_ARGUMENT', message: `\`${args[0]}\` is not a hex address` });
      const addr = BigInt(`0x${text}`);
      const hit = c.rt.symbols.lookup(addr);
      c.print(hit === undefined ? `No symbol found at address 0x${addr.toString(16)}` : `0x${addr.toString(16)} = ${hit.table}:${hit.name}+0x${hit.offset.toString(16)} (size: ${hit.size}, type: ${hit.type})`);
    },
  });

  r.register({
    path: 'export trace',
    usage: 'export trace <file.json>',
    summary: 'write vCPU slices, exits and VM events as Chrome trace-event JSON (Perfetto, chrome://tracing)',
    run: (args, c) => {
      need(args, 1, 'export trace <file.json>');
      const file = resolve(args[0]!);
      c.trace.finish(c.vmm.timeNs);
      writeFileSync(file, c.trace.toJson());
      c.print(`wrote ${c.trace.eventCount} events to ${file}`);
    },
  });
  return r;
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
export function guestKprobeTable(c: Pick<Session, 'rt'>): string {
  const rows = c.rt.guestKprobes.list().map((e) => [
    `vm${e.vmId}`,
    e.symbol ?? `0x${e.gva.toString(16).padStart(16, '0')}`,
    String(e.hits),
    String(e.programFd),
    e.mode === 'BrkInject' ? 'brk' : 's2fault',
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
function guestProgram(c: Ctx, arg: string): { name: string; context: 'trace-context' | 'pt-regs' } {
  const loaded = c.rt.ebpf.programs();
  const byFd = /^\d+$/.test(arg) ? loaded.find((p) => p.fd === Number(arg)) : undefined;
  const name = byFd?.name ?? arg;
  if (!loaded.some((p) => p.name === name)) {
    if (/^\d+$/.test(arg)) throw new ShellError({ code: 'BAD_ARGUMENT', message: `no loaded program with id ${arg}` });
    c.rt.ebpf.loadObject(name, c.rt.precompiled.object(name));
    c.print(`Loaded program '${name}' with id ${c.rt.ebpf.program(name).fd}`);
  }
  const pre = c.rt.precompiled.list().find((p) => p.name === name);
  return { name, context: pre !== undefined && /^k(ret)?probe\//.test(pre.section) ? 'pt-regs' : 'trace-context' };
}

/** Exit reason code as `Name (code)`. @param code - trace code. @returns the text. */
export function exitReasonText(code: number): string {
  return `${exitReasonName(code) ?? '?'} (${code})`;
}
