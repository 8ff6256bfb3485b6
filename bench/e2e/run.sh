#!/usr/bin/env bash
# The end-to-end harness: fastrbld against Debian's rbldnsd and a do-nothing "ceiling"
# responder, on the same generated data files, on loopback, in one run.
#
#   bench/e2e/run.sh [--quick] [--no-build] [--out DIR]
#
# Builds the release preset (fastrbld, bench_null_responder), generates the data
# (full: 1M and 10M-entry ip4sets, a 1M dnset, a 100k ip6trie; --quick: 100k, 1M, 100k,
# 10k) with query files (20 % listed names, 80 % A / 20 % TXT), then for every server:
#   start   seconds from exec until the first query is answered, and VmRSS after that
#   instr   user-space instructions per query under callgrind (instrumentation switched on
#           after start-up; queries sent 32 at a time, then one at a time)
#   cpu     server CPU µs per query (utime+stime from /proc/PID/stat) under a fixed dnsperf
#           rate, with the p50/p99 latency of that run (dnsperf -v)
#   qps     the highest dnsperf rate answered with no loss (rate stepped up, then halved
#           twice between the last rate without loss and the first with)
#   allocs  heap allocations per query in the running server (every thread), counted in
#           the callgrind windows of instr (alloc_calls.py), and bench_query's allocs/op
# and, on the mix, in turns so that the machine's load falls on all alike: CPU per query
# at 20,000 and at 80,000 q/s (fastrbld, rbldnsd, ceiling; ROUNDS rounds), and the
# throughput with no rate limit of fastrbld --workers 1 and --workers 2 (nothing pinned;
# WORKER_ROUNDS rounds). report.py judges the performance issue's four targets from these.
# Servers are pinned to CPU 0 and clients to CPU 1 (taskset). Results go to DIR
# (default: a new /tmp/fastrbl-e2e-*), the tables to stdout and DIR/report.md, the plot to
# bench/e2e_results.png. Needs root (rbldnsd -u nobody) and etc/install-deps.sh --bench.
# Figures and how to read them: bench/README.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
e2e=$top/bench/e2e
py=/usr/bin/python3  # Debian's, which has python3-matplotlib

quick=0
build=1
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --out) out=$2; shift ;;
    *) echo "usage: $0 [--quick] [--no-build] [--out DIR]" >&2; exit 2 ;;
  esac
  shift
done

if [ "$quick" -eq 1 ]; then
  sizes="100000 1000000 100000 10000"
  cpu_secs=4 step_secs=2 rounds=2 worker_rounds=3 worker_secs=4 cg_burst=2048 cg_single=512 cg_configs="mix"
  configs="ip4s ip4l dn ip6 mix"
else
  sizes="1000000 10000000 1000000 100000"
  cpu_secs=10 step_secs=3 rounds=3 worker_rounds=5 worker_secs=8 cg_burst=8192 cg_single=2048
  cg_configs="mix ip4s ip4l dn ip6"
  configs="ip4s ip4l dn ip6 mix"
fi
cpu_rate=20000 cpu_rate_high=80000
rates="20000 40000 60000 80000 100000 120000 140000 160000 180000 200000 250000 300000"
# dnsperf's own socket buffers (KB): its default loses replies above about 30,000 q/s on one
# socket, whatever the server (the ceiling lost 0.5 % at 40,000), which hid every server's
# limit behind the client's.
client_buf=2048

if [ "$build" -eq 1 ]; then
  (cd "$top" && cmake --preset release > /dev/null &&
     cmake --build build/release --target fastrbld bench_null_responder bench_query > /dev/null)
fi
fastrbld=$top/build/release/dnsd/fastrbld
null=$top/build/release/bench/bench_null_responder
bench_query=$top/build/release/bench/bench_query

[ -n "$out" ] || out=$(mktemp -d /tmp/fastrbl-e2e-XXXXXX)
mkdir -p "$out"
chmod 1777 "$out"  # rbldnsd runs as nobody: reads the data, writes its callgrind dumps
data=$out/data
res=$out/results.tsv
: > "$res"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

note() { echo "[$(date +%H:%M:%S)] $*" >&2; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >> "$res"; }  # config server metric value

{
  echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc	$(nproc)"
  echo "cpu	$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "kernel	$(uname -r)"
  echo "mode	$([ "$quick" -eq 1 ] && echo quick || echo full)"
  echo "sizes	$sizes"
  echo "rbldnsd	$(dpkg-query -W -f='${Version}' rbldnsd 2>/dev/null || echo '?')"
  echo "fastrbld	$(cd "$top" && git rev-parse --short HEAD)"
  echo "load_start	$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$out/machine.tsv"

note "generating data ($sizes) in $data"
# shellcheck disable=SC2086
$py "$e2e/gen_data.py" "$data" $sizes
chmod 755 "$data"
chmod 644 "$data"/*

specs() {  # config -> zone specs
  case "$1" in
    ip4s) echo "bl1.example:ip4set:$data/ip4-small.txt" ;;
    ip4l) echo "bl10.example:ip4set:$data/ip4-large.txt" ;;
    dn) echo "dbl.example:dnset:$data/dn.txt" ;;
    ip6) echo "bl6.example:ip6trie:$data/ip6.txt" ;;
    mix) echo "bl1.example:ip4set:$data/ip4-small.txt dbl.example:dnset:$data/dn.txt" ;;
  esac
}
queries() {  # config -> query file
  case "$1" in
    ip4s) echo "$data/q-ip4-small.txt" ;;
    ip4l) echo "$data/q-ip4-large.txt" ;;
    dn) echo "$data/q-dn.txt" ;;
    ip6) echo "$data/q-ip6.txt" ;;
    mix) echo "$data/q-mix.txt" ;;
  esac
}

port=15400
server_pid=""
record_start=1
server_cpus=0  # taskset list the servers run on
workers=1      # fastrbld --workers
# start SERVER CONFIG [valgrind...]: starts it pinned to $server_cpus, waits for the first
# answer, sets server_pid and port, records start time and RSS (unless under valgrind).
start() {
  local server=$1 config=$2
  shift 2
  port=$((port + 1))
  local cmd
  case "$server" in
    fastrbld | rbldnsd)
      # Both refuse to keep root: -u nobody; under valgrind, started as nobody instead, so
      # that the vgdb pipes stay usable.
      local bin=/usr/sbin/rbldnsd extra=()
      [ "$server" = rbldnsd ] || { bin=$fastrbld; extra=(--no-db --workers "$workers"); }
      if [ $# -eq 0 ]; then
        cmd=("$bin" -n -u nobody "${extra[@]}" -b "127.0.0.1/$port")
      else
        cmd=("$bin" -n "${extra[@]}" -b "127.0.0.1/$port")
        set -- setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
      fi
      ;;
    ceiling) cmd=("$null" 127.0.0.1 "$port") ;;
  esac
  # shellcheck disable=SC2207
  [ "$server" = ceiling ] || cmd+=($(specs "$config"))
  local t0
  t0=$(date +%s.%N)
  taskset -c "$server_cpus" "$@" "${cmd[@]}" > "$out/$server-$config-$port.log" 2>&1 &
  server_pid=$!
  pids+=("$server_pid")
  local secs
  secs=$(taskset -c 1 $py "$e2e/udp_client.py" wait "$port" "$t0" 900)
  if [ "$secs" = timeout ]; then
    note "$server $config did not answer; log:"
    cat "$out/$server-$config-$port.log" >&2
    exit 1
  fi
  if [ $# -eq 0 ] && [ "$record_start" -eq 1 ]; then
    sleep 0.5
    record "$config" "$server" start_s "$secs"
    record "$config" "$server" rss_kb "$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status")"
  fi
}
stop() {
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU_TICKS_BEFORE CPU_TICKS_AFTER QUERIES: the server's CPU µs per query between the two.
cpu_us_per_query() { $py -c "print(round(($2 - $1) / $(getconf CLK_TCK) * 1e6 / max(1, $3), 3))"; }

# CPU per query at a fixed rate, with latency percentiles (at $cpu_rate only: dnsperf -v
# at the higher rate would cost the client more than the server). TAG (optional) suffixes
# the metric names (one round of several); RATE defaults to $cpu_rate, and the metric is
# cpu_us at that rate, cpu_high_us at $cpu_rate_high.
measure_cpu() {
  local server=$1 config=$2 tag=${3:-} rate=${4:-$cpu_rate} q
  q=$(queries "$config")
  local t0 t1 f=$out/cpu-$server-$config-$rate$tag.out metric=cpu_us verbose=(-v) clients=(-c 1 -q 500)
  [ "$rate" = "$cpu_rate" ] || { metric=cpu_high_us verbose=() clients=(-c 4 -q 2000); }
  t0=$(cpu_ticks "$server_pid")
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$q" -l "$cpu_secs" -Q "$rate" "${clients[@]}" -t 2 \
    -b "$client_buf" "${verbose[@]}" > "$f" 2>&1
  t1=$(cpu_ticks "$server_pid")
  local done
  done=$(awk '/Queries completed/ {print $3}' "$f")
  record "$config" "$server" "$metric$tag" "$(cpu_us_per_query "$t0" "$t1" "$done")"
  [ "$rate" = "$cpu_rate" ] || return 0
  record "$config" "$server" "cpu_completed$tag" "$done"
  record "$config" "$server" "cpu_lost$tag" "$(awk '/Queries lost/ {print $3}' "$f")"
  $py - "$f" "$config" "$server" "$tag" >> "$res" <<'PY'
import sys
# "> RCODE name type seconds" per answer; "> T name type" per timeout (counted as lost).
lat = sorted(float(w[4]) for w in (l.split() for l in open(sys.argv[1])) if len(w) == 5 and w[0] == ">")
pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1e6 if lat else 0
print(f"{sys.argv[2]}\t{sys.argv[3]}\tp50_us{sys.argv[4]}\t{pct(0.5):.0f}")
print(f"{sys.argv[2]}\t{sys.argv[3]}\tp99_us{sys.argv[4]}\t{pct(0.99):.0f}")
PY
}

# Highest rate with no loss: dnsperf at each rate in turn, until a step loses queries or
# falls short of its rate by more than 5 % (then the client, not the server, is the limit);
# after a loss, two more steps halve the interval between the last rate without loss and
# the first with.
qps_step() {  # RATE: runs one step; sets step_lost, step_qps, step_share (of queries lost)
  local f=$out/qps-$server-$config-$1.out
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$q" -l "$step_secs" -Q "$1" -c 1 -q 2000 -t 1 \
    -b "$client_buf" > "$f" 2>&1
  step_lost=$(awk '/Queries lost/ {print $3}' "$f")
  step_share=$(awk '/Queries lost/ {print $4}' "$f" | tr -d '()')
  step_qps=$(awk '/Queries per second/ {print int($4)}' "$f")
}
measure_qps() {
  local server=$1 config=$2 q best=0 good=0 bad=0 limit=none
  q=$(queries "$config")
  for r in $rates; do
    qps_step "$r"
    if [ "$step_lost" != 0 ]; then bad=$r limit="$step_share lost at $r"; break; fi
    best=$step_qps good=$r
    if [ "$step_qps" -lt $((r * 95 / 100)) ]; then limit="client short of $r"; break; fi
  done
  if [ "$bad" -gt 0 ]; then
    for _ in 1 2; do
      local mid=$(((good + bad) / 2 / 1000 * 1000))
      [ "$mid" -gt "$good" ] || break
      qps_step "$mid"
      if [ "$step_lost" != 0 ]; then
        bad=$mid limit="$step_share lost at $mid"
      else
        good=$mid best=$step_qps
        [ "$step_qps" -ge $((mid * 95 / 100)) ] || { limit="client short of $mid"; break; }
      fi
    done
  fi
  record "$config" "$server" qps "$best"
  record "$config" "$server" qps_limit "$limit"
}

# Instructions per query: the server under callgrind, instrumentation off during start-up,
# switched on, a known number of queries in bursts of 32, dump; then one at a time, dump.
measure_instr() {
  local server=$1 config=$2 q
  q=$(queries "$config")
  local cgout=$out/callgrind.$server.$config
  start "$server" "$config" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$cgout"
  sleep 3  # let it answer the start-up probes still queued before counting starts
  # vgdb reaches the server with ptrace: it must run as the server's user.
  local as=()
  [ "$server" = ceiling ] || as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
  timeout 300 "${as[@]}" callgrind_control -i on "$server_pid" > /dev/null
  local r1 r2
  r1=$(taskset -c 1 $py "$e2e/udp_client.py" send "$port" "$q" "$cg_burst" 32)
  timeout 300 "${as[@]}" callgrind_control -d "$server_pid" > /dev/null
  r2=$(taskset -c 1 $py "$e2e/udp_client.py" send "$port" "$q" "$cg_single" 1)
  timeout 300 "${as[@]}" callgrind_control -d "$server_pid" > /dev/null
  stop
  local mode r file ir answered
  for mode in burst single; do
    if [ $mode = burst ]; then r=$r1 file=$cgout.1; else r=$r2 file=$cgout.2; fi
    answered=$(sed 's/.*answered=\([0-9]*\).*/\1/' <<< "$r")
    ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$file")
    record "$config" "$server" "instr_$mode" "$($py -c "print(round($ir/max(1,$answered)))")"
    record "$config" "$server" "instr_${mode}_answered" "$answered"
    record "$config" "$server" "allocs_$mode" \
      "$($py -c "print(round($($py "$e2e/alloc_calls.py" "$file")/max(1,$answered), 4))")"
  done
  $py "$e2e/top_functions.py" "$cgout.1" 15 > "$out/top-$server-$config.txt" || true
}

for config in $configs; do
  for server in rbldnsd fastrbld; do
    note "$server $config: start, RSS, CPU at $cpu_rate q/s"
    start "$server" "$config"
    measure_cpu "$server" "$config"
    note "$server $config: q/s at 0 % loss"
    measure_qps "$server" "$config"
    stop
  done
done
note "ceiling: CPU, q/s"
start ceiling mix
measure_cpu ceiling mix
measure_qps ceiling mix
stop

# The mix again, the three servers taking turns for $rounds rounds, so that changes in the
# machine's load fall on all three alike; the report takes the median round.
note "mix: CPU at $cpu_rate and $cpu_rate_high q/s, $rounds rounds, servers taking turns"
declare -A rpid rport
record_start=0
for server in rbldnsd fastrbld ceiling; do
  start "$server" mix
  rpid[$server]=$server_pid
  rport[$server]=$port
done
for round in $(seq "$rounds"); do
  for server in rbldnsd fastrbld ceiling; do
    server_pid=${rpid[$server]} port=${rport[$server]}
    measure_cpu "$server" mix "_r$round"
    measure_cpu "$server" mix "_r$round" "$cpu_rate_high"
  done
done
for server in rbldnsd fastrbld ceiling; do
  server_pid=${rpid[$server]}
  stop
done

# Target 4: fastrbld with 1 and 2 workers in turns, the highest rate dnsperf reaches with no
# rate limit (16 sockets, 2 threads), nothing pinned: server and client share both CPUs.
note "mix: fastrbld --workers 1 and 2, no rate limit, $worker_rounds rounds"
server_cpus=0-$(($(nproc) - 1))
for round in $(seq "$worker_rounds"); do
  for workers in 1 2; do
    start fastrbld mix
    t0=$(cpu_ticks "$server_pid")
    f=$out/workers-$workers-r$round.out
    taskset -c "$server_cpus" dnsperf -s 127.0.0.1 -p "$port" -d "$(queries mix)" -l "$worker_secs" \
      -c 16 -T 2 -q 500 -t 2 -b "$client_buf" > "$f" 2>&1
    t1=$(cpu_ticks "$server_pid")
    stop
    done_q=$(awk '/Queries completed/ {print $3}' "$f")
    record mix "fastrbld" "qps_workers${workers}_r$round" "$(awk '/Queries per second/ {print int($4)}' "$f")"
    record mix "fastrbld" "lost_workers${workers}_r$round" "$(awk '/Queries lost/ {print $3}' "$f")"
    record mix "fastrbld" "cpu_workers${workers}_r$round" "$(cpu_us_per_query "$t0" "$t1" "$done_q")"
  done
done
server_cpus=0 workers=1 record_start=1

# Target 3's micro-benchmark: answer() on hits and misses, A and TXT, allocations counted.
note "bench_query: allocations per answer"
taskset -c 0 "$bench_query" --benchmark_min_time=0.2 --benchmark_out="$out/bench_query.json" \
  --benchmark_out_format=json > "$out/bench_query.txt" 2>&1
$py - "$out/bench_query.json" >> "$res" <<'PY'
import json, sys
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    name = b["name"].removeprefix("BM_Answer/")
    print(f"bench_query\t{name}\tallocs_per_op\t{b.get('allocs/op', 'missing')}")
    print(f"bench_query\t{name}\tns_per_op\t{b['real_time']:.1f}")
PY

for config in $cg_configs; do
  for server in rbldnsd fastrbld ceiling; do
    [ "$server" != ceiling ] || [ "$config" = mix ] || continue
    note "$server $config: callgrind"
    measure_instr "$server" "$config"
  done
done
echo "load_end	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/machine.tsv"

echo "cpu_rate	$cpu_rate" >> "$out/machine.tsv"
echo "cpu_rate_high	$cpu_rate_high" >> "$out/machine.tsv"
$py "$e2e/report.py" "$out" "$top/bench/e2e_results.png" | tee "$out/report.md"
