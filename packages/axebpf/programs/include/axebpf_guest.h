/* The guest kprobe context (GUEST_KPROBE_CONTEXT of the guest-kprobe feature, 128 bytes) and the
 * helpers that read the guest while a guest probe's program runs (GUEST_READ_HELPERS). */
#ifndef __AXEBPF_GUEST_H__
#define __AXEBPF_GUEST_H__

struct axebpf_guest_ctx {
	__u32 probe_id;
	__u32 pad0;
	__u64 timestamp_ns;
	__u32 vm_id;
	__u32 vcpu_id;
	__u64 gva;
	__u64 gpa;
	__u64 retval;      /* kretprobe: x0 at the return */
	__u64 duration_ns; /* kretprobe: entry to return */
	__u32 probe_type;  /* 2 kprobe, 3 kretprobe */
	__u32 pad1;
	__u64 x[8];        /* the guest's x0..x7 (at the entry) */
};

#define AXEBPF_KPROBE 2
#define AXEBPF_KRETPROBE 3

/* Linux numbering: guest virtual memory through the vCPU's stage-1 tables; -EFAULT with dst
 * zero-filled on an unmapped address. get_current_task: the guest's SP_EL0. */
static long (*guest_get_current_task)(void) = (void *)35;
static long (*guest_probe_read_kernel)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)113;
static long (*guest_probe_read_user_str)(void *dst, __u32 size, const void *unsafe_ptr) = (void *)114;

#endif
