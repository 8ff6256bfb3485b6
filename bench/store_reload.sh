#!/bin/sh
# Reloads of the issue 5 data under load, fastrbld (LMDB store) and rbldnsd in one run
# (figures in bench/README.md, "Reload under load with the store").
#
#   bench/store_reload.sh [BUILD_DIR] [RUNS]
#
# Runs reload_under_load (tests/integration/reload_under_load.cc) RUNS times (default 2) with
# fastrbld serving from its LMDB store (--db), then once with Debian's rbldnsd (--rbldnsd), on
# the same generated data: a 10M-entry ip4set of scattered /32s with four values per
# generation, replaced 3 times (rename + SIGHUP), beside an unchanging 1M-name dnset, under
# 20,000 ANY queries per second for listed addresses. Each run prints lost and mixed
# answers, the reload times and the RSS (steady before the first reload, peak during
# reloads; VmRSS, RssAnon, RssFile); this script prints a summary line per run after them.
# Needs root for -u nobody (or runs the servers as the current user), /usr/sbin/rbldnsd.
set -u
build=${1:-build/release}
runs=${2:-2}
tool=$build/tests/integration/reload_under_load
common="--scatter --values 4 --dnset 1000000 --entries 10000000 --generations 3 --qps 20000 --settle-ms 3000"
summary=""
run() {  # run NAME ARGS...
  name=$1
  shift
  log=$(mktemp)
  # shellcheck disable=SC2086
  "$tool" "$@" $common | tee "$log"
  summary="$summary
$name: $(grep -E '^queries:' "$log" | cut -d' ' -f2-5)
$name: $(grep -E '^reload \(server' "$log")
$name: $(grep -E '^rss steady' "$log")"
  rm -f "$log"
}
i=1
while [ "$i" -le "$runs" ]; do
  run "fastrbld --db #$i" --fastrbld "$build/dnsd/fastrbld" --db
  i=$((i + 1))
done
if [ -x /usr/sbin/rbldnsd ]; then
  run "rbldnsd" --rbldnsd /usr/sbin/rbldnsd
fi
echo "== summary$summary"
