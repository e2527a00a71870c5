// SPDX-License-Identifier: MIT
// Command registry: multi-word commands (`trace stat`), help, resolution with suggestions,
// completion, and option parsing on top of node:util parseArgs.

import { parseArgs, type ParseArgsConfig } from 'node:util';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;
import { ShellError } from '../errors.js';
import { closest } from './suggest.js';
import type { Word } from './tokenize.js';

/** A command the shell can run, in context `C`. */
export interface CommandSpec<C> {
  /** Words that name it, e.g. `trace stat`. */
  path: string;
  /** Usage line shown by help and on argument errors. */
  usage: string;
  /** One-line description. */
  summary: string;
  /** More text for `help <command>` (options, examples), when one line is not enough. */
  details?: string;
  /** Runs it with the words after the path. Throws {@link ShellError} on bad input. */
  run(args: readonly string[], context: C): void | Promise<void>;
  /**
   * Completion candidates for the next argument.
   * @param args - the whole words after the path.
   * @param context - the shell context.
   * @param fragment - the word being typed (candidates may depend on it; the registry keeps
   *   those starting with it).
   */
  complete?(args: readonly string[], context: C, fragment: string): readonly string[];
}

/** A resolved command line. */
export interface Resolved<C> {
  /** The command. */
  spec: CommandSpec<C>;
  /** Its arguments. */
  args: string[];
}

/** Commands by path, with help, resolution and completion. */
export class CommandRegistry<C> {
  readonly #commands = new Map<string, CommandSpec<C>>();
  readonly #printHelp: ((context: C, text: string) => void) | undefined;

  /**
   * @param options - `printHelp` prints help text in a context; with it, a group word alone
   * (`trace`), `<group> help` and `<command> --help`/`-h` print help instead of failing.
   */
  constructor(options: { printHelp?: (context: C, text: string) => void } = {}) {
    this.#printHelp = options.printHelp;
  }

  /** A command that prints help for `path` (a group or a command). */
  #helpSpec(path: readonly string[]): CommandSpec<C> {
    const print = this.#printHelp!;
    return {
      path: path.join(' '),
      usage: `${path.join(' ')} --help`,
      summary: 'help',
      run: (_args, c) => print(c, this.help(path)),
    };
  }

  /**
   * Adds a command.
   * @param spec - the command.
   * @returns this registry.
   */
  register(spec: CommandSpec<C>): this {
    if (this.#commands.has(spec.path))
      throw new Error(`command \`${spec.path}\` is registered twice`);
    this.#commands.set(spec.path, spec);
    return this;
  }

  /** @returns every command, sorted by path. */
  list(): CommandSpec<C>[] {
    return [...this.#commands.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  /** The words that may follow `prefix` (e.g. after `trace`: `dump`, `enable`...). */
  #nextWords(prefix: readonly string[]): string[] {
    const out = new Set<string>();
    for (const path of this.#commands.keys()) {
      const words = path.split(' ');
      if (words.length > prefix.length && prefix.every((w, i) => words[i] === w))
        out.add(words[prefix.length]!);
    }
    return [...out].sort();
  }

  /**
   * Finds the command a line names: the longest registered path that prefixes its words.
   * @param words - the words of one command.
   * @returns the command and its arguments.
   * @throws {ShellError} `UNKNOWN_COMMAND` with the column of the first wrong word and the
   * closest valid word as suggestion.
   */
  resolve(words: readonly Word[]): Resolved<C> {
    for (let n = Math.min(words.length, 3); n > 0; n--) {
      const spec = this.#commands.get(
        words
          .slice(0, n)
          .map((w) => w.text)
          .join(' '),
      );
      if (spec) {
        const args = words.slice(n).map((w) => w.text);
        if (
          this.#printHelp !== undefined &&
          spec.path !== 'help' &&
          (args.includes('--help') || args.includes('-h'))
        )
          return { spec: this.#helpSpec(spec.path.split(' ')), args: [] };
        return { spec, args };
      }
    }
    if (this.#printHelp !== undefined) {
      // a group alone (`trace`, `trace load`), or followed by `help`, `--help` or `-h`
      const texts = words.map((w) => w.text);
      const last = texts[texts.length - 1];
      const group =
        last === 'help' || last === '--help' || last === '-h' ? texts.slice(0, -1) : texts;
      if (group.length > 0 && this.#nextWords(group).length > 0) {
        return { spec: this.#helpSpec(group), args: [] };
      }
    }
    // Walk the words to find the first one that is not a valid continuation.
    const prefix: string[] = [];
    for (const word of words) {
      const options = this.#nextWords(prefix);
      if (!options.includes(word.text)) {
        const suggestion = closest(word.text, options);
        const where =
          prefix.length === 0 ? 'unknown command' : `unknown subcommand of \`${prefix.join(' ')}\``;
        const hint =
          suggestion !== undefined
            ? `; did you mean \`${[...prefix, suggestion].join(' ')}\`?`
            : prefix.length === 0
              ? '; type `help` for the list'
              : `; one of: ${options.join(', ')}`;
        throw new ShellError({
          code: 'UNKNOWN_COMMAND',
          column: word.column,
          ...(suggestion !== undefined ? { suggestion: [...prefix, suggestion].join(' ') } : {}),
          message: `${where} \`${word.text}\`${hint}`,
        });
      }
      prefix.push(word.text);
    }
    throw new ShellError({
      code: 'MISSING_ARGUMENT',
      message: `\`${prefix.join(' ')}\` needs a subcommand: one of ${this.#nextWords(prefix).join(', ')}`,
    });
  }

  /**
   * Help text: every command, or those under a prefix, with usage and summary.
   * @param prefix - optional words, e.g. `trace`.
   * @returns the text.
   */
  help(prefix: readonly string[] = []): string {
    const specs = this.list().filter((s) => prefix.every((w, i) => s.path.split(' ')[i] === w));
    if (specs.length === 0) {
      const suggestion = closest(
        prefix.join(' '),
        this.list().map((s) => s.path),
      );
      throw new ShellError({
        code: 'UNKNOWN_COMMAND',
        message: `no command \`${prefix.join(' ')}\`${suggestion ? `; did you mean \`${suggestion}\`?` : ''}`,
      });
    }
    if (specs.length === 1 && specs[0]!.path === prefix.join(' ')) {
      const s = specs[0]!;
      return `usage: ${s.usage}\n\n  ${s.summary}${s.details === undefined ? '' : `\n\n${s.details.replace(/^/gm, '  ')}`}`;
    }
    const width = Math.max(...specs.map((s) => s.usage.length));
    const head =
      prefix.length === 0
        ? 'commands (`help <command>` or `<command> --help` for one):'
        : `\`${prefix.join(' ')}\` commands:`;
    return [head, ...specs.map((s) => `  ${s.usage.padEnd(width)}  ${s.summary}`)].join('\n');
  }

  /**
   * Completion for a partial line (the node:readline completer contract).
   * @param line - text typed so far (one command; the part after the last `;`).
   * @param context - passed to the command's own completer.
   * @returns candidates and the fragment they complete.
   */
  complete(line: string, context: C): [string[], string] {
    const endsWithSpace = /\s$/.test(line);
    const words = line.trim().length === 0 ? [] : line.trim().split(/\s+/);
    const fragment = endsWithSpace || words.length === 0 ? '' : words.pop()!;
    const options = new Set(this.#nextWords(words));
    for (let n = Math.min(words.length, 3); n > 0; n--) {
      const spec = this.#commands.get(words.slice(0, n).join(' '));
      if (spec?.complete)
        for (const c of spec.complete(words.slice(n), context, fragment)) options.add(c);
      if (spec) break;
    }
    return [[...options].filter((o) => o.startsWith(fragment)).sort(), fragment];
  }
}

/**
 * `-n -1` and `--top -3` as `--n=-1` and `--top=-3`: parseArgs takes a value that starts with
 * `-` for an option and calls it ambiguous, so the command never sees the number to say
 * what is wrong with it.
 */
function joinNegativeValues(args: readonly string[], options: OptionsConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith('--')
      ? a.slice(2)
      : a.length === 2 && a[0] === '-'
        ? Object.entries(options).find(([, o]) => o.short === a[1])?.[0]
        : undefined;
    if (
      name !== undefined &&
      options[name]?.type === 'string' &&
      next !== undefined &&
      /^-[0-9.]/.test(next)
    ) {
      out.push(`--${name}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/**
 * Parses command options with node:util parseArgs, strictly.
 * @param spec - the command (its usage goes into errors).
 * @param args - the arguments.
 * @param options - parseArgs option definitions.
 * @returns positionals and values.
 * @throws {ShellError} `BAD_ARGUMENT` for unknown options or missing values, with the usage.
 */
export function parseOptions<const O extends OptionsConfig>(
  spec: { usage: string },
  args: readonly string[],
  options: O,
): ReturnType<
  typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>
> {
  try {
    return parseArgs({
      args: joinNegativeValues(args, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // node's messages are long and end with advice about `--`; keep the first clause.
    const text = (error as Error).message;
    const unknown = /^Unknown option '([^']*)'/.exec(text);
    const reason = unknown
      ? `unknown option \`${unknown[1]}\``
      : text.split(/\.\s/)[0]!.toLowerCase();
    throw new ShellError({
      code: 'BAD_ARGUMENT',
      message: `${reason}; usage: ${spec.usage}`,
      cause: error,
    });
  }
}
