#!/usr/bin/env bash
# Builds the precompiled programs: regenerates the vmm tracepoint header from the catalog (needs
# `pnpm build` first) and compiles each *.bpf.c with clang. The .o files are committed so that
# users without clang can load them; test/precompiled.test.ts rebuilds and compares when clang
# is present.
set -euo pipefail
cd "$(dirname "$0")"
node ../scripts/gen-vmm-header.mjs >/dev/null
MULTIARCH="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
OUT="${1:-.}"
for src in *.bpf.c; do
  clang -O2 -g -target bpf -I"/usr/include/${MULTIARCH}" -I. \
    -fdebug-prefix-map="$(pwd)"=/axebpf/programs -fno-ident \
    -c "$src" -o "${OUT}/${src%.c}.o"
done
