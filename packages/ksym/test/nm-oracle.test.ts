// SPDX-License-Identifier: MIT
// binutils `nm -n` as the oracle: on the committed fixtures (nm output made by
// test/fixtures/build.sh) and, when the compilers are installed, on images compiled now.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf, STT_FUNC } from '@axebpf/obj/elf';
import {
  buildBlob,
  isKallsymsSymbol,
  KsymError,
  KsymTable,
  parseNmText,
  symbolsFromElf,
} from '../src/index.js';
import { hasTool } from '@axebpf/test-utils/tools';

const fixtures = join(import.meta.dirname, 'fixtures');
const has = hasTool;
const hasGcc = has('gcc') && has('nm');
const hasCross = has('aarch64-linux-gnu-gcc') && has('nm');
if (!hasGcc) console.warn('nm-oracle.test: gcc or nm missing, live checks skipped');
if (!hasCross)
  console.warn('nm-oracle.test: aarch64-linux-gnu-gcc missing, live AArch64 check skipped');

/** Checks an ELF image against its `nm -n` text; returns how many addresses were checked. */
function checkAgainstNm(image: Uint8Array, nmText: string): { addresses: number; inside: number } {
  const fromNm = parseNmText(nmText);
  // 1. The extracted list is exactly nm's: addresses, type letters, names and order.
  expect(symbolsFromElf(image)).toEqual(fromNm);
  // 2. Every nm address resolves to the first (nm-order) kallsyms symbol at that address.
  const kept = fromNm.filter(isKallsymsSymbol);
  const table = KsymTable.fromBlob(buildBlob(kept).blob);
  const firstAt = new Map<bigint, string>();
  for (const s of kept) if (!firstAt.has(s.address)) firstAt.set(s.address, s.name);
  for (const [address, name] of firstAt) {
    const hit = table.lookupAddress(address)!;
    expect({ address: hit.address, name: hit.name, offset: hit.offset }).toEqual({
      address,
      name,
      offset: 0,
    });
    expect(table.symbolsAt(address).map((e) => e.name)).toEqual(
      kept.filter((s) => s.address === address).map((s) => s.name),
    );
  }
  for (const s of kept)
    expect(table.lookupNameAll(s.name).some((e) => e.address === s.address)).toBe(true);
  // 3. Addresses inside functions (sizes from the symbol table) give the right offset.
  let seed = 7;
  let inside = 0;
  for (const symbol of parseElf(image).symbols()) {
    if (symbol.type !== STT_FUNC || symbol.size < 2n || !firstAt.has(symbol.value)) continue;
    for (let k = 0; k < 3; k++) {
      seed = (Math.imul(seed, 48271) + 1) >>> 0;
      const offset = seed % Number(symbol.size);
      const hit = table.lookupAddress(symbol.value + BigInt(offset))!;
      expect([hit.name, hit.offset]).toEqual([firstAt.get(symbol.value), offset]);
      expect(hit.size).toBeGreaterThanOrEqual(Number(symbol.size));
      inside++;
    }
  }
  return { addresses: firstAt.size, inside };
}

describe('committed fixtures against their nm -n output', () => {
  for (const name of ['kernel-x86_64.elf', 'kernel-aarch64.elf']) {
    it(`agrees with nm -n on ${name}`, () => {
      const counts = checkAgainstNm(
        readFileSync(join(fixtures, name)),
        readFileSync(join(fixtures, `${name}.nm.txt`), 'utf8'),
      );
      expect(counts.addresses).toBeGreaterThan(20);
      expect(counts.inside).toBeGreaterThan(30);
    });
  }

  it('reports a stripped image and a non-ELF file with typed errors', () => {
    const stripped = (() => {
      try {
        symbolsFromElf(readFileSync(join(fixtures, 'kernel-x86_64.stripped.elf')));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(KsymError.isInstance(stripped) && stripped.code).toBe('NO_SYMBOLS');
    const notElf = (() => {
      try {
        symbolsFromElf(new TextEncoder().encode('ffff T not an elf'));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(KsymError.isInstance(notElf) && notElf.code).toBe('BAD_INPUT');
  });
});

describe('images compiled now against live nm -n', () => {
  // 400 functions with kernel-like names, a few aliases, data and bss.
  const lines: string[] = [];
  const calls: string[] = [];
  for (let i = 0; i < 400; i++) {
    const name = `${['ext4_', 'vfs_', 'sched_', 'kvm_'][i % 4]}fn_${i}_${'x'.repeat(i % 13)}`;
    lines.push(`__attribute__((noinline)) int ${name}(int a) { return a * ${i + 3} + ${i % 7}; }`);
    calls.push(`${name}(${i})`);
    if (i % 50 === 0) lines.push(`int alias_${i}(int) __attribute__((alias("${name}")));`);
  }
  lines.push('int data_word = 3; char bss_block[64];');
  lines.push(`void _start(void) { for (;;) data_word += ${calls.join(' + ')} + bss_block[1]; }`);
  const source = lines.join('\n');

  const compile = (compiler: string): { image: Uint8Array; nm: string } => {
    const dir = mkdtempSync(join(tmpdir(), 'axebpf-ksym-'));
    try {
      writeFileSync(join(dir, 'k.c'), source);
      execFileSync(compiler, [
        '-O1',
        '-nostdlib',
        '-static',
        '-o',
        join(dir, 'k'),
        join(dir, 'k.c'),
      ]);
      const nm = execFileSync('nm', ['-n', join(dir, 'k')], {
        env: { ...process.env, LC_ALL: 'C' },
        encoding: 'utf8',
      });
      return { image: readFileSync(join(dir, 'k')), nm };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it.skipIf(!hasGcc)('agrees with nm -n on a host gcc image of 400 functions', () => {
    const { image, nm } = compile('gcc');
    expect(checkAgainstNm(image, nm).addresses).toBeGreaterThan(400);
  });

  it.skipIf(!hasCross)('agrees with nm -n on an AArch64 image of 400 functions', () => {
    const { image, nm } = compile('aarch64-linux-gnu-gcc');
    expect(checkAgainstNm(image, nm).inside).toBeGreaterThan(1000);
  });
});

/** AArch64 ELF images elsewhere in this repository (the emulator's guest programs and the like). */
function projectImages(): string[] {
  const root = join(import.meta.dirname, '../../..');
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 5 || !existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
      const path = join(dir, name);
      const st = statSync(path);
      if (st.isDirectory()) walk(path, depth + 1);
      else if (name.endsWith('.elf') && st.size < 16 << 20) out.push(path);
    }
  };
  for (const group of ['packages', 'apps']) walk(join(root, group), 0);
  return out.filter((path) => {
    const bytes = readFileSync(path);
    return (
      bytes[4] === 2 &&
      bytes[5] === 1 &&
      bytes.readUInt16LE(18) === 183 &&
      !path.includes('/ksym/test/fixtures/')
    );
  });
}

describe('AArch64 guest images of this project against live nm -n', () => {
  const images = hasGcc ? projectImages() : [];
  if (images.length === 0)
    console.warn('nm-oracle.test: no AArch64 project images found (or nm missing), check skipped');
  it.skipIf(images.length === 0)(
    'agrees with nm -n on every AArch64 image in the repository',
    () => {
      let checked = 0;
      for (const path of images) {
        const nm = execFileSync('nm', ['-n', path], {
          env: { ...process.env, LC_ALL: 'C' },
          encoding: 'utf8',
        });
        if (nm.trim() === '') continue; // stripped
        checkAgainstNm(readFileSync(path), nm);
        checked++;
      }
      expect(checked).toBeGreaterThan(0);
    },
  );
});
