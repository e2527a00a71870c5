// SPDX-License-Identifier: MIT
// A legacy `maps` section, two programs in one section, a socket filter.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "MIT";

struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") legacy_array = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = 4,
	.value_size = 8,
	.max_entries = 2,
};

static __always_inline int add_to(__u32 index, __u64 by)
{
	__u64 *slot = bpf_map_lookup_elem(&legacy_array, &index);
	if (!slot)
		return 1;
	*slot += by;
	return 0;
}

SEC("xdp")
int xdp_first(void *ctx)
{
	return add_to(0, 11);
}

SEC("xdp")
int xdp_second(void *ctx)
{
	return add_to(1, 100) + 2;
}

SEC("socket")
int sock_filter(void *ctx)
{
	return 64;
}
