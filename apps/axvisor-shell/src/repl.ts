// SPDX-License-Identifier: MIT
// `axvisor run`: boots VMs, then runs `--exec` commands or an interactive shell with line
// editing, tab completion and a history kept between sessions (node:readline).

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createInterface, emitKeypressEvents } from 'node:readline';
import type { LinuxVmSpec } from '@axebpf/axvisor-vmm';
import { linuxVmToml, parseVmConfig } from '@axebpf/axvisor-vmm';
import { buildCommands } from './commands.js';
import { ShellError } from './errors.js';
import { stopScripts } from './script-commands.js';
import { runLine } from './shell/shell.js';
import type { SessionOptions, VmSource } from './session.js';
import { bundledVms, Session } from './session.js';

/** Options of {@link runShell}. */
export interface RunShellOptions {
  /** VM configuration files (default: the bundled VMs). */
  configs: readonly string[];
  /** Commands to run instead of an interactive shell. */
  exec: string | undefined;
  /** Virtual time to run before the commands (0: none). */
  forNs: bigint;
  /** Tracepoints, programs and ring settings applied before the VMs are created. */
  session?: SessionOptions;
  /** The interactive shell's input (default: standard input). */
  input?: NodeJS.ReadableStream;
  /** Where the interactive shell and the commands write (default: standard output). */
  output?: NodeJS.WritableStream;
  /** Whether the shell's input and output are a terminal (default: whether the output is a TTY). */
  terminal?: boolean;
  /** History file (default: {@link historyFile}); `null` keeps no history file. */
  historyFile?: string | null;
  /** A Linux guest from `--kernel`/`--initrd`/... (booted as the config {@link linuxVmToml} writes). */
  linux?: LinuxVmSpec | undefined;
}

/** Lines kept in the history (in memory and in the file). */
export const HISTORY_SIZE = 1000;

/**
 * Where the interactive shell keeps its history: `$XDG_STATE_HOME/axvisor/history`, else
 * `~/.local/state/axvisor/history` (the XDG base directory for state).
 * @param env - the environment (default: the process's).
 * @returns the path.
 */
export function historyFile(env: NodeJS.ProcessEnv = process.env): string {
  const state =
    env['XDG_STATE_HOME'] !== undefined && isAbsolute(env['XDG_STATE_HOME'])
      ? env['XDG_STATE_HOME']
      : join(env['HOME'] ?? homedir(), '.local', 'state');
  return join(state, 'axvisor', 'history');
}

/** Reads the history file (oldest line first in the file); newest first, as readline wants. */
function loadHistory(file: string | null): string[] {
  if (file === null) return [];
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-HISTORY_SIZE)
      .reverse();
  } catch {
    return []; // no history yet (or unreadable: the shell works without one)
  }
}

/** Writes the history (newest first, as readline keeps it) oldest line first. */
function saveHistory(file: string | null, history: readonly string[]): void {
  if (file === null) return;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(
      file,
      history
        .slice(0, HISTORY_SIZE)
        .reverse()
        .map((l) => `${l}\n`)
        .join(''),
    );
  } catch {
    // a read-only home or state directory: the session keeps its history in memory only
  }
}

function readFileOf(file: string, path: string, key: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ShellError({
      code: 'BAD_ARGUMENT',
      message: `${file}: \`${key}\`: cannot read \`${path}\`: ${(e as Error).message}`,
      cause: e,
    });
  }
}

/**
 * The VM of `axvisor run --kernel IMAGE [--initrd ...]`: the TOML text {@link linuxVmToml}
 * writes for these options, parsed like a config file (paths relative to the working directory).
 * @param spec - kernel, initramfs, vCPUs, memory, command line.
 * @returns the VM.
 * @throws {ShellError} `BAD_ARGUMENT` for unreadable files; `HypervisorError` for bad values.
 */
export function linuxVmSource(spec: LinuxVmSpec): VmSource {
  const file = '<command line>';
  const config = parseVmConfig(
    linuxVmToml({
      ...spec,
      kernel: resolve(spec.kernel),
      initrd: spec.initrd === undefined ? undefined : resolve(spec.initrd),
      dtb: spec.dtb === undefined ? undefined : resolve(spec.dtb),
    }),
    file,
  );
  return {
    config,
    image: readFileOf(file, config.kernelPath, 'kernel.kernel_path'),
    load: (path) => readFileOf(file, path, 'kernel'),
  };
}

/**
 * Reads VM configurations and their images (paths in a config are relative to the config file).
 * @param files - config paths.
 * @returns the VMs.
 * @throws {ShellError} `BAD_ARGUMENT` for unreadable files and for two files with the same VM
 * id (naming both); `HypervisorError` for bad configs.
 */
export function loadVmSources(files: readonly string[]): VmSource[] {
  const byId = new Map<number, string>();
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ShellError({
        code: 'BAD_ARGUMENT',
        message: `cannot read config \`${file}\`: ${(e as Error).message}`,
        cause: e,
      });
    }
    const config = parseVmConfig(text, file);
    const other = byId.get(config.id);
    if (other !== undefined) {
      throw new ShellError({
        code: 'BAD_ARGUMENT',
        message: `${other} and ${file} both use VM id ${config.id} (\`[base] id\`): VM ids must be unique; change one of them`,
      });
    }
    byId.set(config.id, file);
    const imagePath = resolve(dirname(file), config.kernelPath);
    let image: Uint8Array;
    try {
      image = new Uint8Array(readFileSync(imagePath));
    } catch (e) {
      throw new ShellError({
        code: 'BAD_ARGUMENT',
        message: `${file}: \`kernel.kernel_path\`: cannot read image \`${imagePath}\`: ${(e as Error).message}`,
        cause: e,
      });
    }
    // ramdisk_path and dtb_path are relative to the config file too
    return {
      config,
      image,
      file,
      load: (path: string) => readFileOf(file, resolve(dirname(file), path), 'kernel'),
    };
  });
}

/**
 * Boots the VMs and runs commands or the interactive shell.
 * @param options - configs, commands, initial run time.
 * @returns the process exit status (0 when every command succeeded).
 */
export async function runShell(options: RunShellOptions): Promise<number> {
  const sources = [
    ...(options.linux === undefined ? [] : [linuxVmSource(options.linux)]),
    ...loadVmSources(options.configs),
  ];
  const session = new Session(sources.length === 0 ? bundledVms() : sources, options.session);
  for (const vm of session.vmm.vms()) session.vmm.startVm(vm.id);
  if (options.forNs > 0n) session.vmm.run(options.forNs);
  const commands = buildCommands();
  const out = options.output ?? process.stdout;
  const ctx = Object.assign(session, { print: (text: string) => out.write(`${text}\n`) });
  const shellOutput = {
    out: (t: string) => out.write(`${t}\n`),
    err: (t: string) => process.stderr.write(`${t}\n`),
  };
  const hooks = {
    after: (path: string, ok: boolean) => {
      session.commandDone(path, ok);
      session.recorder?.flush(); // the file is complete after each command
    },
  };

  if (options.exec !== undefined) {
    const r = await runLine(commands, options.exec, ctx, shellOutput, hooks);
    stopScripts(ctx); // programs of `trace run` print their maps when the run ends
    session.recorder?.stop();
    return r.failed === 0 ? 0 : 1;
  }

  const output = options.output ?? process.stdout;
  const terminal = options.terminal ?? (output as NodeJS.WriteStream).isTTY === true;
  const file = options.historyFile === undefined ? historyFile() : options.historyFile;
  const input = options.input ?? process.stdin;
  const rl = createInterface({
    input,
    output,
    terminal,
    prompt: 'axvisor> ',
    history: loadHistory(file),
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: (line: string) => commands.complete(line.slice(line.lastIndexOf(';') + 1), ctx),
  });
  rl.on('history', (history: string[]) => saveHistory(file, history));
  // `trace stream` stops on Enter or q: keys reach it while it runs (readline keeps them too;
  // the line typed meanwhile is dropped when the command ends)
  emitKeypressEvents(input, rl);
  let typedToStop = false;
  (ctx as { onKey?: (l: (key: string) => void) => () => void }).onKey = (listener) => {
    const onKeypress = (str: string | undefined, key: { name?: string } | undefined) =>
      listener(key?.name === 'return' || key?.name === 'enter' ? '\r' : (str ?? ''));
    input.on('keypress', onKeypress);
    return () => {
      input.off('keypress', onKeypress);
      typedToStop = true;
    };
  };
  // Ctrl-C while a command runs stops it (`run` at the next exit, `trace stream` at once); at the
  // prompt it drops the line being typed and prompts again (as bash does); the shell is left
  // with `exit` or Ctrl-D.
  let busy = false;
  rl.on('SIGINT', () => {
    if (busy) {
      session.interrupt();
      return;
    }
    output.write('^C\n');
    rl.write(null, { ctrl: true, name: 'e' });
    rl.write(null, { ctrl: true, name: 'u' });
    rl.prompt();
  });
  let closedByEof = true;
  output.write(
    `axvisor shell: ${session.vmm.vms().length} VMs running. Type \`help\` for commands, \`exit\` to leave.\n`,
  );
  let failures = 0;
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === 'exit' || text === 'quit') {
      closedByEof = false;
      break;
    }
    busy = true;
    try {
      if (text !== '') failures += (await runLine(commands, text, ctx, shellOutput, hooks)).failed;
    } finally {
      busy = false;
    }
    if (typedToStop) rl.write(null, { ctrl: true, name: 'u' }); // drop the key that stopped `trace stream`
    typedToStop = false;
    rl.prompt();
  }
  rl.close();
  stopScripts(ctx);
  session.recorder?.stop();
  // Ctrl-D leaves the cursor after the prompt: end the line so the next output starts clean
  if (closedByEof && terminal) output.write('\n');
  return failures === 0 ? 0 : 1;
}
