/* The mmu guest: builds its own stage-1 page tables (4 KiB granule, 39-bit address spaces),
 * maps RAM and the devices both 1:1 through TTBR0 and in the upper half through TTBR1 (the
 * kernel half, at 0xffffff8000000000 + PA), turns the MMU on and continues in the upper half.
 * Its output (addresses included) is the same under the simulated AxVisor and on
 * qemu-system-aarch64 -M virt. */
#include "../common/guest.h"

#define KERNEL_OFFSET 0xffffff8000000000UL
#define BLOCK_NORMAL (0x1UL | (1UL << 10) | (3UL << 8) | (1UL << 2)) /* block, AF, inner shareable, MAIR attr 1 */
#define BLOCK_DEVICE (0x1UL | (1UL << 10) | (0UL << 2))                /* block, AF, MAIR attr 0 */

static unsigned long l1_low[512] __attribute__((aligned(4096)));
static unsigned long l1_high[512] __attribute__((aligned(4096)));
static volatile unsigned long shared = 0x1234;

static void putc_at(unsigned long uart, char c)
{
	*(volatile unsigned int *)uart = (unsigned int)c;
}

static void puts_at(unsigned long uart, const char *s)
{
	while (*s)
		putc_at(uart, *s++);
}

static void puthex_at(unsigned long uart, unsigned long v)
{
	int i;
	putc_at(uart, '0');
	putc_at(uart, 'x');
	for (i = 60; i >= 0; i -= 4)
		putc_at(uart, "0123456789abcdef"[(v >> i) & 0xf]);
}

/* Runs through the TTBR1 (upper half) mapping. */
void upper_main(void)
{
	unsigned long uart = KERNEL_OFFSET + 0x09000000UL;
	unsigned long pc;
	__asm__ volatile("adr %0, ." : "=r"(pc));
	puts_at(uart, "mmu: running in the upper half at ");
	puthex_at(uart, pc & ~0xfffUL);
	putc_at(uart, '\n');
	/* the same variable through both mappings */
	shared = 0xabcd;
	puts_at(uart, "mmu: low alias reads ");
	puthex_at(uart, *(volatile unsigned long *)((unsigned long)&shared - KERNEL_OFFSET));
	putc_at(uart, '\n');
}

void guest_main(void)
{
	unsigned long tcr, sctlr;
	puts_at(0x09000000UL, "mmu: building page tables\n");
	l1_low[0] = 0x00000000UL | BLOCK_DEVICE;  /* 0..1 GiB: devices (UART, GIC) */
	l1_low[1] = 0x40000000UL | BLOCK_NORMAL;  /* 1..2 GiB: RAM */
	l1_high[0] = 0x00000000UL | BLOCK_DEVICE;
	l1_high[1] = 0x40000000UL | BLOCK_NORMAL;
	/* MAIR: attr 0 device nGnRnE, attr 1 normal write-back */
	__asm__ volatile("msr mair_el1, %0" : : "r"(0xff00UL));
	/* TCR: T0SZ = T1SZ = 25 (39-bit), 4 KiB granules, write-back walks, inner shareable, 40-bit PA */
	tcr = 25UL | (1UL << 8) | (1UL << 10) | (3UL << 12) | (25UL << 16) | (1UL << 24) | (1UL << 26) | (3UL << 28) | (2UL << 30) | (2UL << 32);
	__asm__ volatile("msr tcr_el1, %0" : : "r"(tcr));
	__asm__ volatile("msr ttbr0_el1, %0" : : "r"(l1_low));
	__asm__ volatile("msr ttbr1_el1, %0" : : "r"(l1_high));
	__asm__ volatile("isb; tlbi vmalle1; dsb sy; isb");
	__asm__ volatile("mrs %0, sctlr_el1" : "=r"(sctlr));
	sctlr |= 1UL | (1UL << 2) | (1UL << 12); /* M, C, I */
	__asm__ volatile("msr sctlr_el1, %0; isb" : : "r"(sctlr));
	puts_at(0x09000000UL, "mmu: on\n");
	((void (*)(void))((unsigned long)upper_main + KERNEL_OFFSET))();
	puts_at(0x09000000UL, "mmu: back in the low half\n");
}
