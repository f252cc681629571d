#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine (root) if needed, builds Doorstep (release) and runs
# its main job on the embedded defaults: the demo config, an in-process Kafka dev broker
# (its bootstrap address is printed: kcat can feed appeals and watch ticket events),
# RocksDB under data/.
#
#   ops/run.sh             serve the HTTP API on 127.0.0.1:8080 with local demo tokens
#   ops/run.sh simulate    run the shipped sample (3,000 appeals around Spring Festival
#                          2026) through the engine on the simulated clock and print the
#                          supervisor's summary
# Further arguments go to the doorstep subcommand.
set -euo pipefail
cd "$(dirname "$0")/.."

bash ops/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target doorstep doorstep-devbroker

doorstep=build/release/engine/doorstep
mode=${1:-serve}
[[ $# -gt 0 ]] && shift

case "$mode" in
  serve)
    # Defaults for what the caller did not choose (e.g. --listen 0.0.0.0:8080, --kafka
    # none or a cluster): each option may be given once.
    kafka=(--kafka embedded) listen=(--listen 127.0.0.1:8080) data=(--data data/doorstep)
    backups=(--backup-dir data/doorstep/backups)
    for a in "$@"; do
      case "$a" in
        --kafka*) kafka=() ;;
        --listen*) listen=() ;;
        --data*) data=() backups=() ;;  # backups live under the default data directory
        --backup-dir*) backups=() ;;
      esac
    done
    exec "$doorstep" --config config/doorstep.yaml serve "${listen[@]}" "${data[@]}" "${backups[@]}" --demo-tokens "${kafka[@]}" "$@"
    ;;
  simulate)
    sample=build/release/appeals-2026-spring.jsonl
    gunzip -c config/samples/appeals-2026-spring.jsonl.gz > "$sample"
    data=data/simulate
    rm -rf "$data"
    echo "doorstep: simulating $(wc -l < "$sample") timed commands; store in $data" >&2
    "$doorstep" --config config/doorstep.yaml simulate --input "$sample" --data "$data" \
      --until 2026-04-30T00:00:00+08:00 "$@"
    "$doorstep" --config config/doorstep.yaml fsck --data "$data"
    ;;
  *)
    echo "usage: ops/run.sh [serve|simulate] [doorstep options]" >&2
    exit 2
    ;;
esac
