#!/usr/bin/env bash
# Server CPU per query of several servers under the same fixed dnsperf load, taking turns:
# for A/B comparisons of builds or settings (the figures of bench/README.md's sixth round).
#
#   bench/e2e/cpu_ab.sh RATE ROUNDS SECS QUERY_FILE NAME=PORT=COMMAND...
#
# Each COMMAND (a server listening on 127.0.0.1/PORT, word-split) is started pinned to
# CPU 0 and left running; then for ROUNDS rounds each in turn gets `dnsperf -Q RATE -c 4
# -q 2000 -t 2 -b 2048 -l SECS` from CPU 1 on QUERY_FILE, and its CPU per query is
# utime + stime of /proc/PID/stat around the run, divided by the queries completed (also
# split into user and kernel time). Prints one line per run and the medians. The servers
# are stopped (by PID) at the end. Only loopback; root needed for servers that drop to
# `-u nobody`.
#
# Example (two fastrbld builds and the ceiling at 80,000 q/s on the mix):
#   S="bl1.example:ip4set:/tmp/d2/ip4-small.txt dbl.example:dnset:/tmp/d2/dn.txt"
#   bench/e2e/cpu_ab.sh 80000 4 6 /tmp/d2/q-mix.txt \
#     "old=16741=/tmp/fastrbld-old -n --no-db -u nobody --workers 1 -b 127.0.0.1/16741 $S" \
#     "new=16742=build/release/dnsd/fastrbld -n --no-db -u nobody --workers 1 -b 127.0.0.1/16742 $S" \
#     "ceiling=16743=build/release/bench/bench_null_responder 127.0.0.1 16743"
set -euo pipefail
[ $# -ge 5 ] || { sed -n '2,20p' "$0" >&2; exit 2; }
rate=$1 rounds=$2 secs=$3 queries=$4
shift 4
py=/usr/bin/python3
hz=$(getconf CLK_TCK)
out=$(mktemp -d /tmp/fastrbl-cpu-ab-XXXXXX)
names=() ports=() pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
for spec in "$@"; do
  name=${spec%%=*} rest=${spec#*=}
  port=${rest%%=*} cmd=${rest#*=}
  # shellcheck disable=SC2086
  taskset -c 0 $cmd > "$out/$name.log" 2>&1 &
  pids+=($!) names+=("$name") ports+=("$port")
done
for i in "${!names[@]}"; do
  [ "$($py "$(dirname "$0")/udp_client.py" wait "${ports[$i]}" "$(date +%s.%N)" 300)" != timeout ] || {
    cat "$out/${names[$i]}.log" >&2
    exit 1
  }
done
sleep 1
for r in $(seq "$rounds"); do
  for i in "${!names[@]}"; do
    read -r u0 s0 < <(awk '{print $14, $15}' "/proc/${pids[$i]}/stat")
    f=$out/${names[$i]}-r$r.out
    taskset -c 1 dnsperf -s 127.0.0.1 -p "${ports[$i]}" -d "$queries" -l "$secs" -Q "$rate" -c 4 -q 2000 -t 2 \
      -b 2048 > "$f" 2>&1
    read -r u1 s1 < <(awk '{print $14, $15}' "/proc/${pids[$i]}/stat")
    done_q=$(awk '/Queries completed/ {print $3}' "$f")
    $py -c "
n = max(1, $done_q) / 1e6 * $hz
print('${names[$i]}\tround $r\t%.2f\t%.2f\t%.2f' % (($u1 - $u0 + $s1 - $s0) / n, ($u1 - $u0) / n, ($s1 - $s0) / n))
" | tee -a "$out/runs.tsv"
  done
done
echo "# medians: name cpu_us/q user_us/q kernel_us/q (rate $rate, $rounds rounds of $secs s; outputs in $out)"
$py - "$out/runs.tsv" <<'PY'
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, _, cpu, user, kern = line.rstrip("\n").split("\t")
    runs[name].append((float(cpu), float(user), float(kern)))
for name, v in runs.items():
    med = [statistics.median(x[k] for x in v) for k in range(3)]
    print(f"{name}\t{med[0]:.2f}\t{med[1]:.2f}\t{med[2]:.2f}\t(rounds: {', '.join(f'{x[0]:.2f}' for x in v)})")
PY
