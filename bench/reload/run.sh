#!/bin/sh
# Reload under load (issue 4): a 1M-entry ip4set replaced 10 times with rename(2) + SIGHUP
# while a client sends 20,000 queries per second to fastrbld on 127.0.0.1; every reply must
# come wholly from one generation of the data and none may be lost. Runs the same load
# without reloads first, as a baseline for what the host itself drops.
#
# Usage: bench/reload/run.sh [BUILD_DIR] [extra reload_under_load options]
#   BUILD_DIR defaults to build/release (cmake --preset release && cmake --build --preset
#   release --target fastrbld reload_under_load).
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build/release}
[ $# -gt 0 ] && shift
tool="$build/tests/integration/reload_under_load"
server="$build/dnsd/fastrbld"
for f in "$tool" "$server"; do
  [ -x "$f" ] || { echo "missing $f: build the release preset first" >&2; exit 2; }
done
echo "# host: $(nproc) CPU(s), load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# baseline: the same load, no reload"
"$tool" --fastrbld "$server" --entries 1000000 --generations 10 --qps 20000 --settle-ms 2000 \
  --no-reload "$@" | grep -v '^fastrbld: ' || true
echo "# reload under load"
"$tool" --fastrbld "$server" --entries 1000000 --generations 10 --qps 20000 --settle-ms 2000 \
  "$@" | grep -v '^fastrbld: '
