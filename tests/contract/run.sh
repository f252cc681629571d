#!/usr/bin/env bash
# Contract test: starts `doorstep serve` on a free port with an empty store, the
# simulated clock and an embedded Kafka dev broker (--kafka embedded), then checks every
# answer and every Kafka message against schemas/ (node contract.mjs, kcat for Kafka).
#
#   tests/contract/run.sh BINARY CONFIG
#
# Needs node (>= 18), npm and kcat. node_modules is installed from package-lock.json on
# first use (`npm ci`); later runs work offline.
set -euo pipefail

if [[ $# -ne 2 ]]; then
  echo "usage: $0 BINARY CONFIG" >&2
  exit 2
fi
binary=$(realpath "$1")
config=$(realpath "$2")
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

for tool in node npm kcat; do
  if ! command -v "$tool" >/dev/null; then
    echo "contract: $tool is not installed (Debian: apt-get install nodejs npm kcat)" >&2
    exit 1
  fi
done

# Install the exact versions of package-lock.json unless they are already there.
if ! (cd "$here" && node -e 'import("ajv/dist/2020.js").then(() => import("ajv-formats")).then(() => import("@seriousme/openapi-schema-validator"))' >/dev/null 2>&1) ||
   [[ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]]; then
  echo "contract: npm ci in $here"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/doorstep-contract.XXXXXX")
server_pid=""
node_pid=""
cleanup() {
  local rc=$?
  if [[ -n "$node_pid" ]]; then
    kill -TERM "$node_pid" 2>/dev/null || true
    wait "$node_pid" 2>/dev/null || true
  fi
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      echo "contract: the server did not stop on SIGTERM within 10 s; killing it" >&2
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -s "$work/server.err" ]]; then
    echo "contract: server stderr (last 20 lines):" >&2
    tail -n 20 "$work/server.err" >&2 || true
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cd "$work"
"$binary" --config "$config" serve --listen 127.0.0.1:0 --data "$work/data" \
  --clock simulated --clock-start 2026-03-02T09:00:00+08:00 --demo-tokens --backup-dir "$work/backups" --kafka embedded \
  >"$work/server.out" 2>"$work/server.err" &
server_pid=$!

port=""
for _ in $(seq 1 300); do
  port=$(sed -n 's#.*serving on http://127\.0\.0\.1:\([0-9][0-9]*\).*#\1#p' "$work/server.out" | head -n 1)
  [[ -n "$port" ]] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "contract: the server exited before serving" >&2
    cat "$work/server.out" "$work/server.err" >&2 || true
    exit 1
  fi
  sleep 0.1
done
if [[ -z "$port" ]]; then
  echo "contract: no 'serving on http://127.0.0.1:PORT' line within 30 s" >&2
  exit 1
fi

# The embedded broker's line comes before the serving line.
kafka=$(grep -m 1 '^doorstep: kafka (embedded dev broker) ' "$work/server.out" || true)
if [[ -z "$kafka" ]]; then
  echo "contract: no 'doorstep: kafka (embedded dev broker) ...' line before the serving line" >&2
  exit 1
fi

# In the background so that a signal (ctest's timeout, ^C) runs the trap at once.
DOORSTEP_BINARY="$binary" DOORSTEP_CONFIG="$config" DOORSTEP_BACKUP_DIR="$work/backups" DOORSTEP_KAFKA="$kafka" \
  node "$here/contract.mjs" "$port" &
node_pid=$!
set +e
wait "$node_pid"
rc=$?
set -e
node_pid=""
exit "$rc"
