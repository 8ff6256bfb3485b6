#include "dnsd/privileges.h"

#include <cerrno>
#include <cstring>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace fastrbl::dnsd {

namespace {

// rbldnsd reads a numeric id with strtoul and accepts it only when every character was
// used: decimal digits only, no sign or blank; the value wraps to the id type.
bool numeric_id(const std::string& text, unsigned long* value) {
  if (text.empty()) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  *value = std::strtoul(text.c_str(), nullptr, 10);
  return true;
}

// getpwnam_r/getgrnam_r with a buffer that grows as asked.
bool lookup_user(const std::string& name, uid_t* uid, gid_t* gid) {
  std::vector<char> buf(16384);
  for (;;) {
    passwd pw{};
    passwd* result = nullptr;
    const int err = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result);
    if (err == ERANGE && buf.size() < (1U << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (err != 0 || result == nullptr) return false;
    *uid = pw.pw_uid;
    *gid = pw.pw_gid;
    return true;
  }
}

bool lookup_group(const std::string& name, gid_t* gid) {
  std::vector<char> buf(16384);
  for (;;) {
    group gr{};
    group* result = nullptr;
    const int err = ::getgrnam_r(name.c_str(), &gr, buf.data(), buf.size(), &result);
    if (err == ERANGE && buf.size() < (1U << 20)) {
      buf.resize(buf.size() * 2);
      continue;
    }
    if (err != 0 || result == nullptr) return false;
    *gid = gr.gr_gid;
    return true;
  }
}

std::string quoted(const std::string& s) { return "`" + s + "'"; }

}  // namespace

core::Result<Identity> resolve_identity(const std::string& user, uid_t current_uid) {
  std::string text = user;
  if (text.empty()) {
    if (current_uid != 0) return Identity{};  // not root: keep the ids
    text = "rbldns";
  }
  const std::size_t colon = text.find(':');
  const std::string user_part = text.substr(0, colon);
  Identity id;
  id.change = true;
  unsigned long n = 0;
  if (!user_part.empty() && lookup_user(user_part, &id.uid, &id.gid)) {
    // a name: its primary group unless one is given
  } else if (numeric_id(user_part, &n)) {
    id.uid = static_cast<uid_t>(n);
    id.gid = static_cast<gid_t>(n);
  } else {
    return core::Status::error("unknown user " + quoted(user_part));
  }
  if (colon != std::string::npos) {
    const std::string group_part = text.substr(colon + 1);
    if (!group_part.empty() && lookup_group(group_part, &id.gid)) {
      // a group name
    } else if (numeric_id(group_part, &n)) {
      id.gid = static_cast<gid_t>(n);
    } else {
      return core::Status::error("unknown group " + quoted(group_part));
    }
  }
  if (id.uid == 0) return core::Status::error("daemon should not run as root, specify -u option");
  return id;
}

core::Status enter_root(const std::string& dir) {
  if (::chdir(dir.c_str()) != 0 || ::chroot(".") != 0) {
    const int err = errno;
    return core::Status::error("unable to chroot to " + dir + ": " + std::strerror(err));
  }
  return core::Status::ok();
}

core::Status drop_privileges(const Identity& id) {
  if (!id.change) return core::Status::ok();
  const gid_t groups[1] = {id.gid};
  if (::setgroups(1, groups) != 0 || ::setgid(id.gid) != 0 || ::setuid(id.uid) != 0) {
    const int err = errno;
    return core::Status::error("unable to setuid(" + std::to_string(id.uid) + ":" + std::to_string(id.gid) +
                               "): " + std::strerror(err));
  }
  return core::Status::ok();
}

}  // namespace fastrbl::dnsd
