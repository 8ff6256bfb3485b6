#!/bin/sh
# Runs fastrbld in the foreground on 127.0.0.1:5353 with the demo data of etc/demo/ and the
# curated feeds of etc/feeds/ (imported into a scratch store and rendered at start).
# Usage: etc/demo.sh [path/to/fastrbld]   (default: build/release/dnsd/fastrbld; fastrblctl
# is taken from the same directory)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${1:-$top/build/release/dnsd/fastrbld}
ctl=$(dirname "$bin")/fastrblctl
[ -x "$bin" ] || { echo "demo: $bin not built (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
[ -x "$ctl" ] || { echo "demo: $ctl not built (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }

# The feeds: import the curated snapshots (--offline: no fetching) into a scratch store and
# render their rbldnsd data files next to a copy of the demo data. Everything is readable by
# all, because fastrbld started as root runs as nobody (as rbldnsd gives up root).
data=$(mktemp -d /tmp/fastrbl-demo.XXXXXX)
cp "$top/etc/demo/bl.ip4set" "$data/"
"$ctl" feed import --offline --config "$top/etc/feeds/feeds.toml" --db "$data/store" --output-dir "$data" >"$data/import.log" 2>&1 ||
  { cat "$data/import.log" >&2; echo "demo: importing etc/feeds failed" >&2; exit 1; }
feeds=$("$ctl" feed zones --config "$top/etc/feeds/feeds.toml" --output-dir "$data")
chmod -R a+rX "$data"
# fastrbld serves through the same store (it compiles the data files into it): the user it
# runs as must be able to write it.
[ "$(id -u)" -ne 0 ] || chown -R nobody "$data/store"

cat <<MSG
fastrbld is starting on 127.0.0.1 port 5353 (UDP and TCP) with etc/demo/bl.ip4set and the
curated feeds of etc/feeds/ (rendered into $data). In another terminal, ask it
whether 127.0.0.2 is listed:

    dig @127.0.0.1 -p 5353 2.0.0.127.bl.example ANY

and 127.0.0.1, which is not (NXDOMAIN):

    dig @127.0.0.1 -p 5353 1.0.0.127.bl.example A

The feed zones (etc/feeds/README.md): a URL shortener, an abused TLD, an ESP click-tracker,
a Cloudflare address, and the multi zone (A = 127.0.0.(OR of 2 TLD, 4 shortener, 8 ESP,
16 cloud, 32 scanner)):

    dig @127.0.0.1 -p 5353 bit.ly.short.feeds.example TXT
    dig @127.0.0.1 -p 5353 evil.tk.tld.feeds.example TXT
    dig @127.0.0.1 -p 5353 u123.ct.sendgrid.net.esp.feeds.example TXT
    dig @127.0.0.1 -p 5353 1.0.16.104.cloud.feeds.example TXT
    dig @127.0.0.1 -p 5353 x.bit.ly.multi.feeds.example A
    dig @127.0.0.1 -p 5353 test.multi.feeds.example A

Stop it with Ctrl-C.
MSG
# shellcheck disable=SC2086
if [ "$(id -u)" -eq 0 ]; then
  exec "$bin" -n -u nobody --db "$data/store" -w "$data" -b 127.0.0.1/5353 bl.example:ip4set:bl.ip4set $feeds
fi
exec "$bin" -n --db "$data/store" -w "$data" -b 127.0.0.1/5353 bl.example:ip4set:bl.ip4set $feeds
