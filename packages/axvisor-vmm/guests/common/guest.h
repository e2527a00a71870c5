/* What the bundled guests share: the QEMU virt board's PL011 registers and the axebpf guest
 * hypercall ABI (HVC #0, x0 = function id in the SMCCC vendor hypervisor range, x1 = argument,
 * result in x0). */
#ifndef AXEBPF_GUEST_H
#define AXEBPF_GUEST_H

#define UART_DR ((volatile unsigned int *)0x09000000UL)
#define UART_FR ((volatile unsigned int *)0x09000018UL)

#define HC_CONSOLE_PUTC 0xC6000001UL
#define HC_GET_TIME_NS 0xC6000002UL
#define HC_YIELD 0xC6000003UL

static inline unsigned long hvc(unsigned long fn, unsigned long a1)
{
	register unsigned long x0 __asm__("x0") = fn;
	register unsigned long x1 __asm__("x1") = a1;
	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1) : : "x2", "x3", "memory");
	return x0;
}

#endif
