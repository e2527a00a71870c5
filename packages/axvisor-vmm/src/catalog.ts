// SPDX-License-Identifier: MIT
// The `vmm:*` tracepoints of the axebpf design (27 events; the two `shell:*` events belong to
// the shell app). Ids 4, 50, 52, 53, 60 and 61 are fixed as in the Rust tracepoint definitions
// (its registry ids, which its TraceContext carries); the rest are assigned in catalog order by
// the manager.

import type { EventDefinition } from '@axebpf/tracepoint';
import { defineEvent } from '@axebpf/tracepoint';

const vm = [['vm_id', 'u32']] as const;
const vcpu = [
  ['vm_id', 'u32'],
  ['vcpu_id', 'u32'],
] as const;

/**
 * Every `vmm:*` event the simulated AxVisor fires, by name. Durations are virtual nanoseconds.
 * `vcpu_run_exit.exit_reason` is the trace code of {@link EXIT_REASON_CODE}; `guest_ns` is the
 * time the vCPU ran in the guest before this exit.
 */
export const VMM_EVENTS = {
  vm_create: defineEvent({
    system: 'vmm',
    name: 'vm_create',
    fields: [...vm, ['vcpu_count', 'u32'], ['name', 'string']],
    print: 'vm_id=%u vcpus=%u name=%s',
  }),
  vm_boot: defineEvent({ system: 'vmm', name: 'vm_boot', fields: vm, print: 'vm_id=%u' }),
  vm_shutdown: defineEvent({
    system: 'vmm',
    name: 'vm_shutdown',
    fields: [...vm, ['reason', 'u32']],
    print: 'vm_id=%u reason=%u',
  }),
  vm_destroy: defineEvent({
    system: 'vmm',
    name: 'vm_destroy',
    fields: vm,
    id: 4,
    print: 'vm_id=%u',
  }),
  vcpu_create: defineEvent({
    system: 'vmm',
    name: 'vcpu_create',
    fields: [...vcpu, ['entry', 'u64']],
    print: 'vm_id=%u vcpu_id=%u entry=0x%llx',
  }),
  vcpu_destroy: defineEvent({
    system: 'vmm',
    name: 'vcpu_destroy',
    fields: vcpu,
    print: 'vm_id=%u vcpu_id=%u',
  }),
  vcpu_state_change: defineEvent({
    system: 'vmm',
    name: 'vcpu_state_change',
    fields: [...vcpu, ['from', 'u8'], ['to', 'u8']],
    print: 'vm_id=%u vcpu_id=%u %u->%u',
  }),
  vcpu_run_enter: defineEvent({
    system: 'vmm',
    name: 'vcpu_run_enter',
    fields: [...vcpu, ['pcpu', 'u32'], ['pc', 'u64']],
    print: 'vm_id=%u vcpu_id=%u pcpu=%u pc=0x%llx',
  }),
  vcpu_run_exit: defineEvent({
    system: 'vmm',
    name: 'vcpu_run_exit',
    fields: [...vcpu, ['exit_reason', 'u32'], ['pc', 'u64'], ['guest_ns', 'u64']],
    print: 'vm_id=%u vcpu_id=%u reason=%u pc=0x%llx guest_ns=%llu',
  }),
  hypercall: defineEvent({
    system: 'vmm',
    name: 'hypercall',
    fields: [...vcpu, ['nr', 'u64'], ['arg0', 'u64'], ['arg1', 'u64'], ['ret', 's64']],
    print: 'vm_id=%u vcpu_id=%u nr=%llu arg0=0x%llx arg1=0x%llx ret=%lld',
  }),
  external_interrupt: defineEvent({
    system: 'vmm',
    name: 'external_interrupt',
    fields: [...vcpu, ['irq', 'u32']],
    print: 'vm_id=%u vcpu_id=%u irq=%u',
  }),
  vcpu_halt: defineEvent({
    system: 'vmm',
    name: 'vcpu_halt',
    fields: vcpu,
    print: 'vm_id=%u vcpu_id=%u',
  }),
  cpu_up: defineEvent({
    system: 'vmm',
    name: 'cpu_up',
    fields: [...vcpu, ['target_cpu', 'u64'], ['entry', 'u64'], ['arg', 'u64']],
    print: 'vm_id=%u vcpu_id=%u target=%llu entry=0x%llx arg=0x%llx',
  }),
  ipi_send: defineEvent({
    system: 'vmm',
    name: 'ipi_send',
    fields: [...vcpu, ['target_cpu', 'u64'], ['sgi', 'u32']],
    print: 'vm_id=%u vcpu_id=%u target=%llu sgi=%u',
  }),
  memory_map: defineEvent({
    system: 'vmm',
    name: 'memory_map',
    fields: [...vm, ['gpa', 'u64'], ['hpa', 'u64'], ['size', 'u64'], ['flags', 'u32']],
    print: 'vm_id=%u gpa=0x%llx hpa=0x%llx size=0x%llx flags=0x%x',
  }),
  memory_unmap: defineEvent({
    system: 'vmm',
    name: 'memory_unmap',
    fields: [...vm, ['gpa', 'u64'], ['size', 'u64']],
    print: 'vm_id=%u gpa=0x%llx size=0x%llx',
  }),
  page_fault: defineEvent({
    system: 'vmm',
    name: 'page_fault',
    fields: [...vcpu, ['gpa', 'u64'], ['is_write', 'bool']],
    print: 'vm_id=%u vcpu_id=%u gpa=0x%llx write=%u',
  }),
  device_access: defineEvent({
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
    print: 'vm_id=%u vcpu_id=%u addr=0x%llx width=%u write=%u value=0x%llx dev=%s',
  }),
  irq_inject: defineEvent({
    system: 'vmm',
    name: 'irq_inject',
    fields: [...vcpu, ['irq', 'u32']],
    print: 'vm_id=%u vcpu_id=%u irq=%u',
  }),
  irq_handle: defineEvent({
    system: 'vmm',
    name: 'irq_handle',
    fields: [
      ['irq', 'u32'],
      ['duration_ns', 'u64'],
    ],
    print: 'irq=%u duration_ns=%llu',
  }),
  vmm_init: defineEvent({
    system: 'vmm',
    name: 'vmm_init',
    fields: [
      ['cpu_count', 'u32'],
      ['duration_ns', 'u64'],
    ],
    id: 50,
    print: 'cpus=%u duration_ns=%llu',
  }),
  vhal_init: defineEvent({
    system: 'vmm',
    name: 'vhal_init',
    fields: [['duration_ns', 'u64']],
    print: 'duration_ns=%llu',
  }),
  config_load: defineEvent({
    system: 'vmm',
    name: 'config_load',
    fields: [...vm, ['duration_ns', 'u64']],
    id: 52,
    print: 'vm_id=%u duration_ns=%llu',
  }),
  image_load: defineEvent({
    system: 'vmm',
    name: 'image_load',
    fields: [...vm, ['image_size', 'u64'], ['duration_ns', 'u64']],
    id: 53,
    print: 'vm_id=%u size=%llu duration_ns=%llu',
  }),
  timer_tick: defineEvent({
    system: 'vmm',
    name: 'timer_tick',
    fields: [
      ['cpu', 'u32'],
      ['now_ns', 'u64'],
    ],
    id: 60,
    print: 'cpu=%u now_ns=%llu',
  }),
  timer_event: defineEvent({
    system: 'vmm',
    name: 'timer_event',
    fields: [...vcpu, ['deadline_ns', 'u64']],
    id: 61,
    print: 'vm_id=%u vcpu_id=%u deadline_ns=%llu',
  }),
  task_switch: defineEvent({
    system: 'vmm',
    name: 'task_switch',
    fields: [
      ['from_vcpu', 'u32'],
      ['to_vcpu', 'u32'],
      ['cpu', 'u32'],
    ],
    print: 'from=%u to=%u cpu=%u',
  }),
} as const;

/** Every `vmm:*` event, in catalog order. */
export const VMM_EVENT_LIST: readonly EventDefinition[] = Object.values(VMM_EVENTS);
