#!/bin/sh
# Start-up time and memory of fastrbld with and without the LMDB store, beside rbldnsd, on
# the same files in one run (issue 5's "done when"; figures in bench/README.md).
#
#   bench/store_start.sh [BUILD_DIR] [WORK_DIR]
#
# BUILD_DIR defaults to build/release (fastrbld, fastrblctl), WORK_DIR to
# /tmp/fastrbl-store-bench. Generates there (once) a 10M-entry ip4set (random /32s, four
# values) and a 1M-entry dnset (names, a fifth of them wildcards), then for each server:
# starts it on 127.0.0.1, asks until the first answer comes (a query sent while it loads
# waits in the socket buffer), prints the time
# from exec to the first answer, then its memory from /proc (VmRSS; RssAnon: private heap;
# RssFile: mapped file pages, i.e. the shared page cache of the LMDB map).
# Needs dig, python3, and /usr/sbin/rbldnsd for the reference rows. Runs as root or not.
set -eu
build=${1:-build/release}
work=${2:-/tmp/fastrbl-store-bench}
ctl=$(realpath "$build/dnsd/fastrblctl")
srv=$(realpath "$build/dnsd/fastrbld")
mkdir -p "$work"
chmod 0777 "$work"
cd "$work"

if [ ! -s ip4.txt ] || [ ! -s dn.txt ]; then
  python3 - <<'EOF'
import random
r = random.Random(5)
with open("ip4.txt", "w") as f:
    f.write("$SOA 600 ns.bl. hostmaster.bl. 0 3600 600 86400 300\n$NS 600 ns.bl.\n:127.0.0.2:Listed $\n")
    for i in range(10_000_000):
        a = r.getrandbits(32)
        f.write(f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255} :127.0.0.{2 + i % 4}:list {i % 4}\n")
with open("dn.txt", "w") as f:
    f.write("$SOA 600 ns.dn. hostmaster.dn. 0 3600 600 86400 300\n$NS 600 ns.dn.\n:127.0.0.2:Listed $\n")
    for i in range(1_000_000):
        f.write(("*." if i % 5 == 0 else "") + f"h{r.getrandbits(40):x}.d{i % 997}.example\n")
EOF
fi
specs="bl:ip4set:ip4.txt dn:dnset:dn.txt"
port=53535
query=$(awk 'NR==4 {split($1, a, "."); print a[4] "." a[3] "." a[2] "." a[1] ".bl"}' ip4.txt)

now_ms() { date +%s%N | cut -b1-13; }

# start NAME COMMAND...: runs it in the background, waits for the first answer, reports.
start() {
  name=$1
  shift
  t0=$(now_ms)
  "$@" >"$work/$name.log" 2>&1 &
  pid=$!
  # The sockets are bound before the data is loaded, so a query waits in the socket buffer
  # and is answered the moment the server starts; match the answer line only (dig's own
  # error text names 127.0.0.1 too).
  while ! dig +tries=1 +time=5 -p $port @127.0.0.1 "$query" A +short 2>/dev/null | grep -qE '^127\.0\.0\.[0-9]+$'; do
    sleep 0.01
    kill -0 $pid 2>/dev/null || { echo "$name: exited"; cat "$work/$name.log"; return 1; }
  done
  t1=$(now_ms)
  # the server may be a forked child (rbldnsd without -n): take the one on the port
  spid=$(pgrep -n -f -- "$1 .*$port" || echo $pid)
  mem=$(awk '/^(VmRSS|RssAnon|RssFile):/ {printf "%s %s MB  ", $1, int($2 / 1024)}' "/proc/$spid/status")
  echo "$name: first answer after $((t1 - t0)) ms; $mem"
}

stop() { kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; }

echo "data: $(wc -l <ip4.txt) ip4set lines, $(wc -l <dn.txt) dnset lines"
# shellcheck disable=SC2086
start rbldnsd /usr/sbin/rbldnsd -n -b 127.0.0.1/$port $specs && stop
# shellcheck disable=SC2086
start fastrbld-text "$srv" -n --no-db --workers 2 -b 127.0.0.1/$port $specs && stop
rm -rf "$work/db"
t0=$(now_ms)
# shellcheck disable=SC2086
"$ctl" compile --db "$work/db" $specs >"$work/compile.log" 2>&1
echo "fastrblctl compile: $(( $(now_ms) - t0 )) ms; $(grep -h 'image bytes' "$work/compile.log" | tr '\n' ' ')"
# As root, fastrbld serves as rbldns (rbldnsd's default -u): the store must be that user's.
if [ "$(id -u)" = 0 ] && id rbldns >/dev/null 2>&1; then chown -R rbldns "$work/db"; fi
# shellcheck disable=SC2086
start fastrbld-store "$srv" -n --workers 2 --db "$work/db" -b 127.0.0.1/$port $specs && stop
grep -h "LMDB store" "$work/fastrbld-store.log" || true
echo "store file: $(du -m "$work/db/data.mdb" | cut -f1) MB"
