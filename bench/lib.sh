# Sourced by the bench/*.sh scripts: build the benchmark classpath, start and stop a 3-node Cleave
# cluster on loopback (three JVMs, data in a temp dir), record the machine. Only processes whose
# PIDs these functions recorded are ever signalled.

BENCH_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
CLEAVE_HEAP="${CLEAVE_HEAP:-1g}"
CLEAVE_PORT_BASE="${CLEAVE_PORT_BASE:-27000}" # client ports BASE+1..3, raft BASE+101..103, metrics BASE+201..203
CLEAVE_PIDS=()
CLEAVE_ENDPOINTS=""

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# Builds kv-bench (and, inside the reactor, the modules it needs) unless its classpath file is
# there; CLEAVE_BENCH_BUILD=1 forces a build, =0 never builds.
bench_build() {
  local cpfile="$BENCH_ROOT/kv-bench/target/bench.classpath"
  if [[ "${CLEAVE_BENCH_BUILD:-auto}" == 1 || ( "${CLEAVE_BENCH_BUILD:-auto}" == auto && ! -f "$cpfile" ) ]]; then
    log "building kv-bench: ./mvnw -q -B -DskipTests -pl kv-bench -am package"
    (cd "$BENCH_ROOT" && ./mvnw -q -B -DskipTests -pl kv-bench -am package) >&2 || return 1
  fi
  [[ -f "$cpfile" ]] || { log "no $cpfile; build kv-bench first"; return 1; }
  BENCH_CP="$BENCH_ROOT/kv-bench/target/classes:$(cat "$cpfile")"
}

# bench_dirs NAME: sets OUT (bench/results/NAME-<timestamp> unless already set) and WORK (a fresh
# temp dir), and traps that stop the nodes and remove WORK on exit, Ctrl-C and TERM.
bench_dirs() {
  OUT="${OUT:-$BENCH_ROOT/bench/results/$1-$(date +%Y%m%d-%H%M%S)}"
  mkdir -p "$OUT"
  WORK="$(mktemp -d "${TMPDIR:-/tmp}/cleave-$1.XXXXXX")"
  trap 'cleave_stop; rm -rf "$WORK"' EXIT
  trap 'log interrupted; exit 130' INT TERM
}

bench_java() { "$JAVA" -cp "$BENCH_CP" "$@"; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# cleave_start DIR: three nodes n1..n3, data and logs under DIR; waits until the cluster answers.
cleave_start() {
  local dir="$1" i cluster="" eps=""
  mkdir -p "$dir"
  for i in 1 2 3; do
    local cp=$((CLEAVE_PORT_BASE + i)) rp=$((CLEAVE_PORT_BASE + 100 + i))
    port_free "$cp" && port_free "$rp" || { log "port $cp or $rp busy; set CLEAVE_PORT_BASE"; return 1; }
    cluster+="n$i=127.0.0.1:$rp:$cp,"
    eps+="127.0.0.1:$cp,"
  done
  cluster="${cluster%,}"
  CLEAVE_ENDPOINTS="${eps%,}"
  cat >"$dir/logback.xml" <<XML
<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{30} - %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.ratis" level="WARN"/>
  <logger name="org.apache.ratis.client.impl.OrderedAsync" level="OFF"/>
  <logger name="io.cleave" level="${CLEAVE_LOG_LEVEL:-WARN}"/>
  <root level="WARN"><appender-ref ref="OUT"/></root>
</configuration>
XML
  for i in 1 2 3; do
    # shellcheck disable=SC2086 # CLEAVE_JAVA_OPTS is a list of options
    "$JAVA" -Xms"$CLEAVE_HEAP" -Xmx"$CLEAVE_HEAP" -XX:+UseG1GC -Dlogback.configurationFile="$dir/logback.xml" \
      -Dcleave.bench.node="n$i" ${CLEAVE_JAVA_OPTS:-} -cp "$BENCH_CP" io.cleave.server.KvServerMain \
      --node-id "n$i" --host 127.0.0.1 --client-port $((CLEAVE_PORT_BASE + i)) \
      --raft-port $((CLEAVE_PORT_BASE + 100 + i)) --metrics-port $((CLEAVE_PORT_BASE + 200 + i)) \
      --initial-cluster "$cluster" \
      --data-dir "$dir/n$i" ${CLEAVE_SERVER_OPTS:-} >"$dir/n$i.log" 2>&1 &
    CLEAVE_PIDS+=($!)
  done
  log "cleave nodes started: pids ${CLEAVE_PIDS[*]}, endpoints $CLEAVE_ENDPOINTS, heap $CLEAVE_HEAP, data $dir"
  bench_java io.cleave.bench.BenchAdmin ready "$CLEAVE_ENDPOINTS" 3 120 >&2
}

# Stops the nodes cleave_start started: SIGTERM (clean shutdown), SIGKILL after 20 s.
cleave_stop() {
  local pid t
  ((${#CLEAVE_PIDS[@]})) || return 0
  for pid in "${CLEAVE_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${CLEAVE_PIDS[@]}"; do
    for t in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { log "node pid $pid ignored SIGTERM; SIGKILL"; kill -9 "$pid" 2>/dev/null; }
    wait "$pid" 2>/dev/null || true
  done
  log "cleave nodes stopped: pids ${CLEAVE_PIDS[*]}"
  CLEAVE_PIDS=()
}

# cleave_metrics FILE: every node's Prometheus metrics, appended to FILE (one block per node).
cleave_metrics() {
  local i
  for i in 1 2 3; do
    echo "# node n$i" >>"$1"
    curl -s "http://127.0.0.1:$((CLEAVE_PORT_BASE + 200 + i))/metrics" >>"$1" 2>/dev/null || echo "# (no metrics)" >>"$1"
  done
}

# Node RSS / data size, one line per node (for the larger-than-RAM and results notes).
cleave_footprint() {
  local dir="$1" i=1 pid
  for pid in "${CLEAVE_PIDS[@]}"; do
    echo "n$i pid $pid rss_mb $(($(awk '/VmRSS/{print $2}' /proc/"$pid"/status 2>/dev/null || echo 0) / 1024)) data_mb $(du -sm "$dir/n$i" 2>/dev/null | cut -f1)"
    i=$((i + 1))
  done
}

machine_description() {
  echo "date: $(date -Is)"
  echo "host: $(uname -srm)"
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores online"
  echo "memory: $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "disk (data dir): $(df -h "${1:-/tmp}" | awk 'NR==2{print $1", "$2" total, "$4" free"}')"
  echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
  echo "java: $("$JAVA" -version 2>&1 | head -2 | tr '\n' ' ')"
  echo "git: $(git -C "$BENCH_ROOT" rev-parse --short HEAD 2>/dev/null) $(git -C "$BENCH_ROOT" status --porcelain 2>/dev/null | grep -q . && echo '(dirty tree)')"
  echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "top CPU users at start:"
  ps -eo pcpu,nlwp,comm --sort=-pcpu | head -6 | sed 's/^/  /'
}
