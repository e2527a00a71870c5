import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CpioError, writeCpio } from '../src/cpio.js';
import { buildInitramfs, INIT_SCRIPT } from '../src/initramfs.js';

const hasCpio = (() => {
  try {
    execFileSync('cpio', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Reads a newc archive back (independently of the writer): [name, mode, data]. */
function readNewc(b: Uint8Array): [string, number, Uint8Array][] {
  const out: [string, number, Uint8Array][] = [];
  const dec = new TextDecoder();
  let o = 0;
  for (;;) {
    expect(dec.decode(b.subarray(o, o + 6))).toBe('070701');
    const f = (i: number) => parseInt(dec.decode(b.subarray(o + 6 + 8 * i, o + 14 + 8 * i)), 16);
    const mode = f(1),
      fileSize = f(6),
      nameSize = f(11);
    const name = dec.decode(b.subarray(o + 110, o + 110 + nameSize - 1));
    o = (o + 110 + nameSize + 3) & ~3;
    const data = b.subarray(o, o + fileSize);
    o = (o + fileSize + 3) & ~3;
    if (name === 'TRAILER!!!') return out;
    out.push([name, mode, data]);
  }
}

describe('writeCpio', () => {
  it('writes newc headers, 4-byte padding and the trailer', () => {
    const a = writeCpio([
      { kind: 'dir', path: 'bin' },
      { kind: 'file', path: 'bin/x', data: new Uint8Array([1, 2, 3]), mode: 0o755 },
      { kind: 'symlink', path: 'bin/y', target: 'x' },
    ]);
    expect(a.length % 4).toBe(0);
    const r = readNewc(a);
    expect(r.map((e) => [e[0], e[1].toString(8)])).toEqual([
      ['bin', '40755'],
      ['bin/x', '100755'],
      ['bin/y', '120777'],
    ]);
    expect([...r[1]![2]]).toEqual([1, 2, 3]);
    expect(new TextDecoder().decode(r[2]![2])).toBe('x');
  });

  it('rejects absolute and empty paths with a typed error', () => {
    expect(() => writeCpio([{ kind: 'dir', path: '/bin' }])).toThrow(CpioError);
    try {
      writeCpio([
        { kind: 'dir', path: 'ok' },
        { kind: 'dir', path: '' },
      ]);
    } catch (e) {
      expect((e as CpioError).code).toBe('BAD_PATH');
      expect((e as CpioError).index).toBe(1);
    }
  });

  it.skipIf(!hasCpio)('is read by GNU cpio (files, modes, symlinks, device nodes)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cpio-'));
    const gz = buildInitramfs(new TextEncoder().encode('#!/bin/sh\necho fake busybox\n'));
    writeFileSync(join(dir, 'a.cpio'), gunzipSync(gz));
    const list = execFileSync('cpio', ['-itv', '-F', join(dir, 'a.cpio')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(list).toMatch(/^crw-------.* 5,\s+1 .*dev\/console$/m);
    expect(list).toMatch(/^lrwxrwxrwx.* bin\/sh -> busybox$/m);
    execFileSync('cpio', ['-idm', '--no-absolute-filenames', '-F', join(dir, 'a.cpio')], {
      cwd: dir,
      stdio: 'ignore',
    });
    expect(readFileSync(join(dir, 'init'), 'utf8')).toBe(INIT_SCRIPT);
    expect(statSync(join(dir, 'init')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(dir, 'bin/sort'))).toBe('busybox');
  });
});
