// Hosts that forbid code generation: the built package must fall back to closures and behave
// the same. Runs the built dist in a child `node --disallow-code-generation-from-strings`.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const hasDist = existsSync(dist);
if (!hasDist) console.warn('no-codegen.test: dist/ not built (run the build first), skipping');

const script = `
import { TracepointManager, ManualTraceHost } from ${JSON.stringify(dist)};
let blocked = false;
try { new Function('return 1'); } catch { blocked = true; }
const mgr = new TracepointManager({ host: new ManualTraceHost({ timeNs: 2_500_000_000n }) });
const tp = mgr.define({ system: 'vmm', name: 'dev', fields: [['vm_id', 'u32'], ['addr', 'u64'], ['comm', 'char[8]'], ['device', 'string'], ['ok', 'bool']] });
mgr.enable('vmm:dev');
mgr.setFilter('vmm:dev', 'device ~ "pl*" && vm_id == 1');
tp.emit(1, 0x9000000n, 'vcpu0', 'pl011', true);
tp.emit(2, 0x9000000n, 'vcpu0', 'pl011', true);
console.log(JSON.stringify({ blocked, text: mgr.pipe.readText(), counters: mgr.counters('vmm:dev') }));
`;

describe('without code generation', () => {
  it.skipIf(!hasDist)('falls back to closures for emit and filters', () => {
    const out = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    const r = JSON.parse(out) as {
      blocked: boolean;
      text: string;
      counters: { hits: number; filtered: number };
    };
    expect(r.blocked).toBe(true);
    expect(r.text).toBe(
      '         axvisor-0       [000] .....     2.500000: vmm:dev: vm_id=1 addr=150994944 comm=vcpu0 device=pl011 ok=1\n',
    );
    expect(r.counters).toMatchObject({ hits: 2, filtered: 1 });
  });
});
