#pragma once
// Privileges: rbldnsd's -u and -r (compat §2.1).
//
// resolve_identity() turns the -u text into ids, by rbldnsd's rules: without -u, a process
// started as root runs as user "rbldns" and any other process keeps its ids; `user` is a
// name (its primary group unless `:group` is given) or a number (then the group defaults
// to the same number); `group` is a name or a number. Resolving uid 0 is an error: the
// daemon must not run as root. enter_root() is -r (chdir + chroot); drop_privileges()
// is setgroups + setgid + setuid. Messages are rbldnsd's: "unknown user `x'", "unknown
// group `x'", "daemon should not run as root, specify -u option", "unable to chroot to
// DIR: <reason>", "unable to setuid(UID:GID): <reason>".
// main() calls them in rbldnsd's order: sockets bound -> identity resolved -> pidfile ->
// chroot -> chdir (-w) -> ids dropped -> data loaded.
// Thread safety: before any thread starts (setuid applies to the calling thread first).

#include "core/status.h"

#include <string>
#include <sys/types.h>

namespace fastrbl::dnsd {

struct Identity {
  bool change = false;  // false: keep the current ids
  uid_t uid = 0;
  gid_t gid = 0;
};

/// `user` is the -u text ("" when not given); `current_uid` is getuid() (a parameter so
/// that tests can ask as root or not).
core::Result<Identity> resolve_identity(const std::string& user, uid_t current_uid);

/// -r: chdir(dir) then chroot("."). Errors: "unable to chroot to DIR: <reason>".
core::Status enter_root(const std::string& dir);

/// Switches to `id` (setgroups to the one group, setgid, setuid); no-op when !id.change.
core::Status drop_privileges(const Identity& id);

}  // namespace fastrbl::dnsd
