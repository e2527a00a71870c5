#!/bin/sh
# Rebuilds packages/obj/test/programs/*.bpf.o from their C sources with clang -O2 -g -target bpf.
# Deterministic: -fdebug-prefix-map hides the checkout path from the DWARF.
# Usage: scripts/build-programs.sh [output-dir]   (default: test/programs)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
src="$here/test/programs"
out="${1:-$src}"
CLANG="${CLANG:-clang}"
multiarch=$(gcc -print-multiarch 2>/dev/null || gcc -dumpmachine)
mkdir -p "$out"
for c in "$src"/*.bpf.c; do
  name=$(basename "$c" .c)
  (cd "$src" && "$CLANG" -O2 -g -target bpf -I"/usr/include/$multiarch" \
    -fdebug-prefix-map="$src"=. -fdebug-compilation-dir=. \
    -c "$(basename "$c")" -o "$out/$name.o")
done
# Golden disassembly (llvm-objdump of LLVM 14 syntax) for the disassembly comparison test.
if [ "$out" = "$src" ] && command -v "${OBJDUMP:-llvm-objdump}" >/dev/null 2>&1; then
  for o in "$src"/*.bpf.o; do
    "${OBJDUMP:-llvm-objdump}" -d --no-show-raw-insn "$o" | sed 1,2d > "${o%.o}.objdump.txt"
  done
fi
