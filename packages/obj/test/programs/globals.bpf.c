// SPDX-License-Identifier: MIT
// Global data (.data, .bss, .rodata), a static non-inlined function, a bounded loop.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

__u64 hits = 5;                  /* .data */
__u64 total;                     /* .bss */
__u32 last_value;                /* .bss */
const volatile __u32 scale = 3;  /* .rodata */
static const __u32 table[4] = {10, 20, 30, 40}; /* .rodata */

static __noinline __u64 mix(__u64 a, __u64 b)
{
	return (a * scale) ^ b;
}

SEC("tracepoint/vmm/vcpu_run_exit")
int on_exit(void *ctx)
{
	__u64 acc = 0;
	for (int i = 0; i < 4; i++)
		acc += table[i] * (i + 1);   /* 10 + 40 + 90 + 160 = 300 */
	hits += 1;
	total += mix(acc, hits);
	last_value = (__u32)acc;
	return (int)(acc + scale);
}
