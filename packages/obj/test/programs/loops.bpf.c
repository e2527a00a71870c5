// SPDX-License-Identifier: MIT
// A bounded loop that stays a loop (unrolling disabled), reading the context; raw_tp section.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "MIT";

__u64 runs; /* .bss */

SEC("raw_tp/vmm_tick")
int weigh(__u8 *ctx)
{
	__u64 sum = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 16; i++)
		sum += (__u64)ctx[i] * (i + 1);
	runs++;
	return (int)sum;
}
