/* SPDX-License-Identifier: MIT */
/*
 * The EL2 image of the simulated AxVisor: shared definitions of the C and assembly parts and
 * of the host-call interface (mirrored in src/hyp.ts; a test checks both agree).
 *
 * Host calls: `HLT #imm` executed at EL2, arguments in x0-x7, result in x0. HLT is UNDEFINED
 * when halting debug is off, so the host hook does not collide with the architecture (QEMU's
 * semihosting uses HLT #0xF000 the same way). The host (the TypeScript VMM) handles the call
 * synchronously and execution continues after the HLT, except for HC_ENTER_GUEST, which ends
 * the host's `run()` so the scheduler can switch vCPUs.
 */
#ifndef AXVISOR_HYP_H
#define AXVISOR_HYP_H

/* Host-call numbers (the HLT immediate). */
#define HC_ENTER_GUEST 0xA000 /* about to restore the guest frame and ERET; the host stops here */
#define HC_EXIT_DECODE 0xA001 /* x0 = ctx: decode and count the exit; returns its trace code */
#define HC_HANDLE_EXIT 0xA002 /* x0 = ctx: device/VM semantics of the decoded exit (TS #handleExit) */
#define HC_TRACE 0xA003       /* x0 = event id (TRACE_*), x1..x6 = arguments: fire a tracepoint */
#define HC_EL2_TRAP 0xA004    /* x0 = pt_regs frame, x1 = ESR_EL2: a synchronous exception at EL2 */
#define HC_PANIC 0xA005       /* x0 = reason code, x1 = value: unrecoverable; the host stops the VM */

/* Events fired with HC_TRACE. */
#define TRACE_VCPU_RUN_EXIT 1 /* vm, vcpu, exit code, elr */
#define TRACE_HYPERCALL 2     /* vm, vcpu, nr, a0, a1, ret */

/* Reasons of HC_PANIC. */
#define PANIC_EL2_EXCEPTION 1 /* value = ESR_EL2 of an exception at EL2 the host did not handle */
#define PANIC_BAD_VECTOR 2    /* value = vector offset of an unexpected exception entry */

/* Exit trace codes (AxVCpuExitReason::to_trace_code) the C code looks at. */
#define EXIT_HYPERCALL 1

/* struct vcpu_ctx layout (byte offsets), shared with entry.S. */
#define CTX_X 0          /* x0..x30 */
#define CTX_SP_EL0 248
#define CTX_ELR 256
#define CTX_SPSR 264
#define CTX_ESR 272
#define CTX_FAR 280
#define CTX_HPFAR 288
#define CTX_VECTOR 296   /* offset of the vector the exit came through (0x400 sync, 0x480 IRQ ...) */
#define CTX_VM_ID 304
#define CTX_VCPU_ID 312
#define CTX_HOST 320     /* x19..x30 of vcpu_run's side of the world switch, then sp */
#define CTX_HOST_SP 416
#define CTX_EXITS 424
#define CTX_SIZE 432

/* pt_regs frame of an exception taken at EL2 (Linux layout): x0..x30, sp, pc, pstate. */
#define PT_REGS_SIZE 272
#define PT_SP 248
#define PT_PC 256
#define PT_PSTATE 264

#define MAX_VCPUS 64
#define STACK_SIZE 4096

/* Slots for displaced instructions of hprobes: 64 x 32 bytes, executable. */
#define KPROBE_SLOTS 64
#define KPROBE_SLOT_SIZE 32

/* Per-function call counters (hyp_calls[]), the independent count the hprobe tests use. */
#define FN_VCPU_RUN 0
#define FN_HANDLE_EXIT 1
#define FN_HANDLE_HVC 2
#define FN_HANDLE_PSCI 3
#define FN_HANDLE_SMC 4
#define FN_HANDLE_DATA_ABORT 5
#define FN_HANDLE_INST_ABORT 6
#define FN_HANDLE_SYSREG 7
#define FN_HANDLE_WFI 8
#define FN_HANDLE_IRQ 9
#define FN_HANDLE_BRK 10
#define FN_HANDLE_SSTEP 11
#define FN_HANDLE_UNKNOWN 12
#define FN_HYP_TRACE 13
#define FN_HOST_EXIT 14
#define FN_COUNT 15

#endif
