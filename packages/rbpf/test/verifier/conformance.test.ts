import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConformanceData } from '@axebpf/test-utils/conformance-data';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../src/assembler.js';
import { verify, VerifierError } from '../../src/verifier/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dataDir = path.join(here, '../conformance/bpf_conformance');
const files = fs
  .readdirSync(dataDir)
  .filter((f) => f.endsWith('.data'))
  .sort();

/**
 * Conformance programs the verifier rejects, with the reason they are unsafe or unprovable.
 * Everything else must be accepted under the raw-memory type with the test's memory size.
 */
const EXPECTED_REJECTS: Record<string, string> = {};

describe('bpf_conformance programs under the raw-memory type', () => {
  it('has all 313 test files', () => {
    expect(files).toHaveLength(313);
  });

  it.each(files)('%s', (file) => {
    const name = file.slice(0, -'.data'.length);
    const test = parseConformanceData(fs.readFileSync(path.join(dataDir, file), 'utf8'));
    const bytes = test.raw ?? assemble(test.asm ?? '');
    const run = () =>
      verify(bytes, { programType: 'raw-memory', memorySize: test.mem?.length ?? 0 });
    const expected = EXPECTED_REJECTS[name];
    if (expected === undefined) {
      expect(run().ok).toBe(true);
    } else {
      expect(run).toThrow(VerifierError);
      try {
        run();
      } catch (e) {
        expect((e as VerifierError).code).toBe(expected);
      }
    }
  });
});
