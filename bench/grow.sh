#!/usr/bin/env bash
# bench/grow.sh: larger-than-heap run. A 3-node loopback cluster with a small heap per node
# (default 256 MiB) grows one keyspace in --steps steps of --per-step keys (--value bytes each,
# random so incompressible, loaded with batchPut); after each step a --secs closed-loop mix
# (90 % linearizable get, 10 % put, uniform over all keys) from --threads threads.
#
#   bench/grow.sh [--heap 256m] [--steps 6] [--per-step 150000] [--value 4096] [--threads 16]
#                 [--secs 20] [--shards 4] [--out DIR]
#
# Defaults end at 900k x 4 KiB = 3.5 GiB of values per node (~4.2 GiB on disk), ~14-17x the
# heap. Every node holds a full replica (3 nodes, 3 replicas).
# Output: DIR/grow.txt (default bench/results/grow-<timestamp>).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
HEAP=256m; STEPS=6; PER_STEP=150000; VALUE=4096; THREADS=16; SECS=20; SHARDS=4; OUT=""
while (($#)); do
  case "$1" in
    --heap) HEAP="$2"; shift 2 ;;
    --steps) STEPS="$2"; shift 2 ;;
    --per-step) PER_STEP="$2"; shift 2 ;;
    --value) VALUE="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --shards) SHARDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
CLEAVE_HEAP="$HEAP"
OUT="${OUT:-$BENCH_ROOT/bench/results/grow-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cleave-grow.XXXXXX")"
BENCH_PID=""
cleanup() {
  trap - EXIT INT TERM
  [[ -n "$BENCH_PID" ]] && kill "$BENCH_PID" 2>/dev/null
  cleave_stop
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; cleanup; exit 130' INT TERM

bench_build || exit 1
machine_description "$WORK" | tee "$OUT/machine.txt" >&2
echo "config: heap=$HEAP steps=$STEPS per_step=$PER_STEP value=$VALUE threads=$THREADS secs=$SECS shards=$SHARDS" | tee -a "$OUT/grow.txt"
cleave_start "$WORK/cleave" || exit 1
bench_java -Xmx1g io.cleave.bench.GrowBench "$CLEAVE_ENDPOINTS" "$WORK/cleave/n1" "$STEPS" "$PER_STEP" \
  "$VALUE" "$THREADS" "$SECS" "$SHARDS" > >(tee -a "$OUT/grow.txt") 2>&1 &
BENCH_PID=$!
wait "$BENCH_PID"
BENCH_PID=""
cleave_footprint "$WORK/cleave" | tee -a "$OUT/grow.txt"
echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/grow.txt"
log "results in $OUT"
