// Test program of @axebpf/kprobe: runs at EL2 with the MMU off on @axebpf/aarch64-emu.
// main calls each probe target a few times and stores every return value in `results`, then
// executes WFI. Labels p_* mark the instructions the tests probe (one per instruction class);
// r_* mark instructions that must be rejected (never executed). Rebuild: scripts/build-programs.sh

        .section .text.start, "ax"
        .global _start
_start:
        ldr     x0, =stack_top
        mov     sp, x0
        adr     x0, vectors
        msr     vbar_el2, x0
        isb
        bl      main
done:   wfi
        b       done

// ---- main ----------------------------------------------------------------------------
        .text
        .macro  CALL fn, a0, a1=0, a2=0, a3=0
        ldr     x0, =\a0
        ldr     x1, =\a1
        ldr     x2, =\a2
        ldr     x3, =\a3
        bl      \fn
        str     x0, [x19], #8
        .endm

        .global main
main:
        stp     x29, x30, [sp, #-32]!
        mov     x29, sp
        str     x19, [sp, #16]
        adr     x19, results_ptr
        ldr     x19, [x19]
        CALL    f_add, 1, 2, 3, 4
        CALL    f_add, 0x100, 0x200, 0x300, 0x400
        CALL    f_mem, 0x1234, buffer
        CALL    f_adr, 0
        CALL    f_adrp, 0
        CALL    f_b, 5
        CALL    f_bl, 10, 20, 30, 40
        CALL    f_bcond, 1, 2
        CALL    f_bcond, 3, 2
        CALL    f_cbz, 0xffffffff00000000
        CALL    f_cbz, 7
        CALL    f_cbnz, 0
        CALL    f_cbnz, 0x8000000000000000
        CALL    f_tbz, 0x10000000000
        CALL    f_tbz, 0
        CALL    f_tbnz, 8
        CALL    f_tbnz, 0x7
        CALL    f_br, 100
        CALL    f_blr, 1, 1, 1, 1
        CALL    f_ret, 41
        CALL    f_ldrlit, 0
        CALL    f_misc, 3
        CALL    f_fact, 5
        CALL    f_fact, 3
        CALL    f_sum4, 11, 22, 33, 44
        CALL    f_loop, 4
        ldr     x19, [sp, #16]
        ldp     x29, x30, [sp], #32
        ret

// ---- probe targets --------------------------------------------------------------------
        .global f_add
f_add:                                  // x0 + x1 + x2 + x3
p_add:  add     x0, x0, x1
        add     x0, x0, x2
        add     x0, x0, x3
        ret

f_mem:                                  // store x0 and read it back through x1
p_str:  str     x0, [x1, #8]
p_ldr:  ldr     x2, [x1, #8]
        add     x2, x2, #1
p_stp:  stp     x0, x2, [x1, #16]
p_ldp:  ldp     x3, x4, [x1, #16]
        add     x0, x3, x4
        ret

f_adr:
p_adr:  adr     x0, adr_target
        ret
adr_target:
        nop

f_adrp:
p_adrp: adrp    x0, far_page
        add     x0, x0, #:lo12:far_page
        ret

f_b:
p_b:    b       1f
        mov     x0, #99
1:      add     x0, x0, #1
        ret

f_bl:
        stp     x29, x30, [sp, #-16]!
        mov     x29, sp
p_bl:   bl      f_add
        add     x0, x0, #1
        ldp     x29, x30, [sp], #16
        ret

f_bcond:
        cmp     x0, x1
p_bcond: b.lt   1f
        mov     x0, #10
        ret
1:      mov     x0, #20
        ret

f_cbz:
p_cbz:  cbz     w0, 1f                  // the 32-bit form ignores the high half
        mov     x0, #1
        ret
1:      mov     x0, #2
        ret

f_cbnz:
p_cbnz: cbnz    x0, 1f
        mov     x0, #3
        ret
1:      mov     x0, #4
        ret

f_tbz:
p_tbz:  tbz     x0, #40, 1f             // bit number >= 32 (b5 set)
        mov     x0, #5
        ret
1:      mov     x0, #6
        ret

f_tbnz:
p_tbnz: tbnz    w0, #3, 1f
        mov     x0, #7
        ret
1:      mov     x0, #8
        ret

f_br:
        adr     x16, 1f
p_br:   br      x16
        mov     x0, #0
        ret
1:      add     x0, x0, #7
        ret

f_blr:
        stp     x29, x30, [sp, #-16]!
        mov     x29, sp
        adr     x16, f_add
p_blr:  blr     x16
        ldp     x29, x30, [sp], #16
        ret

f_ret:
        add     x0, x0, #1
p_ret:  ret

f_ldrlit:
p_ldrx: ldr     x0, lit64
p_ldrw: ldr     w1, lit32
p_ldrsw: ldrsw  x2, litneg
        add     x0, x0, x1
        add     x0, x0, x2
        ret

f_misc:                                 // steppable system and hint instructions
p_nop:  nop
p_bti:  hint    #34                     // bti c
p_mrs:  mrs     x5, nzcv
p_dmb:  dmb     ish
p_mov:  movz    x6, #0x1234, lsl #16
p_madd: madd    x0, x0, x6, x5
p_cmp:  cmp     x0, #3
p_csel: csel    x0, x0, x6, ne
        ret

        .global f_fact
f_fact:                                 // recursive n!
p_fact: cmp     x0, #1
        b.le    1f
        stp     x29, x30, [sp, #-32]!
        mov     x29, sp
        str     x0, [sp, #16]
        sub     x0, x0, #1
        bl      f_fact
        ldr     x1, [sp, #16]
        mul     x0, x0, x1
        ldp     x29, x30, [sp], #32
        ret
1:      mov     x0, #1
        ret

f_sum4:                                 // probed at entry: the pre-handler reads x0..x3
p_sum4: lsl     x1, x1, #8
        orr     x0, x0, x1
        lsl     x2, x2, #16
        orr     x0, x0, x2
        lsl     x3, x3, #24
        orr     x0, x0, x3
        ret

f_loop:                                 // calls f_ret x0 times (hit counts)
        stp     x29, x30, [sp, #-32]!
        mov     x29, sp
        stp     x19, x20, [sp, #16]
        mov     x19, x0
        mov     x20, #0
1:      cbz     x19, 2f
        mov     x0, x20
        bl      f_ret
        mov     x20, x0
        sub     x19, x19, #1
        b       1b
2:      mov     x0, x20
        ldp     x19, x20, [sp, #16]
        ldp     x29, x30, [sp], #32
        ret

        .balign 8
lit64:  .quad   0x1122334455667788
lit32:  .word   0xdeadbeef
litneg: .word   0x80000001

// ---- instructions that must be rejected (never executed) --------------------------------
f_rejected:
r_ldxr:  ldxr   x0, [x1]
r_atomic: add   x0, x0, #1              // inside an LDXR...STXR sequence
r_stxr:  stxr   w2, x0, [x1]
r_ldar:  ldar   x0, [x1]
r_stlr:  stlr   x0, [x1]
r_msr_imm: msr  daifset, #2
r_msr_reg: msr  daif, x0
r_mrs_daif: mrs x0, daif
r_svc:   svc    #0
r_hvc:   hvc    #0
r_smc:   smc    #0
r_brk:   brk    #1
r_hlt:   hlt    #0
r_eret:  eret
r_wfi:   wfi
r_wfe:   wfe
r_yield: yield
r_sev:   sev
r_prfm_lit: prfm pldl1keep, lit64
r_fp_lit: ldr   d0, lit64
r_udf:   .inst  0x00000000
r_fadd:  fadd   d0, d1, d2
r_after_stxr: add x0, x0, #2            // after the STXR: steppable again
        ret

// ---- EL2 exception vectors: trap frame in struct pt_regs order, host call --------------
        .balign 2048
vectors:
        .balign 0x80                    // current EL with SP0: unused
        b       .
        .balign 0x80
        b       .
        .balign 0x80
        b       .
        .balign 0x80
        b       .
        .balign 0x80                    // +0x200: current EL with SPx, synchronous
        b       el2_sync
        .balign 0x80
        b       .
        .balign 0x80
        b       .
        .balign 0x80
        b       .

el2_sync:
        sub     sp, sp, #288
        stp     x0, x1, [sp, #0]
        stp     x2, x3, [sp, #16]
        stp     x4, x5, [sp, #32]
        stp     x6, x7, [sp, #48]
        stp     x8, x9, [sp, #64]
        stp     x10, x11, [sp, #80]
        stp     x12, x13, [sp, #96]
        stp     x14, x15, [sp, #112]
        stp     x16, x17, [sp, #128]
        stp     x18, x19, [sp, #144]
        stp     x20, x21, [sp, #160]
        stp     x22, x23, [sp, #176]
        stp     x24, x25, [sp, #192]
        stp     x26, x27, [sp, #208]
        stp     x28, x29, [sp, #224]
        str     x30, [sp, #240]
        add     x0, sp, #288
        str     x0, [sp, #248]
        mrs     x0, elr_el2
        str     x0, [sp, #256]
        mrs     x0, spsr_el2
        str     x0, [sp, #264]
        mov     x0, sp                  // x0 = frame, x1 = ESR_EL2
        mrs     x1, esr_el2
        hvc     #0x4b50                 // host call: x0 := 1 when handled
        cbz     x0, unhandled
        ldr     x0, [sp, #256]
        msr     elr_el2, x0
        ldr     x0, [sp, #264]
        msr     spsr_el2, x0
        ldp     x2, x3, [sp, #16]
        ldp     x4, x5, [sp, #32]
        ldp     x6, x7, [sp, #48]
        ldp     x8, x9, [sp, #64]
        ldp     x10, x11, [sp, #80]
        ldp     x12, x13, [sp, #96]
        ldp     x14, x15, [sp, #112]
        ldp     x16, x17, [sp, #128]
        ldp     x18, x19, [sp, #144]
        ldp     x20, x21, [sp, #160]
        ldp     x22, x23, [sp, #176]
        ldp     x24, x25, [sp, #192]
        ldp     x26, x27, [sp, #208]
        ldp     x28, x29, [sp, #224]
        ldr     x30, [sp, #240]
        ldp     x0, x1, [sp, #0]
        add     sp, sp, #288
        eret
unhandled:
        hlt     #0x5555                 // the host stops here
        b       unhandled

        .ltorg

// ---- data -----------------------------------------------------------------------------
        .data
        .balign 4096
far_page:
        .quad   0xfeedface
results_ptr: .quad results

        .bss
        .balign 64
buffer: .space  64
results: .space 512
        .balign 16
        .space  0x8000
stack_top:
