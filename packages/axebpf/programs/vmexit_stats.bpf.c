/* vmexit_stats: per VM and exit reason, the count and the total, smallest and largest time spent
 * in the guest before the exit (vmm:vcpu_run_exit guest_ns). */
#include "common.h"

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

SEC("tracepoint/vmm/vcpu_run_exit")
int vmexit_stats(struct trace_event_raw_vcpu_run_exit *ctx)
{
	struct exit_key key = { .vm_id = ctx->vm_id, .reason = ctx->exit_reason };
	__u64 ns = ctx->guest_ns;
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
