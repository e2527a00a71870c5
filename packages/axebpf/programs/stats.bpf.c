/* stats: the Rust axebpf's stats program on its TraceContext: per tracepoint id, the count and
 * the total, smallest (non-zero) and largest duration (arg0) in STATS_MAP (128 entries). */
#include "common.h"
#include "include/axebpf_trace_context.h"

struct stats_value {
	__u64 count;
	__u64 total_ns;
	__u64 min_ns;
	__u64 max_ns;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, struct stats_value);
} STATS_MAP SEC(".maps");

SEC("tracepoint")
int stats(struct trace_context *ctx)
{
	__u32 id = ctx->tracepoint_id;
	__u64 ns = ctx->arg0;
	struct stats_value v = { .count = 0, .total_ns = 0, .min_ns = ~0ULL, .max_ns = 0 };
	struct stats_value *old = bpf_map_lookup_elem(&STATS_MAP, &id);
	if (old)
		v = *old;
	v.count += 1;
	v.total_ns += ns;
	if (ns > 0 && ns < v.min_ns)
		v.min_ns = ns;
	if (ns > v.max_ns)
		v.max_ns = ns;
	bpf_map_update_elem(&STATS_MAP, &id, &v, BPF_ANY);
	return 0;
}
