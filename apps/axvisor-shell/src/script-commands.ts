// SPDX-License-Identifier: MIT
// `trace run` and `trace stop`: bpftrace-like programs (@axebpf/bpfscript) compiled in the
// shell, attached to the session's runtime, their printf output printed as it comes and their
// maps printed at the end (`trace stop`, `trace run --for`, or when `axvisor run --exec` ends).

import { readFileSync } from 'node:fs';
import { compile, ScriptError, ScriptRunner } from '@axebpf/bpfscript';
import { ShellError } from './errors.js';
import { formatVirtualDuration, parseDuration } from './shell/duration.js';
import type { CommandRegistry } from './shell/registry.js';
import { parseOptions } from './shell/registry.js';
import type { Session } from './session.js';

type Ctx = Session & { print(text: string): void };

interface Active {
  runner: ScriptRunner;
  /** Text of an unfinished printf line. */
  pending: string;
  unfollow: () => void;
}

/** Scripts running in each session (no state on the session object itself). */
const running = new WeakMap<Session, Active[]>();

function activeOf(session: Session): Active[] {
  let list = running.get(session);
  if (list === undefined) running.set(session, (list = []));
  return list;
}

function finish(c: Ctx, a: Active): void {
  a.runner.advance();
  a.unfollow();
  a.runner.stop();
  if (a.pending !== '') c.print(a.pending.replace(/\n$/, ''));
  a.pending = '';
}

/**
 * Stops every script of a session (END programs, then the maps printed). `axvisor run` calls it
 * when its commands are done.
 * @param c - the session with its printer.
 * @returns how many scripts were stopped.
 */
export function stopScripts(c: Ctx): number {
  const list = activeOf(c);
  const n = list.length;
  for (const a of list.splice(0)) finish(c, a);
  return n;
}

const RUN_USAGE =
  "trace run '<program>' | trace run -f <file.bt> [--for <duration>] [--engine interpreter|wasm]";

/**
 * Registers `trace run` and `trace stop`.
 * @param r - the registry of {@link buildCommands}.
 */
export function registerScriptCommands(r: CommandRegistry<Ctx>): void {
  r.register({
    path: 'trace run',
    usage: RUN_USAGE,
    summary:
      "compile and attach a bpftrace-like program (`trace run 'tracepoint:vmm:vcpu_run_exit { @[args.exit_reason] = count(); }'`); with --for, run that long and print its maps",
    run: (args, c) => {
      const { values, positionals } = parseOptions({ usage: RUN_USAGE }, args, {
        file: { type: 'string', short: 'f' },
        for: { type: 'string' },
        engine: { type: 'string' },
      });
      let source: string;
      let file = 'stdin';
      if (values.file !== undefined) {
        try {
          source = readFileSync(values.file, 'utf8');
        } catch (e) {
          throw new ShellError({
            code: 'BAD_ARGUMENT',
            message: `cannot read \`${values.file}\`: ${(e as Error).message}`,
            cause: e,
          });
        }
        file = values.file;
      } else {
        if (positionals.length === 0)
          throw new ShellError({
            code: 'MISSING_ARGUMENT',
            message: `missing argument; usage: ${RUN_USAGE}`,
          });
        source = positionals.join(' ');
      }
      const engine = values.engine ?? 'auto';
      if (engine !== 'auto' && engine !== 'interpreter' && engine !== 'wasm')
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `unknown engine \`${engine}\`: use interpreter or wasm`,
        });
      const events = c.rt.tracepoints.list().map((t) => c.rt.tracepoints.get(t.name)!.event);
      const a: Active = {
        runner: undefined as unknown as ScriptRunner,
        pending: '',
        unfollow: () => undefined,
      };
      try {
        const script = compile(source, { tracepoints: events, file });
        a.runner = new ScriptRunner(c.rt, script, {
          engine,
          write: (text) => {
            a.pending += text;
            const end = a.pending.lastIndexOf('\n');
            if (end >= 0) {
              c.print(a.pending.slice(0, end));
              a.pending = a.pending.slice(end + 1);
            }
          },
        });
        const probes = script.probes.length;
        c.print(`Attaching ${probes} probe${probes === 1 ? '' : 's'}... (${a.runner.prefix})`);
        a.runner.start();
      } catch (e) {
        if (ScriptError.isInstance(e))
          throw new ShellError({
            code: 'BAD_ARGUMENT',
            message: `${e.format()}\n[${e.code}]`,
            cause: e,
          });
        throw e;
      }
      if (values.for !== undefined) {
        const ns = parseDuration(values.for);
        const before = c.vmm.timeNs;
        a.runner.runFor((step) => c.vmm.run(step), ns);
        finish(c, a);
        c.print(
          `(ran ${formatVirtualDuration(c.vmm.timeNs - before)} of virtual time${c.vmm.vms().every((vm) => vm.status !== 'Running') ? ': no VM is running' : ''})`,
        );
        return;
      }
      // Interval probes follow virtual time as events arrive; `trace stop` catches up the rest.
      // A program that calls exit() is stopped once the running command returns (not from inside
      // the event dispatch that saw it).
      let exiting = false;
      a.unfollow = c.rt.events.follow(() => {
        a.runner.advance();
        if (a.runner.exited && !exiting) {
          exiting = true;
          queueMicrotask(() => {
            const list = activeOf(c);
            const i = list.indexOf(a);
            if (i >= 0) finish(c, list.splice(i, 1)[0]!);
          });
        }
      });
      activeOf(c).push(a);
    },
  });

  r.register({
    path: 'trace stop',
    usage: 'trace stop [btN]',
    summary:
      'stop running programs of `trace run` (all, or one by name): run END and print their maps',
    run: (args, c) => {
      const list = activeOf(c);
      if (args.length === 0) {
        if (stopScripts(c) === 0) c.print('(no program is running)');
        return;
      }
      for (const name of args) {
        const i = list.findIndex((a) => a.runner.prefix === name);
        if (i < 0)
          throw new ShellError({
            code: 'BAD_ARGUMENT',
            message: `no running program \`${name}\``,
            suggestion:
              list.length === 0
                ? 'none is running'
                : `running: ${list.map((a) => a.runner.prefix).join(', ')}`,
          });
        finish(c, list.splice(i, 1)[0]!);
      }
    },
    complete: (_a, c) => activeOf(c).map((a) => a.runner.prefix),
  });
}

/**
 * Compiles and starts programs for the demo (`axvisor demo --bt '<program>'`), collecting their
 * output.
 * @param session - the demo's session.
 * @param sources - program texts.
 * @returns the started runners.
 * @throws {ShellError} `BAD_ARGUMENT` with the bpftrace-style error text.
 */
export function startScripts(session: Session, sources: readonly string[]): ScriptRunner[] {
  const events = session.rt.tracepoints
    .list()
    .map((t) => session.rt.tracepoints.get(t.name)!.event);
  return sources.map((source, i) => {
    try {
      const runner = new ScriptRunner(
        session.rt,
        compile(source, { tracepoints: events, file: `--bt #${i + 1}` }),
      );
      runner.start();
      return runner;
    } catch (e) {
      if (ScriptError.isInstance(e))
        throw new ShellError({
          code: 'BAD_ARGUMENT',
          message: `${e.format()}\n[${e.code}]`,
          cause: e,
        });
      throw e;
    }
  });
}

/**
 * Runs the VMM for a span, stopping at 10 ms steps so interval probes fire on time.
 * @param session - the session.
 * @param runners - the started runners.
 * @param durationNs - virtual time to run.
 */
export function runWithScripts(
  session: Session,
  runners: readonly ScriptRunner[],
  durationNs: bigint,
): void {
  const step = 10_000_000n;
  for (let done = 0n; done < durationNs; done += step) {
    session.vmm.run(durationNs - done < step ? durationNs - done : step);
    for (const r of runners) r.advance();
  }
}

/**
 * Stops the runners and returns the report section: each program and what it printed.
 * @param runners - the runners.
 * @returns report lines.
 */
export function scriptsSection(runners: readonly ScriptRunner[]): string[] {
  const out: string[] = [];
  for (const r of runners) {
    r.stop();
    out.push(
      '',
      `== bpfscript ${r.prefix}: ${r.script.source.replace(/\s+/g, ' ').trim()} ==`,
      r.output.trimEnd(),
    );
  }
  return out;
}
