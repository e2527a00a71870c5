// SPDX-License-Identifier: MIT
// `axvisor run`: boots VMs, then runs `--exec` commands or an interactive shell with line
// editing, history and tab completion (node:readline).

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface, emitKeypressEvents } from 'node:readline';
import { parseVmConfig } from '@axebpf/axvisor-vmm';
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
      throw new ShellError({ code: 'BAD_ARGUMENT', message: `cannot read config \`${file}\`: ${(e as Error).message}`, cause: e });
    }
    const config = parseVmConfig(text, file);
    const other = byId.get(config.id);
    if (other !== undefined) {
      throw new ShellError({ code: 'BAD_ARGUMENT', message: `${other} and ${file} both use VM id ${config.id} (\`[base] id\`): VM ids must be unique; change one of them` });
    }
    byId.set(config.id, file);
    const imagePath = resolve(dirname(file), config.kernelPath);
    let image: Uint8Array;
    try {
      image = new Uint8Array(readFileSync(imagePath));
    } catch (e) {
      throw new ShellError({ code: 'BAD_ARGUMENT', message: `${file}: \`kernel.kernel_path\`: cannot read image \`${imagePath}\`: ${(e as Error).message}`, cause: e });
    }
    return { config, image, file };
  });
}

/**
 * Boots the VMs and runs commands or the interactive shell.
 * @param options - configs, commands, initial run time.
 * @returns the process exit status (0 when every command succeeded).
 */
export async function runShell(options: RunShellOptions): Promise<number> {
  const session = new Session(options.configs.length === 0 ? bundledVms() : loadVmSources(options.configs), options.session);
  for (const vm of session.vmm.vms()) session.vmm.startVm(vm.id);
  if (options.forNs > 0n) session.vmm.run(options.forNs);
  const commands = buildCommands();
  const ctx = Object.assign(session, { print: (text: string) => process.stdout.write(`${text}\n`) });
  const output = { out: (t: string) => process.stdout.write(`${t}\n`), err: (t: string) => process.stderr.write(`${t}\n`) };
  const hooks = {
    after: (path: string, ok: boolean) => {
      session.commandDone(path, ok);
      session.recorder?.flush(); // the file is complete after each command
    },
  };

  if (options.exec !== undefined) {
    const r = await runLine(commands, options.exec, ctx, output, hooks);
    stopScripts(ctx); // programs of `trace run` print their maps when the run ends
    session.recorder?.stop();
    return r.failed === 0 ? 0 : 1;
  }

  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: 'axvisor> ',
    historySize: 1000,
    completer: (line: string) => commands.complete(line.slice(line.lastIndexOf(';') + 1), ctx),
  });
  // `trace stream` stops on Enter or q: keys reach it while it runs (readline keeps them too;
  // the line typed meanwhile is dropped when the command ends)
  emitKeypressEvents(process.stdin, rl);
  let typedToStop = false;
  (ctx as { onKey?: (l: (key: string) => void) => () => void }).onKey = (listener) => {
    const onKeypress = (str: string | undefined, key: { name?: string } | undefined) => listener(key?.name === 'return' || key?.name === 'enter' ? '\r' : (str ?? ''));
    process.stdin.on('keypress', onKeypress);
    return () => {
      process.stdin.off('keypress', onKeypress);
      typedToStop = true;
    };
  };
  // Ctrl-C while a command runs stops it (`run` at the next exit); otherwise readline's default.
  rl.on('SIGINT', () => {
    if (!session.interrupt()) rl.close();
  });
  process.stdout.write(`axvisor shell: ${session.vmm.vms().length} VMs running. Type \`help\` for commands, \`exit\` to leave.\n`);
  let failures = 0;
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === 'exit' || text === 'quit') break;
    if (text !== '') failures += (await runLine(commands, text, ctx, output, hooks)).failed;
    if (typedToStop) rl.write(null, { ctrl: true, name: 'u' }); // drop the key that stopped `trace stream`
    typedToStop = false;
    rl.prompt();
  }
  rl.close();
  stopScripts(ctx);
  session.recorder?.stop();
  return failures === 0 ? 0 : 1;
}
