/* The hcall guest: a hypercall-heavy benchmark workload. It makes 200,000 yield hypercalls in a
 * tight loop and prints one line, then powers off. */
#define UART_DR ((volatile unsigned int *)0x09000000UL)
#define HC_YIELD 0xC6000003UL
#define CALLS 200000

static unsigned long hvc(unsigned long fn, unsigned long a1)
{
	register unsigned long x0 __asm__("x0") = fn;
	register unsigned long x1 __asm__("x1") = a1;
	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1) : : "x2", "x3", "memory");
	return x0;
}

void guest_main(void)
{
	const char *s = "hcall: done\n";
	unsigned long i;
	for (i = 0; i < CALLS; i++)
		(void)hvc(HC_YIELD, i);
	while (*s)
		*UART_DR = (unsigned int)*s++;
}
