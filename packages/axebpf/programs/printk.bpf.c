/* printk: the Rust axebpf's printk program on its TraceContext: counts hits per tracepoint id
 * in COUNTER_MAP (hash u32 -> u64, 128 entries), prints the new count with bpf_printk and
 * returns it. `trace enable shell:shell_command --prog printk && trace stat` shows the map. */
#include "common.h"
#include "include/axebpf_trace_context.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} COUNTER_MAP SEC(".maps");

SEC("tracepoint")
int printk(struct trace_context *ctx)
{
	__u32 id = ctx->tracepoint_id;
	__u64 count = 1;
	__u64 *old = bpf_map_lookup_elem(&COUNTER_MAP, &id);
	if (old)
		count = *old + 1;
	bpf_map_update_elem(&COUNTER_MAP, &id, &count, BPF_ANY);
	bpf_printk("tp %u count %llu", id, count);
	return (int)count;
}
