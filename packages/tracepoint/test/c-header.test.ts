import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  TracepointManager,
  ManualTraceHost,
  defineEvent,
  generateCHeader,
  recordStructName,
} from '../src/index.js';
import type { EventDefinition } from '../src/index.js';
import { hasTool } from '@axebpf/test-utils/tools';

const hasClang = hasTool('clang');
const hasGcc = hasTool('gcc');
if (!hasClang)
  console.warn('c-header.test: clang not found, skipping the `clang -target bpf` check');
if (!hasGcc) console.warn('c-header.test: gcc not found, skipping the host compiler check');

const events: EventDefinition[] = [
  defineEvent({
    system: 'vmm',
    name: 'vcpu_run_exit',
    fields: [
      ['vm_id', 'u32'],
      ['vcpu_id', 'u32'],
      ['exit_reason', 'u32'],
      ['pc', 'u64'],
    ],
  } as const),
  defineEvent({
    system: 'vmm',
    name: 'device_access',
    fields: [
      ['vm_id', 'u16'],
      ['addr', 'u64'],
      ['width', 'u8'],
      ['is_write', 'bool'],
      ['device', 'string'],
      ['value', 's64'],
    ],
  } as const),
  defineEvent({
    system: 'vmm',
    name: 'mixed',
    fields: [
      ['a', 's8'],
      ['b', 's16'],
      ['name', 'char[13]'],
      ['c', 's32'],
      ['d', 'u8'],
      ['e', 'u64'],
      ['f', 'char[3]'],
    ],
  } as const),
  defineEvent({
    system: 'shell',
    name: 'shell_command',
    fields: [
      ['cmd_id', 'u32'],
      ['duration_ns', 'u64'],
    ],
  } as const),
  defineEvent({ system: 'vmm', name: 'empty', fields: [] } as const),
  defineEvent({ system: 'other', name: 'empty', fields: [['x', 'u8']] } as const),
];

function assertions(): string {
  let c = '#include "tp.h"\n';
  for (const e of events) {
    const s = `struct ${recordStructName(e, events)}`;
    c += `_Static_assert(sizeof(${s}) == ${e.fixedSize}, "${e.fullName} size");\n`;
    c += `_Static_assert(__builtin_offsetof(${s}, ent.type) == 0 && __builtin_offsetof(${s}, ent.flags) == 2 && __builtin_offsetof(${s}, ent.preempt_count) == 3 && __builtin_offsetof(${s}, ent.pid) == 4, "${e.fullName} header");\n`;
    for (const f of e.fields) {
      const member = f.kind === 'dynamic-string' ? `__data_loc_${f.name}` : f.name;
      c += `_Static_assert(__builtin_offsetof(${s}, ${member}) == ${f.offset}, "${e.fullName}.${f.name} offset");\n`;
      c += `_Static_assert(sizeof(((${s} *)0)->${member}) == ${f.size}, "${e.fullName}.${f.name} size");\n`;
    }
  }
  c += '_Static_assert(AXEBPF_TP_ID_vmm_vcpu_run_exit == 7, "id");\n';
  return c;
}

const dir = mkdtempSync(join(tmpdir(), 'axebpf-tp-header-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeSources(): string {
  writeFileSync(
    join(dir, 'tp.h'),
    generateCHeader(events, { ids: new Map([['vmm:vcpu_run_exit', 7]]) }),
  );
  const src = join(dir, 'check.c');
  writeFileSync(src, assertions());
  return src;
}

describe('generateCHeader', () => {
  it('names structs like vmlinux.h and prefixes the system on shared names', () => {
    const h = generateCHeader(events);
    expect(h).toContain(
      'struct trace_event_raw_vcpu_run_exit {\n\tstruct trace_entry ent;\n\t__u32 vm_id;',
    );
    expect(h).toContain('struct trace_event_raw_vmm_empty {');
    expect(h).toContain('struct trace_event_raw_other_empty {');
    expect(h).toContain('\t__u32 __data_loc_device;\n');
    expect(h).toContain('\tchar name[13];\n');
    expect(h).toContain('\t_Bool is_write;\n');
  });

  it.skipIf(!hasClang)('matches the format offsets when compiled with clang -target bpf', () => {
    const src = writeSources();
    expect(() =>
      execFileSync('clang', ['-target', 'bpf', '-O2', '-c', src, '-o', join(dir, 'check.o')], {
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });

  it.skipIf(!hasGcc)('matches the format offsets on the host C compiler too', () => {
    const src = writeSources();
    expect(() =>
      execFileSync('gcc', ['-fsyntax-only', '-std=c11', src], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it.skipIf(!hasClang)('fails to compile when an offset is wrong (the check can fail)', () => {
    writeSources();
    const bad = join(dir, 'bad.c');
    writeFileSync(
      bad,
      '#include "tp.h"\n_Static_assert(__builtin_offsetof(struct trace_event_raw_vcpu_run_exit, pc) == 20, "wrong");\n',
    );
    const r = spawnSync('clang', ['-target', 'bpf', '-fsyntax-only', bad], { stdio: 'pipe' });
    expect(r.status).not.toBe(0);
  });

  it('takes the events of a manager', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    mgr.register(events[0]!);
    const h = generateCHeader(mgr.list().map((i) => mgr.get(i.name)!.event));
    expect(h.match(/^struct trace_event_raw_/gm)).toHaveLength(1);
  });
});
