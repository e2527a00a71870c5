// SPDX-License-Identifier: MIT
// A callback passed to bpf_loop: `lddw` of a function address (BPF_PSEUDO_FUNC).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct acc {
	__u64 sum;
};

static int step(__u32 index, void *data)
{
	struct acc *a = data;
	a->sum += (index + 1) * 10;
	return 0;
}

SEC("tp/vmm/vcpu_run_exit")
int loop_sum(void *ctx)
{
	struct acc a = { .sum = 1 };
	bpf_loop(4, step, &a, 0);
	return (int)a.sum;
}
