/* hprobe_exit: on return from a probed hypervisor function, records the return value (x0) with
 * the return address into a ring buffer. */
#include "common.h"

struct probe_ret {
	__u64 pc;
	__u64 ret;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} probe_returns SEC(".maps");

SEC("kretprobe/hprobe_exit")
int hprobe_exit(struct axebpf_probe_regs *regs)
{
	struct probe_ret r = { .pc = regs->pc, .ret = regs->regs[0] };
	bpf_ringbuf_output(&probe_returns, &r, sizeof(r), 0);
	return 0;
}
