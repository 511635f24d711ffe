#!/usr/bin/env bash
# Runs every benchmark binary built in BUILD_DIR/bench (make bench).
set -uo pipefail
BUILD_DIR=${1:-build}
status=0
for bin in "$BUILD_DIR"/bench/*; do
  [[ -f "$bin" && -x "$bin" ]] || continue
  echo "== $(basename "$bin")"
  "$bin" || status=1
done
exit $status
