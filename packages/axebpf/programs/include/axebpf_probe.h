/* Context of hprobe and guest kprobe programs: the registers at the probe point.
 * For return probes regs[0] (x0) holds the return value and pc the return address.
 * Layout (little-endian, 8-byte fields): x0..x30, sp, pc, pstate. */
#ifndef __AXEBPF_PROBE_H__
#define __AXEBPF_PROBE_H__

struct axebpf_probe_regs {
	__u64 regs[31];
	__u64 sp;
	__u64 pc;
	__u64 pstate;
};

#endif
