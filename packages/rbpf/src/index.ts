// @axebpf/rbpf: not implemented yet (see README.md). The public API is exported from here.
export {};
