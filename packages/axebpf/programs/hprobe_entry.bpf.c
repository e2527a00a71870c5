/* hprobe_entry: on entry to a probed hypervisor function, records x0-x3 and the pc into a ring
 * buffer and counts hits per pc. */
#include "common.h"

struct probe_args {
	__u64 pc;
	__u64 args[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} probe_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u64);
} probe_hits SEC(".maps");

SEC("kprobe/hprobe_entry")
int hprobe_entry(struct axebpf_probe_regs *regs)
{
	struct probe_args a = { .pc = regs->pc };
	__u64 one = 1;
	a.args[0] = regs->regs[0];
	a.args[1] = regs->regs[1];
	a.args[2] = regs->regs[2];
	a.args[3] = regs->regs[3];
	bpf_ringbuf_output(&probe_events, &a, sizeof(a), 0);
	__u64 *hits = bpf_map_lookup_elem(&probe_hits, &a.pc);
	if (hits)
		__sync_fetch_and_add(hits, 1);
	else
		bpf_map_update_elem(&probe_hits, &a.pc, &one, BPF_NOEXIST);
	return 0;
}
