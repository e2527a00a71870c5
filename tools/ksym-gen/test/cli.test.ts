// SPDX-License-Identifier: MIT
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KsymTable, parseNmText } from '@axebpf/ksym';
import { parseElf } from '@axebpf/obj/elf';
import { main } from '../src/cli.js';

// The committed images of @axebpf/ksym's tests (kernel.c, with a 4 KiB `.kallsyms` section).
const fixtures = join(import.meta.dirname, '../../../packages/ksym/test/fixtures');
const image = join(fixtures, 'kernel-aarch64.elf');
const dir = mkdtempSync(join(tmpdir(), 'ksym-gen-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

describe('ksym-gen build', () => {
  it('builds the same blob from the ELF image and from its nm -n text', async () => {
    const a = join(dir, 'a.bin');
    const b = join(dir, 'b.bin');
    expect((await run('build', image, '-o', a)).code).toBe(0);
    expect((await run('build', `${image}.nm.txt`, '-o', b)).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    const table = KsymTable.fromBlob(readFileSync(a));
    const expected = parseNmText(readFileSync(`${image}.nm.txt`, 'utf8')).filter(
      (s) => !s.name.startsWith('$'),
    );
    expect(table.toInputs()).toEqual(expected);
  });

  it('writes a compressed container that lookups read', async () => {
    const z = join(dir, 'z.bin');
    expect((await run('build', image, '-o', z, '--compress')).code).toBe(0);
    expect(readFileSync(z).subarray(0, 5).toString('latin1')).toBe('KSYMZ');
    expect((await run('lookup', z, 'do_mkdir')).out).toBe('do_mkdir = 0x400120 T\n');
  });

  it('fails with a typed message on non-ELF garbage and on a stripped image', async () => {
    const junk = join(dir, 'junk.txt');
    writeFileSync(junk, 'this is not nm output\n');
    const bad = await run('build', junk, '-o', join(dir, 'x.bin'));
    expect([bad.code, bad.err]).toEqual([1, expect.stringContaining('[BAD_INPUT]')]);
    const stripped = await run(
      'build',
      join(fixtures, 'kernel-x86_64.stripped.elf'),
      '-o',
      join(dir, 'y.bin'),
    );
    expect([stripped.code, stripped.err]).toEqual([1, expect.stringContaining('[NO_SYMBOLS]')]);
    expect((await run('build', join(dir, 'missing'), '-o', join(dir, 'z.bin'))).code).toBe(1);
    expect((await run('frobnicate')).code).toBe(2);
  });
});

describe('ksym-gen usage', () => {
  it('--help and --version print to stdout and exit 0; usage errors exit 2', async () => {
    const pj = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'),
    ) as { version: string };
    for (const flag of ['--version', '-V'])
      expect(await run(flag)).toEqual({ code: 0, out: `ksym-gen ${pj.version}\n`, err: '' });
    const help = await run('--help');
    expect([help.code, help.err]).toEqual([0, '']);
    expect(help.out).toContain('Usage: ksym-gen');
    for (const args of [[], ['build'], ['build', 'x'], ['lookup', '--nope']])
      expect({ args, code: (await run(...args)).code }).toEqual({ args, code: 2 });
  });
});

describe('ksym-gen inject', () => {
  it('writes the blob into .kallsyms in place, keeping the inode and the rest of the file', async () => {
    const target = join(dir, 'kernel.elf');
    copyFileSync(image, target);
    const before = readFileSync(target);
    const inode = statSync(target).ino;
    const result = await run('inject', target);
    expect(result.code).toBe(0);
    expect(statSync(target).ino).toBe(inode);
    const after = readFileSync(target);
    expect(after.length).toBe(before.length);
    const section = parseElf(after).sectionByName('.kallsyms')!;
    const table = KsymTable.fromBlob(section.data);
    expect(table.lookupName('do_fork')).toBe(0x4001b0n);
    // Only the section's bytes changed.
    for (let i = 0; i < after.length; i += 1) {
      if (i < section.offset || i >= section.offset + section.size) {
        if (after[i] !== before[i]) throw new Error(`byte ${i} outside .kallsyms changed`);
      }
    }
    expect(
      after
        .subarray(section.offset, section.offset + section.size)
        .equals(before.subarray(section.offset, section.offset + section.size)),
    ).toBe(false);
    // The injected blob answers lookups from the section, also after stripping the symbols.
    expect((await run('lookup', target, 'do_fork', '--section', '.kallsyms')).out).toBe(
      'do_fork = 0x4001b0 T\n',
    );
    const strippedCopy = join(dir, 'kernel-stripped.elf');
    writeFileSync(strippedCopy, after);
    const noSymtab = readFileSync(strippedCopy);
    const symtab = parseElf(noSymtab).sectionByName('.symtab')!;
    noSymtab.writeUInt32LE(1, symtab.headerOffset + 4); // SHT_PROGBITS: no symbol table any more
    writeFileSync(strippedCopy, noSymtab);
    expect((await run('lookup', strippedCopy, 'do_fork')).err).toContain('NO_SYMBOLS');
    expect(
      (await run('search', strippedCopy, 'fork', '--section', '.kallsyms')).out.split('\n'),
    ).toHaveLength(4);
    expect((await run('lookup', strippedCopy, 'x', '--section', '.nope')).err).toContain(
      'no `.nope` section',
    );
    // Injecting again gives the same bytes (deterministic).
    await run('inject', target);
    expect(readFileSync(target).equals(after)).toBe(true);
  });

  it('refuses a section that is too small, a missing section and non-ELF input', async () => {
    const target = join(dir, 'kernel2.elf');
    copyFileSync(image, target);
    const before = readFileSync(target);
    const small = await run('inject', target, '--section', '.data');
    expect([small.code, small.err]).toEqual([1, expect.stringContaining('does not fit')]);
    const missing = await run('inject', target, '--section', '.nope');
    expect([missing.code, missing.err]).toEqual([1, expect.stringContaining('no `.nope` section')]);
    expect(readFileSync(target).equals(before)).toBe(true);
    const text = join(dir, 'text.elf');
    writeFileSync(text, 'not elf');
    expect((await run('inject', text)).err).toContain('not an ELF file');
  });
});

describe('ksym-gen: bad output paths and bad blobs', () => {
  it('reports an unwritable output path as an error, not a stack trace', async () => {
    const r = await run('build', image, '-o', '/nonexistent/dir/out.bin');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ksym-gen: error: cannot write `\/nonexistent\/dir\/out.bin`/);
  });

  it('validates a --blob before injecting: random or empty bytes exit 1 and leave the image as it was', async () => {
    const target = join(dir, 'kernel3.elf');
    copyFileSync(image, target);
    const before = readFileSync(target);
    const random = join(dir, 'random.bin');
    let x = 12345;
    writeFileSync(
      random,
      Uint8Array.from({ length: 600 }, () => (x = (x * 1103515245 + 12345) >>> 0) >>> 24),
    );
    const empty = join(dir, 'empty.bin');
    writeFileSync(empty, new Uint8Array(0));
    for (const blob of [random, empty]) {
      const r = await run('inject', target, '--blob', blob);
      expect(r.code).toBe(1);
      expect(r.err).toContain('not a kallsyms blob');
      expect(readFileSync(target).equals(before)).toBe(true);
    }
    // a real blob still goes in
    const good = join(dir, 'good.bin');
    expect((await run('build', image, '-o', good)).code).toBe(0);
    expect((await run('inject', target, '--blob', good)).code).toBe(0);
  });
});

describe('ksym-gen lookup, search, stats', () => {
  it('resolves names and addresses with offset, size and the demangled form', async () => {
    expect((await run('lookup', image, 'do_fork_2')).out).toBe('do_fork_2 = 0x4001b0 T\n');
    expect((await run('lookup', image, '0x4001b4')).out).toBe(
      '0x4001b4 = alias_do_fork+0x4/0x10 T\n',
    );
    expect((await run('lookup', image, '4001c9')).out).toBe(
      '0x4001c9 = _RNvCs1234_7mycrate3foo+0x1/0x8 T (mycrate::foo)\n',
    );
    const none = await run('lookup', image, 'no_such_symbol');
    expect([none.code, none.err]).toEqual([1, expect.stringContaining('not found')]);
    expect((await run('lookup', image, '0x10')).code).toBe(1);
  });

  it('looks up in a blob with an explicit text range', async () => {
    const blob = join(dir, 'range.bin');
    await run('build', image, '-o', blob);
    expect((await run('lookup', blob, '0x4001dc', '--etext', '0x4001dd')).out).toContain(
      '_start+0x0/0x1',
    );
    expect((await run('lookup', blob, '0x400200', '--etext', '0x400200')).code).toBe(1);
  });

  it('searches by substring and prefix with a limit', async () => {
    expect(
      (await run('search', image, 'fork')).out
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[2]),
    ).toEqual(['alias_do_fork', 'do_fork', 'do_fork_2']);
    expect(
      (await run('search', image, 'ext4_file', '--prefix', '-n', '2')).out.trim().split('\n'),
    ).toHaveLength(2);
    expect((await run('search', image, 'std::vector', '--demangled')).out).toContain(
      '_ZNSt6vectorIiSaIiEE9push_backERKi',
    );
    expect((await run('search', image, 'zzz')).err).toContain('no symbols match');
  });

  it('prints stats with the blob to nm-text ratio', async () => {
    const out = (await run('stats', image)).out;
    const symbols = Number(/symbols: (\d+)/.exec(out)![1]);
    const blob = Number(/blob: (\d+) bytes/.exec(out)![1]);
    const nm = Number(/nm -n text: (\d+) bytes/.exec(out)![1]);
    expect(symbols).toBe(
      parseNmText(readFileSync(`${image}.nm.txt`, 'utf8')).filter((s) => !s.name.startsWith('$'))
        .length,
    );
    expect(blob).toBeGreaterThan(0);
    expect(out).toContain(`blob / nm text: ${(blob / nm).toFixed(3)}`);
  });
});
