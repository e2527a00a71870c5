/* EL1 exception vectors for the guests that take interrupts: an IRQ taken at the current EL
 * (SP_ELx, offset 0x280) saves the caller-saved registers and calls the guest's
 * `void irq_handler(void)`; every other exception stops the CPU in a loop. Install with
 * `msr vbar_el1` on each CPU. Include in one translation unit only. */
#ifndef AXEBPF_GUEST_IRQ_VECTORS_H
#define AXEBPF_GUEST_IRQ_VECTORS_H

__asm__(
	"	.balign 0x800\n"
	"vectors:\n"
	"	.rept 5\n	.balign 0x80\n	b .\n	.endr\n"
	"	.balign 0x80\n" /* 0x280: IRQ, current EL, SP_ELx */
	"	b irq_entry\n"
	"	.rept 10\n	.balign 0x80\n	b .\n	.endr\n"
	"irq_entry:\n"
	"	stp x0, x1, [sp, #-176]!\n"
	"	stp x2, x3, [sp, #16]\n	stp x4, x5, [sp, #32]\n	stp x6, x7, [sp, #48]\n"
	"	stp x8, x9, [sp, #64]\n	stp x10, x11, [sp, #80]\n	stp x12, x13, [sp, #96]\n"
	"	stp x14, x15, [sp, #112]\n	stp x16, x17, [sp, #128]\n	stp x18, x29, [sp, #144]\n"
	"	str x30, [sp, #160]\n"
	"	bl irq_handler\n"
	"	ldp x2, x3, [sp, #16]\n	ldp x4, x5, [sp, #32]\n	ldp x6, x7, [sp, #48]\n"
	"	ldp x8, x9, [sp, #64]\n	ldp x10, x11, [sp, #80]\n	ldp x12, x13, [sp, #96]\n"
	"	ldp x14, x15, [sp, #112]\n	ldp x16, x17, [sp, #128]\n	ldp x18, x29, [sp, #144]\n"
	"	ldr x30, [sp, #160]\n"
	"	ldp x0, x1, [sp], #176\n"
	"	eret\n");
extern char vectors[];
void irq_handler(void);

#endif
