// SPDX-License-Identifier: MIT
// bpf_conformance ELF form: function `main` in `.text`, with global data and a subprogram.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static volatile __u64 base = 40;

static __noinline __u64 add(__u64 a, __u64 b)
{
	return a + b;
}

/* Named `main` through an asm label: clang insists on main(int, ...) in C. */
int conformance_main(__u8 *memory) __asm__("main");

int conformance_main(__u8 *memory)
{
	return add(base, memory[0]);
}
