#!/usr/bin/env bash
# bench/jmh.sh: JMH micro-benchmarks of hot paths (kv-bench, io.cleave.bench.jmh):
#   ApplyBench       storage half of applying a Raft entry of puts (RocksDB read + WriteBatch)
#   ClientPathBench  client routing (murmur3 + routing-cache lookup) and PutRequest encoding
#
#   bench/jmh.sh [JMH options...]     e.g. bench/jmh.sh ClientPathBench -f 1 -wi 2 -i 3
#
# Default: every benchmark, 1 fork, 2 x 2 s warm-up, 3 x 3 s measurement (about 3 minutes),
# output also in bench/results/jmh-<timestamp>/jmh.txt.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_build || exit 1
OUT="$BENCH_ROOT/bench/results/jmh-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$OUT"
machine_description >"$OUT/machine.txt"
(($#)) || set -- -f 1 -wi 2 -w 2s -i 3 -r 3s
bench_java org.openjdk.jmh.Main "$@" > >(tee "$OUT/jmh.txt") 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT INT TERM
wait "$pid"
echo "loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/jmh.txt"
log "results in $OUT"
