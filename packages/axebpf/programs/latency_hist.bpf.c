/* latency_hist: log2 histogram of the time a vCPU ran in the guest before each exit. Bucket i
 * counts values in [2^i, 2^(i+1)); bucket 0 also holds 0. */
#include "common.h"
#include "include/log2.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} latency_hist SEC(".maps");

SEC("tracepoint/vmm/vcpu_run_exit")
int latency_hist_exit(struct trace_event_raw_vcpu_run_exit *ctx)
{
	__u32 bucket = log2_u64(ctx->guest_ns);
	__u64 *slot = bpf_map_lookup_elem(&latency_hist, &bucket);
	if (slot)
		__sync_fetch_and_add(slot, 1);
	return 0;
}
