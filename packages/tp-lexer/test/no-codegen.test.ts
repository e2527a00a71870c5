// Hosts that forbid code generation: codegen mode must fall back to closures. Runs the built
// dist in a child `node --disallow-code-generation-from-strings`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const hasDist = existsSync(dist);
if (!hasDist) console.warn('no-codegen.test: dist/ not built (run the build first), skipping');

const script = `
import { compileFilterText } from ${JSON.stringify(dist)};
const fields = [{ name: 'x', kind: 'integer', offset: 0, size: 8, signed: true }];
const f = compileFilterText('x < -5 || x == 7', fields, { mode: 'codegen' });
const rec = (v) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, v, true); return b; };
console.log(JSON.stringify({ mode: f.mode, results: [-6n, -5n, 7n, 8n].map((v) => f.test(rec(v))) }));
`;

describe('without code generation', () => {
  it.skipIf(!hasDist)('falls back to closures and gives the same answers', () => {
    const out = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(out)).toEqual({ mode: 'closures', results: [true, false, true, false] });
  });
});
