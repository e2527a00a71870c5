/* The smp guest: two vCPUs. CPU 0 starts CPU 1 with PSCI CPU_ON, sends it SGIs through the
 * GICv2 and waits for each to be acknowledged; CPU 1 sleeps in WFI between them, then sums a
 * table and turns itself off with PSCI CPU_OFF. Only CPU 0 prints, so the output is the same
 * under the simulated AxVisor and on qemu-system-aarch64 -M virt -smp 2. */
#include "../common/guest.h"
#include "../common/irq-vectors.h"

#define GICD ((volatile unsigned int *)0x08000000UL)
#define GICC ((volatile unsigned int *)0x08010000UL)
#define SGI_PING 1
#define PINGS 8
#define PSCI_CPU_ON 0xC4000003UL
#define PSCI_CPU_OFF 0x84000002UL

static volatile unsigned long online, acks, done, result;
unsigned long secondary_stack[512] __attribute__((aligned(16)));

__asm__(
	"	.global secondary_entry\n"
	"secondary_entry:\n"
	"	ldr x1, =secondary_stack + 4096\n"
	"	mov sp, x1\n"
	"	bl secondary_main\n"
	"1:	wfi\n"
	"	b 1b\n");
extern char secondary_entry[];

void irq_handler(void)
{
	unsigned int iar = GICC[0x0c / 4];
	if ((iar & 0x3ff) == SGI_PING)
		acks++;
	GICC[0x10 / 4] = iar;
}

static void cpu_interface_on(void)
{
	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"(vectors));
	GICD[0x100 / 4] = 1u << SGI_PING; /* enable the SGI on this CPU (banked) */
	GICC[0x04 / 4] = 0xff;
	GICC[0] = 1;
}

void secondary_main(void)
{
	unsigned long i, sum = 0;
	cpu_interface_on();
	__asm__ volatile("msr daifclr, #2");
	online = 1;
	while (acks < PINGS)
		__asm__ volatile("wfi");
	__asm__ volatile("msr daifset, #2");
	for (i = 1; i <= 1000; i++)
		sum += i * i;
	result = sum;
	done = 1;
	hvc(PSCI_CPU_OFF, 0);
}

static unsigned long cpu_on(unsigned long target, void *entry)
{
	register unsigned long x0 __asm__("x0") = PSCI_CPU_ON;
	register unsigned long x1 __asm__("x1") = target;
	register unsigned long x2 __asm__("x2") = (unsigned long)entry;
	register unsigned long x3 __asm__("x3") = 0;
	__asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) : : "memory");
	return x0;
}

void guest_main(void)
{
	unsigned long i;
	GICD[0] = 1;
	cpu_interface_on();
	puts("smp: cpu0 up\n");
	if (cpu_on(1, secondary_entry) != 0) {
		puts("smp: CPU_ON failed\n");
		return;
	}
	while (!online)
		;
	puts("smp: cpu1 online\n");
	for (i = 1; i <= PINGS; i++) {
		GICD[0xf00 / 4] = (1u << (16 + 1)) | SGI_PING; /* SGI to CPU 1 (target list bit 1) */
		while (acks < i)
			;
	}
	puts("smp: ");
	putu(acks);
	puts(" pings acknowledged\n");
	while (!done)
		;
	puts("smp: cpu1 computed ");
	putu(result);
	puts("\n");
}
