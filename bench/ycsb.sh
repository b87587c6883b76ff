#!/usr/bin/env bash
# bench/ycsb.sh: YCSB against a 3-node Cleave cluster on loopback (three JVMs, data in a temp dir),
# optionally against etcd 3.4 and a 3-store RheaKV with the identical workloads (--with-peers).
#
#   bench/ycsb.sh [--shards "1 8"] [--threads "16 64"] [--secs 20] [--settle 10] [--records 100000]
#                 [--workloads "a b c f"] [--reps 1] [--load-threads 64] [--warmup 0] [--stale]
#                 [--partitioning hash|range] [--with-peers] [--out DIR]
#
# Per system (and per shard count for Cleave): start the cluster, register keyspace "usertable"
# with exactly N shards, YCSB load, then each workload x thread count for --settle + --secs seconds,
# stop the cluster. Every YCSB run is a fresh JVM whose JIT competes with the system under test at
# first, so the numbers are those of the run after its first --settle seconds (YCSB's interval
# histograms, kv-bench HdrWindow), and so is the CPU reported: the YCSB client's and the rest of
# the box's (the system under test), per operation in results.md. A load shorter than --settle is
# measured whole. Rep loop outermost and systems alternate inside it, so noise spreads over all of them.
# --warmup SECS adds, after the load and before the measured runs, one unmeasured run of workload A
# at the largest thread count for every system alike, to warm the servers: on 2 cores their JIT
# compilers take a large share of the CPU for the first minute or two (an update-only run did 1.7k writes/s over 30 s and
# 3.9k over 90 s), so short runs without it measure warm-up more than the systems.
# --partitioning range registers Cleave's keyspace as RANGE, split where YCSB's keys spread evenly
# (kv-bench BenchAdmin): needed for workload E (ordered scans), which a HASH keyspace refuses.
# Writes DIR/results.tsv (one row per run and operation), DIR/results.md (table, medians over
# reps, ratios Cleave/peer), DIR/machine.txt, and the raw YCSB output. Default DIR:
# bench/results/<timestamp>. Everything started is stopped on exit, Ctrl-C and TERM.
#
# Environment: CLEAVE_HEAP (server heap, default 1g; RheaKV gets RHEAKV_HEAP, default 1g),
# CLEAVE_LOG_LEVEL (the nodes' io.cleave log level, default WARN; their logs are in the temp dir),
# CLEAVE_PORT_BASE (default 27000), PEERS_DIR (default ../shared/bench next to the checkout),
# CLEAVE_BENCH_BUILD (auto|1|0), YCSB_HEAP (default 1g), EXTRA_YCSB (extra -p options, all systems).
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHARDS="1"; THREADS="16"; SECS=20; RECORDS=100000; WORKLOADS="a b c f"; REPS=1; STALE=false
WITH_PEERS=false; OUT=""; LOAD_THREADS=64; WARMUP=0; PARTITIONING=hash; SETTLE=10
while (($#)); do
  case "$1" in
    --shards) SHARDS="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --secs) SECS="$2"; shift 2 ;;
    --settle) SETTLE="$2"; shift 2 ;;
    --records) RECORDS="$2"; shift 2 ;;
    --workloads) WORKLOADS="$2"; shift 2 ;;
    --reps) REPS="$2"; shift 2 ;;
    --load-threads) LOAD_THREADS="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --stale) STALE=true; shift ;;
    --partitioning) PARTITIONING="$2"; shift 2 ;;
    --with-peers) WITH_PEERS=true; shift ;;
    --out) OUT="$2"; shift 2 ;;
    -h | --help) sed -n '2,29p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
if [[ " $WORKLOADS " == *" e "* && "$PARTITIONING" != range ]]; then
  echo "workload e (ordered scans) needs --partitioning range: a HASH keyspace cannot be scanned" >&2
  exit 2
fi

OUT="${OUT:-$BENCH_ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cleave-ycsb.XXXXXX")"
PEERS_DIR="${PEERS_DIR:-$BENCH_ROOT/../shared/bench}"
WL_DIR="$BENCH_ROOT/bench/workloads"
YCSB_PID=""
TOP_PID=""
PEER_STOP=""

cleanup() {
  trap - EXIT INT TERM
  if [[ -n "$YCSB_PID" ]] && kill -0 "$YCSB_PID" 2>/dev/null; then
    kill "$YCSB_PID" 2>/dev/null; sleep 1; kill -9 "$YCSB_PID" 2>/dev/null
  fi
  [[ -n "$TOP_PID" ]] && kill "$TOP_PID" 2>/dev/null
  cleave_stop
  [[ -n "$PEER_STOP" ]] && $PEER_STOP >&2
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; cleanup; exit 130' INT TERM

bench_build || exit 1
machine_description "$WORK" >"$OUT/machine.txt"
echo "config: shards=[$SHARDS] threads=[$THREADS] secs=$SECS settle=$SETTLE warmup=$WARMUP records=$RECORDS workloads=[$WORKLOADS] reps=$REPS stale=$STALE partitioning=$PARTITIONING peers=$WITH_PEERS server_heap=$CLEAVE_HEAP" >>"$OUT/machine.txt"
cat "$OUT/machine.txt" >&2

SYSTEMS=()
for s in $SHARDS; do SYSTEMS+=("cleave:$s"); done
if $WITH_PEERS; then
  if ! command -v etcd >/dev/null; then
    if [[ $(id -u) == 0 ]]; then
      log "installing etcd-server etcd-client (apt-get)"
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q etcd-server etcd-client >&2 || exit 1
    else
      log "etcd is not installed and this is not root: apt-get install etcd-server etcd-client"; exit 1
    fi
  fi
  [[ -d "$PEERS_DIR/ycsb-etcd" && -d "$PEERS_DIR/ycsb-rheakv" ]] || { log "no peer harness in $PEERS_DIR"; exit 1; }
  for p in ycsb-etcd ycsb-rheakv; do
    if [[ ! -d "$PEERS_DIR/$p/target/lib" ]]; then
      log "building $PEERS_DIR/$p (mvn -q -B package -DskipTests)"
      (cd "$PEERS_DIR/$p" && mvn -q -B package -DskipTests) >&2 || exit 1
    fi
  done
  echo "etcd: $(etcd --version 2>/dev/null | head -1)" >>"$OUT/machine.txt"
  SYSTEMS+=("etcd:1" "rheakv:1")
fi

# The peers' YCSB runs measure with kv-bench's HdrHistogram (2.2.2), as Cleave's do: the 2.1.4 their
# harness brings needs javax.xml.bind (gone since Java 11) to write interval histograms, and YCSB's
# status thread dies on it.
HDR_JAR="$(tr ':' '\n' <<<"$BENCH_CP" | grep -m1 '/HdrHistogram-')"

# Starts SYSTEM's cluster; sets YCSB_CP, YCSB_DB, YCSB_PROPS.
start_system() {
  local sys="$1" shards="$2"
  case "$sys" in
    cleave)
      cleave_start "$WORK/cleave-s$shards" || return 1
      bench_java io.cleave.bench.BenchAdmin keyspace "$CLEAVE_ENDPOINTS" usertable "$shards" "$PARTITIONING" >&2 || return 1
      YCSB_CP="$BENCH_CP"; YCSB_DB=io.cleave.bench.ycsb.CleaveYcsbClient
      YCSB_PROPS=(-p "cleave.endpoints=$CLEAVE_ENDPOINTS" -p "cleave.stale=$STALE")
      ;;
    etcd)
      export ETCD_BENCH_DIR="$WORK/etcd"
      PEER_STOP="$PEERS_DIR/etcd-cluster.sh stop"
      "$PEERS_DIR/etcd-cluster.sh" start >&2 || return 1
      YCSB_CP="$HDR_JAR:$PEERS_DIR/ycsb-etcd/target/classes:$PEERS_DIR/ycsb-etcd/target/lib/*"; YCSB_DB=bench.ycsb.EtcdClient
      YCSB_PROPS=(-p "etcd.endpoints=$("$PEERS_DIR/etcd-cluster.sh" endpoints)" -p "etcd.serializable=$STALE")
      ;;
    rheakv)
      export RHEAKV_BENCH_DIR="$WORK/rheakv"
      PEER_STOP="$PEERS_DIR/rheakv-cluster.sh stop"
      "$PEERS_DIR/rheakv-cluster.sh" start 1 >&2 || return 1
      YCSB_CP="$HDR_JAR:$PEERS_DIR/ycsb-rheakv/target/classes:$PEERS_DIR/ycsb-rheakv/target/lib/*"; YCSB_DB=bench.ycsb.RheaKVClient
      local safe=true; $STALE && safe=false
      YCSB_PROPS=(-p "rheakv.servers=$("$PEERS_DIR/rheakv-cluster.sh" servers)" -p rheakv.regions=1 -p "rheakv.readOnlySafe=$safe")
      ;;
  esac
}

stop_system() {
  local sys="$1"
  if [[ "$sys" == cleave ]]; then
    cleave_footprint "$WORK/cleave-s$2" >>"$OUT/footprint.txt"
    cleave_stop
  elif [[ -n "$PEER_STOP" ]]; then
    $PEER_STOP >&2
    PEER_STOP=""
  fi
  rm -rf "${WORK:?}/cleave-s$2" "$WORK/etcd" "$WORK/rheakv"
}

# cpu_sampler PID FILE: from SETTLE s after the start, once a second while PID lives, one line
# "time box_busy_ticks pid_ticks": the CPU the whole box and the YCSB client used (clock ticks).
cpu_sampler() {
  local pid="$1" f="$2"
  sleep "$SETTLE"
  while [[ -r "/proc/$pid/stat" ]]; do
    echo "$(date +%s.%N) $(awk '/^cpu /{print $2+$3+$4+$7+$8+$9}' /proc/stat) $(awk '{print $14+$15}' "/proc/$pid/stat" 2>/dev/null)" >>"$f"
    sleep 1
  done
}

# run_ycsb LABEL PHASE(-load|-t) WORKLOAD THREADS [extra args]: one YCSB JVM; appends to results.tsv
# unless LABEL contains ".warmup." (its raw output is kept all the same). The numbers are those of
# the run after its first SETTLE seconds (HdrWindow over YCSB's interval histograms), and so is the
# CPU: the client's, and the rest of the box's (the system under test), in % of one core.
run_ycsb() {
  local label="$1" phase="$2" wl="$3" threads="$4"; shift 4
  local f="$OUT/$label.txt" la_before la_after rc sampler from cpu
  la_before=$(cut -d' ' -f1 /proc/loadavg)
  mkdir -p "$OUT/hdr"
  # shellcheck disable=SC2086 # EXTRA_YCSB is a list of options
  "$JAVA" -Xms"${YCSB_HEAP:-1g}" -Xmx"${YCSB_HEAP:-1g}" -cp "$YCSB_CP" site.ycsb.Client "$phase" -db "$YCSB_DB" \
    -P "$WL_DIR/common.properties" -P "$WL_DIR/workload$wl" -p recordcount="$RECORDS" \
    -threads "$threads" "${YCSB_PROPS[@]}" -p hdrhistogram.fileoutput=true \
    -p hdrhistogram.output.path="$OUT/hdr/$label." -p status.interval=2 ${EXTRA_YCSB:-} "$@" -s \
    >"$f" 2>"${f%.txt}.err" &
  YCSB_PID=$!
  cpu_sampler "$YCSB_PID" "${f%.txt}.cpu" &
  sampler=$!
  # one CPU snapshot in the middle of the measured window
  if [[ "$phase" == -t ]]; then
    (sleep $((SETTLE + SECS / 2)) && top -b -n 1 -w 200 | head -14 >"${f%.txt}.top") &
    TOP_PID=$!
  fi
  wait "$YCSB_PID"; rc=$?
  YCSB_PID=""
  kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null
  if [[ -n "$TOP_PID" ]]; then kill "$TOP_PID" 2>/dev/null; wait "$TOP_PID" 2>/dev/null; TOP_PID=""; fi
  la_after=$(cut -d' ' -f1 /proc/loadavg)
  ((rc == 0)) || log "YCSB exited with $rc for $label (see ${f%.txt}.err)"
  [[ "$label" == *.warmup.* ]] && return 0
  # A load shorter than SETTLE has no window: it is measured whole.
  from="$SETTLE"
  bench_java io.cleave.bench.HdrWindow "$from" "$OUT/hdr/$label".*.hdr >"${f%.txt}.window" || return 0
  if ! awk -F'\t' '$1 !~ /CLEANUP/ && $2 > 0 { found = 1 } END { exit !found }' "${f%.txt}.window"; then
    from=0
    bench_java io.cleave.bench.HdrWindow 0 "$OUT/hdr/$label".*.hdr >"${f%.txt}.window" || return 0
  fi
  # client and other CPU, % of one core, over the sampled seconds that fall in the window
  cpu=$(awk -v hz="$(getconf CLK_TCK)" -v secs="$SECS" '
    NF == 3 && NR == 1 { t0 = $1; b0 = $2; c0 = $3 }
    NF == 3 && $1 <= t0 + secs + 0.5 { t = $1; b = $2; c = $3 }
    END { if (t > t0) printf "%.0f\t%.0f", (c - c0) / hz / (t - t0) * 100, ((b - b0) - (c - c0)) / hz / (t - t0) * 100
          else printf "\t" }' "${f%.txt}.cpu" 2>/dev/null || printf '\t')
  awk -F'\t' -v label="$label" -v lb="$la_before" -v la="$la_after" -v cpu="$cpu" -v from="$from" '
    FNR == NR {  # the window: FILE OPS SECONDS P50 P99 P999
      op = $1; sub(/\.hdr$/, "", op); sub(/.*\./, "", op)
      if (op == "CLEANUP") next
      total += $2; if ($3 > secs) secs = $3
      if (op ~ /-FAILED$/) next
      ops[op] = $2; p50[op] = $4; p99[op] = $5; p999[op] = $6; order[++n] = op
      next
    }
    # errors: the non-OK return codes of the whole run, from the summary YCSB prints
    $2 ~ /^Return=/ && $2 != "Return=OK" { err[substr($1, 2, length($1) - 2)] += $3 }
    END {
      tput = secs > 0 ? total / secs : 0
      for (i = 1; i <= n; i++) { o = order[i]
        printf "%s\t%s\t%.0f\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", label, o, tput, ops[o], p50[o], p99[o], p999[o], err[o], lb, la, from, cpu }
      if (n == 0) printf "%s\tNONE\t0\t0\t\t\t\t1\t%s\t%s\t%s\t%s\n", label, lb, la, from, cpu
    }' "${f%.txt}.window" FS=', ' "$f" | tee -a "$OUT/results.tsv" >&2
}

printf "label\top\tthroughput\toperations\tp50_us\tp99_us\tp999_us\terrors\tloadavg1_before\tloadavg1_after\tfrom_s\tclient_cpu_pct\tother_cpu_pct\n" >"$OUT/results.tsv"
T0=$(date +%s)
for rep in $(seq 1 "$REPS"); do
  for entry in "${SYSTEMS[@]}"; do
    sys="${entry%%:*}"; shards="${entry##*:}"
    name="$sys"; [[ "$sys" == cleave ]] && name="cleave-s$shards"
    log "=== rep $rep: $name"
    if ! start_system "$sys" "$shards"; then
      log "$name did not start; skipping it this rep"; stop_system "$sys" "$shards"; continue
    fi
    run_ycsb "$name.load.t$LOAD_THREADS.r$rep" -load a "$LOAD_THREADS"
    if ((WARMUP > 0)); then
      max_threads=$(tr ' ' '\n' <<<"$THREADS" | sort -n | tail -1)
      run_ycsb "$name.warmup.t$max_threads.r$rep" -t a "$max_threads" -p maxexecutiontime="$WARMUP"
    fi
    for wl in $WORKLOADS; do
      if [[ "$sys" == rheakv && "$wl" == e ]]; then
        log "skipping workload e for rheakv: its binding in ../shared/bench has no scan"
        continue
      fi
      for t in $THREADS; do
        # +2: YCSB starts its histograms a second or two after the JVM, once its threads are connected
        run_ycsb "$name.$wl.t$t.r$rep" -t "$wl" "$t" -p maxexecutiontime=$((SETTLE + SECS + 2))
      done
    done
    stop_system "$sys" "$shards"
  done
done
echo "elapsed: $(($(date +%s) - T0)) s, loadavg at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/machine.txt"
python3 "$BENCH_ROOT/bench/summarize.py" "$OUT" >"$OUT/results.md" && cat "$OUT/results.md"
log "results in $OUT"
