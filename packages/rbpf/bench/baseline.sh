#!/bin/sh
# Extracts the engines of a previous revision (default: the last release tag of the package, or
# the given git ref) into bench/baseline/src, so that bench/ubpf.bench.ts measures the old and the
# new engines in the same process (ratios on a loaded machine stay meaningful).
# Usage: sh bench/baseline.sh [git-ref]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ref=${1:-a190e9b}
rm -rf "$here/baseline"
mkdir -p "$here/baseline"
cd "$(git -C "$here" rev-parse --show-toplevel)"
git archive "$ref" packages/rbpf/src | tar -x -C "$here/baseline" --strip-components=2
echo "$ref" > "$here/baseline/REF"
echo "baseline engines of $ref in $here/baseline/src"
