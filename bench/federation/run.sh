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
LOG="$SCRATCH/federation-$STAMP.log" # raw log stays out of the repository (machine paths)
echo "[bench] scratch=$SCRATCH results=$JSON" >&2
# The gateway under test: engine=fast, response cache and inbound collapsing OFF (benchmark rules).
# The default target runs the production launcher (bin/tma-gateway: node with the heap flags, no npm
# wrapper). TUNINGS="16:40 32:50 none" adds variants (node --max-semi-space-size=S --heap-growing-percent=G),
# "launcher:24" the launcher itself with GATEWAY_SEMI_SPACE_MB=24,
# PLANNER=apollo measures the engine with Apollo's planner.
# The harness runs gateways with NODE_ENV=production, which refuses to start without its secrets: made up per run.
SECRETS="TELEGRAM_BOT_TOKEN=7000000001:bench-$RANDOM$RANDOM TELEGRAM_WEBHOOK_SECRET=bench$RANDOM$RANDOM INTERNAL_JWT_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')"
# It measures the engine, not the limits: the Mini App defaults (cost 5,000, 300 anonymous requests a minute per IP) would refuse its load.
LIMITS="MAX_QUERY_COST=100000000 RATE_LIMIT_ANONYMOUS_PER_MINUTE=100000000"
BASE_ENV="GATEWAY_ENGINE=fast GATEWAY_PLANNER=${PLANNER:-hive} RESPONSE_CACHE=off REQUEST_COLLAPSING=off $SECRETS $LIMITS"
extras=()
i=0
for t in ${TUNINGS:-default}; do
  port=$((PORT + i)); i=$((i + 1))
  if [ "$t" = default ]; then
    cmd="exec bin/tma-gateway"; name=tma-gateway
  elif [ "${t%%:*}" = launcher ]; then
    # the production launcher with another young generation size (GATEWAY_SEMI_SPACE_MB)
    cmd="GATEWAY_SEMI_SPACE_MB=${t##*:} exec bin/tma-gateway"; name="tma-gateway-s${t##*:}"
  elif [ "$t" = none ]; then
    cmd="exec node_modules/.bin/node gateway/src/main.ts"; name=tma-untuned
  else
    # the launcher's other flags and malloc settings, with another young generation size and old generation growth
    cmd="MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 exec node_modules/.bin/node --max-semi-space-size=${t%%:*} --heap-growing-percent=${t##*:} --max-old-space-size=192 --json-stringify-fast-path --import ./bin/precompiled.mjs gateway/src/main.ts"; name="tma-s${t%%:*}-g${t##*:}"
  fi
  extras+=(--extra "cd $ROOT && $BASE_ENV $cmd" "http://127.0.0.1:$port/graphql" --extra-name "$name")
done
(cd "$SCRATCH" && BENCH_SKIP_GRAFBASE=1 ./run.sh "${extras[@]}" apollo-gateway --unique-header --out "$JSON" "${args[@]}") 2>&1 | tee "$LOG"

{
  PATH="$ROOT/node_modules/.bin:$PATH" node "$HERE/report.ts" "$JSON"
  echo; echo "Gateway commands (--extra, harness env adds PORT/HOST/SUPERGRAPH_PATH/NODE_ENV=production):"
  for ((k = 0; k < ${#extras[@]}; k++)); do [ "${extras[$k]}" = --extra ] && echo "- \`${extras[$((k + 1))]}\` -> ${extras[$((k + 4))]}"; done; true
} > "$OUT_DIR/federation-$STAMP.md"
# The reports are committed: keep the per-run secrets and this machine's checkout path out of them.
sed -i -E "s/(INTERNAL_JWT_SECRET|TELEGRAM_BOT_TOKEN|TELEGRAM_WEBHOOK_SECRET)=[^ \"\\\\\`]*/\\1=<generated>/g; s#$ROOT#<repo>#g" "$JSON" "$OUT_DIR/federation-$STAMP.md"
echo "[bench] wrote $OUT_DIR/federation-$STAMP.md" >&2
