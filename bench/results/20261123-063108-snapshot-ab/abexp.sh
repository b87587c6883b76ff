#!/usr/bin/env bash
# A/B of the kv-server jar (old = 75a2314, new = installed) with ycsb.sh's protocol: load 100k (64 threads),
# 90 s warm-up (A, 64 threads), then A-16 20 s, A-64 20 s, A-16 20 s.
set -euo pipefail
source /work/main/bench/lib.sh
VARIANT="$1"; OUT="$2"; mkdir -p "$OUT"
bench_dirs abexp
bench_build
if [[ $VARIANT == old ]]; then BENCH_CP="/tmp/old/kv-server/target/kv-server-0.1.0-SNAPSHOT.jar:$BENCH_CP"; fi
cleave_start "$WORK/cluster"
bench_java io.cleave.bench.BenchAdmin keyspace "$CLEAVE_ENDPOINTS" usertable 1 >&2
ycsb() {
  bench_java site.ycsb.Client "$@" -db io.cleave.bench.ycsb.CleaveYcsbClient \
    -P "$BENCH_ROOT/bench/workloads/common.properties" -P "$BENCH_ROOT/bench/workloads/workloada" \
    -p recordcount=100000 -p cleave.endpoints="$CLEAVE_ENDPOINTS"
}
ycsb -load -threads 64 > $OUT/load.txt 2>&1
ycsb -t -threads 64 -p maxexecutiontime=90 > $OUT/warmup.txt 2>&1
for r in a16-1:16 a64:64 a16-2:16; do
  ycsb -t -threads ${r#*:} -p maxexecutiontime=20 > $OUT/${r%:*}.txt 2>&1
  printf '%s %s: %s ops/s, update p50/p99 %s/%s ms, read p50 %s ms, load %s\n' "$VARIANT" "${r%:*}" \
    "$(grep -E 'OVERALL\], Throughput' $OUT/${r%:*}.txt | awk -F', ' '{printf "%.0f", $3}')" \
    "$(grep -E 'UPDATE\], 50th' $OUT/${r%:*}.txt | awk -F', ' '{printf "%.1f", $3/1000}')" \
    "$(grep -E 'UPDATE\], 99th' $OUT/${r%:*}.txt | awk -F', ' '{printf "%.1f", $3/1000}')" \
    "$(grep -E 'READ\], 50th' $OUT/${r%:*}.txt | awk -F', ' '{printf "%.1f", $3/1000}')" "$(cut -d' ' -f1 /proc/loadavg)"
done
cleave_stop
