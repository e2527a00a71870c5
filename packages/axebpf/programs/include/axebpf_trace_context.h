/* The Rust axebpf's tracepoint program context (its src/context.rs TraceContext): 64 bytes,
 * little-endian. Programs in a section named "tracepoint" alone (aya's #[tracepoint]) or
 * "axebpf/..." get it; "tracepoint/<sys>/<name>" programs get the ftrace record instead.
 * arg0 is the event's duration (guest_ns or duration_ns, else 0); arg1..arg3 are the record's
 * first three other integer fields (vcpu_run_exit: exit_reason, pc). */
#ifndef __AXEBPF_TRACE_CONTEXT_H__
#define __AXEBPF_TRACE_CONTEXT_H__

struct trace_context {
	__u32 tracepoint_id;
	__u32 _pad;
	__u64 timestamp_ns;
	__u32 vm_id;
	__u32 vcpu_id;
	__u64 arg0;
	__u64 arg1;
	__u64 arg2;
	__u64 arg3;
	__u32 probe_type;
	__u32 _reserved;
};

_Static_assert(sizeof(struct trace_context) == 64, "TraceContext is 64 bytes");

#endif
