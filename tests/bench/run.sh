#!/usr/bin/env bash
# The one command for issue #6: builds the release preset (niced; the machine may be
# shared) and runs every benchmark, printing one table. Arguments go to run.py, e.g.
#   tests/bench/run.sh --runs 5 --json /tmp/bench.json
#   tests/bench/run.sh --only ingest --appeals 50000
set -euo pipefail
cd "$(dirname "$0")/../.."
cmake --preset release >/dev/null
nice cmake --build --preset release -j "$(nproc)" >&2
exec python3 tests/bench/run.py --build-dir build/release "$@"
