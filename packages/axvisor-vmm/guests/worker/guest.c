/* The worker guest: hashes blocks of memory in rounds, asks the hypervisor for the time and
 * yields after each round, reads the UART flag register (an MMIO read) and prints a checksum
 * every 8 rounds, then powers off. Its console output does not depend on the hypervisor (the
 * hypercall results are not printed), so it is the same on qemu-system-aarch64 -M virt. */
#define GUEST_OWN_CONSOLE
#include "../common/guest.h"

#define ROUNDS 64
#define BLOCK 4096

static unsigned char data[BLOCK];

static void putc(char c)
{
	while (*UART_FR & (1u << 5)) /* TX FIFO full */
		;
	*UART_DR = (unsigned int)c;
}

static void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

static void puthex(unsigned long v)
{
	int i;
	for (i = 60; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 0xf]);
}

/* FNV-1a over the block. */
static unsigned long fnv1a(const unsigned char *p, unsigned long n, unsigned long h)
{
	unsigned long i;
	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3UL;
	}
	return h;
}

void guest_main(void)
{
	unsigned long round, i, h = 0xcbf29ce484222325UL;
	puts("worker: start\n");
	for (i = 0; i < BLOCK; i++)
		data[i] = (unsigned char)(i * 7 + 3);
	for (round = 0; round < ROUNDS; round++) {
		h = fnv1a(data, BLOCK, h);
		data[round % BLOCK] ^= (unsigned char)h;
		(void)hvc(HC_GET_TIME_NS, 0);
		(void)hvc(HC_YIELD, round);
		if (round % 8 == 7) {
			puts("worker: round ");
			puthex(round + 1);
			puts(" hash ");
			puthex(h);
			putc('\n');
		}
	}
	puts("worker: done\n");
}
