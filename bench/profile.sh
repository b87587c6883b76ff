#!/usr/bin/env bash
# Where the CPU goes, warmed up: a 3-node cluster (one shard), a YCSB load and an unmeasured warm-up
# run, then a measured run with async-profiler (event=cpu) in the three nodes and in the YCSB client
# JVM. Prints throughput, CPU seconds per node, and per JVM the busiest threads and the Cleave and
# RocksDB frames that take the most samples.
#
#   bench/profile.sh [--threads 64] [--warmup 60] [--secs 30] [--records 20000]
#                    [--reads 0.0] [--shards 1] [--out DIR]
#
# --reads is YCSB's readproportion (the rest are updates): 0 = update-only, 1 = read-only.
# async-profiler comes from Maven Central (tools.profiler:async-profiler, its linux-x64 agent),
# downloaded once to bench/.cache. Every profile covers the measured run only: the client JVM starts
# with the agent, and the agent is attached to the running nodes (jcmd JVMTI.agent_load) after the
# warm-up, stopping itself after --secs.
# Results: DIR/summary.txt (printed) and the collapsed stacks (flame graph input) per JVM.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

THREADS=64; WARMUP=60; SECS=30; RECORDS=20000; READS=0.0; SHARDS=1; OUT=""
while (($#)); do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --records) RECORDS="$2"; shift 2 ;;
    --reads) READS="$2"; shift 2 ;;
    --shards) SHARDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bench_dirs profile

AP_VERSION=4.6
AP_DIR="$BENCH_ROOT/bench/.cache/async-profiler-$AP_VERSION"
AGENT="$AP_DIR/linux-x64/libasyncProfiler.so"
if [[ ! -f "$AGENT" ]]; then
  log "downloading async-profiler $AP_VERSION from Maven Central"
  mkdir -p "$AP_DIR"
  curl -fsSL -o "$AP_DIR/ap.jar" \
    "https://repo1.maven.org/maven2/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION.jar"
  (cd "$AP_DIR" && unzip -q -o ap.jar 'linux-x64/*')
fi
profiled() { echo "-agentpath:$AGENT=start,event=cpu,interval=2ms,threads,file=$1,collapsed"; }

bench_build
cleave_start "$WORK/cluster"
bench_java io.cleave.bench.BenchAdmin keyspace "$CLEAVE_ENDPOINTS" usertable "$SHARDS" >&2

ycsb() {
  local opts="$1"; shift
  # shellcheck disable=SC2086 # opts is a list of JVM options
  "$JAVA" -Xmx1g $opts -cp "$BENCH_CP" site.ycsb.Client "$@" -db io.cleave.bench.ycsb.CleaveYcsbClient \
    -P "$BENCH_ROOT/bench/workloads/common.properties" -P "$BENCH_ROOT/bench/workloads/workloada" \
    -p recordcount="$RECORDS" -p cleave.endpoints="$CLEAVE_ENDPOINTS" \
    -p readproportion="$READS" -p updateproportion="$(python3 -c "print(1 - $READS)")"
}
log "loading $RECORDS records, then $WARMUP s unmeasured"
ycsb "" -load -threads 32 >"$OUT/load.txt" 2>&1
ycsb "" -t -threads "$THREADS" -p maxexecutiontime="$WARMUP" >"$OUT/warmup.txt" 2>&1
cpu_ticks() { local p; for p in "${CLEAVE_PIDS[@]}"; do awk '{printf "%d ", $14 + $15}' "/proc/$p/stat"; done; }
JCMD="${JAVA_HOME:+$JAVA_HOME/bin/}jcmd"
for i in "${!CLEAVE_PIDS[@]}"; do
  # The inner quotes keep jcmd from splitting the agent's options at '='.
  "$JCMD" "${CLEAVE_PIDS[$i]}" JVMTI.agent_load "$AGENT" \
    "\"start,event=cpu,interval=2ms,threads,timeout=$SECS,file=$OUT/node-n$((i + 1)).collapsed,collapsed\"" >/dev/null
done
before=$(cpu_ticks)
log "measured run: $THREADS threads, $SECS s, read proportion $READS, profiled"
ycsb "$(profiled "$OUT/client.collapsed")" -t -threads "$THREADS" -p maxexecutiontime="$SECS" \
  >"$OUT/run.txt" 2>&1
after=$(cpu_ticks)
la=$(cut -d' ' -f1-3 /proc/loadavg)
for i in "${!CLEAVE_PIDS[@]}"; do # the node agents write their profiles when their timeout ends
  for _ in $(seq 1 30); do [[ -s "$OUT/node-n$((i + 1)).collapsed" ]] && break; sleep 1; done
done
cleave_stop

{
  echo "profile, $SHARDS shard(s), $THREADS threads, read proportion $READS, $SECS s after $WARMUP s warm-up, load average $la, commit $(git -C "$BENCH_ROOT" rev-parse --short HEAD)"
  grep -E '^\[(OVERALL\], Throughput|(READ|UPDATE)\], (50th|99th))' "$OUT/run.txt" | sed 's/^/  /'
  python3 - "$OUT" "$before" "$after" "$(getconf CLK_TCK)" <<'PY'
import collections, glob, re, sys
out, before, after, hz = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4])
for i, (x, y) in enumerate(zip(before, after)):
    print(f'  n{i + 1}: {(int(y) - int(x)) / hz:.1f} s CPU during the measured run')
for path in [out + '/client.collapsed'] + sorted(glob.glob(out + '/node-*.collapsed')):
    threads, frames, total = collections.Counter(), collections.Counter(), 0
    for line in open(path):
        stack, n = line.rsplit(' ', 1)
        n, parts = int(n), stack.split(';')
        total += n
        thread = re.sub(r'\d+', 'N', parts[0])
        threads[thread] += n
        if 'Compiler' in thread:
            continue
        for frame in set(parts[1:]):
            if frame.startswith('io/cleave/') or frame.startswith('rocksdb::DBImpl') or 'KVException' in frame:
                frames[frame] += n
    print(f'== {path.rsplit("/", 1)[1]}: {total} samples ({total * 0.002:.1f} s CPU)')
    for thread, n in threads.most_common(8):
        print(f'   {100 * n / total:5.1f} %  {thread}')
    for frame, n in frames.most_common(12):
        print(f'   {100 * n / total:5.1f} %  {frame}')
PY
} | tee "$OUT/summary.txt"
