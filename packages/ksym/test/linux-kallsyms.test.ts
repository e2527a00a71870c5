// SPDX-License-Identifier: MIT
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ARM64_KIMAGE_VADDR,
  KsymError,
  kaslrOffsetFromSymbol,
  readLinuxKallsyms,
  readLinuxKallsymsFromMemory,
  relocateLinuxKallsyms,
} from '../src/index.js';
import type { KsymInput, LinuxKallsyms } from '../src/index.js';
import { buildFakeImage, chooseTokens, encode, fakeKernelSymbols } from './linux-image-helpers.js';
import type { FakeLayout } from './linux-image-helpers.js';

const TEXT = 0xffff_8000_0800_0000n;
const LAYOUTS: FakeLayout[] = ['linux-4.6', 'linux-6.2', 'linux-6.4'];

function catchKsym(fn: () => unknown): KsymError {
  try {
    fn();
  } catch (err) {
    if (KsymError.isInstance(err)) return err;
    throw new Error(`expected a KsymError, got ${String(err)}`);
  }
  throw new Error('expected a KsymError, nothing was thrown');
}

const line = (s: KsymInput): string =>
  `${s.address.toString(16).padStart(16, '0')} ${s.type} ${s.name}`;

describe('readLinuxKallsyms on synthetic images', () => {
  const symbols = fakeKernelSymbols(1500, TEXT + 0x10000n);

  it('the helper writes a 2-byte name length for the long name', () => {
    const long = symbols.find((s) => s.name.startsWith('long_'))!;
    const tokens = chooseTokens(symbols.map((s) => s.type + s.name));
    expect(encode(long.type + long.name, tokens).length).toBeGreaterThan(127);
  });

  for (const layout of LAYOUTS) {
    it(`decodes the ${layout} layout back to the symbol list`, () => {
      const img = buildFakeImage(symbols, { layout, text: TEXT });
      const k = readLinuxKallsyms(img.bytes);
      expect(k.symbols.map(line)).toEqual(symbols.map(line));
      expect(k.layout).toMatchObject({
        kind: layout,
        names: img.at.names,
        markers: img.at.markers,
        offsets: img.at.offsets,
        relativeBase: img.at.relativeBase,
        tokenTable: img.at.tokenTable,
        tokenIndex: img.at.tokenIndex,
        numSyms: img.at.numSyms,
      });
      expect(k.layout.seqsOfNames).toBe(img.at.seqs);
      expect(k.relativeBase).toBe(symbols[0]!.address);
      expect(k.relativeBaseFrom).toBe('image');
      expect(k.version).toBe('Linux version 9.9.9-fake (test@example) #1 SMP');
      // The table answers like kallsyms: first alias, offset inside the function.
      const i = 700;
      const hit = k.table.lookupAddress(symbols[i]!.address + 2n)!;
      const first = symbols.findIndex((s) => s.address === symbols[i]!.address);
      expect(hit.name).toBe(symbols[first]!.name);
      expect(hit.offset).toBe(2);
    });
  }

  it('reads a table whose unused token slots are empty strings', () => {
    const img = buildFakeImage(symbols.slice(0, 300), {
      layout: 'linux-6.2',
      text: TEXT,
      emptyTokens: 40,
    });
    expect(readLinuxKallsyms(img.bytes).symbols.map(line)).toEqual(symbols.slice(0, 300).map(line));
  });

  it('reads one symbol (one marker)', () => {
    const one = [{ address: TEXT, type: 'T', name: '_stext' }];
    for (const layout of LAYOUTS) {
      // Enough distinct characters for a plausible token table.
      const img = buildFakeImage(
        [
          ...one,
          {
            address: TEXT + 4n,
            type: 't',
            name: 'abcdefghijklmnopqrstuvwxyz_0123456789ABCDEFGHIJ',
          },
        ],
        { layout, text: TEXT },
      );
      expect(readLinuxKallsyms(img.bytes).symbols.map((s) => s.name)).toEqual([
        '_stext',
        'abcdefghijklmnopqrstuvwxyz_0123456789ABCDEFGHIJ',
      ]);
    }
  });

  it('takes relative_base from its R_AARCH64_RELATIVE relocation when the image holds 0', () => {
    const img = buildFakeImage(symbols, { layout: 'linux-6.2', text: TEXT, relocate: true });
    const k = readLinuxKallsyms(img.bytes);
    expect(k.relativeBaseFrom).toBe('relocation');
    expect(k.symbols.map(line)).toEqual(symbols.map(line));
    // With the link address given, the same relocation is found by its exact r_offset.
    expect(readLinuxKallsyms(img.bytes, { textAddress: TEXT }).relativeBase).toBe(
      symbols[0]!.address,
    );
    // A wrong link address finds no relocation.
    const err = catchKsym(() => readLinuxKallsyms(img.bytes, { textAddress: TEXT + 0x10000n }));
    expect(err.code).toBe('NO_BASE');
    expect(err.offset).toBe(img.at.relativeBase);
  });

  it('NO_BASE when relative_base is 0 and there is no relocation', () => {
    const img = buildFakeImage(symbols, { layout: 'linux-4.6', text: TEXT, relocate: true });
    const bytes = img.bytes.slice(0, img.at.rela! - 72); // drop .rela.dyn
    const err = catchKsym(() => readLinuxKallsyms(bytes));
    expect(err.code).toBe('NO_BASE');
    expect(err.offset).toBe(img.at.relativeBase);
  });

  it('applies a KASLR offset, and relocates / recovers it from one symbol', () => {
    const img = buildFakeImage(symbols, { layout: 'linux-6.4', text: TEXT });
    const link = readLinuxKallsyms(img.bytes);
    const offset = 0x212f_8ce0_0000n;
    const moved = readLinuxKallsyms(img.bytes, { kaslrOffset: offset });
    expect(moved.kaslrOffset).toBe(offset);
    expect(moved.symbols.map((s) => s.address - offset)).toEqual(symbols.map((s) => s.address));
    expect(moved.table.lookupName(symbols[5]!.name)).toBe(
      link.table.lookupName(symbols[5]!.name)! + offset,
    );
    const again = relocateLinuxKallsyms(link, offset);
    expect(again.symbols.map(line)).toEqual(moved.symbols.map(line));
    expect(again.relativeBase).toBe(moved.relativeBase);
    // What a running guest gives: the runtime address of one known symbol.
    expect(kaslrOffsetFromSymbol(link, '_stext', symbols[0]!.address + offset)).toBe(offset);
    expect(kaslrOffsetFromSymbol(moved, '_stext', symbols[0]!.address + offset)).toBe(offset);
    expect(catchKsym(() => kaslrOffsetFromSymbol(link, 'no_such_symbol', 0n)).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(catchKsym(() => readLinuxKallsyms(img.bytes, { kaslrOffset: 1n << 64n })).code).toBe(
      'INVALID_ARGUMENT',
    );
  });

  it('reads CONFIG_KALLSYMS_ABSOLUTE_PERCPU tables', () => {
    const percpu: KsymInput[] = [
      { address: 0n, type: 'A', name: 'fixed_percpu_data' },
      { address: 0x1000n, type: 'A', name: 'cpu_number' },
      ...symbols.slice(0, 600),
    ];
    const img = buildFakeImage(percpu, {
      layout: 'linux-6.2',
      text: TEXT,
      absolutePercpuBelow: TEXT,
    });
    expect(readLinuxKallsyms(img.bytes, { absolutePercpu: true }).symbols.map(line)).toEqual(
      percpu.map(line),
    );
  });

  it('reads the tables from memory through a reader, with unreadable chunks', () => {
    // A "running" kernel: relative_base relocated to the KASLR address, image at a runtime VA.
    const offset = 0x1234_5670_0000n;
    const img = buildFakeImage(symbols, { layout: 'linux-6.2', text: TEXT, before: 0x2000 });
    const mem = img.bytes.slice();
    new DataView(mem.buffer).setBigUint64(img.at.relativeBase, img.relativeBase + offset, true);
    const start = TEXT + offset;
    const calls: bigint[] = [];
    const read = (addr: bigint, len: number): Uint8Array | undefined => {
      calls.push(addr);
      const off = Number(addr - start);
      if (off === 0) return undefined; // an unmapped first page
      if (off === 0x1000) throw new Error('fault'); // a faulting one
      return mem.subarray(off, off + len);
    };
    const k = readLinuxKallsymsFromMemory(read, {
      start,
      size: mem.length,
      chunkSize: 0x1000,
      linkTextAddress: TEXT,
    });
    expect(k.symbols.map((s) => s.address - offset)).toEqual(symbols.map((s) => s.address));
    expect(k.kaslrOffset).toBe(offset);
    expect(calls.length).toBe(Math.ceil(mem.length / 0x1000));
    expect(catchKsym(() => readLinuxKallsymsFromMemory(read, { start, size: 0 })).code).toBe(
      'INVALID_ARGUMENT',
    );
    // A hole inside the names: refused, not decoded from zeros.
    const hole = (img.at.names + 0x1000) & ~0xfff;
    const holed = (addr: bigint, len: number): Uint8Array | undefined =>
      Number(addr - start) === hole
        ? undefined
        : mem.subarray(Number(addr - start), Number(addr - start) + len);
    const err = catchKsym(() =>
      readLinuxKallsymsFromMemory(holed, { start, size: mem.length, chunkSize: 0x1000 }),
    );
    expect(['UNREADABLE', 'BAD_INDEX', 'BAD_RECORD']).toContain(err.code);
    expect(err.offset).toBeGreaterThanOrEqual(img.at.names);
  });
});

describe('readLinuxKallsyms errors', () => {
  const symbols = fakeKernelSymbols(1200, TEXT + 0x10000n, 5);

  it('NO_KALLSYMS without a token table', () => {
    const err = catchKsym(() => readLinuxKallsyms(new Uint8Array(100_000)));
    expect(err.code).toBe('NO_KALLSYMS');
    expect(err.offset).toBe(0);
  });

  it('a corrupt name record gives BAD_INDEX or BAD_RECORD with an offset in the names or markers', () => {
    for (const layout of LAYOUTS) {
      const img = buildFakeImage(symbols, { layout, text: TEXT });
      const bytes = img.bytes.slice();
      bytes[img.at.names + 3000] = bytes[img.at.names + 3000]! ^ 0xff; // inside the names (a length or token byte)
      bytes[img.at.names + 3001] = bytes[img.at.names + 3001]! ^ 0x55;
      const err = catchKsym(() => readLinuxKallsyms(bytes));
      expect(['BAD_INDEX', 'BAD_RECORD']).toContain(err.code);
      expect(err.offset).toBeGreaterThanOrEqual(img.at.names);
      expect(err.offset).toBeLessThan(img.at.tokenTable);
    }
  });

  it('a marker that disagrees with the names gives BAD_INDEX at that marker', () => {
    const img = buildFakeImage(symbols, { layout: 'linux-6.2', text: TEXT });
    const bytes = img.bytes.slice();
    const v = new DataView(bytes.buffer);
    v.setUint32(img.at.markers + 8, v.getUint32(img.at.markers + 8, true) + 1, true);
    const err = catchKsym(() => readLinuxKallsyms(bytes));
    expect(err.code).toBe('BAD_INDEX');
    expect(err.offset).toBe(img.at.markers + 8);
    expect(err.symbol).toBe(512);
  });

  it('unsorted offsets give BAD_ORDER at the offending entry', () => {
    for (const layout of LAYOUTS) {
      const img = buildFakeImage(symbols, { layout, text: TEXT });
      const bytes = img.bytes.slice();
      const v = new DataView(bytes.buffer);
      v.setUint32(img.at.offsets + 4 * 100, 0xffff_0000, true);
      const err = catchKsym(() => readLinuxKallsyms(bytes));
      expect(err.code).toBe('BAD_ORDER');
      expect(err.offset).toBe(img.at.offsets + 4 * 101);
      expect(err.symbol).toBe(101);
    }
  });

  it('a broken token table gives NO_KALLSYMS', () => {
    const img = buildFakeImage(symbols, { layout: 'linux-6.2', text: TEXT });
    const bytes = img.bytes.slice();
    bytes[img.at.tokenIndex + 20] = 0xff; // token index no longer increasing
    expect(catchKsym(() => readLinuxKallsyms(bytes)).code).toBe('NO_KALLSYMS');
  });

  it('a wrong num_syms gives NO_KALLSYMS at the token table', () => {
    const img = buildFakeImage(symbols, { layout: 'linux-6.2', text: TEXT });
    const bytes = img.bytes.slice();
    new DataView(bytes.buffer).setUint32(img.at.numSyms, symbols.length + 300, true);
    const err = catchKsym(() => readLinuxKallsyms(bytes));
    expect(err.code).toBe('NO_KALLSYMS');
    expect(err.offset).toBe(img.at.tokenTable);
  });

  it('every single-byte corruption of the tables gives the right symbols or a KsymError, never another error', () => {
    const small = symbols.slice(0, 160);
    for (const layout of LAYOUTS) {
      const img = buildFakeImage(small, { layout, text: TEXT, before: 64, after: 64 });
      const from = Math.min(img.at.offsets, img.at.numSyms);
      const to = img.bytes.length - 64;
      const want = small.map(line).join('\n');
      for (let pos = from; pos < to; pos += 11) {
        const bytes = img.bytes.slice();
        bytes[pos] = bytes[pos]! ^ 0xa5;
        try {
          const k = readLinuxKallsyms(bytes);
          // Padding, relative_base, or symbol data changed into other valid data: still a
          // table of the same symbols in address order (a name or an address may differ).
          expect(k.symbols.length).toBe(small.length);
          for (let i = 1; i < k.symbols.length; i++)
            expect(k.symbols[i]!.address >= k.symbols[i - 1]!.address).toBe(true);
          if (pos >= img.at.tokenIndex + 512 && layout !== 'linux-6.4')
            expect(k.symbols.map(line).join('\n')).toBe(want);
        } catch (err) {
          if (!KsymError.isInstance(err)) throw err;
        }
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The real Debian kernel against /proc/kallsyms recorded under qemu-system-aarch64.

// The Image of tools/linux-guest/fetch-images.sh (Debian's current 6.1 build), or AXEBPF_LINUX_IMAGE.
const IMAGE =
  process.env['AXEBPF_LINUX_IMAGE'] ??
  fileURLToPath(new URL('../../../tools/linux-guest/out/Image', import.meta.url));
const fixture = (name: string): string =>
  fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const GOLDEN_NOKASLR = fixture('linux-6.1.0-57-arm64.kallsyms-nokaslr.txt');
const GOLDEN_KASLR = fixture('linux-6.1.0-57-arm64.kallsyms-kaslr.txt');
const RECORDING =
  process.env['AXEBPF_KALLSYMS_RECORDING'] ??
  fileURLToPath(new URL('../.recordings/nokaslr.txt', import.meta.url));
/** The kernel's banner (`Linux version ...`) as it stands in the Image, or undefined. */
function imageBanner(path: string): string | undefined {
  if (!existsSync(path)) return undefined;
  const bytes = readFileSync(path);
  const at = bytes.indexOf('Linux version ');
  return at < 0 ? undefined : bytes.subarray(at, bytes.indexOf(0, at)).toString('latin1').trim();
}
const banner = imageBanner(IMAGE);
const goldenBanner = /^# version: (.*)$/m.exec(
  readFileSync(fixture('linux-6.1.0-57-arm64.kallsyms-nokaslr.txt'), 'utf8'),
)?.[1];
// The golden excerpts belong to one build; another Debian build (a newer ABI) is checked by the
// build-independent test only.
// (the Image holds the banner with an empty build number, `# SMP`; the running kernel says `#1 SMP`)
const sameBuild = (a: string, b: string): boolean =>
  a.replace(/#\d* /, '# ') === b.replace(/#\d* /, '# ');
const haveImage =
  banner !== undefined && goldenBanner !== undefined && sameBuild(banner, goldenBanner);
const noImage =
  banner === undefined
    ? `no Debian arm64 kernel at ${IMAGE} (run tools/linux-guest/fetch-images.sh or set AXEBPF_LINUX_IMAGE)`
    : `the golden excerpts are of "${goldenBanner}", the Image is "${banner}"`;

describe.skipIf(banner === undefined)(
  `any Debian 6.1 arm64 Image${banner === undefined ? ` (skipped: no Image at ${IMAGE})` : ''}`,
  () => {
    it('decodes its kallsyms: tens of thousands of sorted symbols with the well-known functions and the banner', () => {
      const k = readLinuxKallsyms(readFileSync(IMAGE));
      expect(k.symbols.length).toBeGreaterThan(30_000);
      expect(k.version).toBe(banner);
      for (let i = 1; i < k.symbols.length; i++)
        expect(k.symbols[i]!.address >= k.symbols[i - 1]!.address).toBe(true);
      for (const name of [
        'do_sys_openat2',
        'invoke_syscall',
        'vectors',
        'start_kernel',
        'schedule',
      ])
        expect(k.table.lookupName(name)).toBeDefined();
    });
  },
);

interface Golden {
  header: Map<string, string>;
  rows: { index: number; address: bigint; type: string; name: string }[];
}

function readGolden(path: string): Golden {
  const header = new Map<string, string>();
  const rows: Golden['rows'] = [];
  for (const l of readFileSync(path, 'utf8').split('\n')) {
    if (l.startsWith('# ')) {
      const m = /^# (\w+): (.*)$/.exec(l);
      if (m) header.set(m[1]!, m[2]!);
    } else if (l !== '') {
      const [index, address, type, name] = l.split(' ');
      rows.push({
        index: Number(index),
        address: BigInt(`0x${address}`),
        type: type!,
        name: name!,
      });
    }
  }
  return { header, rows };
}

describe.skipIf(!haveImage)(
  `Debian 6.1.0-57 arm64 Image against its /proc/kallsyms${haveImage ? '' : ` (skipped: ${noImage})`}`,
  () => {
    let cached: LinuxKallsyms | undefined;
    const kallsyms = (): LinuxKallsyms => (cached ??= readLinuxKallsyms(readFileSync(IMAGE)));

    it('finds the 6.2-style tables (seqs_of_names backported to 6.1.192) and the banner', () => {
      const k = kallsyms();
      const golden = readGolden(GOLDEN_NOKASLR);
      expect(k.layout.kind).toBe('linux-6.2');
      expect(k.relativeBaseFrom).toBe('relocation');
      expect(k.symbols.length).toBe(Number(golden.header.get('symbols')));
      expect(k.version).toMatch(
        new RegExp(`^Linux version ${golden.header.get('uname')!.replace(/\./g, '\\.')} `),
      );
    });

    it('equals the nokaslr golden excerpt, line by line', () => {
      const k = kallsyms();
      const golden = readGolden(GOLDEN_NOKASLR);
      expect(golden.rows.length).toBeGreaterThanOrEqual(200);
      for (const row of golden.rows) expect(line(k.symbols[row.index]!)).toBe(line(row));
    });

    it('looks up well-known functions by name and address as /proc/kallsyms has them', () => {
      const k = kallsyms();
      const golden = readGolden(GOLDEN_NOKASLR);
      const names = [
        'do_sys_openat2',
        'invoke_syscall',
        'el0_svc',
        'do_el0_svc',
        'schedule',
        '__schedule',
        'vfs_read',
        'vfs_write',
        '__arm64_sys_write',
        '__arm64_sys_openat',
        'kernel_clone',
        'do_exit',
        'kfree',
        'ksys_read',
        'do_filp_open',
        'path_openat',
        'copy_process',
        'try_to_wake_up',
        'handle_mm_fault',
        'vectors',
        'el0t_64_sync',
        'gic_handle_irq',
        'start_kernel',
        'do_idle',
      ];
      for (const name of names) {
        const rows = golden.rows.filter((r) => r.name === name);
        expect(rows.map((r) => r.name)).toContain(name);
        expect(
          k.table.lookupNameAll(name).map((e) => `${name}@${e.address.toString(16)}`),
        ).toContain(`${name}@${rows[0]!.address.toString(16)}`);
        const hit = k.table.lookupAddress(rows[0]!.address + 4n)!;
        expect(`${name}@${hit.address.toString(16)}`).toBe(
          `${name}@${rows[0]!.address.toString(16)}`,
        );
      }
    });

    it('matches the KASLR boot: addresses minus the offset found from vectors (VBAR_EL1)', () => {
      const k = kallsyms();
      const golden = readGolden(GOLDEN_KASLR);
      const vectors = golden.rows.find((r) => r.name === 'vectors')!;
      const offset = kaslrOffsetFromSymbol(k, 'vectors', vectors.address);
      expect(offset).not.toBe(0n);
      const moved = relocateLinuxKallsyms(k, offset);
      for (const row of golden.rows) expect(line(moved.symbols[row.index]!)).toBe(line(row));
      expect(moved.relativeBase - offset).toBe(k.relativeBase);
    });

    it('reads the same table from "guest memory" of the relocated kernel through a reader', () => {
      const image = readFileSync(IMAGE);
      const k = kallsyms();
      const offset = 0x212f_8ce0_0000n;
      const mem = new Uint8Array(image);
      new DataView(mem.buffer, mem.byteOffset).setBigUint64(
        k.layout.relativeBase,
        k.relativeBase + offset,
        true,
      );
      const start = ARM64_KIMAGE_VADDR + offset;
      const m = readLinuxKallsymsFromMemory(
        (addr, len) => mem.subarray(Number(addr - start), Number(addr - start) + len),
        { start, size: mem.length },
      );
      expect(m.kaslrOffset).toBe(offset);
      expect(m.symbols.length).toBe(k.symbols.length);
      expect(m.table.lookupName('do_sys_openat2')).toBe(
        k.table.lookupName('do_sys_openat2')! + offset,
      );
    });

    it.skipIf(!existsSync(RECORDING))(
      `equals the whole local recording${existsSync(RECORDING) ? '' : ` (skipped: no recording at ${RECORDING}; make one with scripts/record-kallsyms.sh)`}`,
      () => {
        const text = readFileSync(RECORDING, 'utf8').replace(/\r/g, '').split('\n');
        const body = text
          .slice(text.indexOf('--- kallsyms begin ---') + 1, text.indexOf('--- kallsyms end ---'))
          .filter((l) => l !== '' && !l.includes('\t['));
        expect(kallsyms().symbols.map(line)).toEqual(body);
      },
    );
  },
);
