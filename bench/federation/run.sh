#!/usr/bin/env bash
# Federation benchmark of this gateway (fast engine) against stock Apollo Gateway,
# using the shared harness (../shared/gateway-bench, never modified: it is copied
# to a scratch directory first; node_modules there are kept between runs).
#
#   bench/federation/run.sh                 # 3 runs, unique header
#   bench/federation/run.sh --runs 1        # quick
#   RUNS=2 bench/federation/run.sh --duration 20
# Extra arguments are passed to the harness. Results: bench/results/federation-<date>.{json,md}
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SHARED="${GATEWAY_BENCH_DIR:-$ROOT/../shared/gateway-bench}"
SCRATCH="${BENCH_SCRATCH:-/tmp/tma-gateway-bench}"
PORT="${BENCH_GATEWAY_PORT:-4000}"
STAMP="$(date -u +%Y-%m-%dT%H%M)"
OUT_DIR="$ROOT/bench/results"
mkdir -p "$SCRATCH" "$OUT_DIR"

# refresh the harness sources (everything but node_modules / generated output)
(cd "$SHARED" && find . -path ./node_modules -prune -o -path ./generated -prune -o -path ./vendor-bins/grafbase/node_modules -prune -o -type f -print) |
  while read -r f; do mkdir -p "$SCRATCH/$(dirname "$f")"; cp -f "$SHARED/$f" "$SCRATCH/$f"; done
chmod -R u+w "$SCRATCH"

args=("$@")
has_runs=0
for a in "${args[@]+"${args[@]}"}"; do [ "$a" = "--runs" ] && has_runs=1; done
[ $has_runs = 1 ] || args+=(--runs "${RUNS:-3}")

JSON="$OUT_DIR/federation-$STAMP.json"
LOG="$OUT_DIR/federation-$STAMP.log"
echo "[bench] scratch=$SCRATCH results=$JSON" >&2
(cd "$SCRATCH" && BENCH_SKIP_GRAFBASE=1 ./run.sh \
  --extra "cd $ROOT && GATEWAY_ENGINE=fast RESPONSE_CACHE=off REQUEST_COLLAPSING=off ${GATEWAY_NODE_OPTIONS:+NODE_OPTIONS='$GATEWAY_NODE_OPTIONS' }npm run gateway" "http://127.0.0.1:$PORT/graphql" --extra-name tma-gateway \
  apollo-gateway --unique-header --out "$JSON" "${args[@]}") 2>&1 | tee "$LOG"

PATH="$ROOT/node_modules/.bin:$PATH" node "$HERE/report.ts" "$JSON" > "$OUT_DIR/federation-$STAMP.md"
echo "[bench] wrote $OUT_DIR/federation-$STAMP.md" >&2
