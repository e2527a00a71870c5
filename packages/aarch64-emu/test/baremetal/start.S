/* Boot code of the bare-metal test image: stack, vector table for EL2 and EL1, common
   exception entry that calls the C handler and returns with eret. */
    .section .text.boot, "ax"
    .global _start
_start:
    ldr x1, =stack_top
    mov sp, x1
    adr x0, vectors
    mrs x1, currentel
    cmp x1, #8
    b.ne 1f
    msr vbar_el2, x0
1:  msr vbar_el1, x0
    bl kmain
2:  wfi
    b 2b

    .macro vec kind
    .balign 0x80
    stp x29, x30, [sp, #-16]!
    mov x29, #\kind
    b common
    .endm

    .balign 0x800
vectors:
    vec 0
    vec 1
    vec 2
    vec 3
    vec 4
    vec 5
    vec 6
    vec 7
    vec 8
    vec 9
    vec 10
    vec 11
    vec 12
    vec 13
    vec 14
    vec 15

common:
    stp x0, x1, [sp, #-16]!
    stp x2, x3, [sp, #-16]!
    stp x4, x5, [sp, #-16]!
    stp x6, x7, [sp, #-16]!
    stp x8, x9, [sp, #-16]!
    stp x10, x11, [sp, #-16]!
    stp x12, x13, [sp, #-16]!
    stp x14, x15, [sp, #-16]!
    stp x16, x17, [sp, #-16]!
    stp x18, x19, [sp, #-16]!
    mov x1, sp
    mov x0, x29
    bl handle
    ldp x18, x19, [sp], #16
    ldp x16, x17, [sp], #16
    ldp x14, x15, [sp], #16
    ldp x12, x13, [sp], #16
    ldp x10, x11, [sp], #16
    ldp x8, x9, [sp], #16
    ldp x6, x7, [sp], #16
    ldp x4, x5, [sp], #16
    ldp x2, x3, [sp], #16
    ldp x0, x1, [sp], #16
    ldp x29, x30, [sp], #16
    eret
