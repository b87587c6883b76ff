#!/usr/bin/env bash
# What a Raft round of one write looks like: a 3-node cluster (one shard), a load and a warm-up,
# then one YCSB writer at a low fixed rate while every node logs Ratis's write path at DEBUG
# (client request, log write and flush, append received and answered, reply at the leader, apply).
# Prints the log entries each node added during the traced run by kind (client writes, commit
# markers, configuration) and writes the three nodes' lines merged by time, to read one entry's
# path across the replicas. Found the commit markers Ratis appends after every commit (session 8).
#
#   bench/raft-trace.sh [--rate 20] [--secs 10] [--warmup 40] [--out DIR]
#
# Extra JVM options for the nodes: RAFT_TRACE_NODE_OPTS (e.g. -Draft.server.log.log-metadata.enabled=true
# to see the markers again). Logging costs latency itself: read the order of events, not their
# sum. Stops everything it started on exit. Results: DIR/summary.txt (printed), DIR/timeline.log.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

RATE=20; SECS=10; WARMUP=40; OUT=""
while (($#)); do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
bench_dirs raft-trace
bench_build

# The nodes rescan their logging configuration every second: quiet through load and warm-up,
# DEBUG on the write path for the traced run only.
logging() {
  local level="$1"
  cat >"$WORK/logback.xml.new" <<XML
<configuration scan="true" scanPeriod="1 seconds">
  <appender name="OUT" class="ch.qos.logback.core.FileAppender">
    <file>$OUT/\${cleave.bench.node}.trace.log</file>
    <encoder><pattern>%d{HH:mm:ss.SSS} [%thread] %logger{0} - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.ratis" level="WARN"/>
  <logger name="org.apache.ratis.server.raftlog.segmented.SegmentedRaftLogWorker" level="$level"/>
  <logger name="org.apache.ratis.grpc.server.GrpcServerProtocolService" level="$level"/>
  <logger name="org.apache.ratis.grpc.server.GrpcLogAppender" level="$level"/>
  <logger name="org.apache.ratis.server.impl.StateMachineUpdater" level="$level"/>
  <root level="WARN"><appender-ref ref="OUT"/></root>
</configuration>
XML
  mv "$WORK/logback.xml.new" "$WORK/logback.xml"
}
logging WARN
export CLEAVE_JAVA_OPTS="${RAFT_TRACE_NODE_OPTS:-} -Dlogback.configurationFile=$WORK/logback.xml"
cleave_start "$WORK/cluster"
bench_java io.cleave.bench.BenchAdmin keyspace "$CLEAVE_ENDPOINTS" usertable 1 >&2

ycsb() {
  bench_java site.ycsb.Client "$@" -db io.cleave.bench.ycsb.CleaveYcsbClient \
    -P "$BENCH_ROOT/bench/workloads/common.properties" -P "$BENCH_ROOT/bench/workloads/workloada" \
    -p recordcount=5000 -p cleave.endpoints="$CLEAVE_ENDPOINTS" -p readproportion=0 -p updateproportion=1
}
log "loading 5000 records, then $WARMUP s of updates with 8 threads (JIT warm-up)"
ycsb -load -threads 16 >"$OUT/load.txt" 2>&1
ycsb -t -threads 8 -p maxexecutiontime="$WARMUP" >"$OUT/warmup.txt" 2>&1
logging DEBUG
sleep 3
log "traced run: 1 writer, $RATE writes/s, $SECS s"
ycsb -t -threads 1 -target "$RATE" -p maxexecutiontime="$SECS" >"$OUT/run.txt" 2>&1
logging WARN
sleep 2
cleave_stop

# Each node's log worker logs every entry it queues ("adds IO task WriteLog:<index>: ..., <KIND>").
sort -m "$OUT"/n*.trace.log | grep -v "group-000000000000" >"$OUT/timeline.log" || true
{
  echo "raft trace, 1 writer at $RATE/s for $SECS s, commit $(git -C "$BENCH_ROOT" rev-parse --short HEAD)"
  grep -E "OVERALL\], Throughput|UPDATE\], (Operations|50thPercentileLatency)" "$OUT/run.txt" | sed 's/^/  /'
  for f in "$OUT"/n*.trace.log; do
    node="$(basename "$f" .trace.log)"
    printf '  %s log entries added: ' "$node"
    grep "adds IO task WriteLog" "$f" | grep -v "group-000000000000" |
      grep -oE "STATEMACHINELOGENTRY|METADATAENTRY|CONFIGURATIONENTRY" | sort | uniq -c |
      awk '{printf "%s %s  ", $2, $1} END {print ""}'
  done
  echo "  timeline of all three nodes (data shards only): $OUT/timeline.log"
} | tee "$OUT/summary.txt"
