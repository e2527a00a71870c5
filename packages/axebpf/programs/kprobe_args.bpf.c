/* kprobe_args: prints the first three arguments of a probed guest function and keeps the last
 * four per VM in an array map. */
#include "common.h"

struct last_args {
	__u64 pc;
	__u64 args[4];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, struct last_args);
} kprobe_last_args SEC(".maps");

SEC("kprobe/guest")
int kprobe_args(struct axebpf_probe_regs *regs)
{
	__u32 vm = bpf_get_current_vm_id();
	struct last_args *slot = bpf_map_lookup_elem(&kprobe_last_args, &vm);
	bpf_printk("vm%u args %llx %llx", vm, regs->regs[0], regs->regs[1]);
	if (slot) {
		slot->pc = regs->pc;
		slot->args[0] = regs->regs[0];
		slot->args[1] = regs->regs[1];
		slot->args[2] = regs->regs[2];
		slot->args[3] = regs->regs[3];
	}
	return 0;
}
