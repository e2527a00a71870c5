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

/* Console output through the PL011 data register, without waiting for FIFO space. A guest that
 * polls UART_FR (worker) defines GUEST_OWN_CONSOLE and its own putc/puts. */
#ifndef GUEST_OWN_CONSOLE
static inline void putc(char c)
{
	*UART_DR = (unsigned int)c;
}

static inline void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static inline void putu(unsigned long v)
{
	char buf[24];
	int i = 0;
	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		putc(buf[--i]);
}
#endif

#endif
