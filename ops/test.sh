#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (root) if needed, then builds and runs the whole
# test suite twice: once in the dev build (warnings are errors) and once under
# AddressSanitizer + UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ops/setup.sh
jobs=$(nproc)

run_suite() {
  local preset=$1
  echo "== $preset: configure and build" >&2
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== $preset: test" >&2
  ctest --preset "$preset" -j "$jobs"
}

run_suite dev
run_suite asan-ubsan
