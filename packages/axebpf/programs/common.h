/* Shared includes of the precompiled programs. */
#include <linux/types.h>
#include <linux/bpf.h>
#define __AXEBPF_TYPES_DEFINED
#include <bpf/bpf_helpers.h>
#include "include/vmm_tracepoints.h"
#include "include/axebpf_probe.h"

/* Hypervisor helpers of axebpf (ids 100-102). */
static long (*bpf_get_current_vm_id)(void) = (void *)100;
static long (*bpf_get_current_vcpu_id)(void) = (void *)101;
static long (*bpf_get_exit_reason)(void) = (void *)102;

char LICENSE[] SEC("license") = "GPL";
