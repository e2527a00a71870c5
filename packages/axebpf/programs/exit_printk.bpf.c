/* exit_printk: prints each vCPU exit with bpf_printk (helper 6). */
#include "common.h"

SEC("tracepoint/vmm/vcpu_run_exit")
int printk_exit(struct trace_event_raw_vcpu_run_exit *ctx)
{
	bpf_printk("vm%u vcpu%u exit %u", ctx->vm_id, ctx->vcpu_id, ctx->exit_reason);
	return 0;
}
