/* The hcall guest: a hypercall-heavy benchmark workload. It makes 200,000 yield hypercalls in a
 * tight loop and prints one line, then powers off. */
#include "../common/guest.h"
#define CALLS 200000

void guest_main(void)
{
	const char *s = "hcall: done\n";
	unsigned long i;
	for (i = 0; i < CALLS; i++)
		(void)hvc(HC_YIELD, i);
	while (*s)
		*UART_DR = (unsigned int)*s++;
}
