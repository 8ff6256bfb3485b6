#!/usr/bin/env bash
# Side-by-side throughput of fastrbld and Debian's rbldnsd on the same generated ip4set,
# in one run, with dnsperf on loopback. A quick check, not the full harness of the
# performance issue: it reports queries/s, average latency and server CPU per query.
#
#   bench/e2e/compare.sh [ENTRIES] [SECONDS]      (defaults: 1000000 entries, 10 s)
#
# Needs: a release build (build/release/dnsd/fastrbld), rbldnsd and dnsperf
# (etc/install-deps.sh --bench). Runs as root: rbldnsd gets `-u nobody`.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
entries=${1:-1000000}
secs=${2:-10}
fastrbld=${FASTRBLD:-$top/build/release/dnsd/fastrbld}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
chmod 755 "$work"

# Data: random /32 addresses with the default value; queries: 20 % listed, 80 % not.
python3 - "$work" "$entries" <<'PY'
import random, sys
work, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(42)
listed = set()
while len(listed) < n:
    listed.add(rnd.getrandbits(32))
with open(f"{work}/bl.txt", "w") as f:
    f.write("$SOA 3600 ns1.bl.example. hostmaster.bl.example. 1 600 300 86400 60\n")
    f.write("$NS 3600 ns1.bl.example\n:127.0.0.2:Listed $\n")
    for a in listed:
        f.write(f"{a>>24}.{(a>>16)&255}.{(a>>8)&255}.{a&255}\n")
sample = rnd.sample(sorted(listed), min(20000, n))
with open(f"{work}/queries.txt", "w") as f:
    for i in range(100000):
        a = sample[i % len(sample)] if i % 5 == 0 else rnd.getrandbits(32)
        qtype = "TXT" if i % 10 == 0 else "A"
        f.write(f"{a&255}.{(a>>8)&255}.{(a>>16)&255}.{a>>24}.bl.example {qtype}\n")
PY
chmod 644 "$work"/*

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

run() {  # name port pid
  local name=$1 port=$2 pid=$3
  sleep 0.5
  local t0; t0=$(cpu_ticks "$pid")
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "$secs" -c 4 -T 1 -Q 500000 > "$work/$name.out" 2>&1
  local t1; t1=$(cpu_ticks "$pid")
  local qps lat sent lost
  qps=$(awk '/Queries per second/ {print $4}' "$work/$name.out")
  lat=$(awk '/Average Latency/ {print $4}' "$work/$name.out")
  sent=$(awk '/Queries completed/ {print $3}' "$work/$name.out")
  lost=$(awk '/Queries lost/ {print $3}' "$work/$name.out")
  local hz; hz=$(getconf CLK_TCK)
  local us; us=$(python3 -c "print(round(($t1-$t0)/$hz*1e6/max(1,$sent),2))")
  printf '%-10s qps=%-12s avg_latency_s=%-10s completed=%-9s lost=%-6s server_cpu_us_per_query=%s\n' \
    "$name" "$qps" "$lat" "$sent" "$lost" "$us"
}

start=$(date +%s.%N)
rbldnsd -n -u nobody -b 127.0.0.1/5391 bl.example:ip4set:"$work/bl.txt" > "$work/r.log" 2>&1 &
pids+=($!); rpid=$!
until grep -q started "$work/r.log" 2>/dev/null; do sleep 0.1; done
echo "rbldnsd ready after $(python3 -c "print(round($(date +%s.%N)-$start,2))") s"
start=$(date +%s.%N)
"$fastrbld" -n --no-db -u nobody --workers "${WORKERS:-1}" -b 127.0.0.1/5392 bl.example:ip4set:"$work/bl.txt" > "$work/f.log" 2>&1 &
pids+=($!); fpid=$!
until grep -q started "$work/f.log" 2>/dev/null; do sleep 0.1; done
echo "fastrbld ready after $(python3 -c "print(round($(date +%s.%N)-$start,2))") s"
echo "RSS kB: rbldnsd $(awk '/VmRSS/ {print $2}' /proc/$rpid/status) fastrbld $(awk '/VmRSS/ {print $2}' /proc/$fpid/status)"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo), load $(cut -d' ' -f1-3 /proc/loadavg)"
run rbldnsd 5391 "$rpid"
run fastrbld 5392 "$fpid"
