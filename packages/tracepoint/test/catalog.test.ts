// The shape of the vmm:*/shell:* catalog (defined for real by axvisor-vmm and the shell app):
// checks that 29 events are quick to declare as constants and register side by side.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualTraceHost, TracepointManager, defineEvent, generateCHeader } from '../src/index.js';
import type { FieldSpec } from '../src/index.js';
import { hasTool } from '@axebpf/test-utils/tools';

const vm = [['vm_id', 'u32']] as const;
const vcpu = [
  ['vm_id', 'u32'],
  ['vcpu_id', 'u32'],
] as const;
const specs: { system: string; name: string; fields: readonly FieldSpec[]; id?: number }[] = [
  { system: 'vmm', name: 'vm_create', fields: [...vm, ['vcpu_count', 'u32'], ['name', 'string']] },
  { system: 'vmm', name: 'vm_boot', fields: vm },
  { system: 'vmm', name: 'vm_shutdown', fields: vm },
  { system: 'vmm', name: 'vm_destroy', fields: vm, id: 4 },
  { system: 'vmm', name: 'vcpu_create', fields: vcpu },
  { system: 'vmm', name: 'vcpu_destroy', fields: vcpu },
  { system: 'vmm', name: 'vcpu_state_change', fields: [...vcpu, ['from', 'u8'], ['to', 'u8']] },
  { system: 'vmm', name: 'vcpu_run_enter', fields: [...vcpu, ['pc', 'u64']] },
  {
    system: 'vmm',
    name: 'vcpu_run_exit',
    fields: [...vcpu, ['exit_reason', 'u32'], ['pc', 'u64']],
  },
  {
    system: 'vmm',
    name: 'hypercall',
    fields: [...vcpu, ['nr', 'u64'], ['arg0', 'u64'], ['ret', 's64']],
  },
  { system: 'vmm', name: 'external_interrupt', fields: [...vcpu, ['irq', 'u32']] },
  { system: 'vmm', name: 'vcpu_halt', fields: vcpu },
  { system: 'vmm', name: 'cpu_up', fields: [...vcpu, ['target_cpu', 'u64'], ['entry', 'u64']] },
  { system: 'vmm', name: 'ipi_send', fields: [...vcpu, ['target_cpu', 'u64'], ['sgi', 'u32']] },
  {
    system: 'vmm',
    name: 'memory_map',
    fields: [...vm, ['gpa', 'u64'], ['hpa', 'u64'], ['size', 'u64'], ['flags', 'u32']],
  },
  { system: 'vmm', name: 'memory_unmap', fields: [...vm, ['gpa', 'u64'], ['size', 'u64']] },
  { system: 'vmm', name: 'page_fault', fields: [...vcpu, ['gpa', 'u64'], ['is_write', 'bool']] },
  {
    system: 'vmm',
    name: 'device_access',
    fields: [
      ...vcpu,
      ['addr', 'u64'],
      ['width', 'u8'],
      ['is_write', 'bool'],
      ['value', 'u64'],
      ['device', 'char[16]'],
    ],
  },
  { system: 'vmm', name: 'irq_inject', fields: [...vcpu, ['irq', 'u32']] },
  {
    system: 'vmm',
    name: 'irq_handle',
    fields: [
      ['irq', 'u32'],
      ['duration_ns', 'u64'],
    ],
  },
  {
    system: 'vmm',
    name: 'vmm_init',
    fields: [
      ['cpu_count', 'u32'],
      ['duration_ns', 'u64'],
    ],
    id: 50,
  },
  { system: 'vmm', name: 'vhal_init', fields: [['duration_ns', 'u64']] },
  { system: 'vmm', name: 'config_load', fields: [...vm, ['duration_ns', 'u64']], id: 52 },
  {
    system: 'vmm',
    name: 'image_load',
    fields: [...vm, ['image_size', 'u64'], ['duration_ns', 'u64']],
    id: 53,
  },
  { system: 'shell', name: 'shell_init', fields: [['duration_ns', 'u64']], id: 101 },
  {
    system: 'shell',
    name: 'shell_command',
    fields: [
      ['cmd_id', 'u32'],
      ['duration_ns', 'u64'],
      ['line', 'string'],
    ],
    id: 100,
  },
  { system: 'vmm', name: 'timer_tick', fields: [['timestamp', 'u64']], id: 60 },
  {
    system: 'vmm',
    name: 'timer_event',
    fields: [
      ['event_type', 'u32'],
      ['vm_id', 'u32'],
    ],
    id: 61,
  },
  {
    system: 'vmm',
    name: 'task_switch',
    fields: [
      ['from_vcpu', 'u32'],
      ['to_vcpu', 'u32'],
      ['cpu', 'u32'],
    ],
  },
];
const catalog = specs.map((s) => defineEvent(s));

describe('a 29-event catalog', () => {
  it('registers with fixed and automatic ids that never collide', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    const tps = catalog.map((e) => mgr.register(e));
    expect(mgr.count).toBe(29);
    expect(new Set(tps.map((t) => t.id)).size).toBe(29);
    expect(mgr.get('vmm:vmm_init')!.id).toBe(50);
    expect(mgr.get('shell:shell_command')!.id).toBe(100);
    expect(mgr.get('vmm:vm_create')!.id).toBe(1);
    expect(mgr.get('vmm:vm_boot')!.id).toBe(2);
    // 4 is fixed for vm_destroy, so the automatic ids step over it.
    expect(mgr.get('vmm:vcpu_create')!.id).toBe(5);
    expect(mgr.enableSubsystem('vmm')).toBe(27);
    expect(mgr.enableSubsystem('shell')).toBe(2);
  });

  it('fires every event and renders it on the pipe', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    const tps = catalog.map((e) => mgr.register(e));
    mgr.enableAll();
    for (const tp of tps) {
      const args = tp.event.fields.map((f) => (f.kind === 'integer' ? 1 : 'x'));
      (tp.emit as (...a: unknown[]) => void)(...args);
    }
    const lines = mgr.pipe.readText().trim().split('\n');
    expect(lines).toHaveLength(29);
    expect(lines.find((l) => l.includes('vmm:device_access:'))).toMatch(
      /vm_id=1 vcpu_id=1 addr=1 width=1 is_write=1 value=1 device=x$/,
    );
  });

  const hasClang = hasTool('clang');
  it.skipIf(!hasClang)(
    'gives a C header that clang -target bpf compiles with a program reading a record',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'axebpf-catalog-'));
      try {
        writeFileSync(join(dir, 'tp.h'), generateCHeader(catalog));
        writeFileSync(
          join(dir, 'prog.c'),
          '#include "tp.h"\n__attribute__((section("tracepoint/vmm/vcpu_run_exit"), used))\n' +
            'int on_exit(struct trace_event_raw_vcpu_run_exit *ctx) { return ctx->exit_reason == 0x16 ? (int)ctx->pc : ctx->ent.pid; }\n',
        );
        expect(() =>
          execFileSync(
            'clang',
            ['-target', 'bpf', '-O2', '-c', join(dir, 'prog.c'), '-o', join(dir, 'prog.o')],
            { stdio: 'pipe' },
          ),
        ).not.toThrow();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
