/* The kprobe guest: a target for guest kprobes. Two vCPUs call the same small functions with
 * known arguments at the same time, count their own calls and print the results, the return
 * values and the counts, so a run with probes can be compared with one without (and with
 * qemu-system-aarch64 -M virt -smp 2). The probed functions sit on their own page
 * (.text.probed, page aligned) together with a helper that is never probed, so stage-2 probes
 * page-step the helper and leave the hot printing code alone. CPU 0 also executes a BRK of its
 * own, which its EL1 vector handles (the hypervisor must hand it back to the guest). */
#include "../common/guest.h"

#define PSCI_CPU_ON 0xC4000003UL
#define PSCI_CPU_OFF 0x84000002UL
#define ROUNDS 40
#define PROBED __attribute__((section(".text.probed"), noinline, noipa))

unsigned long calls_add[2], calls_mul[2], calls_helper[2], calls_fact[2], calls_sum[2];
unsigned long acc[2];
volatile unsigned long brk_count, brk_imm;
static volatile unsigned long online, done;
unsigned long secondary_stack[512] __attribute__((aligned(16)));

/* Each CPU keeps its number in TPIDR_EL1 (set at its start). */
static inline unsigned long cpu_id(void)
{
	unsigned long id;
	__asm__ volatile("mrs %0, tpidr_el1" : "=r"(id));
	return id;
}

/* Probed functions (one page, aligned). */
PROBED __attribute__((aligned(4096))) unsigned long kp_add(unsigned long a, unsigned long b, unsigned long c, unsigned long d)
{
	calls_add[cpu_id()]++;
	return a + b * 2 + c * 3 + d * 4;
}

PROBED unsigned long kp_helper(unsigned long x)
{
	calls_helper[cpu_id()]++;
	return x ^ 0x5a;
}

PROBED unsigned long kp_mul(unsigned long a, unsigned long b)
{
	calls_mul[cpu_id()]++;
	return kp_helper(a) * b;
}

PROBED unsigned long kp_fact(unsigned long n)
{
	unsigned long r;
	calls_fact[cpu_id()]++;
	if (n <= 1)
		return 1;
	r = kp_fact(n - 1);
	__asm__("" : "+r"(r)); /* keeps the recursion a real call (no accumulator loop) */
	return n * r;
}

/* Not on the probed page: ordinary code next to the printing helpers. */
__attribute__((noinline, noipa)) unsigned long kp_sum(const unsigned long *v, unsigned long n)
{
	unsigned long i, s = 0;
	calls_sum[cpu_id()]++;
	for (i = 0; i < n; i++)
		s += v[i];
	return s;
}

/* EL1 vectors: a synchronous exception at the current EL (SP_ELx, offset 0x200) that is a BRK
 * counts it, records its immediate and returns past it; anything else stops the CPU. */
__asm__(
	"	.balign 0x800\n"
	"kvectors:\n"
	"	.rept 4\n	.balign 0x80\n	b .\n	.endr\n"
	"	.balign 0x80\n"
	"	b sync_entry\n"
	"	.rept 11\n	.balign 0x80\n	b .\n	.endr\n"
	"sync_entry:\n"
	"	stp x0, x1, [sp, #-16]!\n"
	"	mrs x0, esr_el1\n"
	"	lsr x1, x0, #26\n"
	"	cmp x1, #0x3c\n"
	"	b.ne 1f\n"
	"	and x0, x0, #0xffff\n"
	"	adrp x1, brk_imm\n"
	"	str x0, [x1, :lo12:brk_imm]\n"
	"	adrp x1, brk_count\n"
	"	ldr x0, [x1, :lo12:brk_count]\n"
	"	add x0, x0, #1\n"
	"	str x0, [x1, :lo12:brk_count]\n"
	"	mrs x0, elr_el1\n"
	"	add x0, x0, #4\n"
	"	msr elr_el1, x0\n"
	"	ldp x0, x1, [sp], #16\n"
	"	eret\n"
	"1:	b 1b\n"
	"	.global secondary_entry\n"
	"secondary_entry:\n"
	"	ldr x1, =secondary_stack + 4096\n"
	"	mov sp, x1\n"
	"	bl secondary_main\n"
	"2:	wfi\n"
	"	b 2b\n");
extern char kvectors[], secondary_entry[];

static const unsigned long table[8] = {3, 1, 4, 1, 5, 9, 2, 6};

static void work(unsigned long cpu)
{
	unsigned long i;
	for (i = 0; i < ROUNDS; i++) {
		acc[cpu] += kp_add(i, i + 1, i + 2, cpu);
		acc[cpu] += kp_mul(i, 3);
	}
	acc[cpu] += kp_fact(5 + cpu);
	acc[cpu] += kp_sum(table, 8);
}

void secondary_main(void)
{
	__asm__ volatile("msr tpidr_el1, %0" : : "r"(1UL));
	online = 1;
	work(1);
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

static void put_kv(const char *k, unsigned long v)
{
	puts(k);
	putu(v);
	putc('\n');
}

void guest_main(void)
{
	unsigned long c;
	__asm__ volatile("msr tpidr_el1, %0" : : "r"(0UL));
	puts("kprobe: start\n");
	__asm__ volatile("msr vbar_el1, %0; isb" : : "r"(kvectors));
	__asm__ volatile("brk #0x42" ::: "memory");
	put_kv("kprobe: own brk taken ", brk_count);
	put_kv("kprobe: own brk imm ", brk_imm);
	put_kv("kp_add(1, 2, 3, 4) = ", kp_add(1, 2, 3, 4));
	put_kv("kp_mul(7, 5) = ", kp_mul(7, 5));
	put_kv("kp_fact(6) = ", kp_fact(6));
	put_kv("kp_sum(table, 8) = ", kp_sum(table, 8));
	if (cpu_on(1, secondary_entry) != 0) {
		puts("kprobe: CPU_ON failed\n");
		return;
	}
	while (!online)
		;
	work(0);
	while (!done)
		;
	for (c = 0; c < 2; c++) {
		puts("cpu");
		putu(c);
		put_kv(" acc ", acc[c]);
	}
	put_kv("calls kp_add ", calls_add[0] + calls_add[1]);
	put_kv("calls kp_mul ", calls_mul[0] + calls_mul[1]);
	put_kv("calls kp_helper ", calls_helper[0] + calls_helper[1]);
	put_kv("calls kp_fact ", calls_fact[0] + calls_fact[1]);
	put_kv("calls kp_sum ", calls_sum[0] + calls_sum[1]);
	puts("kprobe: done\n");
}
