#!/usr/bin/env bash
# Regenerate every golden fixture with the reference engine (see README.md).
#   REFENG=/tmp/refeng bash tests/golden/run_all.sh [outDir]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUT="${1:-$HERE}"
SCENARIOS="sma-cross scheduled-limit always-long risky-long fuzz-1 fuzz-2 fuzz-3 fuzz-4 fuzz-5 fuzz-6 walker"
for s in $SCENARIOS; do
  node "$HERE/gen.mjs" "$s" "$OUT"
done
