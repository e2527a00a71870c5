// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import { runElfPlugin } from '../src/cli/plugin-elf.js';
import { objectBytes } from './support/corpus.js';

const hex = (b: Uint8Array): Uint8Array => new TextEncoder().encode(Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' '));

describe('bpf-conformance-plugin-elf', () => {
  it.each(['interpreter', 'wasm'])('runs `main` of .text with global data and a subprogram (%s)', (engine) => {
    const object = objectBytes('conformance-main');
    expect(runElfPlugin(['02', '--engine', engine], hex(object))).toEqual({ status: 0, stdout: '2a\n', stderr: '' });
    expect(runElfPlugin(['ff', '--engine', engine], object)).toEqual({ status: 0, stdout: '127\n', stderr: '' });
  });

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
