#!/usr/bin/env bash
# Two measurements on the mix of bench/e2e/gen_data.py (1M ip4set + 1M dnset, queries
# interleaved), alone: the main harness (run.sh) makes both too, on 2 CPUs; this script
# takes worker counts, CPU sets and client threads for larger machines:
#
#   bench/e2e/scaling.sh FASTRBLD NULL_RESPONDER DATA_DIR [ROUNDS] [SECS] [RATE]
#
# 1. cpu: server CPU per query under the same fixed dnsperf load, at a rate where batches
#    form (RATE, default 80000 q/s): fastrbld (--workers 1), the do-nothing ceiling
#    (bench_null_responder) and Debian's rbldnsd, each pinned to CPU 0 with dnsperf pinned
#    to CPU 1 (taskset), taking turns for ROUNDS rounds (default 3); CPU = utime + stime of
#    /proc/PID/stat around the run (also shown apart: user, kernel), divided by the
#    queries completed.
# 2. workers: the highest throughput dnsperf gets (no rate limit, 16 sockets, 2 threads,
#    500 queries in flight) from fastrbld with --workers 1 and --workers 2, nothing pinned,
#    taking turns for ROUNDS rounds; with the server CPU per query.
#    On a larger machine (bench/README.md, "Scaling on larger machines"): WORKERS (default
#    "1 2") lists the worker counts, SERVER_CPUS and CLIENT_CPUS (taskset lists, default
#    "0,1" both: shared) pin fastrbld and dnsperf apart, and CLIENT_THREADS (default 2) sets
#    dnsperf's threads (-T; its sockets: 8 a thread).
# Each run lasts SECS seconds (default 8). Prints one TSV line per run and the medians.
# Needs root (servers run with -u nobody), dnsperf and rbldnsd; DATA_DIR readable by nobody.
set -euo pipefail
fastrbld=$(realpath "$1") null=$(realpath "$2") data=$(realpath "$3")
rounds=${4:-3} secs=${5:-8} rate=${6:-80000}
workers_list=${WORKERS:-1 2} server_cpus=${SERVER_CPUS:-0,1} client_cpus=${CLIENT_CPUS:-0,1}
client_threads=${CLIENT_THREADS:-2}
specs=(bl1.example:ip4set:$data/ip4-small.txt dbl.example:dnset:$data/dn.txt)
q=$data/q-mix.txt
e2e=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
out=$(mktemp -d /tmp/fastrbl-scaling-XXXXXX)
port=$((17000 + RANDOM % 1000))
pid=""
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true' EXIT
hz=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14, $15}' "/proc/$1/stat"; }  # utime stime

start() {  # PIN SERVER [WORKERS]
  local pin=$1 server=$2 workers=${3:-1}
  port=$((port + 1))
  local cmd
  case "$server" in
    fastrbld) cmd=("$fastrbld" -n --no-db -u nobody --workers "$workers" -b "127.0.0.1/$port" "${specs[@]}") ;;
    rbldnsd) cmd=(/usr/sbin/rbldnsd -n -u nobody -b "127.0.0.1/$port" "${specs[@]}") ;;
    ceiling) cmd=("$null" 127.0.0.1 "$port") ;;
  esac
  taskset -c "$pin" "${cmd[@]}" > "$out/$server-$port.log" 2>&1 &
  pid=$!
  [ "$($py "$e2e/udp_client.py" wait "$port" "$(date +%s.%N)" 300)" != timeout ] || {
    cat "$out/$server-$port.log" >&2
    exit 1
  }
  sleep 0.5
}
stop() {
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=""
}
run() {  # TAG CLIENT_PIN DNSPERF_ARGS...: prints TAG q/s cpu_us/q user_us/q sys_us/q lost
  local tag=$1 cpin=$2
  shift 2
  local f=$out/$tag-$port.out t0 t1
  t0=$(cpu_ticks "$pid")
  taskset -c "$cpin" dnsperf -s 127.0.0.1 -p "$port" -d "$q" -l "$secs" "$@" > "$f" 2>&1
  t1=$(cpu_ticks "$pid")
  local done qps lost
  done=$(awk '/Queries completed/ {print $3}' "$f")
  qps=$(awk '/Queries per second/ {print int($4)}' "$f")
  lost=$(awk '/Queries lost/ {print $3}' "$f")
  printf '%s\t%s\t%s\t%s\n' "$tag" "$qps" "$($py -c "
u0, s0 = $(tr ' ' , <<< "$t0"); u1, s1 = $(tr ' ' , <<< "$t1"); n = max(1, $done) / 1e6 * $hz
print(round((u1 - u0 + s1 - s0) / n, 3), round((u1 - u0) / n, 3), round((s1 - s0) / n, 3), sep='\t')
")" "$lost" | tee -a "$out/runs.tsv"
}

echo "# $(date -u '+%F %H:%M UTC') load $(cut -d' ' -f1-3 /proc/loadavg); tag q/s cpu_us/q user_us/q sys_us/q lost"
for r in $(seq "$rounds"); do
  for s in fastrbld ceiling rbldnsd; do
    start 0 "$s"
    run "cpu-$s" 1 -Q "$rate" -c 4 -q 2000 -t 2
    stop
  done
done
for r in $(seq "$rounds"); do
  for w in $workers_list; do
    start "$server_cpus" fastrbld "$w"
    run "workers-$w" "$client_cpus" -c $((8 * client_threads)) -T "$client_threads" -q $((250 * client_threads)) -t 2
    stop
  done
done
echo "# medians (q/s, cpu_us/q, user_us/q, sys_us/q) and lost queries in all rounds"
$py - "$out/runs.tsv" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    tag, qps, cpu, user, sys_, lost = line.split()
    rows.setdefault(tag, []).append((int(qps), float(cpu), float(user), float(sys_), int(lost)))
for tag, v in rows.items():
    med = [statistics.median(x[k] for x in v) for k in range(4)]
    print(f"{tag}\t{med[0]:.0f}\t{med[1]:.3f}\t{med[2]:.3f}\t{med[3]:.3f}\tlost {sum(x[4] for x in v)}")
PY
echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg); outputs in $out"
