/* SPDX-License-Identifier: MIT */
/*
 * EL2 exception vectors and the world switch of the simulated AxVisor (the role of arm_vcpu's
 * exception.S). Everything here lives in .text.entry, the range hprobe refuses to probe: a
 * breakpoint taken between an exception entry and the save of ELR_EL2/SPSR_EL2/ESR_EL2 would
 * overwrite them.
 */
#include "hyp.h"

	.section .text.vectors, "ax"
	.balign 2048
	.globl hyp_vectors
hyp_vectors:
	/* current EL with SP_EL0: never used */
	.balign 0x80
	mov x1, #0x000
	b bad_vector
	.balign 0x80
	mov x1, #0x080
	b bad_vector
	.balign 0x80
	mov x1, #0x100
	b bad_vector
	.balign 0x80
	mov x1, #0x180
	b bad_vector
	/* current EL with SP_ELx: synchronous goes to the pt_regs path (hprobe BRKs) */
	.balign 0x80
	sub sp, sp, #PT_REGS_SIZE
	stp x0, x1, [sp, #0]
	b el2_sync
	.balign 0x80
	mov x1, #0x280
	b bad_vector
	.balign 0x80
	mov x1, #0x300
	b bad_vector
	.balign 0x80
	mov x1, #0x380
	b bad_vector
	/* lower EL, AArch64: the guest exits */
	.balign 0x80
	stp x0, x1, [sp, #-16]!
	mov x0, #0x400
	b __guest_exit
	.balign 0x80
	stp x0, x1, [sp, #-16]!
	mov x0, #0x480
	b __guest_exit
	.balign 0x80
	stp x0, x1, [sp, #-16]!
	mov x0, #0x500
	b __guest_exit
	.balign 0x80
	stp x0, x1, [sp, #-16]!
	mov x0, #0x580
	b __guest_exit
	/* lower EL, AArch32: not supported */
	.balign 0x80
	mov x1, #0x600
	b bad_vector
	.balign 0x80
	mov x1, #0x680
	b bad_vector
	.balign 0x80
	mov x1, #0x700
	b bad_vector
	.balign 0x80
	mov x1, #0x780
	b bad_vector

	.section .text.entry, "ax"
	.balign 4
bad_vector:
	mov x0, #PANIC_BAD_VECTOR
1:	hlt #HC_PANIC
	b 1b

/*
 * u64 __guest_enter(struct vcpu_ctx *ctx): saves vcpu_run's callee-saved registers and stack
 * pointer in ctx, tells the host (HC_ENTER_GUEST, where the host's run() stops), then restores
 * the guest frame from ctx and ERETs. Returns (through __guest_exit) the vector offset of the
 * exit.
 */
	.globl __guest_enter
__guest_enter:
	stp x19, x20, [x0, #CTX_HOST + 0]
	stp x21, x22, [x0, #CTX_HOST + 16]
	stp x23, x24, [x0, #CTX_HOST + 32]
	stp x25, x26, [x0, #CTX_HOST + 48]
	stp x27, x28, [x0, #CTX_HOST + 64]
	stp x29, x30, [x0, #CTX_HOST + 80]
	mov x1, sp
	str x1, [x0, #CTX_HOST_SP]
	msr tpidr_el2, x0
	hlt #HC_ENTER_GUEST
	/* The host resumes here when the vCPU runs again; it may have rewritten ctx meanwhile.
	   From here to the ERET the code is straight-line: the host counts these instructions
	   (hyp_resume_len) out of the guest's time. */
	.globl __hyp_resume
__hyp_resume:
	mrs x0, tpidr_el2
	ldp x1, x2, [x0, #CTX_ELR]
	msr elr_el2, x1
	msr spsr_el2, x2
	ldr x1, [x0, #CTX_SP_EL0]
	msr sp_el0, x1
	ldp x2, x3, [x0, #16]
	ldp x4, x5, [x0, #32]
	ldp x6, x7, [x0, #48]
	ldp x8, x9, [x0, #64]
	ldp x10, x11, [x0, #80]
	ldp x12, x13, [x0, #96]
	ldp x14, x15, [x0, #112]
	ldp x16, x17, [x0, #128]
	ldp x18, x19, [x0, #144]
	ldp x20, x21, [x0, #160]
	ldp x22, x23, [x0, #176]
	ldp x24, x25, [x0, #192]
	ldp x26, x27, [x0, #208]
	ldp x28, x29, [x0, #224]
	ldr x30, [x0, #240]
	ldp x0, x1, [x0, #0]
	.globl __hyp_eret
__hyp_eret:
	eret

/* An exit from the guest: x0 = vector offset, the guest's x0/x1 pushed on the EL2 stack. */
__guest_exit:
	mrs x1, tpidr_el2
	stp x2, x3, [x1, #16]
	stp x4, x5, [x1, #32]
	stp x6, x7, [x1, #48]
	stp x8, x9, [x1, #64]
	stp x10, x11, [x1, #80]
	stp x12, x13, [x1, #96]
	stp x14, x15, [x1, #112]
	stp x16, x17, [x1, #128]
	stp x18, x19, [x1, #144]
	stp x20, x21, [x1, #160]
	stp x22, x23, [x1, #176]
	stp x24, x25, [x1, #192]
	stp x26, x27, [x1, #208]
	stp x28, x29, [x1, #224]
	str x30, [x1, #240]
	ldp x2, x3, [sp], #16
	stp x2, x3, [x1, #0]
	mrs x2, elr_el2
	mrs x3, spsr_el2
	stp x2, x3, [x1, #CTX_ELR]
	mrs x2, esr_el2
	mrs x3, far_el2
	stp x2, x3, [x1, #CTX_ESR]
	mrs x2, hpfar_el2
	stp x2, x0, [x1, #CTX_HPFAR]
	mrs x2, sp_el0
	str x2, [x1, #CTX_SP_EL0]
	ldp x19, x20, [x1, #CTX_HOST + 0]
	ldp x21, x22, [x1, #CTX_HOST + 16]
	ldp x23, x24, [x1, #CTX_HOST + 32]
	ldp x25, x26, [x1, #CTX_HOST + 48]
	ldp x27, x28, [x1, #CTX_HOST + 64]
	ldp x29, x30, [x1, #CTX_HOST + 80]
	ldr x2, [x1, #CTX_HOST_SP]
	mov sp, x2
	ret

/*
 * A synchronous exception at EL2 (an hprobe BRK): x0/x1 already stored in the pt_regs frame
 * on the stack. Completes the frame (x0-x30, sp, pc, pstate), hands it to the host, which may
 * change any field (the kprobe manager moves pc to the slot or past a simulated instruction),
 * then restores the frame and returns.
 */
el2_sync:
	stp x2, x3, [sp, #16]
	stp x4, x5, [sp, #32]
	stp x6, x7, [sp, #48]
	stp x8, x9, [sp, #64]
	stp x10, x11, [sp, #80]
	stp x12, x13, [sp, #96]
	stp x14, x15, [sp, #112]
	stp x16, x17, [sp, #128]
	stp x18, x19, [sp, #144]
	stp x20, x21, [sp, #160]
	stp x22, x23, [sp, #176]
	stp x24, x25, [sp, #192]
	stp x26, x27, [sp, #208]
	stp x28, x29, [sp, #224]
	add x0, sp, #PT_REGS_SIZE
	stp x30, x0, [sp, #240]
	mrs x0, elr_el2
	mrs x1, spsr_el2
	stp x0, x1, [sp, #PT_PC]
	mov x0, sp
	mrs x1, esr_el2
	hlt #HC_EL2_TRAP
	cbnz x0, 2f
	mrs x1, esr_el2
	mov x0, #PANIC_EL2_EXCEPTION
1:	hlt #HC_PANIC
	b 1b
2:	ldp x0, x1, [sp, #PT_PC]
	msr elr_el2, x0
	msr spsr_el2, x1
	ldp x2, x3, [sp, #16]
	ldp x4, x5, [sp, #32]
	ldp x6, x7, [sp, #48]
	ldp x8, x9, [sp, #64]
	ldp x10, x11, [sp, #80]
	ldp x12, x13, [sp, #96]
	ldp x14, x15, [sp, #112]
	ldp x16, x17, [sp, #128]
	ldp x18, x19, [sp, #144]
	ldp x20, x21, [sp, #160]
	ldp x22, x23, [sp, #176]
	ldp x24, x25, [sp, #192]
	ldp x26, x27, [sp, #208]
	ldp x28, x29, [sp, #224]
	ldr x30, [sp, #240]
	ldp x0, x1, [sp, #0]
	add sp, sp, #PT_REGS_SIZE
	eret

/* Executable slots for the displaced instructions of hprobes (instruction + BRK #6 each). */
	.section .kprobe_slots, "ax"
	.balign 32
	.globl hyp_kprobe_slots
hyp_kprobe_slots:
	.space KPROBE_SLOTS * KPROBE_SLOT_SIZE

/* Reserved for the kallsyms blob, written in place by `ksym-gen inject` after linking. */
	.section .kallsyms, "a"
	.balign 8
	.globl hyp_kallsyms
hyp_kallsyms:
	.space 16384
