#!/usr/bin/env bash
# A/B: snapshots flushed on the apply thread (old jar) vs in the background (new), A-16, low snapshot threshold.
set -euo pipefail
source /work/main/bench/lib.sh
VARIANT="$1"; OUT=/tmp/snapexp-$VARIANT; mkdir -p $OUT
bench_dirs snapexp
bench_build
if [[ $VARIANT == old ]]; then BENCH_CP="/tmp/old/kv-server/target/kv-server-0.1.0-SNAPSHOT.jar:$BENCH_CP"; fi
export CLEAVE_SERVER_OPTS="--snapshot-threshold 2000" CLEAVE_LOG_LEVEL=INFO
cleave_start "$WORK/cluster"
bench_java io.cleave.bench.BenchAdmin keyspace "$CLEAVE_ENDPOINTS" usertable 1 >&2
ycsb() {
  bench_java site.ycsb.Client "$@" -db io.cleave.bench.ycsb.CleaveYcsbClient \
    -P "$BENCH_ROOT/bench/workloads/common.properties" -P "$BENCH_ROOT/bench/workloads/workloada" \
    -p recordcount=100000 -p cleave.endpoints="$CLEAVE_ENDPOINTS"
}
ycsb -load -threads 64 > $OUT/load.txt 2>&1
ycsb -t -threads 16 -p maxexecutiontime=150 > $OUT/run.txt 2>&1
grep -h "snapshot at" "$WORK"/cluster/n*.log > $OUT/snapshots.txt || true
grep -h "Took a snapshot\|snapshot" "$WORK"/cluster/n*.log | grep -v "^$" | head -3 >> $OUT/snapshots.txt || true
cleave_stop
grep -E "OVERALL\], Throughput|UPDATE\], (50th|99th|99.9|Max)|READ\], (99th|Max)" $OUT/run.txt
wc -l < $OUT/snapshots.txt
