/* The ticker guest: takes virtual timer interrupts through the GICv2 of the QEMU virt board,
 * sleeping in WFI between them; prints every 10th tick and powers off after 100 ticks of
 * 10 ms (one second of guest time). The output depends only on the tick count, so it is the
 * same under the simulated AxVisor and on qemu-system-aarch64 -M virt. */
#include "../common/guest.h"
#include "../common/irq-vectors.h"

#define GICD ((volatile unsigned int *)0x08000000UL)
#define GICC ((volatile unsigned int *)0x08010000UL)
#define TIMER_IRQ 27
#define TICKS 100

static volatile unsigned long ticks;
static unsigned long period, deadline;


static unsigned long counter(void)
{
	unsigned long v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static void set_deadline(unsigned long cval)
{
	__asm__ volatile("msr cntv_cval_el0, %0; isb" : : "r"(cval));
}

void irq_handler(void)
{
	unsigned int iar = GICC[0x0c / 4];
	if ((iar & 0x3ff) == TIMER_IRQ) {
		ticks++;
		deadline += period;
		set_deadline(deadline);
	}
	GICC[0x10 / 4] = iar; /* end of interrupt */
}

void guest_main(void)
{
	unsigned long freq, printed = 0;
	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"(vectors));
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	GICD[0] = 1;                          /* GICD_CTLR: distributor on */
	GICD[0x100 / 4] = 1u << TIMER_IRQ;    /* GICD_ISENABLER0: the virtual timer PPI */
	GICC[0x04 / 4] = 0xff;                /* GICC_PMR: every priority */
	GICC[0] = 1;                          /* GICC_CTLR: CPU interface on */
	period = freq / 100;                  /* 10 ms */
	deadline = counter() + period;
	set_deadline(deadline);
	__asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(1UL)); /* enable, unmasked */
	__asm__ volatile("msr daifclr, #2");  /* take IRQs */
	puts("ticker: start\n");
	while (ticks < TICKS) {
		__asm__ volatile("wfi");
		if (ticks / 10 != printed) {
			printed = ticks / 10;
			puts("ticker: ");
			putu(printed * 10);
			puts(" ticks\n");
		}
	}
	__asm__ volatile("msr daifset, #2");
	puts("ticker: done\n");
}
