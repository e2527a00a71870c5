// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { runElfPlugin } from '../src/cli/plugin-elf.js';
import { objectBytes } from './support/corpus.js';

const hex = (b: Uint8Array): Uint8Array =>
  new TextEncoder().encode(Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' '));

describe('bpf-conformance-plugin-elf', () => {
  it.each(['interpreter', 'wasm'])(
    'runs `main` of .text with global data and a subprogram (%s)',
    (engine) => {
      const object = objectBytes('conformance-main');
      expect(runElfPlugin(['02', '--engine', engine], hex(object))).toEqual({
        status: 0,
        stdout: '2a\n',
        stderr: '',
      });
      expect(runElfPlugin(['ff', '--engine', engine], object)).toEqual({
        status: 0,
        stdout: '127\n',
        stderr: '',
      });
    },
  );

  it('reports a missing entry function and objects with maps as errors', () => {
    const missing = runElfPlugin(['00', '--entry', 'nope'], objectBytes('conformance-main'));
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no function `nope`');
    const maps = runElfPlugin(['00', '--entry', 'on_hvc'], objectBytes('maps'));
    expect(maps.status).toBe(1);
    expect(maps.stderr).toContain('global data only');
    expect(runElfPlugin(['--engine', 'jit'], new Uint8Array()).status).toBe(2);
    expect(runElfPlugin([], new TextEncoder().encode('zz')).status).toBe(1);
  });
});

describe('functions without st_size', () => {
  it('run to the next function (as hand-made conformance objects need)', async () => {
    const { parseElf } = await import('../src/elf/index.js');
    const bytes = objectBytes('conformance-main').slice();
    const elf = parseElf(bytes);
    const symtab = elf.symbolTable()!;
    const main = elf.symbolByName('main')!;
    // st_size is at byte 16 of the 24-byte Elf64_Sym.
    new DataView(bytes.buffer).setBigUint64(symtab.section.offset + main.index * 24 + 16, 0n, true);
    expect(runElfPlugin(['02'], bytes)).toEqual({ status: 0, stdout: '2a\n', stderr: '' });
  });
});
