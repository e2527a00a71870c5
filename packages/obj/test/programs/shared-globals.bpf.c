// SPDX-License-Identifier: MIT
// Global data shared between functions: every reference to a section sees the same bytes.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

__u64 weights[4] = {1, 2, 3, 4};   /* .data */
__u64 seen[4];                     /* .bss */
const volatile __u64 bias = 7;     /* .rodata */

static __noinline __u64 bump(int i)
{
	weights[i & 3] += 100;
	seen[i & 3] += 1;
	return weights[i & 3];
}

static __noinline __u64 read_back(int i)
{
	return weights[i & 3] + seen[i & 3] * 1000 + bias;
}

SEC("tracepoint/vmm/vcpu_run_exit")
int globals_shared(void *ctx)
{
	__u64 a = bump(2);
	__u64 b = read_back(2);
	return (int)(a * 100000 + b);
}
