#!/bin/sh
# The systemd instance wrapper (etc/systemd/fastrbld.wrapper.in): it picks the instance's
# line from the defaults file, passes its options to fastrbld unchanged, and drops -b
# (both spellings) under socket activation. fastrbld's own errors show what it received.
# Usage: test_wrapper.sh WRAPPER FASTRBLD
set -u
wrapper=$1
export FASTRBL_BINARY=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail=0
check() {  # check NAME EXPECTED-EXIT EXPECTED-STDERR COMMAND...
  name=$1 want_rc=$2 want_err=$3
  shift 3
  err=$("$@" 2>&1 >/dev/null)
  rc=$?
  if [ "$rc" != "$want_rc" ] || [ "$err" != "$want_err" ]; then
    echo "FAIL $name: exit $rc (want $want_rc), stderr: $err" >&2
    echo "     want stderr: $want_err" >&2
    fail=1
  else
    echo "ok $name"
  fi
}

cat > "$dir/defaults" <<'CONF'
FASTRBLD="- -n -b 127.0.0.1/0 -t 5x bl.example:ip4set:x \
  other.example:dnset:y
second -n -b127.0.0.1/0 -b 127.0.0.1/0 -F nosuch bl.example:ip4set:x
third -n -b /5 -b/6 -u nobody bl.example:ip4set:x
"
CONF
export FASTRBL_DEFAULTS="$dir/defaults"
check "default instance" 1 "fastrbld: invalid ttl (-t) value \`5x'" "$wrapper"
check "named instance" 1 "fastrbld: log facility nosuch is not valid" "$wrapper" second
check "unknown instance" 1 "There is no configuration for instance 'fourth' in FASTRBLD or RBLDNSD!" \
  "$wrapper" fourth
check "-b kept without socket activation" 1 "fastrbld: missing host part in bind address \`/5'" \
  "$wrapper" third
# Socket activation of the wrapper's own pid (exec keeps it for fastrbld): both -b are
# dropped, so fastrbld gets to the inherited descriptor 3 (here not a socket).
check "socket activation drops -b" 1 \
  "fastrbld: inherited socket 3: getsockopt: Socket operation on non-socket" \
  sh -c 'LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" third 3</dev/null' "$wrapper"

# RBLDNSD in the defaults file works too (a drop-in for /etc/default/rbldnsd).
cat > "$dir/defaults" <<'CONF'
RBLDNSD="- -n bl.example:ip4set:x"
CONF
check "RBLDNSD variable" 1 "fastrbld: no address to listen on (-b option) specified" "$wrapper"
exit $fail
