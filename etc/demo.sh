#!/bin/sh
# Runs fastrbld in the foreground on 127.0.0.1:5353 with the demo data of etc/demo/.
# Usage: etc/demo.sh [path/to/fastrbld]   (default: build/release/dnsd/fastrbld)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/release/dnsd/fastrbld}
[ -x "$bin" ] || { echo "demo: $bin not built (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
cat <<MSG
fastrbld is starting on 127.0.0.1 port 5353 (UDP and TCP) with etc/demo/bl.ip4set.
In another terminal, ask it whether 127.0.0.2 is listed:

    dig @127.0.0.1 -p 5353 2.0.0.127.bl.example ANY

and 127.0.0.1, which is not (NXDOMAIN):

    dig @127.0.0.1 -p 5353 1.0.0.127.bl.example A

Stop it with Ctrl-C.
MSG
# Started as root, fastrbld (like rbldnsd) gives up root before it reads the data: run
# as nobody, from a copy of the data that nobody can read.
if [ "$(id -u)" -eq 0 ]; then
  data=$(mktemp -d /tmp/fastrbl-demo.XXXXXX)
  cp "$top/etc/demo/bl.ip4set" "$data/"
  chmod 755 "$data" && chmod 644 "$data/bl.ip4set"
  exec "$bin" -n -u nobody -w "$data" -b 127.0.0.1/5353 bl.example:ip4set:bl.ip4set
fi
exec "$bin" -n -b 127.0.0.1/5353 bl.example:ip4set:"$top/etc/demo/bl.ip4set"
