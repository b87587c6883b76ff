#!/usr/bin/env bash
# bench/sustained.sh: throughput over a long run, 30 s at a time. A 3-node loopback cluster, one
# keyspace with --shards shards, a 20,000-record YCSB load, then one YCSB run of --secs seconds
# (workload A with --reads as the read share; 0 = update-only) from --threads threads, printing
# ops/s and update latency per 30 s and, per node, CPU seconds and C2 compile counters. Shows what
# short runs hide: the JIT settling (about two minutes here) and anything that degrades as data and
# write outcomes pile up.
#
#   bench/sustained.sh [--shards 1] [--secs 210] [--threads 64] [--reads 0] [--out DIR]
#
# Output: DIR/sustained.txt (default bench/results/sustained-<timestamp>), also printed.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SHARDS=1; SECS=210; THREADS=64; READS=0; OUT=""
while (($#)); do
  case "$1" in
    --shards) SHARDS="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --reads) READS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bench_build || exit 1
bench_dirs "sustained"
YCSB_PID=""
trap 'log interrupted; [[ -n "$YCSB_PID" ]] && kill "$YCSB_PID" 2>/dev/null; exit 130' INT TERM
REPORT="$OUT/sustained.txt"
machine_description "$WORK" >"$OUT/machine.txt"
echo "config: shards=$SHARDS secs=$SECS threads=$THREADS reads=$READS" >>"$OUT/machine.txt"

cleave_start "$WORK/cluster" || exit 1
bench_java io.cleave.bench.BenchAdmin keyspace "$CLEAVE_ENDPOINTS" usertable "$SHARDS" >&2 || exit 1
ycsb() {
  bench_java site.ycsb.Client "$@" -db io.cleave.bench.ycsb.CleaveYcsbClient \
    -P "$BENCH_ROOT/bench/workloads/common.properties" -P "$BENCH_ROOT/bench/workloads/workloada" \
    -p recordcount=20000 -p "cleave.endpoints=$CLEAVE_ENDPOINTS" -p "readproportion=$READS" \
    -p "updateproportion=$(awk -v r="$READS" 'BEGIN { print 1 - r }')"
}
log "loading 20,000 records"
ycsb -load -threads 32 >"$OUT/load.txt" 2>&1
log "running $SECS s, $THREADS threads, read share $READS"
ycsb -t -threads "$THREADS" -p maxexecutiontime="$SECS" -p status.interval=30 -s >"$OUT/run.txt" 2>&1 &
YCSB_PID=$!
{
  echo "# per node every 30 s: CPU seconds since start, C2+C1 compiles so far, compile time so far (s)"
  for ((t = 30; t <= SECS; t += 30)); do
    sleep 30
    i=1
    for pid in "${CLEAVE_PIDS[@]}"; do
      counters=$(jcmd "$pid" PerfCounter.print 2>/dev/null)
      compiles=$(awk -F= '/^sun.ci.totalCompiles=/{print $2}' <<<"$counters")
      ticks=$(awk -F= '/^java.ci.totalTime=/{print $2}' <<<"$counters")
      freq=$(awk -F= '/^sun.os.hrt.frequency=/{print $2}' <<<"$counters")
      cpu=$(awk '{print ($14 + $15) / 100}' /proc/"$pid"/stat)
      echo "t=${t}s n$i cpu=${cpu}s compiles=$compiles compile_time=$(awk -v a="${ticks:-0}" -v f="${freq:-1}" 'BEGIN { printf "%.1f", a / f }')s"
      i=$((i + 1))
    done
  done
} | tee "$OUT/nodes.txt"
wait "$YCSB_PID"
YCSB_PID=""
{
  echo "# ops/s per 30 s (YCSB status lines) and update latency in us"
  grep -E ' [1-9][0-9]* sec: ' "$OUT/run.txt" | grep -v CLEANUP |
    sed -E 's/.* ([0-9]+) sec: [0-9]+ operations; ([0-9.]+) current ops\/sec.*UPDATE: Count=[0-9]+, Max=[0-9]+, Min=[0-9]+, Avg=([0-9.]+), 90=([0-9]+), 99=([0-9]+).*/t=\1s ops\/s=\2 update_avg=\3 p90=\4 p99=\5/'
  grep -E 'OVERALL\], Throughput' "$OUT/run.txt"
} | tee "$REPORT"
cat "$OUT/nodes.txt" >>"$REPORT"
log "results in $OUT"
