// SPDX-License-Identifier: MIT
// Executes command lines against a registry: `;`-separated commands, errors reported with
// their column and suggestion, a status per line.

import { ShellError } from '../errors.js';
import type { CommandRegistry } from './registry.js';
import { tokenizeCommands } from './tokenize.js';

/** Where a shell writes. */
export interface ShellOutput {
  /** Normal output, one call per line or block (no trailing newline needed). */
  out(text: string): void;
  /** Error output. */
  err(text: string): void;
}

/** Result of running one line. */
export interface LineResult {
  /** Commands run. */
  commands: number;
  /** Commands that failed. */
  failed: number;
}

/**
 * Runs each `;`- or `&&`-separated command of a line; a failing command is reported and the
 * following ones still run (like a shell script without `set -e`), except after `&&`.
 * @param registry - the commands.
 * @param line - the input.
 * @param context - passed to commands.
 * @param output - where messages go.
 * @param hooks - called around each command (the shell fires `shell:shell_command` from here).
 * @returns how many commands ran and failed.
 */
export async function runLine<C>(
  registry: CommandRegistry<C>,
  line: string,
  context: C,
  output: ShellOutput,
  hooks: { after?: (path: string, ok: boolean) => void } = {},
): Promise<LineResult> {
  let commands: ReturnType<typeof tokenizeCommands>;
  try {
    commands = tokenizeCommands(line);
  } catch (error) {
    report(error, line, output);
    return { commands: 1, failed: 1 };
  }
  let failed = 0;
  let lastOk = true;
  let ran = 0;
  for (const { words, after } of commands) {
    // `a && b`: b runs only if a succeeded (a skipped command counts as failed for the next &&)
    if (after === '&&' && !lastOk) continue;
    ran++;
    let path = words[0]?.text ?? '';
    let ok = true;
    try {
      const { spec, args } = registry.resolve(words);
      path = spec.path;
      await spec.run(args, context);
    } catch (error) {
      ok = false;
      failed++;
      report(error, line, output);
    }
    hooks.after?.(path, ok);
    lastOk = ok;
  }
  return { commands: ran, failed };
}

function report(error: unknown, line: string, output: ShellOutput): void {
  if (ShellError.isInstance(error)) {
    output.err(`error: ${error.message}`);
    if (error.suggestion !== undefined && !error.message.includes(error.suggestion))
      output.err(`  hint: ${error.suggestion}`);
    if (error.column !== undefined && line.length < 200) {
      output.err(`  ${line}\n  ${' '.repeat(error.column - 1)}^`);
    }
    return;
  }
  // Errors of the packages carry a code; show it so users can search for it.
  const code =
    typeof error === 'object' && error !== null && 'code' in error
      ? ` [${String((error as { code: unknown }).code)}]`
      : '';
  output.err(`error: ${error instanceof Error ? error.message : String(error)}${code}`);
}
