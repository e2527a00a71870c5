/* syscalls: per (comm, syscall number) counts and log2 latency histograms of a Linux guest's
 * system calls, attached twice to arm64 invoke_syscall(regs, scno, sc_nr, table): as a kprobe
 * (x1 = scno; comm read from current->comm) and as a kretprobe (entry to return of the same
 * task, by bpf_ktime_get_ns: the virtual clock).
 * The offset of comm in task_struct is written by the host into syscall_config[0] before the
 * run (read from the kernel's own BTF: linuxCommOffsetFromBtf). */
#include "common.h"
#include "include/axebpf_guest.h"
#include "include/log2.h"

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
	__u64 start_ns;
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

/* per task (its task_struct address): the call in flight, so a call that blocks while other
 * tasks run on the vCPU is timed from its own entry to its own return */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct pending);
} syscall_pending SEC(".maps");

/* [0]: offset of comm in task_struct (0: unknown, comm left empty) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} syscall_config SEC(".maps");

SEC("kprobe/invoke_syscall")
int syscalls(struct axebpf_guest_ctx *ctx)
{
	__u64 task = guest_get_current_task();
	if (ctx->probe_type == AXEBPF_KRETPROBE) {
		struct pending *p = bpf_map_lookup_elem(&syscall_pending, &task);
		if (!p)
			return 0;
		struct latency_key lk = { .nr = p->key.nr, .bucket = log2_u64(bpf_ktime_get_ns() - p->start_ns) };
		bpf_map_delete_elem(&syscall_pending, &task);
		__u64 one = 1;
		__u64 *n = bpf_map_lookup_elem(&syscall_latency, &lk);
		if (n)
			__sync_fetch_and_add(n, 1);
		else
			bpf_map_update_elem(&syscall_latency, &lk, &one, BPF_NOEXIST);
		return 0;
	}
	struct pending p = {};
	p.key.nr = (__u32)ctx->x[1];
	__u32 zero = 0;
	__u64 *off = bpf_map_lookup_elem(&syscall_config, &zero);
	if (off && *off)
		guest_probe_read_kernel(p.key.comm, sizeof(p.key.comm), (const void *)(task + *off));
	__u64 one = 1;
	__u64 *n = bpf_map_lookup_elem(&syscall_counts, &p.key);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&syscall_counts, &p.key, &one, BPF_NOEXIST);
	/* a task that never returned (exit, exit_group) is replaced when its slot is reused */
	p.start_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&syscall_pending, &task, &p, BPF_ANY);
	return 0;
}
