// SPDX-License-Identifier: MIT
// `axvisor run`: boots VMs, then runs `--exec` commands or an interactive shell with line
// editing, history and tab completion (node:readline).

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { LinuxVmSpec } from '@axebpf/axvisor-vmm';
import { linuxVmToml, parseVmConfig } from '@axebpf/axvisor-vmm';
import { buildCommands } from './commands.js';
import { ShellError } from './errors.js';
import { runLine } from './shell/shell.js';
import type { VmSource } from './session.js';
import { bundledVms, Session } from './session.js';

/** Options of {@link runShell}. */
export interface RunShellOptions {
  /** VM configuration files (default: the bundled VMs). */
  configs: readonly string[];
  /** Commands to run instead of an interactive shell. */
  exec: string | undefined;
  /** Virtual time to run before the commands (0: none). */
  forNs: bigint;
  /** A Linux guest from `--kernel`/`--initrd`/... (booted as the config {@link linuxVmToml} writes). */
  linux?: LinuxVmSpec | undefined;
}

function readFileOf(file: string, path: string, key: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    throw new ShellError({ code: 'BAD_ARGUMENT', message: `${file}: \`${key}\`: cannot read \`${path}\`: ${(e as Error).message}`, cause: e });
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
  const config = parseVmConfig(linuxVmToml({ ...spec, kernel: resolve(spec.kernel), initrd: spec.initrd === undefined ? undefined : resolve(spec.initrd), dtb: spec.dtb === undefined ? undefined : resolve(spec.dtb) }), file);
  return { config, image: readFileOf(file, config.kernelPath, 'kernel.kernel_path'), load: (path) => readFileOf(file, path, 'kernel') };
}

/**
 * Reads VM configurations and their images (paths in a config are relative to the config file).
 * @param files - config paths.
 * @returns the VMs.
 * @throws {ShellError} `BAD_ARGUMENT` for unreadable files; `HypervisorError` for bad configs.
 */
export function loadVmSources(files: readonly string[]): VmSource[] {
  return files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ShellError({ code: 'BAD_ARGUMENT', message: `cannot read config \`${file}\`: ${(e as Error).message}`, cause: e });
    }
    const config = parseVmConfig(text, file);
    const imagePath = resolve(dirname(file), config.kernelPath);
    let image: Uint8Array;
    try {
      image = new Uint8Array(readFileSync(imagePath));
    } catch (e) {
      throw new ShellError({ code: 'BAD_ARGUMENT', message: `${file}: \`kernel.kernel_path\`: cannot read image \`${imagePath}\`: ${(e as Error).message}`, cause: e });
    }
    // ramdisk_path and dtb_path are relative to the config file too
    return { config, image, load: (path: string) => readFileOf(file, resolve(dirname(file), path), 'kernel') };
  });
}

/**
 * Boots the VMs and runs commands or the interactive shell.
 * @param options - configs, commands, initial run time.
 * @returns the process exit status (0 when every command succeeded).
 */
export async function runShell(options: RunShellOptions): Promise<number> {
  const sources = [...(options.linux === undefined ? [] : [linuxVmSource(options.linux)]), ...loadVmSources(options.configs)];
  const session = new Session(sources.length === 0 ? bundledVms() : sources);
  for (const vm of session.vmm.vms()) session.vmm.startVm(vm.id);
  if (options.forNs > 0n) session.vmm.run(options.forNs);
  const commands = buildCommands();
  const ctx = Object.assign(session, { print: (text: string) => process.stdout.write(`${text}\n`) });
  const output = { out: (t: string) => process.stdout.write(`${t}\n`), err: (t: string) => process.stderr.write(`${t}\n`) };
  const hooks = { after: (path: string, ok: boolean) => session.commandDone(path, ok) };

  if (options.exec !== undefined) {
    const r = await runLine(commands, options.exec, ctx, output, hooks);
    return r.failed === 0 ? 0 : 1;
  }

  const rl = createInterface({
    input: process.stdin,
    output: process.stdout,
    prompt: 'axvisor> ',
    historySize: 1000,
    completer: (line: string) => commands.complete(line.slice(line.lastIndexOf(';') + 1), ctx),
  });
  process.stdout.write(`axvisor shell: ${session.vmm.vms().length} VMs running. Type \`help\` for commands, \`exit\` to leave.\n`);
  let failures = 0;
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === 'exit' || text === 'quit') break;
    if (text !== '') failures += (await runLine(commands, text, ctx, output, hooks)).failed;
    rl.prompt();
  }
  rl.close();
  return failures === 0 ? 0 : 1;
}
