/* The cluster guest: four vCPUs on a GICv3 that run until the host stops them.
 *
 * CPU 0 brings up the distributor and starts CPUs 1-3 with PSCI CPU_ON; every CPU wakes its
 * redistributor and turns on its GICv3 CPU interface through the ICC_*_EL1 system registers.
 * Then, for ever: CPU 0 sleeps in WFI until its virtual timer (PPI 27, every 10 ms) ticks,
 * starts a round by sending SGI 1 to the workers with ICC_SGI1R_EL1 (a target list on even
 * rounds, IRM "all but self" on odd ones), and sleeps until each worker has answered with SGI 2
 * (with which a worker also announces that it is online).
 * Each worker wakes from WFI on SGI 1, computes a hash over a table for the round and answers.
 * Every 10th round CPU 0 prints a checksum of all the workers' results over the UART.
 *
 * Only CPU 0 prints and the output depends only on the round number, never on timing, so it is
 * the same under the simulated AxVisor and on qemu-system-aarch64 -M virt,gic-version=3 -smp 4. */
#include "../common/guest.h"
#include "../common/irq-vectors.h"

#define GICD ((volatile unsigned int *)0x08000000UL)
#define GICR_BASE 0x080A0000UL
#define GICR_STRIDE 0x20000UL
#define GICR(cpu) ((volatile unsigned int *)(GICR_BASE + (cpu) * GICR_STRIDE))
#define GICR_SGI(cpu) ((volatile unsigned int *)(GICR_BASE + (cpu) * GICR_STRIDE + 0x10000UL))
#define WORKERS 3
#define SGI_GO 1
#define SGI_DONE 2
#define TIMER_IRQ 27
#define TABLE 256
#define PSCI_CPU_ON 0xC4000003UL

static volatile unsigned long ticks, round_no, done[WORKERS + 1], result[WORKERS + 1];
static volatile unsigned long online;
static unsigned long period, deadline;
static unsigned int table[TABLE];
unsigned long stacks[WORKERS + 1][512] __attribute__((aligned(16)));

__asm__(
	"	.global secondary_entry\n"
	"secondary_entry:\n" /* x0 = CPU number (the CPU_ON context id) */
	"	ldr x1, =stacks\n"
	"	add x2, x0, #1\n"
	"	lsl x2, x2, #12\n" /* 512 * 8 bytes per stack */
	"	add sp, x1, x2\n"
	"	bl secondary_main\n"
	"1:	wfi\n"
	"	b 1b\n");
extern char secondary_entry[];

static void set_deadline(unsigned long cval)
{
	__asm__ volatile("msr cntv_cval_el0, %0; isb" : : "r"(cval));
}

/* ICC_SGI1R_EL1: INTID [27:24], IRM [40] (all but self) or Aff1..3 = 0 and a target list [15:0]. */
static void send_sgi(unsigned long intid, unsigned long targets, int all_but_self)
{
	unsigned long v = (intid << 24) | (all_but_self ? 1UL << 40 : targets);
	__asm__ volatile("dsb ish; msr icc_sgi1r_el1, %0; isb" : : "r"(v) : "memory");
}

void irq_handler(void)
{
	unsigned long iar;
	__asm__ volatile("mrs %0, icc_iar1_el1" : "=r"(iar));
	if ((iar & 0xffffff) == TIMER_IRQ) {
		ticks++;
		deadline += period;
		set_deadline(deadline);
	}
	__asm__ volatile("msr icc_eoir1_el1, %0; isb" : : "r"(iar));
}

/* Sleeps until *flag != old. IRQs stay masked around the test and the WFI (a pending interrupt
 * still ends the WFI), then are let in for a moment, so no wake-up is lost. */
static void wait_change(volatile unsigned long *flag, unsigned long old)
{
	while (*flag == old) {
		__asm__ volatile("wfi; msr daifclr, #2; isb; msr daifset, #2" : : : "memory");
	}
}

/* A 32-bit MMIO store without address writeback (GCC would use a post-indexed STR in a loop,
 * which a hypervisor cannot emulate: no instruction syndrome for writeback forms). */
static inline void mmio_w32(volatile unsigned int *p, unsigned int v)
{
	__asm__ volatile("str %w0, [%1]" : : "r"(v), "r"(p) : "memory");
}

static void gic_cpu_on(unsigned long cpu, unsigned int enable)
{
	volatile unsigned int *rd = GICR(cpu), *sgi = GICR_SGI(cpu);
	int i;
	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"(vectors));
	rd[0x14 / 4] &= ~2u; /* GICR_WAKER: clear ProcessorSleep */
	while (rd[0x14 / 4] & 4u) /* wait for ChildrenAsleep to clear */
		;
	sgi[0x80 / 4] = 0xffffffffu; /* GICR_IGROUPR0: SGIs and PPIs in group 1 */
	for (i = 0; i < 8; i++)
		mmio_w32(&sgi[0x400 / 4 + i], 0x80808080u); /* GICR_IPRIORITYR0-7: priority 0x80 */
	sgi[0x100 / 4] = enable;             /* GICR_ISENABLER0 */
	__asm__ volatile("msr icc_sre_el1, %0; isb" : : "r"(7UL));   /* system-register interface */
	__asm__ volatile("msr icc_pmr_el1, %0" : : "r"(0xf0UL));      /* let priority 0x80 through */
	__asm__ volatile("msr icc_bpr1_el1, %0" : : "r"(0UL));
	__asm__ volatile("msr icc_igrpen1_el1, %0; isb" : : "r"(1UL)); /* group 1 on */
}

static unsigned int work(unsigned long r, unsigned long cpu)
{
	unsigned int h = (unsigned int)(r * 2654435761u) ^ (unsigned int)cpu;
	int i;
	for (i = 0; i < TABLE; i++) {
		h ^= table[(i * 7 + r + cpu) % TABLE];
		h = (h << 5 | h >> 27) * 0x9e3779b1u + (unsigned int)i;
	}
	return h;
}

void secondary_main(unsigned long cpu)
{
	unsigned long seen = 0;
	gic_cpu_on(cpu, 1u << SGI_GO);
	__asm__ volatile("msr daifset, #2");
	online |= 1UL << cpu;
	send_sgi(SGI_DONE, 1, 0);
	for (;;) {
		wait_change(&round_no, seen);
		seen = round_no;
		__asm__ volatile("dmb ish" : : : "memory");
		result[cpu] = work(seen, cpu);
		__asm__ volatile("dmb ish" : : : "memory");
		done[cpu] = seen;
		send_sgi(SGI_DONE, 1, 0);
	}
}

static unsigned long cpu_on(unsigned long target, void *entry, unsigned long arg)
{
	register unsigned long x0 __asm__("x0") = PSCI_CPU_ON;
	register unsigned long x1 __asm__("x1") = target;
	register unsigned long x2 __asm__("x2") = (unsigned long)entry;
	register unsigned long x3 __asm__("x3") = arg;
	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return x0;
}

static void puthex(unsigned long v)
{
	int i;
	puts("0x");
	for (i = 28; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 15]);
}

void guest_main(void)
{
	unsigned long cpu, freq, r, t = 0, sum = 0;
	int i;
	for (i = 0; i < TABLE; i++)
		table[i] = (unsigned int)(i * i * 40503u + 17u);
	GICD[0] = 0x12; /* GICD_CTLR: ARE, EnableGrp1 */
	while (GICD[0] & 0x80000000u) /* RWP */
		;
	gic_cpu_on(0, 1u << SGI_DONE | 1u << TIMER_IRQ);
	__asm__ volatile("msr daifset, #2");
	puts("cluster: cpu0 up, GICv3\n");
	for (cpu = 1; cpu <= WORKERS; cpu++) {
		unsigned long before = online;
		if (cpu_on(cpu, secondary_entry, cpu) != 0) {
			puts("cluster: CPU_ON failed\n");
			return;
		}
		wait_change(&online, before); /* the new CPU announces itself with SGI 2 */
		puts("cluster: cpu");
		putu(cpu);
		puts(" online\n");
	}
	__asm__ volatile("mrs %0, cntfrq_el0" : "=r"(freq));
	period = freq / 100; /* 10 ms */
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(deadline));
	deadline += period;
	set_deadline(deadline);
	__asm__ volatile("msr cntv_ctl_el0, %0; isb" : : "r"(1UL));
	for (r = 1;; r++) {
		wait_change(&ticks, t); /* the next tick */
		t = ticks;
		round_no = r;
		send_sgi(SGI_GO, 0xe, r & 1); /* CPUs 1-3 */
		for (cpu = 1; cpu <= WORKERS; cpu++) {
			while (done[cpu] != r)
				wait_change(&done[cpu], done[cpu]);
			__asm__ volatile("dmb ish" : : : "memory"); /* the result after the flag */
			sum = sum * 31 + result[cpu];
		}
		if (r % 10 == 0) {
			puts("cluster: round ");
			putu(r);
			puts(" checksum ");
			puthex(sum & 0xffffffffUL);
			puts("\n");
		}
	}
}
