#!/usr/bin/env bash
# bench/split.sh: split benchmarks on a 3-node loopback Cleave cluster (three JVMs, temp data dir).
#
#   bench/split.sh [--keys 1000000] [--lat-keys 100000] [--threads 16] [--secs 30] [--every 3] [--out DIR]
#
# 1. split-time: loads --keys keys (100 B values, batchPut) into a 1-shard keyspace, splits the
#    shard, reports the SplitShard call time and the time until both halves take writes.
# 2. split-latency: --threads closed-loop clients (50 % get, 50 % put) over --lat-keys keys:
#    --secs without splits, then --secs while the largest shard is split every --every seconds;
#    client p50/p99/p99.9 of each phase.
# Output: DIR/split.txt (default bench/results/split-<timestamp>), DIR/machine.txt.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
KEYS=1000000; LAT_KEYS=100000; THREADS=16; SECS=30; EVERY=3; OUT=""
while (($#)); do
  case "$1" in
    --keys) KEYS="$2"; shift 2 ;;
    --lat-keys) LAT_KEYS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --every) EVERY="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-$BENCH_ROOT/bench/results/split-$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cleave-split.XXXXXX")"
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
cleave_start "$WORK/cleave" || exit 1
run() {
  bench_java -Xmx1g io.cleave.bench.SplitBench "$@" > >(tee -a "$OUT/split.txt") 2>&1 &
  BENCH_PID=$!
  wait "$BENCH_PID"
  BENCH_PID=""
}
echo "## split-time, $KEYS keys, loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/split.txt"
run split-time "$CLEAVE_ENDPOINTS" "$KEYS"
cleave_footprint "$WORK/cleave" | tee -a "$OUT/split.txt"
echo "## split-latency, $LAT_KEYS keys, $THREADS threads, ${SECS}s per phase, split every ${EVERY}s, loadavg $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/split.txt"
run split-latency "$CLEAVE_ENDPOINTS" "$LAT_KEYS" "$THREADS" "$SECS" "$EVERY"
echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/split.txt"
log "results in $OUT"
