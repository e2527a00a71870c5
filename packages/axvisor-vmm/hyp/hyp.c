/* SPDX-License-Identifier: MIT */
/*
 * The low-level part of the simulated AxVisor, run by the emulator at EL2: the vCPU loop, exit
 * decoding and dispatch on ESR_EL2.EC. Device and VM services (MMIO devices, the GIC, PSCI
 * effects, the console, blocking, tracepoints) are asked of the TypeScript VMM through host
 * calls (hyp.h). Each handler is a real function (noipa: not inlined, not cloned, its
 * arguments as the caller passed them), so each is a probe target with a symbol.
 */
#include "hyp.h"

typedef unsigned long u64;

struct vcpu_ctx {
	u64 x[31];
	u64 sp_el0, elr, spsr, esr, far, hpfar, vector, vm_id, vcpu_id;
	u64 host[13];
	u64 exits;
};

#define OFFSET_OK(f, off) _Static_assert(__builtin_offsetof(struct vcpu_ctx, f) == (off), #f)
OFFSET_OK(sp_el0, CTX_SP_EL0);
OFFSET_OK(elr, CTX_ELR);
OFFSET_OK(esr, CTX_ESR);
OFFSET_OK(hpfar, CTX_HPFAR);
OFFSET_OK(vector, CTX_VECTOR);
OFFSET_OK(vm_id, CTX_VM_ID);
OFFSET_OK(host, CTX_HOST);
OFFSET_OK(exits, CTX_EXITS);
_Static_assert(sizeof(struct vcpu_ctx) == CTX_SIZE, "ctx size");

/* One context per vCPU (TPIDR_EL2 points at it) and one EL2 stack per vCPU. */
struct vcpu_ctx hyp_vcpus[MAX_VCPUS] __attribute__((aligned(16)));
unsigned char hyp_stacks[MAX_VCPUS][STACK_SIZE] __attribute__((aligned(16)));
/* Calls of each function (FN_*): the count the hprobe tests compare hit counters with. */
u64 hyp_calls[FN_COUNT];

#define NOPROBE_OK __attribute__((noipa, used))
#define STR_(x) #x
#define STR(x) STR_(x)
#define HOST_CALL(nr, a0, a1, a2, a3, a4, a5, a6)                                              \
	({                                                                                     \
		u64 v0 = (u64)(a0), v1 = (u64)(a1), v2 = (u64)(a2), v3 = (u64)(a3);             \
		u64 v4 = (u64)(a4), v5 = (u64)(a5), v6 = (u64)(a6);                             \
		register u64 r0 __asm__("x0") = v0;                                              \
		register u64 r1 __asm__("x1") = v1;                                              \
		register u64 r2 __asm__("x2") = v2;                                              \
		register u64 r3 __asm__("x3") = v3;                                              \
		register u64 r4 __asm__("x4") = v4;                                              \
		register u64 r5 __asm__("x5") = v5;                                              \
		register u64 r6 __asm__("x6") = v6;                                              \
		__asm__ volatile("hlt #" STR(nr)                                                 \
				 : "+r"(r0)                                                      \
				 : "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5), "r"(r6)          \
				 : "memory");                                                    \
		r0;                                                                            \
	})

/* Host call with one argument (x0) and a result in x0. */
#define HOST_CALL1(nr, a0)                                                                     \
	({                                                                                     \
		u64 v0 = (u64)(a0);                                                            \
		register u64 r0 __asm__("x0") = v0;                                              \
		__asm__ volatile("hlt #" STR(nr) : "+r"(r0) : : "memory");                        \
		r0;                                                                            \
	})

/* Bit (1 << TRACE_*) set by the host while that tracepoint is active: a disabled
   tracepoint costs one load and a branch here, as on AxVisor. */
u64 hyp_trace_mask;

u64 __guest_enter(struct vcpu_ctx *ctx);

#define PSCI_VERSION 0x84000000UL

/* Fires a tracepoint of the host (HC_TRACE); callers check hyp_trace_mask first. */
NOPROBE_OK u64 hyp_trace(u64 id, u64 a, u64 b, u64 c, u64 d, u64 e, u64 f)
{
	hyp_calls[FN_HYP_TRACE]++;
	return HOST_CALL(HC_TRACE, id, a, b, c, d, e, f);
}

/* Hands the decoded exit to the host's exit handling (devices, GIC, PSCI effects...). */
NOPROBE_OK u64 host_exit(struct vcpu_ctx *ctx)
{
	hyp_calls[FN_HOST_EXIT]++;
	return HOST_CALL1(HC_HANDLE_EXIT, ctx);
}

/* PSCI (SMCCC function ids 0x84000000-0x8400001f and 0xc4000000-0xc400001f). VERSION is
   answered here; CPU_ON/CPU_OFF/SYSTEM_OFF and the rest change VM state in the host. */
NOPROBE_OK void handle_psci(struct vcpu_ctx *ctx, u64 fn, u64 a1, u64 a2)
{
	(void)a1;
	(void)a2;
	hyp_calls[FN_HANDLE_PSCI]++;
	if (fn == PSCI_VERSION) {
		ctx->x[0] = 0x10000; /* PSCI 1.0 */
		return;
	}
	host_exit(ctx);
}

static void trace_hypercall(struct vcpu_ctx *ctx, u64 nr, u64 a0, u64 a1)
{
	if (hyp_trace_mask & (1UL << TRACE_HYPERCALL))
		hyp_trace(TRACE_HYPERCALL, ctx->vm_id, ctx->vcpu_id, nr, a0, a1, ctx->x[0]);
}

/* HVC #imm from the guest (EC 0x16). ELR already points after the HVC. */
NOPROBE_OK void handle_hvc(struct vcpu_ctx *ctx, u64 code, u64 nr, u64 imm)
{
	u64 a0 = ctx->x[1], a1 = ctx->x[2];
	u64 fn = nr & 0xffffffffUL;
	(void)imm;
	hyp_calls[FN_HANDLE_HVC]++;
	if ((fn & ~0x1fUL) == 0x84000000UL || (fn & ~0x1fUL) == 0xc4000000UL)
		handle_psci(ctx, fn, a0, a1);
	else
		host_exit(ctx);
	if (code == EXIT_HYPERCALL)
		trace_hypercall(ctx, nr, a0, a1);
}

/* SMC trapped by HCR_EL2.TSC (EC 0x17): the same PSCI and hypercall paths as HVC. */
NOPROBE_OK void handle_smc(struct vcpu_ctx *ctx, u64 code, u64 nr, u64 imm)
{
	u64 a0 = ctx->x[1], a1 = ctx->x[2];
	(void)imm;
	hyp_calls[FN_HANDLE_SMC]++;
	host_exit(ctx);
	if (code == EXIT_HYPERCALL)
		trace_hypercall(ctx, nr, a0, a1);
}

/* Data abort from the guest (EC 0x24): emulated devices and stage-2 faults. */
NOPROBE_OK void handle_data_abort(struct vcpu_ctx *ctx, u64 esr, u64 far, u64 hpfar)
{
	(void)esr;
	(void)far;
	(void)hpfar;
	hyp_calls[FN_HANDLE_DATA_ABORT]++;
	host_exit(ctx);
}

/* Instruction abort from the guest (EC 0x20). */
NOPROBE_OK void handle_inst_abort(struct vcpu_ctx *ctx, u64 esr, u64 far, u64 hpfar)
{
	(void)esr;
	(void)far;
	(void)hpfar;
	hyp_calls[FN_HANDLE_INST_ABORT]++;
	host_exit(ctx);
}

/* Trapped MSR/MRS (EC 0x18). */
NOPROBE_OK void handle_sysreg(struct vcpu_ctx *ctx, u64 esr)
{
	(void)esr;
	hyp_calls[FN_HANDLE_SYSREG]++;
	host_exit(ctx);
}

/* Trapped WFI/WFE (EC 0x01): the host blocks the vCPU until an interrupt. */
NOPROBE_OK void handle_wfi(struct vcpu_ctx *ctx, u64 esr)
{
	(void)esr;
	hyp_calls[FN_HANDLE_WFI]++;
	host_exit(ctx);
}

/* Physical IRQ/FIQ while the guest ran. */
NOPROBE_OK void handle_irq(struct vcpu_ctx *ctx, u64 vector)
{
	(void)vector;
	hyp_calls[FN_HANDLE_IRQ]++;
	host_exit(ctx);
}

/* BRK from the guest (EC 0x3C, routed here by MDCR_EL2.TDE): guest kprobes. */
NOPROBE_OK void handle_brk(struct vcpu_ctx *ctx, u64 esr)
{
	(void)esr;
	hyp_calls[FN_HANDLE_BRK]++;
	host_exit(ctx);
}

/* Software step from the guest (EC 0x32): guest kprobes. */
NOPROBE_OK void handle_sstep(struct vcpu_ctx *ctx, u64 esr)
{
	(void)esr;
	hyp_calls[FN_HANDLE_SSTEP]++;
	host_exit(ctx);
}

/* Any other exit: the host decides (FailEntry by default). */
NOPROBE_OK void handle_unknown(struct vcpu_ctx *ctx, u64 esr)
{
	(void)esr;
	hyp_calls[FN_HANDLE_UNKNOWN]++;
	host_exit(ctx);
}

/*
 * Decodes one exit (the host turns the syndrome into an AxVCpuExitReason and counts it),
 * fires vmm:vcpu_run_exit and dispatches on the vector and ESR_EL2.EC.
 * Returns the exit's trace code.
 */
NOPROBE_OK u64 handle_exit(struct vcpu_ctx *ctx, u64 vector, u64 esr, u64 elr)
{
	u64 code;
	hyp_calls[FN_HANDLE_EXIT]++;
	ctx->exits++;
	code = HOST_CALL1(HC_EXIT_DECODE, ctx);
	if (hyp_trace_mask & (1UL << TRACE_VCPU_RUN_EXIT))
		hyp_trace(TRACE_VCPU_RUN_EXIT, ctx->vm_id, ctx->vcpu_id, code, elr, 0, 0);
	if (vector != 0x400) {
		if (vector == 0x480 || vector == 0x500)
			handle_irq(ctx, vector);
		else
			handle_unknown(ctx, esr);
		return code;
	}
	switch ((esr >> 26) & 0x3f) {
	case 0x01:
		handle_wfi(ctx, esr);
		break;
	case 0x16:
		handle_hvc(ctx, code, ctx->x[0], esr & 0xffff);
		break;
	case 0x17:
		handle_smc(ctx, code, ctx->x[0], esr & 0xffff);
		break;
	case 0x18:
		handle_sysreg(ctx, esr);
		break;
	case 0x20:
		handle_inst_abort(ctx, esr, ctx->far, ctx->hpfar);
		break;
	case 0x24:
		handle_data_abort(ctx, esr, ctx->far, ctx->hpfar);
		break;
	case 0x32:
		handle_sstep(ctx, esr);
		break;
	case 0x3c:
		handle_brk(ctx, esr);
		break;
	default:
		handle_unknown(ctx, esr);
	}
	return code;
}

/*
 * The vCPU loop (axvcpu's `AxVCpu::run` and arm_vcpu's `run_guest`): enter the guest, handle
 * the exit, again. The host starts each vCPU here with x0 = its context, SP at its stack.
 */
NOPROBE_OK __attribute__((noreturn)) void vcpu_run(struct vcpu_ctx *ctx)
{
	hyp_calls[FN_VCPU_RUN]++;
	for (;;) {
		u64 vector = __guest_enter(ctx);
		handle_exit(ctx, vector, ctx->esr, ctx->elr);
	}
}
