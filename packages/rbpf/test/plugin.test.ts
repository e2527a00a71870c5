import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConformanceData, parseHexBytes } from '@axebpf/test-utils/conformance-data';
import { describe, expect, it } from 'vitest';
import { runPlugin } from '../src/cli/plugin.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '../bin/bpf-conformance-plugin');
const built = fs.existsSync(path.join(here, '../dist/plugin.js'));
const hexOf = (bytes: Uint8Array) =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');

describe('bpf-conformance-plugin protocol', () => {
  it('prints r0 in hex for a program on stdin', () => {
    const out = runPlugin([], 'b7 00 00 00 ff ff ff ff 95 00 00 00 00 00 00 00\n');
    expect(out).toEqual({ status: 0, stdout: 'ffffffffffffffff\n', stderr: '' });
  });

  it('takes memory as the first argument in the runner format', () => {
    // ldxb r0, [r1+1]; exit
    const out = runPlugin(['aa  bb  cc  '], '71 10 01 00 00 00 00 00 95 00 00 00 00 00 00 00');
    expect(out.stdout).toBe('bb\n');
  });

  it('prints statistics on stderr with --stats', () => {
    const out = runPlugin(['--stats'], 'b7 00 00 00 01 00 00 00 95 00 00 00 00 00 00 00');
    expect(out.stderr).toMatch(/^insns=2 ns=\d+\n$/);
  });

  it('fails with a message and a non-zero status for bad programs and faults', () => {
    expect(runPlugin([], 'b7 00 00').status).not.toBe(0);
    const fault = runPlugin([], '71 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00');
    expect(fault.status).toBe(1);
    expect(fault.stderr).toContain('insn #0');
    expect(runPlugin([], 'zz').status).not.toBe(0);
  });

  it('rejects unknown options and engines', () => {
    expect(runPlugin(['--frob'], '').status).toBe(2);
    expect(runPlugin(['--engine', 'jit'], '').status).toBe(2);
  });

  it('verifies first with --verify: a rejected program exits 2 with a verifier: message', () => {
    // ldxdw r0, [r1+0] with 4 bytes of memory: out of bounds, provably
    const bad = runPlugin(
      ['aa bb cc dd', '--verify'],
      '79 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00',
    );
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^verifier: .*\(insn #0\)\n$/);
    const good = runPlugin(
      ['aa bb cc dd', '--verify'],
      '61 10 00 00 00 00 00 00 95 00 00 00 00 00 00 00',
    );
    expect(good).toEqual({ status: 0, stdout: 'ddccbbaa\n', stderr: '' });
  });

  it('runs the same program on the wasm engine', () => {
    const program = 'b7 00 00 00 05 00 00 00 27 00 00 00 03 00 00 00 95 00 00 00 00 00 00 00';
    expect(runPlugin(['--engine', 'wasm', '--stats'], program)).toMatchObject({
      status: 0,
      stdout: 'f\n',
    });
    expect(runPlugin(['--engine=wasm'], program).stdout).toBe(runPlugin([], program).stdout);
  });
});

describe.skipIf(!built)('bpf-conformance-plugin executable', () => {
  it('runs conformance tests as a separate process, like the runner does', () => {
    for (const name of ['ldxb', 'call_local', 'lock_cmpxchg', 'mem-len']) {
      const test = parseConformanceData(
        fs.readFileSync(path.join(here, `conformance/bpf_conformance/${name}.data`), 'utf8'),
      );
      const program = parseHexBytes(
        fs.readFileSync(path.join(here, `conformance/bpf_conformance-hex/${name}.hex`), 'utf8'),
      );
      const args = test.mem ? [hexOf(test.mem)] : [];
      const r = spawnSync(process.execPath, [bin, ...args], {
        input: `${hexOf(program)}\n`,
        encoding: 'utf8',
      });
      expect([name, r.status, BigInt(`0x${r.stdout.trim()}`)]).toEqual([name, 0, test.result]);
    }
  });
});
