#!/usr/bin/env bash
# A client setting compared on one cluster: by default the calls in flight per keyspace
# (CleaveClient.Builder.maxCallsInFlight, YCSB property cleave.maxCallsInFlight); --property names
# another of the binding's properties (e.g. cleave.mergeScope with --values "keyspace shard node").
# Starts a 3-node cluster with N shards, loads, warms up, then runs the same YCSB workload once per
# value, alternating, --reps times. One cluster for all values, so the comparison is not blurred by
# the difference between two fresh clusters (often 30 % on a busy 2-core box).
#
#   bench/calls-in-flight.sh [--shards 1] [--property cleave.maxCallsInFlight] [--values "1 2 4"]
#                            [--threads 64] [--reads 0.5] [--secs 30] [--warmup 120] [--reps 2]
#                            [--records 20000] [--out DIR]
#
# --reads is the read proportion (0.5 = workload A, 1 = C, 0 = update-only). Stops everything it
# started on exit. Results: DIR/summary.txt (printed), raw YCSB output per run.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHARDS=1; PROPERTY=cleave.maxCallsInFlight; VALUES="1 2 4"; THREADS=64; READS=0.5; SECS=30; WARMUP=120; REPS=2; RECORDS=20000; OUT=""
while (($#)); do
  case "$1" in
    --shards) SHARDS="$2"; shift 2 ;;
    --property) PROPERTY="$2"; shift 2 ;;
    --values) VALUES="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --reads) READS="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --records) RECORDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bench_dirs calls-in-flight
bench_build
cleave_start "$WORK/cluster"
bench_java io.cleave.bench.BenchAdmin keyspace "$CLEAVE_ENDPOINTS" usertable "$SHARDS" >&2

UPDATES="$(awk -v r="$READS" 'BEGIN {print 1 - r}')"
ycsb() {
  bench_java site.ycsb.Client "$@" -db io.cleave.bench.ycsb.CleaveYcsbClient \
    -P "$BENCH_ROOT/bench/workloads/common.properties" -P "$BENCH_ROOT/bench/workloads/workloada" \
    -p recordcount="$RECORDS" -p cleave.endpoints="$CLEAVE_ENDPOINTS" \
    -p readproportion="$READS" -p updateproportion="$UPDATES"
}
# p50/p99 in ms of one operation from a YCSB output file.
percentiles() {
  grep -E "\[$2\], (50|99)thPercentileLatency" "$1" | awk -F', ' '{printf "%.1f ", $3 / 1000}'
}
log "loading $RECORDS records, then $WARMUP s with $THREADS threads (JIT warm-up)"
ycsb -load -threads 32 >"$OUT/load.txt" 2>&1
ycsb -t -threads "$THREADS" -p maxexecutiontime="$WARMUP" >"$OUT/warmup.txt" 2>&1
{
  echo "$PROPERTY, $SHARDS shard(s), $THREADS threads, read proportion $READS, $SECS s per run," \
    "commit $(git -C "$BENCH_ROOT" rev-parse --short HEAD)"
  for rep in $(seq 1 "$REPS"); do
    for v in $VALUES; do
      run="$OUT/run-$v-r$rep.txt"
      ycsb -t -threads "$THREADS" -p maxexecutiontime="$SECS" -p "$PROPERTY=$v" >"$run" 2>&1
      printf '  %s, rep %s: %s ops/s; read p50/p99 %sms; update p50/p99 %sms; load %s\n' \
        "$v" "$rep" "$(grep -E 'OVERALL\], Throughput' "$run" | awk -F', ' '{printf "%.0f", $3}')" \
        "$(percentiles "$run" READ)" "$(percentiles "$run" UPDATE)" "$(cut -d' ' -f1 /proc/loadavg)"
    done
  done
} | tee "$OUT/summary.txt"
