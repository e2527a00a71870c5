// SPDX-License-Identifier: MIT
// Global data is one map value per section, shared by every reference (issue 23 bug 2):
// shared-globals.bpf.c updates weights[i] in one function and reads it back in another.
import { BPF_F_RDONLY_PROG, BpfSystem } from '@axebpf/kbpf-basic';
import { describe, expect, it } from 'vitest';
import { runElfPlugin } from '../src/cli/plugin-elf.js';
import type { MapDefinition } from '../src/index.js';
import { EbpfObject, loadObject } from '../src/index.js';
import { objectBytes } from './support/corpus.js';

// bump(2): weights[2] = 3 + 100, seen[2] = 1; read_back(2) = 103 + 1 * 1000 + bias 7 = 1110.
const EXPECTED = 103 * 100000 + 1110;

describe('global data sections', () => {
  it('link asks for each map once, however many lddw refer to it', () => {
    const obj = EbpfObject.parse(objectBytes('shared-globals'));
    const asked: string[] = [];
    obj.link('globals_shared', (d: MapDefinition) => {
      asked.push(d.name);
      return asked.length + 2;
    });
    expect(asked.sort()).toEqual(['.bss', '.data', '.rodata']);
  });

  it.each(['interpreter', 'wasm'] as const)(
    'the conformance ELF plugin shares .data/.bss between functions (%s)',
    (engine) => {
      const out = runElfPlugin(
        ['--engine', engine, '--entry', 'globals_shared'],
        objectBytes('shared-globals'),
      );
      expect(out).toMatchObject({ status: 0, stdout: `${EXPECTED.toString(16)}\n` });
    },
  );

  it.each(['interpreter', 'wasm'] as const)(
    'through BpfSystem, state persists across runs (%s)',
    (engine) => {
      const bpf = new BpfSystem();
      const o = loadObject(objectBytes('shared-globals'), (d) => {
        const fd = bpf.mapCreate({
          mapType: d.mapType,
          keySize: d.keySize,
          valueSize: d.valueSize,
          maxEntries: d.maxEntries,
          mapFlags: d.mapFlags,
          name: d.name,
        });
        if (d.initialValue !== undefined) bpf.mapUpdateElem(fd, new Uint8Array(4), d.initialValue);
        if (d.frozen === true) bpf.mapFreeze(fd);
        return fd;
      });
      expect(
        o.maps.find((m) => m.name === '.rodata')!.definition.mapFlags & BPF_F_RDONLY_PROG,
      ).toBe(BPF_F_RDONLY_PROG);
      const fd = bpf.progLoad({ insns: o.programs[0]!.bytecode, engine });
      expect(bpf.progRun(fd).value).toBe(BigInt(EXPECTED));
      // second run: weights[2] = 203, seen[2] = 2
      expect(bpf.progRun(fd).value).toBe(BigInt(203 * 100000 + 203 + 2000 + 7));
    },
  );
});
