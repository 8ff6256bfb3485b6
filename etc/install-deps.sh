#!/bin/sh
# Installs what fastrbl needs on Debian 12, as root, from Debian's packages only.
# Idempotent and quick when everything is already there.
#   etc/install-deps.sh          build + test dependencies
#   etc/install-deps.sh --fuzz   also clang and libFuzzer (the fuzz preset)
#   etc/install-deps.sh --bench  also dnsperf and valgrind (bench/)
set -eu

pkgs="cmake ninja-build g++ make pkg-config git clang-format
      libuv1-dev libssl-dev liblmdb-dev lmdb-utils libroaring-dev libldns-dev zlib1g-dev libsystemd-dev
      libidn2-dev libpsl-dev publicsuffix nlohmann-json3-dev libtomlplusplus-dev libcurl4-openssl-dev
      libbenchmark-dev catch2
      dnsutils bind9-dnsutils ldnsutils rbldnsd spamassassin"
for arg in "$@"; do
  case "$arg" in
    --fuzz) pkgs="$pkgs clang libclang-rt-14-dev libfuzzer-14-dev" ;;
    --bench) pkgs="$pkgs dnsperf valgrind python3-matplotlib" ;;
    *) echo "usage: $0 [--fuzz] [--bench]" >&2; exit 2 ;;
  esac
done

missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages:$missing (run as root to install them)" >&2
  exit 1
fi

# Debian's rbldnsd (the reference for the differential test) must not start a
# system daemon when installed: hold service starts off for the duration.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod 755 "$policy" && made_policy=1
fi
trap '[ "$made_policy" -eq 1 ] && rm -f "$policy"' EXIT

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
