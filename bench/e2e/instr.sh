#!/usr/bin/env bash
# User-space instructions per query of one fastrbld binary, measured as bench/e2e/run.sh
# does (measure_instr), without the rest of the harness: for comparing builds quickly.
#
#   bench/e2e/instr.sh FASTRBLD DATA_DIR [CONFIG] [BURST_COUNT] [SINGLE_COUNT]
#
# DATA_DIR holds the files of bench/e2e/gen_data.py (e.g. `gen_data.py /tmp/d 1000000 1000
# 1000000 100000`). CONFIG: mix (default), ip4s, dn or ip6, as in run.sh. The server runs
# under callgrind as nobody, pinned to CPU 0; instrumentation is switched on after start-up;
# BURST_COUNT queries (default 8192) go in bursts of 32, dump, then SINGLE_COUNT (default
# 2048) one at a time, dump. Prints instructions per answered query for both; the dumps and
# the top functions (top_functions.py) stay in a new /tmp/fastrbl-instr-* directory.
# Needs root (to start the server as nobody) and valgrind.
set -euo pipefail
e2e=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
bin=$(realpath "$1") data=$(realpath "$2") config=${3:-mix} nb=${4:-8192} ns=${5:-2048}
case "$config" in
  mix) specs="bl1.example:ip4set:$data/ip4-small.txt dbl.example:dnset:$data/dn.txt" q=$data/q-mix.txt ;;
  ip4s) specs="bl1.example:ip4set:$data/ip4-small.txt" q=$data/q-ip4-small.txt ;;
  dn) specs="dbl.example:dnset:$data/dn.txt" q=$data/q-dn.txt ;;
  ip6) specs="bl6.example:ip6trie:$data/ip6.txt" q=$data/q-ip6.txt ;;
  *) echo "unknown config $config" >&2; exit 2 ;;
esac
out=$(mktemp -d /tmp/fastrbl-instr-XXXXXX)
chmod 1777 "$out"
port=$((16000 + RANDOM % 1000))
as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
# shellcheck disable=SC2086
taskset -c 0 "${as[@]}" valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/cg" \
  "$bin" -n --no-db --workers 1 -b "127.0.0.1/$port" $specs > "$out/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
secs=$(taskset -c 1 $py "$e2e/udp_client.py" wait "$port" "$(date +%s.%N)" 900)
[ "$secs" != timeout ] || { cat "$out/server.log" >&2; exit 1; }
sleep 3  # let it answer the start-up probes still queued before counting starts
timeout 300 "${as[@]}" callgrind_control -i on "$pid" > /dev/null
r1=$(taskset -c 1 $py "$e2e/udp_client.py" send "$port" "$q" "$nb" 32)
timeout 300 "${as[@]}" callgrind_control -d "$pid" > /dev/null
r2=$(taskset -c 1 $py "$e2e/udp_client.py" send "$port" "$q" "$ns" 1)
timeout 300 "${as[@]}" callgrind_control -d "$pid" > /dev/null
kill "$pid"
wait "$pid" 2>/dev/null || true
for mode in 1 2; do
  if [ $mode = 1 ]; then r=$r1 name=burst32; else r=$r2 name=single; fi
  answered=$(sed 's/.*answered=\([0-9]*\).*/\1/' <<< "$r")
  ir=$(awk '/^(summary|totals):/ {print $2; exit}' "$out/cg.$mode")
  echo "$config $name answered=$answered instr=$ir instr/q=$((ir / (answered > 0 ? answered : 1)))"
done
$py "$e2e/top_functions.py" "$out/cg.1" 20 > "$out/top.txt" || true
echo "dumps and top functions: $out"
