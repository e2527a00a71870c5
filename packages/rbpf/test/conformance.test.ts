import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConformanceData, parseHexBytes } from '@axebpf/test-utils/conformance-data';
import { describe, expect, it } from 'vitest';
import { assemble, EbpfVm, Program, verify } from '../src/index.js';
import { conformanceHelpers } from './conformance-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.join(here, 'conformance/bpf_conformance');
const hexDir = path.join(here, 'conformance/bpf_conformance-hex');
const files = fs
  .readdirSync(dataDir)
  .filter((f) => f.endsWith('.data'))
  .sort();
const helpers = conformanceHelpers();

function run(
  bytes: Uint8Array,
  mem: Uint8Array | undefined,
  engine: 'interpreter' | 'wasm' = 'interpreter',
): bigint {
  const vm = new EbpfVm(bytes, { helpers, engine });
  return vm.run(mem?.slice()).value;
}

describe('bpf_conformance', () => {
  it('has all 313 test files', () => {
    expect(files).toHaveLength(313);
  });

  describe.each(files)('%s', (file) => {
    const name = file.slice(0, -'.data'.length);
    const test = parseConformanceData(fs.readFileSync(path.join(dataDir, file), 'utf8'));
    const reference = parseHexBytes(fs.readFileSync(path.join(hexDir, `${name}.hex`), 'utf8'));

    it('assembles to the reference bytecode', () => {
      const ours = test.raw ?? assemble(test.asm ?? '');
      expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(reference).toString('hex'));
    });

    it('runs the reference bytecode to the expected r0', () => {
      expect(run(reference, test.mem)).toBe(test.result);
    });

    it('runs our assembly to the expected r0', () => {
      expect(run(test.raw ?? assemble(test.asm ?? ''), test.mem)).toBe(test.result);
    });

    it('runs the reference bytecode compiled to WebAssembly to the expected r0', () => {
      expect(run(reference, test.mem, 'wasm')).toBe(test.result);
    });

    it('runs the verified reference bytecode in the Wasm variant without bounds checks to the expected r0', () => {
      const program = Program.fromBytes(reference);
      verify(program, { programType: 'raw-memory', memorySize: test.mem?.length ?? 0 });
      const vm = new EbpfVm(program, { helpers, engine: 'wasm' });
      expect(vm.run(test.mem?.slice()).value).toBe(test.result);
      expect(vm.verifiedVariant).toBe(true);
    });
  });
});
