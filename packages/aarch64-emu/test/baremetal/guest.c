/* Bare-metal test image for `aarch64-emu boot`: starts at EL2 (or EL1), prints through the
   PL011 UART, takes SVC/BRK/MMIO-abort exceptions at EL2, drops to EL1 with HCR_EL2.TWI and
   takes SVC (EL1), HVC and trapped WFI (EL2), then powers off through PSCI SYSTEM_OFF. */
typedef unsigned long u64;
#define UART ((volatile unsigned int *)0x09000000)
static void putc_(char c) { while (UART[0x18 / 4] & (1 << 5)) {} UART[0] = (unsigned int)c; }
static void puts_(const char *s) { while (*s) putc_(*s++); }
static void putx(u64 v) { char b[17]; int i = 16; b[16] = 0; do { b[--i] = "0123456789abcdef"[v & 15]; v >>= 4; } while (v); puts_("0x"); puts_(b + i); }
#define MRS(r) ({ u64 v_; __asm__ volatile("mrs %0, " #r : "=r"(v_)); v_; })
#define MSR(r, v) __asm__ volatile("msr " #r ", %0" :: "r"((u64)(v)))
static u64 el(void) { return (MRS(currentel) >> 2) & 3; }

static void psci_off(void) {
  register u64 x0 __asm__("x0") = 0x84000008;
  if (el() == 2) __asm__ volatile("smc #0" : "+r"(x0)); else __asm__ volatile("hvc #0" : "+r"(x0));
  for (;;) __asm__ volatile("wfi");
}

/* regs: x18,x19,...,x0,x1 pushed by start.S; regs[18] = x0 */
u64 handle(u64 kind, u64 *regs) {
  u64 esr, elr, far;
  int at = (int)el();
  if (at == 2) { esr = MRS(esr_el2); elr = MRS(elr_el2); far = MRS(far_el2); }
  else { esr = MRS(esr_el1); elr = MRS(elr_el1); far = MRS(far_el1); }
  u64 ec = esr >> 26;
  puts_("  [trap EL"); putc_((char)('0' + at)); puts_(" vec="); putx(kind); puts_(" EC="); putx(ec);
  puts_(" ISS="); putx(esr & 0x1ffffff); puts_(" ELR="); putx(elr);
  if (ec == 0x24 || ec == 0x25) { puts_(" FAR="); putx(far); }
  puts_("]\n");
  if (ec == 0x16 && regs[18] == 0xdead) { puts_("guest asked to stop\n"); psci_off(); }
  if (ec == 0x3c || ec == 0x24 || ec == 0x25 || ec == 0x01) {
    if (at == 2) MSR(elr_el2, elr + 4); else MSR(elr_el1, elr + 4);
  }
  return 0;
}

static void el1_main(void) {
  puts_("EL1: hello, CurrentEL="); putx(el()); puts_("\n");
  __asm__ volatile("svc #0x44");
  __asm__ volatile("hvc #0x55");
  __asm__ volatile("wfi");
  register u64 x0 __asm__("x0") = 0xdead;
  __asm__ volatile("hvc #0" : "+r"(x0));
  for (;;) {}
}

static unsigned char el1_stack[4096] __attribute__((aligned(16)));

void kmain(void) {
  puts_("guest: hello from bare metal, CurrentEL="); putx(el()); puts_("\n");
  __asm__ volatile("svc #0x11");
  __asm__ volatile("brk #0x33");
  *(volatile unsigned int *)0x0b000000 = 1;
  if (el() != 2) { puts_("not at EL2: done\n"); psci_off(); }
  puts_("dropping to EL1\n");
  MSR(hcr_el2, (1ul << 31) | (1ul << 13)); /* RW, TWI */
  MSR(sp_el1, (u64)(el1_stack + sizeof el1_stack));
  MSR(elr_el2, (u64)el1_main);
  MSR(spsr_el2, 0x3c5);
  __asm__ volatile("isb; eret");
}
