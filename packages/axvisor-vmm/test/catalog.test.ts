import { TracepointManager, ManualTraceHost } from '@axebpf/tracepoint';
import { describe, expect, it } from 'vitest';
import { EXIT_REASON_CODE, exitReasonName, VMM_EVENT_LIST, VMM_EVENTS } from '../src/index.js';

describe('vmm tracepoint catalog', () => {
  it('has the 27 vmm events of the design with their fixed ids', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    for (const e of VMM_EVENT_LIST) mgr.register(e);
    expect(mgr.list().map((t) => t.name)).toHaveLength(27);
    expect(mgr.get('vmm:vm_destroy')!.id).toBe(4);
    expect(mgr.get('vmm:vmm_init')!.id).toBe(50);
    expect(mgr.get('vmm:config_load')!.id).toBe(52);
    expect(mgr.get('vmm:image_load')!.id).toBe(53);
    expect(mgr.get('vmm:timer_tick')!.id).toBe(60);
    expect(mgr.get('vmm:timer_event')!.id).toBe(61);
  });

  it('lays out vcpu_run_exit with natural alignment after the 8-byte common header', () => {
    const fields = Object.fromEntries(
      VMM_EVENTS.vcpu_run_exit.fields.map((f) => [f.name, f.offset]),
    );
    expect(fields).toMatchObject({ vm_id: 8, vcpu_id: 12, exit_reason: 16, pc: 24, guest_ns: 32 });
  });

  it('renders a fired vcpu_run_exit on the trace pipe', () => {
    const mgr = new TracepointManager({ host: new ManualTraceHost() });
    const tp = mgr.register(VMM_EVENTS.vcpu_run_exit);
    mgr.enable('vmm:vcpu_run_exit');
    tp.emit(1, 0, EXIT_REASON_CODE.Hypercall, 0x40001000n, 1234n);
    expect(mgr.pipe.readText()).toContain(
      'vmm:vcpu_run_exit: vm_id=1 vcpu_id=0 reason=1 pc=0x40001000 guest_ns=1234',
    );
  });

  it('maps exit reasons to the trace codes of the design study and back', () => {
    expect(Object.values(EXIT_REASON_CODE).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
    expect(exitReasonName(10)).toBe('Halt');
    expect(exitReasonName(16)).toBe('SendIPI');
    expect(exitReasonName(99)).toBeUndefined();
  });
});
