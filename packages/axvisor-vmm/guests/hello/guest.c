/* The hello guest: prints over the PL011 UART, makes hypercalls to the hypervisor and does some
 * computation, then returns to start.s, which powers off with PSCI. Its console output is the
 * same under the simulated AxVisor and on qemu-system-aarch64 -M virt (where the hypercalls are
 * answered NOT_SUPPORTED and their results are not printed). */
#include "../common/guest.h"

static unsigned long count_primes(unsigned long limit)
{
	unsigned long n, d, count = 0;
	for (n = 2; n < limit; n++) {
		for (d = 2; d * d <= n; d++)
			if (n % d == 0)
				break;
		if (d * d > n)
			count++;
	}
	return count;
}

void guest_main(void)
{
	unsigned long i, t0;
	puts("hello from the axebpf guest\n");
	t0 = hvc(HC_GET_TIME_NS, 0);
	(void)t0;
	for (i = 0; i < 8; i++)
		hvc(HC_YIELD, i);
	puts("primes below 5000: ");
	putu(count_primes(5000));
	putc('\n');
	puts("bye\n");
}
