// The interactive shell under a terminal (readline in terminal mode over streams, as it runs
// over a TTY): Ctrl-C drops the line being typed, Ctrl-D leaves with a newline, the history is
// kept in the user's state directory between sessions.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { historyFile, runShell } from '../src/repl.js';

const built = existsSync(
  fileURLToPath(new URL('../../../packages/axebpf/dist/index.js', import.meta.url)),
);

/** The screen text without readline's cursor control sequences. */
const plain = (screen: string): string => screen.replace(/\x1b\[\d*[A-Za-z]/g, '');

/** Runs the shell with `keys` typed on a terminal; resolves with its status and screen output. */
async function session(keys: string, history: string): Promise<{ status: number; screen: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let screen = '';
  output.on('data', (d: Buffer) => (screen += d.toString()));
  const done = runShell({
    configs: [],
    exec: undefined,
    forNs: 0n,
    input,
    output,
    terminal: true,
    historyFile: history,
  });
  input.write(keys);
  const status = await done;
  return { status, screen };
}

describe('historyFile', () => {
  it('is $XDG_STATE_HOME/axvisor/history, else ~/.local/state/axvisor/history', () => {
    expect(historyFile({ XDG_STATE_HOME: '/st', HOME: '/home/u' })).toBe('/st/axvisor/history');
    expect(historyFile({ HOME: '/home/u' })).toBe('/home/u/.local/state/axvisor/history');
    // a relative XDG_STATE_HOME is invalid per the XDG spec and ignored
    expect(historyFile({ XDG_STATE_HOME: 'rel', HOME: '/home/u' })).toBe(
      '/home/u/.local/state/axvisor/history',
    );
  });
});

describe.skipIf(!built)('the interactive shell on a terminal', () => {
  const dir = mkdtempSync(join(tmpdir(), 'axvisor-repl-'));
  const history = join(dir, 'state', 'axvisor', 'history');

  it('Ctrl-C drops the half-typed line and keeps the shell; Ctrl-D leaves with a newline and status 0', async () => {
    const { status, screen } = await session('vm lisx\x03vm list\r\x04', history);
    expect(status).toBe(0);
    expect(screen).toContain('vm lisx^C\n');
    // the dropped line did not run (it would be an unknown command) and the next one did
    expect(screen).not.toContain('unknown command');
    expect(screen).toMatch(/vm1\s+hello\s+Running/);
    // the last prompt (after readline's cursor escapes) is ended by a newline
    expect(plain(screen).endsWith('axvisor> \n')).toBe(true);
    expect(readFileSync(history, 'utf8')).toBe('vm list\n');
  });

  it('a later session finds the history: the up arrow brings back the last command', async () => {
    const { status, screen } = await session('\x1b[A\rvm console 1\rexit\r', history);
    expect(status).toBe(0);
    expect(screen).toMatch(/vm1\s+hello\s+Running/);
    // left with `exit`: no extra newline after the prompt
    expect(plain(screen).endsWith('axvisor> ')).toBe(true);
    expect(readFileSync(history, 'utf8')).toBe('vm list\nvm console 1\nexit\n');
  });
});
