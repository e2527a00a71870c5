/* latency_hist: log2 histogram of the time a vCPU ran in the guest before each exit. Bucket i
 * counts values in [2^i, 2^(i+1)); bucket 0 also holds 0. */
#include "common.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} latency_hist SEC(".maps");

static __always_inline __u32 log2_u64(__u64 v)
{
	__u32 r = 0;
	if (v >> 32) { v >>= 32; r += 32; }
	if (v >> 16) { v >>= 16; r += 16; }
	if (v >> 8) { v >>= 8; r += 8; }
	if (v >> 4) { v >>= 4; r += 4; }
	if (v >> 2) { v >>= 2; r += 2; }
	if (v >> 1) { r += 1; }
	return r;
}

SEC("tracepoint/vmm/vcpu_run_exit")
int latency_hist_exit(struct trace_event_raw_vcpu_run_exit *ctx)
{
	__u32 bucket = log2_u64(ctx->guest_ns);
	__u64 *slot = bpf_map_lookup_elem(&latency_hist, &bucket);
	if (slot)
		__sync_fetch_and_add(slot, 1);
	return 0;
}
