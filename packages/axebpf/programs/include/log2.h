/* floor(log2(v)) for v > 0, and 0 for v = 0: the bucket of a log2 histogram (bucket i counts
 * values in [2^i, 2^(i+1)), bucket 0 also holds 0). Shared by latency_hist and syscalls. */
#ifndef AXEBPF_LOG2_H
#define AXEBPF_LOG2_H

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

#endif
