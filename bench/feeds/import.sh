#!/bin/sh
# Import time and entries per second of `fastrblctl feed import` for a 1M-line list, beside
# the time Debian's rbldnsd (and fastrbld) take to load the rendered data file, in one run
# (issue 6's "done when"; figures in bench/README.md "Feed import").
#
#   bench/feeds/import.sh [BUILD_DIR] [WORK_DIR] [LINES]
#
# BUILD_DIR defaults to build/release, WORK_DIR to /tmp/fastrbl-feed-bench, LINES to 1000000.
# Generates a plain list of LINES distinct host names under .com (so every name goes through
# normalisation and a PSL decision: scope "host"), then times with /usr/bin/time:
#   1. the first import (every entry added) and its render,
#   2. a re-import of the unchanged list (every entry kept),
#   3. a re-import with 1% of the lines replaced (10k added, 10k removed at 1M),
#   4. `feed render` alone,
# printing wall and CPU seconds, entries/s (LINES / wall) and the peak RSS. Then starts
# rbldnsd and fastrbld on the rendered file and reports the time to their first answer.
# Needs python3, dig and /usr/sbin/rbldnsd (rows skipped without it).
set -eu
build=${1:-build/release}
work=${2:-/tmp/fastrbl-feed-bench}
lines=${3:-1000000}
ctl=$(realpath "$build/dnsd/fastrblctl")
srv=$(realpath "$build/dnsd/fastrbld")
rm -rf "$work"
mkdir -p "$work"
chmod 0777 "$work"
cd "$work"

python3 - "$lines" <<'PY'
import random, sys
n = int(sys.argv[1])
r = random.Random(6)
names = [f"h{r.getrandbits(48):x}.d{i % 997}.com" for i in range(n)]
with open("list.txt", "w") as f:
    f.write("# generated bench list\n")
    f.writelines(x + "\n" for x in names)
# 1% replaced: the first n/100 names dropped, as many new ones appended.
k = n // 100
with open("list2.txt", "w") as f:
    f.write("# generated bench list, 1% changed\n")
    f.writelines(x + "\n" for x in names[k:])
    f.writelines(f"n{r.getrandbits(48):x}.e{i % 997}.com\n" for i in range(k))
PY
cat > feeds.toml <<'TOML'
[dataset.bench]
type = "dnset"
zone = "bench.example"
output = "bench.dnset"
value = "127.0.0.2"
txt = "Listed: $"
soa = "600 ns.bench.example. hostmaster.bench.example. 0 3600 600 86400 300"
ns = "600 ns.bench.example."

[feed.bench]
dataset = "bench"
source = "list.txt"
format = "plain"
scope = "host"
TOML

timed() {  # LABEL COMMAND...: one row of figures
  label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o time.out "$@" >cmd.out 2>&1 || { cat cmd.out; exit 1; }
  read -r wall user sys rss <time.out
  eps=$(python3 -c "print(f'{$lines / max($wall, 0.001):,.0f}')")
  printf '%-34s wall %6.2f s  user %6.2f s  sys %5.2f s  %12s entries/s  peak RSS %4d MB\n' \
    "$label" "$wall" "$user" "$sys" "$eps" $((rss / 1024))
}
echo "lines: $lines (fastrblctl $ctl)"
timed "import, first (all added)" "$ctl" feed import --config feeds.toml --db db
grep -E "^feed bench: [0-9]+ added" cmd.out
timed "import, unchanged (all kept)" "$ctl" feed import --config feeds.toml --db db
grep -E "^feed bench: [0-9]+ added" cmd.out
cp list2.txt list.txt
timed "import, 1% changed" "$ctl" feed import --config feeds.toml --db db
grep -E "^feed bench: [0-9]+ added" cmd.out
timed "render alone" "$ctl" feed render --config feeds.toml --db db
echo "store: $(du -sh db | cut -f1), rendered file: $(du -sh bench.dnset | cut -f1)"

# Loading the rendered file: time from exec to the first answer.
now_ms() { date +%s%N | cut -b1-13; }
first_answer() {  # NAME COMMAND...
  name=$1
  shift
  t0=$(now_ms)
  "$@" >"$name.log" 2>&1 &
  pid=$!
  while ! dig +tries=1 +time=1 +short @127.0.0.1 -p 53540 test.bench.example A 2>/dev/null | grep -q 127.0.0.2; do
    kill -0 "$pid" 2>/dev/null || { echo "$name exited:"; cat "$name.log"; return; }
    sleep 0.05
  done
  t1=$(now_ms)
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  printf '%-34s first answer after %6.2f s  VmRSS %4d MB\n' "$name loads bench.dnset" \
    "$(python3 -c "print(($t1 - $t0) / 1000)")" "$rss"
}
user=""
[ "$(id -u)" -eq 0 ] && user="-u nobody"
chmod 0644 bench.dnset
if [ -x /usr/sbin/rbldnsd ]; then
  # shellcheck disable=SC2086
  first_answer rbldnsd /usr/sbin/rbldnsd -n $user -w "$work" -b 127.0.0.1/53540 bench.example:dnset:bench.dnset
fi
# shellcheck disable=SC2086
first_answer fastrbld "$srv" -n --no-db $user -w "$work" -b 127.0.0.1/53540 bench.example:dnset:bench.dnset
