// SPDX-License-Identifier: MIT
// BTF-defined maps of several kinds, a kprobe and a kretprobe, bpf_printk, a global function.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} by_key SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} per_cpu SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

__noinline int bump(__u32 index, __u64 by)
{
	__u64 *slot = bpf_map_lookup_elem(&counters, &index);
	if (!slot)
		return -1;
	*slot += by;
	return 0;
}

SEC("kprobe/vmm_handle_hvc")
int on_hvc(void *ctx)
{
	__u32 key = 7;
	__u64 value = 42;
	bump(1, 2);
	bump(3, 5);
	bpf_map_update_elem(&by_key, &key, &value, BPF_ANY);
	bpf_printk("hvc %d", key);
	return 0;
}

SEC("kretprobe/vmm_handle_hvc")
int on_hvc_ret(void *ctx)
{
	__u32 key = 7;
	__u64 *v = bpf_map_lookup_elem(&by_key, &key);
	if (!v)
		return 1;
	bump(0, *v);
	bpf_map_delete_elem(&by_key, &key);
	return 0;
}
