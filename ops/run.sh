#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (root) if needed, builds Doorstep (release) and runs
# its main job on the embedded defaults: the demo config, no Kafka, RocksDB in a local
# folder. Today the main job is `doorstep simulate` over the shipped sample of appeals
# (3,000 appeals over seven weeks around the 2026 Spring Festival).
# Extra arguments go to `doorstep simulate` (e.g. --json).
set -euo pipefail
cd "$(dirname "$0")/.."

bash ops/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target doorstep

sample=build/release/appeals-2026-spring.jsonl
gunzip -c config/samples/appeals-2026-spring.jsonl.gz > "$sample"
data=data/simulate
rm -rf "$data"
echo "doorstep: simulating $(wc -l < "$sample") timed commands; store in $data" >&2
build/release/engine/doorstep --config config/doorstep.yaml simulate \
  --input "$sample" --data "$data" --until 2026-04-30T00:00:00+08:00 "$@"
build/release/engine/doorstep --config config/doorstep.yaml fsck --data "$data"
