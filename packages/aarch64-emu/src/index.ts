// @axebpf/aarch64-emu: not implemented yet (see README.md). The public API is exported from here.
export {};
