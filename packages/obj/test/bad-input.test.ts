// SPDX-License-Identifier: MIT
// Malformed objects always give an ObjError (with section/offset context), never another
// exception or a hang.
import { describe, expect, it } from 'vitest';
import { parseElf } from '../src/elf/index.js';
import { EbpfObject, loadObject, ObjError } from '../src/index.js';
import { corpus, objectBytes } from './support/corpus.js';

function loadAll(bytes: Uint8Array): void {
  const obj = EbpfObject.parse(bytes);
  for (const p of obj.programs) {
    const linked = obj.link(p.name, (d) => obj.maps.indexOf(d) + 3);
    obj.sourceLineOf(linked, 0); // parses .BTF.ext
  }
}

function expectObjError(fn: () => void): ObjError {
  try {
    fn();
  } catch (error) {
    if (!ObjError.isInstance(error))
      throw new Error(`not an ObjError: ${String(error)}`, { cause: error });
    return error;
  }
  throw new Error('no error');
}

/** xorshift32, deterministic. */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Patches the r_info of the first entry of a relocation section in a copy of an object. */
function patchReloc(
  name: string,
  relSection: string,
  patch: (view: DataView, at: number) => void,
): Uint8Array {
  const bytes = objectBytes(name).slice();
  const rel = parseElf(bytes).sectionByName(relSection)!;
  patch(new DataView(bytes.buffer), rel.offset);
  return bytes;
}

describe('bad input', () => {
  it.each(corpus)('%s truncated at every byte boundary gives ObjError', (name) => {
    const bytes = objectBytes(name);
    const codes = new Set<string>();
    for (let n = 0; n < bytes.length; n++)
      codes.add(expectObjError(() => loadAll(bytes.subarray(0, n))).code);
    expect([...codes]).toEqual(['INVALID_ELF']);
  });

  it.each(corpus)('%s with flipped bytes gives ObjError or loads (2000 mutations)', (name) => {
    const original = objectBytes(name);
    const random = rng(0x9e3779b9 ^ name.length);
    let errors = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(random() * 4);
      for (let k = 0; k < flips; k++)
        bytes[Math.floor(random() * bytes.length)]! ^= 1 << Math.floor(random() * 8);
      try {
        loadAll(bytes);
      } catch (error) {
        if (!ObjError.isInstance(error))
          throw new Error(`mutation ${i}: not an ObjError: ${String(error)}`, { cause: error });
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
  });

  it('wrong machine type', () => {
    const bytes = objectBytes('globals').slice();
    new DataView(bytes.buffer).setUint16(18, 183, true); // EM_AARCH64
    const e = expectObjError(() => EbpfObject.parse(bytes));
    expect(e.code).toBe('WRONG_MACHINE');
    expect(e.message).toContain('183');
  });

  it('a relocation against the undefined symbol names section and symbol', () => {
    // First entry of .reltracepoint/vmm/vcpu_run_exit: `r1 = 0 ll` against `hits`; point it at symbol 0.
    const bytes = patchReloc('globals', '.reltracepoint/vmm/vcpu_run_exit', (v, at) =>
      v.setUint32(at + 12, 0, true),
    );
    const e = expectObjError(() => loadAll(bytes));
    expect(e.code).toBe('UNKNOWN_SYMBOL');
    expect(e.section).toBe('tracepoint/vmm/vcpu_run_exit');
    expect(e.offset).toBe(0);
  });

  it('an unknown relocation type names section and symbol', () => {
    const bytes = patchReloc('globals', '.reltracepoint/vmm/vcpu_run_exit', (v, at) =>
      v.setUint32(at + 8, 7, true),
    );
    const e = expectObjError(() => EbpfObject.parse(bytes));
    expect(e.code).toBe('UNKNOWN_RELOCATION');
    expect(e).toMatchObject({ section: 'tracepoint/vmm/vcpu_run_exit', symbol: 'hits', offset: 0 });
    expect(e.message).toContain('`7`');
  });

  it('a map relocation on a non-lddw instruction', () => {
    // Move the first relocation to instruction 2 (an ldxdw).
    const bytes = patchReloc('globals', '.reltracepoint/vmm/vcpu_run_exit', (v, at) =>
      v.setBigUint64(at, 16n, true),
    );
    const e = expectObjError(() => loadAll(bytes));
    expect(e).toMatchObject({
      code: 'INVALID_RELOCATION',
      section: 'tracepoint/vmm/vcpu_run_exit',
      offset: 16,
    });
  });

  it('errors from the map factory propagate; an unknown program name is PROGRAM_NOT_FOUND', () => {
    expect(() =>
      loadObject(objectBytes('maps'), () => {
        throw new RangeError('no memory');
      }),
    ).toThrow(RangeError);
    expect(expectObjError(() => EbpfObject.parse(objectBytes('maps')).program('nope')).code).toBe(
      'PROGRAM_NOT_FOUND',
    );
  });

  it('not an ELF file at all', () => {
    const e = expectObjError(() =>
      EbpfObject.parse(new TextEncoder().encode('int main() { return 0; }')),
    );
    expect(e.code).toBe('INVALID_ELF');
    expect(e.offset).toBe(0);
  });
});
