/* openat: the files a Linux guest opens, attached twice to do_sys_openat2(dfd, filename, how):
 * as a kprobe it reads the user's filename (x1, mapped through TTBR0 of the current task) and
 * the task's comm, kept per task; as a kretprobe it sends {comm, filename, fd or -errno,
 * duration} to a ring buffer. The offset of comm in task_struct comes from openat_config[0], as for syscalls. */
#include "common.h"
#include "include/axebpf_guest.h"

struct open_event {
	char comm[16];
	char filename[64];
	__s64 ret;
	__u64 duration_ns; /* the entry time while pending */
};

/* per task (its task_struct address): the open in flight */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u64);
	__type(value, struct open_event);
} openat_pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} openat_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 65536);
} openat_events SEC(".maps");

SEC("kprobe/do_sys_openat2")
int openat(struct axebpf_guest_ctx *ctx)
{
	__u64 task = guest_get_current_task();
	if (ctx->probe_type == AXEBPF_KRETPROBE) {
		struct open_event *e = bpf_map_lookup_elem(&openat_pending, &task);
		if (!e)
			return 0;
		e->ret = (__s64)ctx->retval;
		e->duration_ns = bpf_ktime_get_ns() - e->duration_ns;
		bpf_ringbuf_output(&openat_events, e, sizeof(*e), 0);
		bpf_map_delete_elem(&openat_pending, &task);
		return 0;
	}
	struct open_event e = {};
	__u32 zero = 0;
	__u64 *off = bpf_map_lookup_elem(&openat_config, &zero);
	if (off && *off)
		guest_probe_read_kernel(e.comm, sizeof(e.comm), (const void *)(task + *off));
	if (guest_probe_read_user_str(e.filename, sizeof(e.filename), (const void *)ctx->x[1]) < 0)
		e.filename[0] = 0;
	e.duration_ns = bpf_ktime_get_ns();
	bpf_map_update_elem(&openat_pending, &task, &e, BPF_ANY);
	return 0;
}
