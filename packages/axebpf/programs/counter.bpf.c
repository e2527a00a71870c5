/* counter: hits per tracepoint, keyed by the record's common_type (the event id). */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("tracepoint")
int count_hits(struct trace_entry *ctx)
{
	__u32 id = ctx->type;
	__u64 one = 1;
	__u64 *value = bpf_map_lookup_elem(&counts, &id);
	if (value) {
		__sync_fetch_and_add(value, 1);
		return 0;
	}
	bpf_map_update_elem(&counts, &id, &one, BPF_NOEXIST);
	return 0;
}
