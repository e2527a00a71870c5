/* Entry of every bundled guest: runs at EL1 with the MMU off. Sets the stack, clears .bss, calls
   guest_main, then asks PSCI (over HVC) to power the system off. */
    .section .text.boot, "ax"
    .global _start
_start:
    ldr x1, =__stack_top
    mov sp, x1
    ldr x1, =__bss_start
    ldr x2, =__bss_end
1:  cmp x1, x2
    b.hs 2f
    str xzr, [x1], #8
    b 1b
2:  bl guest_main
    movz x0, #0x0008
    movk x0, #0x8400, lsl #16     /* PSCI SYSTEM_OFF */
    hvc #0
3:  wfi
    b 3b
