// SPDX-License-Identifier: MIT
import { describe, expect, it } from 'vitest';
import {
  buildBlob,
  compressBlob,
  decompressBlob,
  formatNmText,
  isCompressedBlob,
  KsymError,
  KsymTable,
  MAX_TOKENS,
  parseNmText,
} from '../src/index.js';
import type { KsymInput } from '../src/index.js';
import { ascii, record, writeRawBlob } from './blob-helpers.js';

const MANGLED =
  '_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h6e6e32b5e5ae1a5bE';
const UPSTREAM = `0000000000001000 T do_mkdir
0000000000001200 T cpu_startup_entry
0000000000001300 T alias_do_fork
0000000000001300 T do_fork
0000000000001300 T do_fork_2
0000000000001400 T cpu_startup_entry
0000000000001500 T ${MANGLED}
`;

function catchKsym(fn: () => unknown): KsymError {
  try {
    fn();
  } catch (err) {
    if (KsymError.isInstance(err)) return err;
    throw new Error(`expected a KsymError, got ${String(err)}`);
  }
  throw new Error('expected a KsymError, nothing was thrown');
}

/** A deterministic generator of kernel-like names. */
function syntheticSymbols(count: number, seed = 1): KsymInput[] {
  let s = seed;
  const rand = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  const prefixes = [
    'ext4_',
    'vfs_',
    'do_sys_',
    '__x64_sys_',
    'sched_',
    'mm_',
    'tcp_v4_',
    'kvm_arch_',
    '_ZN4core3fmt',
    '_ZN9axvisor3vmm',
  ];
  const words = [
    'read',
    'write',
    'open',
    'close',
    'map',
    'blocks',
    'iter',
    'entry',
    'exit',
    'lock',
    'unlock',
    'init',
    'handle',
    'fault',
  ];
  const out: KsymInput[] = [];
  let addr = 0xffff_8000_8000_0000n;
  for (let i = 0; i < count; i++) {
    addr += BigInt(1 + rand(300)) * 4n;
    const name = `${prefixes[rand(prefixes.length)]}${words[rand(words.length)]}_${words[rand(words.length)]}${rand(4) === 0 ? `.${i}` : ''}`;
    out.push({ address: addr, type: rand(5) === 0 ? 't' : 'T', name });
    if (rand(20) === 0) out.push({ address: addr, type: 'T', name: `alias_${i}` });
  }
  return out;
}

describe('upstream simple_test cases (Starry-OS/ksym gen_ksym.rs)', () => {
  const table = KsymTable.fromBlob(buildBlob(parseNmText(UPSTREAM)).blob, {
    stext: 0x1000n,
    etext: 0x1600n,
  });

  it('resolves addresses with offset, size and type', () => {
    expect(table.lookupAddress(100n)).toBeUndefined();
    expect(table.lookupAddress(0x1200n)).toMatchObject({
      name: 'cpu_startup_entry',
      size: 0x100,
      offset: 0,
      type: 'T',
    });
    expect(table.lookupAddress(0x1300n)).toMatchObject({
      name: 'alias_do_fork',
      size: 0x100,
      offset: 0,
    });
    expect(table.lookupAddress(0x1250n)).toMatchObject({ name: 'cpu_startup_entry', offset: 0x50 });
    expect(table.lookupAddress(0x1450n)).toMatchObject({
      name: 'cpu_startup_entry',
      size: 0x100,
      offset: 0x50,
    });
    expect(table.lookupAddress(0x1550n)).toMatchObject({
      name: MANGLED,
      size: 0x100,
      offset: 0x50,
    });
    expect(table.lookupAddress(0x1600n)).toBeUndefined();
  });

  it('resolves names to the first duplicate, and mangled names verbatim', () => {
    expect(table.lookupName('cpu_startup_entry')).toBe(0x1200n);
    expect(table.lookupName('do_fork_2')).toBe(0x1300n);
    expect(table.lookupName(MANGLED)).toBe(0x1500n);
    expect(table.lookupName('nope')).toBeUndefined();
    expect(table.lookupNameAll('cpu_startup_entry').map((e) => e.address)).toEqual([
      0x1200n,
      0x1400n,
    ]);
  });

  it('resolves an address inside an aliased range to the first alias (upstream gave the last)', () => {
    expect(table.lookupAddress(0x1350n)!.name).toBe('alias_do_fork');
    expect(table.symbolsAt(0x1300n).map((e) => e.name)).toEqual([
      'alias_do_fork',
      'do_fork',
      'do_fork_2',
    ]);
    expect(table.symbolsAt(0x1301n)).toEqual([]);
  });

  it('demangles for display while keeping the mangled name', () => {
    expect(table.entry(6).name).toBe(MANGLED);
    expect(table.demangledName(6)).toBe(
      'core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>',
    );
  });
});

describe('search and iteration', () => {
  const table = KsymTable.fromBlob(buildBlob(parseNmText(UPSTREAM)).blob);

  it('finds by substring and prefix in address order, with a limit', () => {
    expect(table.search('fork').map((e) => e.name)).toEqual([
      'alias_do_fork',
      'do_fork',
      'do_fork_2',
    ]);
    expect(table.search('do_', { mode: 'prefix' }).map((e) => e.name)).toEqual([
      'do_mkdir',
      'do_fork',
      'do_fork_2',
    ]);
    expect(table.search('fork', { limit: 2 })).toHaveLength(2);
    expect(table.search('do_', { mode: 'prefix', limit: 1 }).map((e) => e.name)).toEqual([
      'do_mkdir',
    ]);
    expect(table.search('lang_start')).toHaveLength(1);
    expect(table.search('std::rt::lang_start<()>')).toHaveLength(0);
    expect(table.search('std::rt::lang_start<()>', { demangled: true })).toHaveLength(1);
  });

  it('iterates in address order and round-trips to nm text', () => {
    expect([...table].map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(formatNmText(table)).toBe(UPSTREAM);
  });

  it('defaults stext/etext to the first address and one past the last', () => {
    expect(table.stext).toBe(0x1000n);
    expect(table.etext).toBe(0x1501n);
    expect(table.lookupAddress(0x1500n)).toMatchObject({ size: 1 });
    expect(table.lookupAddress(0x1501n)).toBeUndefined();
  });
});

describe('buildBlob', () => {
  it('is deterministic and independent of input order for distinct addresses', () => {
    const seen = new Set<string>();
    const symbols = syntheticSymbols(3000).filter(
      (s, i, all) =>
        (i === 0 || s.address !== all[i - 1]!.address) &&
        !seen.has(s.name) &&
        seen.add(s.name) !== undefined,
    );
    const a = buildBlob(symbols).blob;
    const b = buildBlob(symbols).blob;
    const shuffled = [...symbols].reverse();
    const c = buildBlob(shuffled).blob;
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(true);
  });

  it('round-trips many symbols with aliases, using at most 511 tokens', () => {
    const symbols = syntheticSymbols(20000);
    const built = buildBlob(symbols);
    expect(built.tokenCount).toBeGreaterThan(100);
    expect(built.tokenCount).toBeLessThanOrEqual(MAX_TOKENS);
    expect(built.namesArrayBytes).toBeLessThan(built.nameBytes);
    const table = KsymTable.fromBlob(built.blob);
    expect(table.toInputs()).toEqual(symbols);
    for (let i = 0; i < symbols.length; i += 97)
      expect(table.lookupName(symbols[i]!.name)).toBeDefined();
  });

  it('uses 2-byte token ids above 255 and never id 511', () => {
    // 600 groups of names sharing distinct long prefixes: more candidates than ids.
    const symbols: KsymInput[] = [];
    for (let g = 0; g < 600; g++) {
      for (let k = 0; k < 3; k++)
        symbols.push({
          address: BigInt(g * 16 + k),
          type: 'T',
          name: `group_prefix_number_${String(g).padStart(4, '0')}_member${k}`,
        });
    }
    const built = buildBlob(symbols);
    expect(built.tokenCount).toBe(MAX_TOKENS);
    const table = KsymTable.fromBlob(built.blob);
    expect(table.toInputs()).toEqual(symbols);
    // No record starts with FF 01 FF FF (id 511).
    const b = built.blob;
    for (let i = 0; i + 3 < b.length; i++)
      expect(b[i] === 0xff && b[i + 1] === 1 && b[i + 2] === 0xff && b[i + 3] === 0xff).toBe(false);
  });

  it('compresses nothing with maxTokens 0 and still round-trips', () => {
    const symbols = syntheticSymbols(500);
    const built = buildBlob(symbols, { maxTokens: 0 });
    expect(built.tokenCount).toBe(0);
    expect(KsymTable.fromBlob(built.blob).toInputs()).toEqual(symbols);
  });

  it('rejects bad names, types, addresses and options', () => {
    expect(catchKsym(() => buildBlob([{ address: 0n, type: 'T', name: '' }])).code).toBe(
      'BAD_NAME',
    );
    expect(catchKsym(() => buildBlob([{ address: 0n, type: 'T', name: 'a\0b' }])).code).toBe(
      'BAD_NAME',
    );
    expect(
      catchKsym(() => buildBlob([{ address: 0n, type: 'T', name: 'x'.repeat(4097) }])).code,
    ).toBe('BAD_NAME');
    expect(catchKsym(() => buildBlob([{ address: 0n, type: 'TT', name: 'a' }])).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(catchKsym(() => buildBlob([{ address: -1n, type: 'T', name: 'a' }])).code).toBe(
      'INVALID_ARGUMENT',
    );
    expect(catchKsym(() => buildBlob([], { maxTokens: 512 })).code).toBe('INVALID_ARGUMENT');
  });

  it('handles an empty table', () => {
    const table = KsymTable.fromBlob(buildBlob([]).blob);
    expect(table.length).toBe(0);
    expect(table.lookupAddress(0n)).toBeUndefined();
    expect(table.lookupName('a')).toBeUndefined();
  });
});

describe('upstream token id 511 (FF 01 FF FF)', () => {
  it('decodes id 511 as token 511, not as token 1 followed by 0xFF', () => {
    const tokens = Array.from({ length: 512 }, (_, k) => Uint8Array.from(ascii(`tok${k}_`)));
    const blob = writeRawBlob({
      addresses: [0x10n, 0x20n, 0x30n],
      records: [
        record('T', [0xff, 0x01, 0xff, 0xff, ...ascii('tail')]),
        record('t', [0xff, 0x01, 0xff, ...ascii('x')]),
        record('T', [0xff, 0x01, 0x05, 0xff, ...ascii('y')]),
      ],
      seqs: [1, 2, 0],
      tokens,
    });
    const table = KsymTable.fromBlob(blob);
    expect(table.toInputs().map((e) => e.name)).toEqual(['tok511_tail', 'tok1_x', 'tok261_y']);
  });
});

describe('malformed blobs', () => {
  const good = buildBlob(syntheticSymbols(40)).blob;

  it('gives a KsymError with an offset for every truncation', () => {
    for (let n = 0; n < good.length; n++) {
      const err = catchKsym(() => KsymTable.fromBlob(good.subarray(0, n)));
      expect(err.offset, `length ${n}`).toBeLessThanOrEqual(n);
    }
  });

  it('never throws anything but KsymError for single-byte corruptions', () => {
    let rejected = 0;
    for (let i = 0; i < good.length; i++) {
      const bad = good.slice();
      bad[i] = bad[i]! ^ 0xa5;
      try {
        KsymTable.fromBlob(bad);
      } catch (err) {
        expect(KsymError.isInstance(err), `byte ${i}: ${String(err)}`).toBe(true);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(good.length / 4);
  });

  it('reports bad offsets, tokens, order, records and index with their codes', () => {
    const base = {
      addresses: [1n, 2n],
      records: [record('T', ascii('a')), record('T', ascii('b'))],
      seqs: [0, 1],
      tokens: [Uint8Array.from(ascii('tok'))],
    };
    expect(
      KsymTable.fromBlob(writeRawBlob(base))
        .toInputs()
        .map((e) => e.name),
    ).toEqual(['a', 'b']);
    expect(
      catchKsym(() => KsymTable.fromBlob(writeRawBlob({ ...base, addresses: [2n, 1n] }))).code,
    ).toBe('BAD_ORDER');
    expect(
      catchKsym(() =>
        KsymTable.fromBlob(
          writeRawBlob({ ...base, records: [record('T', [0xff, 7, 0xff]), base.records[1]!] }),
        ),
      ).code,
    ).toBe('BAD_TOKEN');
    expect(
      catchKsym(() =>
        KsymTable.fromBlob(
          writeRawBlob({ ...base, records: [record('T', [0xff, 7]), base.records[1]!] }),
        ),
      ).code,
    ).toBe('BAD_RECORD');
    expect(catchKsym(() => KsymTable.fromBlob(writeRawBlob({ ...base, seqs: [1, 0] }))).code).toBe(
      'BAD_INDEX',
    );
    expect(catchKsym(() => KsymTable.fromBlob(writeRawBlob({ ...base, seqs: [0, 0] }))).code).toBe(
      'BAD_INDEX',
    );
    expect(catchKsym(() => KsymTable.fromBlob(writeRawBlob({ ...base, seqs: [0, 5] }))).code).toBe(
      'BAD_INDEX',
    );
    const lying = writeRawBlob(base);
    new DataView(lying.buffer).setUint32(8 + 16 + 4, 999, true); // offsets[1]
    const err = catchKsym(() => KsymTable.fromBlob(lying));
    expect([err.code, err.offset]).toEqual(['BAD_OFFSET', 8 + 16 + 4]);
    const huge = writeRawBlob(base);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(catchKsym(() => KsymTable.fromBlob(huge)).code).toBe('TOO_LARGE');
  });
});

describe('parseNmText', () => {
  it('skips undefined symbols and blank lines and re-joins multi-word names', () => {
    expect(parseNmText('                 U printk\n\nffff0000 T a b  c\r\n00000010 t x\n')).toEqual(
      [
        { address: 0xffff0000n, type: 'T', name: 'a b c' },
        { address: 0x10n, type: 't', name: 'x' },
      ],
    );
  });

  it('reports the line of a malformed entry', () => {
    const err = catchKsym(() => parseNmText('0000 T ok\nzzzz T bad\n'));
    expect([err.code, err.line]).toEqual(['BAD_INPUT', 2]);
    expect(catchKsym(() => parseNmText('0000 T\n')).line).toBe(1);
    expect(catchKsym(() => parseNmText(`0 T ${'n'.repeat(5000)}\n`)).code).toBe('BAD_NAME');
  });
});

describe('address lookup against a reference model', () => {
  /** The kallsyms rule written out plainly: last symbol ≤ addr, then its first alias. */
  function reference(
    symbols: KsymInput[],
    stext: bigint,
    etext: bigint,
    addr: bigint,
  ): [string, bigint, bigint, bigint] | undefined {
    if (addr < stext || addr >= etext) return undefined;
    let i = -1;
    for (let k = 0; k < symbols.length; k++) if (symbols[k]!.address <= addr) i = k;
    if (i < 0) return undefined;
    while (i > 0 && symbols[i - 1]!.address === symbols[i]!.address) i--;
    const start = symbols[i]!.address;
    const next = symbols.find((s) => s.address > start);
    return [symbols[i]!.name, start, addr - start, (next?.address ?? etext) - start];
  }

  const cases: [string, bigint, bigint][] = [
    ['kernel addresses', 0xffff_8000_8000_0000n, 0x40n],
    ['low addresses', 0x1000n, 0x10n],
    ['a span above 2^53 (slow path)', 0n, 1n << 50n],
  ];
  for (const [label, base, stride] of cases) {
    it(`agrees on ${label}, with aliases and a narrowed text range`, () => {
      let seed = 5;
      const next = (n: number): number => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return seed % n;
      };
      const symbols: KsymInput[] = [];
      let addr = base;
      for (let i = 0; i < 300; i++) {
        if (next(5) !== 0) addr += BigInt(1 + next(8)) * stride;
        symbols.push({ address: addr, type: 'T', name: `s${i}` });
      }
      const last = symbols[symbols.length - 1]!.address;
      for (const [stext, etext] of [
        [base, last + stride],
        [base + stride * 50n, last - stride * 50n],
        [base + 1n, last],
      ] as [bigint, bigint][]) {
        const table = KsymTable.fromBlob(buildBlob(symbols).blob, { stext, etext });
        const probes = [
          stext - 1n,
          stext,
          etext - 1n,
          etext,
          last,
          base,
          ...symbols.map((s) => s.address),
          ...symbols.map((s) => s.address + stride / 2n),
        ];
        for (let k = 0; k < 200; k++)
          probes.push(base + (BigInt(next(1 << 30)) * (last - base + stride)) / BigInt(1 << 30));
        for (const p of probes) {
          if (p < 0n) continue;
          const hit = table.lookupAddress(p);
          const want = reference(symbols, stext, etext, p);
          expect(
            hit === undefined
              ? undefined
              : [hit.name, hit.address, BigInt(hit.offset), BigInt(hit.size)],
          ).toEqual(want);
          expect(table.indexOfAddress(p)).toBe(hit?.index ?? -1);
          if (p < 1n << 64n)
            expect(table.indexOfAddressParts(Number(p >> 32n), Number(p & 0xffff_ffffn))).toBe(
              hit?.index ?? -1,
            );
        }
      }
    });
  }
});

describe('compressed container', () => {
  it('round-trips through compressBlob and is read by fromBlob directly', () => {
    const symbols = syntheticSymbols(5000);
    const blob = buildBlob(symbols).blob;
    const packed = compressBlob(blob);
    expect(isCompressedBlob(packed)).toBe(true);
    expect(isCompressedBlob(blob)).toBe(false);
    expect(packed.length).toBeLessThan(blob.length / 2);
    expect(Buffer.from(decompressBlob(packed)).equals(Buffer.from(blob))).toBe(true);
    expect(KsymTable.fromBlob(packed).toInputs()).toEqual(symbols);
  });

  it('rejects truncated, corrupt and oversized containers with typed errors', () => {
    const packed = compressBlob(buildBlob(syntheticSymbols(300)).blob);
    for (const n of [8, 12, 16, 40, packed.length - 1]) {
      const err = catchKsym(() => KsymTable.fromBlob(packed.subarray(0, n)));
      expect(['TRUNCATED', 'BAD_COMPRESSION', 'TOO_LARGE']).toContain(err.code);
    }
    const lying = packed.slice();
    new DataView(lying.buffer).setBigUint64(8, 5n, true);
    expect(catchKsym(() => KsymTable.fromBlob(lying)).code).toBe('BAD_COMPRESSION');
    const huge = packed.slice();
    new DataView(huge.buffer).setBigUint64(8, 1n << 40n, true);
    expect(catchKsym(() => KsymTable.fromBlob(huge)).code).toBe('TOO_LARGE');
  });
});

describe('compatibility with the upstream decoder', () => {
  /** Upstream's marker rule (src/lib.rs): `FF id FF` when the third byte is FF, else `FF hi lo FF`. */
  function upstreamNames(blob: Uint8Array): string[] {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const n = Number(view.getBigUint64(0, true));
    let pos = 8 + n * 8;
    const offsetsAt = pos;
    pos += n * 4;
    pos += n * 4;
    pos = Math.ceil(pos / 8) * 8;
    const namesLen = Number(view.getBigUint64(pos, true));
    const namesAt = pos + 8;
    pos = Math.ceil((namesAt + namesLen) / 8) * 8;
    const tableLen = Number(view.getBigUint64(pos, true));
    const tableAt = pos + 8;
    pos = Math.ceil((tableAt + tableLen) / 8) * 8;
    const count = Number(view.getBigUint64(pos, true));
    const indexAt = pos + 8;
    const token = (k: number): Uint8Array =>
      blob.subarray(
        tableAt + view.getUint32(indexAt + 4 * k, true),
        tableAt + (k + 1 < count ? view.getUint32(indexAt + 4 * (k + 1), true) : tableLen),
      );
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const at = namesAt + view.getUint32(offsetsAt + 4 * i, true);
      const len = blob[at + 1]! | (blob[at + 2]! << 8);
      const p = blob.subarray(at + 3, at + 3 + len);
      let bytes: number[];
      if (p[0] === 0xff && p[2] === 0xff) bytes = [...token(p[1]!), ...p.subarray(3)];
      else if (p[0] === 0xff) bytes = [...token((p[1]! << 8) | p[2]!), ...p.subarray(4)];
      else bytes = [...p];
      out.push(new TextDecoder().decode(Uint8Array.from(bytes)));
    }
    return out;
  }

  it('gives the same names under the upstream marker rule for blobs with 1- and 2-byte token ids', () => {
    const symbols: KsymInput[] = [];
    for (let g = 0; g < 600; g++)
      for (let k = 0; k < 3; k++)
        symbols.push({
          address: BigInt(g * 16 + k),
          type: 'T',
          name: `group_prefix_number_${g}_member${k}`,
        });
    symbols.push(
      ...syntheticSymbols(3000).map((s, i) => ({ ...s, address: 0x100000n + BigInt(i) })),
    );
    const built = buildBlob(symbols);
    expect(upstreamNames(built.blob)).toEqual(
      KsymTable.fromBlob(built.blob)
        .toInputs()
        .map((s) => s.name),
    );
    expect(upstreamNames(built.blob)).toEqual(symbols.map((s) => s.name));
  });
});

describe('KsymTable.fromSymbols', () => {
  const symbols = parseNmText(UPSTREAM);

  it('answers like the table of the same symbols read from a blob', () => {
    const a = KsymTable.fromSymbols(symbols);
    const b = KsymTable.fromBlob(buildBlob(symbols).blob);
    for (let addr = 0xf00n; addr < 0x1700n; addr += 0x10n)
      expect(a.lookupAddress(addr)).toEqual(b.lookupAddress(addr));
    for (const s of symbols) {
      expect(a.lookupName(s.name)).toBe(b.lookupName(s.name));
      expect(a.lookupNameAll(s.name)).toEqual(b.lookupNameAll(s.name));
    }
    expect(a.search('do_', { mode: 'prefix' })).toEqual(b.search('do_', { mode: 'prefix' }));
  });

  it('uses a correct name order it is given and ignores a wrong one', () => {
    const order = symbols
      .map((_, i) => i)
      .sort((x, y) =>
        symbols[x]!.name < symbols[y]!.name ? -1 : symbols[x]!.name > symbols[y]!.name ? 1 : x - y,
      );
    const wrong = [...order].reverse();
    for (const nameOrder of [order, wrong, [0, 0, 0, 0, 0, 0, 0], [1]]) {
      const t = KsymTable.fromSymbols(symbols, { nameOrder });
      expect(t.lookupNameAll('cpu_startup_entry').map((e) => e.address)).toEqual([
        0x1200n,
        0x1400n,
      ]);
      expect(t.search('do_fork', { mode: 'prefix' }).map((e) => e.name)).toEqual([
        'do_fork',
        'do_fork_2',
      ]);
    }
  });

  it('refuses addresses out of order with BAD_ORDER and the symbol index', () => {
    const err = catchKsym(() => KsymTable.fromSymbols([symbols[1]!, symbols[0]!]));
    expect(err.code).toBe('BAD_ORDER');
    expect(err.symbol).toBe(1);
    expect(
      catchKsym(() => KsymTable.fromSymbols([{ address: -1n, type: 'T', name: 'x' }])).code,
    ).toBe('BAD_NAME');
  });
});
