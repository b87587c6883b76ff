#!/usr/bin/env bash
# Where a write's time goes: a 3-node cluster (one shard), an update-only YCSB run, and what the
# nodes did meanwhile - group-commit batch sizes and queue/commit times (node metrics), Raft log
# fsyncs per node (JFR jdk.FileForce), CPU used per node, threads started on the machine.
#
#   bench/write-path.sh [--threads 16] [--secs 15] [--records 20000] [--out DIR]
#
# Extra JVM options for the nodes: WRITE_PATH_NODE_OPTS (e.g. -Draft.server.log.async-flush.enabled=true).
# Stops everything it started on exit. Results: DIR/summary.txt (printed), node logs, JFR files.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

THREADS=16; SECS=15; RECORDS=20000; OUT=""
while (($#)); do
  case "$1" in
    --threads) THREADS="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --records) RECORDS="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bench_dirs write-path

bench_build
cat >"$WORK/fsync.jfc" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<configuration version="2.0" label="write-path">
  <event name="jdk.FileForce"><setting name="enabled">true</setting><setting name="threshold">0 ms</setting></event>
</configuration>
XML
export CLEAVE_JAVA_OPTS="-XX:StartFlightRecording=filename=$OUT/,settings=$WORK/fsync.jfc,dumponexit=true ${WRITE_PATH_NODE_OPTS:-}"
cleave_start "$WORK/cluster"
bench_java io.cleave.bench.BenchAdmin keyspace "$CLEAVE_ENDPOINTS" usertable 1 >&2

ycsb() {
  bench_java site.ycsb.Client "$@" -db io.cleave.bench.ycsb.CleaveYcsbClient \
    -P "$BENCH_ROOT/bench/workloads/common.properties" -P "$BENCH_ROOT/bench/workloads/workloada" \
    -p recordcount="$RECORDS" -p cleave.endpoints="$CLEAVE_ENDPOINTS"
}
log "loading $RECORDS records (also warms the JIT)"
ycsb -load -threads 32 >"$OUT/load.txt" 2>&1
cpu_ticks() { local p; for p in "${CLEAVE_PIDS[@]}"; do awk '{printf "%d ", $14 + $15}' "/proc/$p/stat"; done; }
cleave_metrics "$OUT/metrics-before.txt"
before=$(cpu_ticks); forks_before=$(awk '/^processes/ {print $2}' /proc/stat)
log "update-only run: $THREADS threads, $SECS s"
ycsb -t -threads "$THREADS" -p readproportion=0 -p updateproportion=1 -p maxexecutiontime="$SECS" >"$OUT/run.txt" 2>&1
after=$(cpu_ticks); forks_after=$(awk '/^processes/ {print $2}' /proc/stat)
cleave_metrics "$OUT/metrics-after.txt"
la=$(cut -d' ' -f1-3 /proc/loadavg)
cleave_stop # writes the JFR recordings

{
  echo "write path, $THREADS threads, $SECS s, $RECORDS records, load average $la, commit $(git -C "$BENCH_ROOT" rev-parse --short HEAD)"
  grep -E '^\[(OVERALL\], Throughput|UPDATE\], (Operations|50th|99th))' "$OUT/run.txt" | sed 's/^/  /'
  python3 - "$OUT" "$before" "$after" "$((forks_after - forks_before))" "$(getconf CLK_TCK)" <<'PY'
import glob, json, re, subprocess, sys
out, before, after, forks, hz = sys.argv[1], sys.argv[2].split(), sys.argv[3].split(), int(sys.argv[4]), int(sys.argv[5])
def meters(path):
    vals = {}
    for line in open(path):
        m = re.match(r'^(cleave_write_\w+?)_(count|sum) ([0-9.eE+-]+)$', line)
        if m:
            vals[(m.group(1), m.group(2))] = vals.get((m.group(1), m.group(2)), 0) + float(m.group(3))
    return vals
b, a = meters(out + '/metrics-before.txt'), meters(out + '/metrics-after.txt')
d = lambda name, kind: a.get((name, kind), 0) - b.get((name, kind), 0)
entries, writes = d('cleave_write_batch_writes', 'count'), d('cleave_write_batch_writes', 'sum')
if entries:
    print(f'  log entries of client writes: {entries:.0f}, writes {writes:.0f}, {writes / entries:.1f} writes per entry')
    print(f'  mean commit per entry {1000 * d("cleave_write_commit_seconds", "sum") / entries:.1f} ms,'
          f' mean wait for a pipeline slot {1000 * d("cleave_write_queue_seconds", "sum") / max(writes, 1):.1f} ms per write')
for i, (x, y) in enumerate(zip(before, after)):
    print(f'  n{i + 1}: {(int(y) - int(x)) / hz:.1f} s CPU during the run')
print(f'  threads/processes started on the machine during the run: {forks}')
for f in sorted(glob.glob(out + '/*.jfr')):
    ev = json.loads(subprocess.run(['jfr', 'print', '--json', '--events', 'jdk.FileForce', f],
                                   capture_output=True, text=True).stdout)['recording']['events']
    log = [e for e in ev if 'SegmentedRaftLogWorker' in ((e['values'].get('eventThread') or {}).get('javaName') or '')]
    print(f'  {f.rsplit("/", 1)[-1]}: {len(log)} Raft log fsyncs over the whole recording (load + run)')
PY
} | tee "$OUT/summary.txt"
log "results in $OUT"
