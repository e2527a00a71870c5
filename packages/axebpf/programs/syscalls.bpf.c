/* syscalls: per (comm, syscall number) counts and log2 latency histograms of a Linux guest's
 * system calls, attached twice to arm64 invoke_syscall(regs, scno, sc_nr, table): as a kprobe
 * (x1 = scno; comm read from current->comm) and as a kretprobe (the entry-to-return time).
 * The offset of comm in task_struct is written by the host into syscalls_config[0] before the
 * run (found by searching init_task for "swapper/0"). */
#include "common.h"
#include "include/axebpf_guest.h"

struct syscall_key {
	char comm[16];
	__u32 nr;
	__u32 pad;
};

struct latency_key {
	__u32 nr;
	__u32 bucket;
};

struct pending {
	struct syscall_key key;
	__u64 valid;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct syscall_key);
	__type(value, __u64);
} syscall_counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct latency_key);
	__type(value, __u64);
} syscall_latency SEC(".maps");

/* per vCPU: the call in flight (invoke_syscall does not nest on one CPU) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct pending);
} syscall_pending SEC(".maps");

/* [0]: offset of comm in task_struct (0: unknown, comm left empty) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} syscall_config SEC(".maps");

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

SEC("kprobe/invoke_syscall")
int syscalls(struct axebpf_guest_ctx *ctx)
{
	__u32 vcpu = ctx->vcpu_id;
	struct pending *p = bpf_map_lookup_elem(&syscall_pending, &vcpu);
	if (!p)
		return 0;
	if (ctx->probe_type == AXEBPF_KRETPROBE) {
		if (!p->valid)
			return 0;
		struct latency_key lk = { .nr = p->key.nr, .bucket = log2_u64(ctx->duration_ns) };
		__u64 one = 1;
		__u64 *n = bpf_map_lookup_elem(&syscall_latency, &lk);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&syscall_latency, &lk, &one, BPF_NOEXIST);
		p->valid = 0;
		return 0;
	}
	struct syscall_key key = {};
	key.nr = (__u32)ctx->x[1];
	__u32 zero = 0;
	__u64 *off = bpf_map_lookup_elem(&syscall_config, &zero);
	if (off && *off) {
		__u64 task = guest_get_current_task();
		guest_probe_read_kernel(key.comm, sizeof(key.comm), (const void *)(task + *off));
	}
	__u64 one = 1;
	__u64 *n = bpf_map_lookup_elem(&syscall_counts, &key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&syscall_counts, &key, &one, BPF_NOEXIST);
	__builtin_memcpy(&p->key, &key, sizeof(key));
	p->valid = 1;
	return 0;
}
