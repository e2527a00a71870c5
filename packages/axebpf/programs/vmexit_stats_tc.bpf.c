/* vmexit_stats_tc: vmexit_stats written against the Rust axebpf's TraceContext instead of the
 * ftrace record: attached to vmm:vcpu_run_exit, vm_id is the VM, arg1 the exit reason and arg0
 * the guest time before the exit. Its map holds the same rows as vmexit_stats's. */
#include "common.h"
#include "include/axebpf_trace_context.h"

struct exit_key {
	__u32 vm_id;
	__u32 reason;
};

struct exit_stats {
	__u64 count;
	__u64 total_ns;
	__u64 min_ns;
	__u64 max_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct exit_key);
	__type(value, struct exit_stats);
} exit_stats SEC(".maps");

SEC("tracepoint")
int vmexit_stats_tc(struct trace_context *ctx)
{
	struct exit_key key = { .vm_id = ctx->vm_id, .reason = (__u32)ctx->arg1 };
	__u64 ns = ctx->arg0;
	struct exit_stats *s = bpf_map_lookup_elem(&exit_stats, &key);
	if (!s) {
		struct exit_stats init = { .count = 1, .total_ns = ns, .min_ns = ns, .max_ns = ns };
		bpf_map_update_elem(&exit_stats, &key, &init, BPF_NOEXIST);
		return 0;
	}
	s->count += 1;
	s->total_ns += ns;
	if (ns < s->min_ns)
		s->min_ns = ns;
	if (ns > s->max_ns)
		s->max_ns = ns;
	return 0;
}
