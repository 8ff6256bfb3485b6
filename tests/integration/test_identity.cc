// Integration tests of -u and -r (compat §2.1): the ids the running server has, the chroot
// it lives in, and the start-up errors, compared with Debian's rbldnsd where it is
// installed. Dropping privileges and chroot need root: those cases are skipped (with a
// message) when the tests do not run as root.

#include "dns_client.h"
#include "expect.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <climits>
#include <cstdio>
#include <fstream>
#include <grp.h>
#include <optional>
#include <pwd.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fastrbl::test {
namespace {

constexpr const char* kRbldnsd = "/usr/sbin/rbldnsd";

// "Uid:" or "Gid:" of /proc/PID/status: real, effective, saved, filesystem.
std::vector<long> proc_ids(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) != 0) continue;
    std::istringstream in(line.substr(key.size()));
    std::vector<long> ids;
    long v = 0;
    while (in >> v) ids.push_back(v);
    return ids;
  }
  return {};
}

std::string proc_groups(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("Groups:", 0) == 0) return line.substr(7);
  return "?";
}

struct Dir {
  std::string path = make_temp_dir();
  ~Dir() { remove_dir(path); }
};

// Runs rbldnsd (when installed) with `args` in `cwd`; its stderr with "rbldnsd: " made
// "fastrbld: ", and its exit status. Nothing when rbldnsd is not installed.
std::optional<RunResult> run_rbldnsd(const std::vector<std::string>& args, const std::string& cwd) {
  if (::access(kRbldnsd, X_OK) != 0) return std::nullopt;
  std::string cmd = "cd '" + cwd + "' && " + kRbldnsd;
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " 2>&1 >/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return std::nullopt;
  RunResult r;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) r.err += buf;
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  for (std::size_t pos; (pos = r.err.find("rbldnsd: ")) != std::string::npos;)
    r.err.replace(pos, 9, "fastrbld: ");
  return r;
}

TEST_CASE("identity: -u errors have rbldnsd's messages and exit status") {
  Dir dir;
  write_file(dir.path + "/data.txt", kDefaultData);
  struct Case {
    std::string user;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"root", "daemon should not run as root, specify -u option"},
      {"0", "daemon should not run as root, specify -u option"},
      {"0:5", "daemon should not run as root, specify -u option"},
      {"nosuchuser-fastrbl", "unknown user `nosuchuser-fastrbl'"},
      {"123abc", "unknown user `123abc'"},
      {"-1", "unknown user `-1'"},
      {"+5", "unknown user `+5'"},
      {":5", "unknown user `'"},
      {"nobody:", "unknown group `'"},
      {"nobody:nosuchgroup-fastrbl", "unknown group `nosuchgroup-fastrbl'"},
      {"12345:x1", "unknown group `x1'"},
  };
  for (const Case& k : cases) {
    INFO("-u '" << k.user << "'");
    const std::vector<std::string> args = {"-n", "-u",          k.user,
                                           "-b", "127.0.0.1/0", "bl.example:ip4set:data.txt"};
    const RunResult r = run_fastrbld(args, dir.path);
    CHECK(r.exit_code == 1);
    CHECK(r.err == "fastrbld: " + k.message + "\n");
    CHECK(r.out.find("fastrbld: listening on 127.0.0.1/") == 0);  // resolved after binding, as rbldnsd
    if (auto ref = run_rbldnsd(args, dir.path)) {
      CHECK(ref->exit_code == 1);
      CHECK(ref->err == r.err);
    }
  }
}

TEST_CASE("identity: -u user, user:group and numeric ids are what the running server has") {
  if (::getuid() != 0) {
    WARN("not root: privilege drop not tested");
    return;
  }
  const passwd* nobody = ::getpwnam("nobody");
  REQUIRE(nobody != nullptr);
  const long nobody_uid = static_cast<long>(nobody->pw_uid);
  const long nobody_gid = static_cast<long>(nobody->pw_gid);
  struct Case {
    std::string user;
    long uid;
    long gid;
  };
  std::vector<Case> cases = {
      {"nobody", nobody_uid, nobody_gid},
      {"nobody:12345", nobody_uid, 12345},
      {"12345", 12345, 12345},  // a number that names nobody: the group is the same number
      {"012345:54321", 12345, 54321},
  };
  if (const group* g = ::getgrnam("daemon")) cases.push_back({"nobody:daemon", nobody_uid, g->gr_gid});
  for (const Case& k : cases) {
    INFO("-u " << k.user);
    ServerOptions options = with_args({"-u", k.user});
    ServerProcess server(options);
    CHECK(proc_ids(server.pid(), "Uid:") == std::vector<long>(4, k.uid));
    CHECK(proc_ids(server.pid(), "Gid:") == std::vector<long>(4, k.gid));
    CHECK(proc_groups(server.pid()).find(std::to_string(k.gid)) != std::string::npos);
    check_reply(udp_exchange(server.endpoint(), make_query(1, "4.3.2.1.bl.example", 1)),
                answer_a(1, {"127.0.0.2"}));
    CHECK(server.stop() == 0);
  }
}

TEST_CASE("identity: started as root without -u the server runs as user rbldns, as rbldnsd") {
  const passwd* rbldns = ::getpwnam("rbldns");
  if (::getuid() != 0 || rbldns == nullptr) {
    WARN("needs root and the user rbldns (from Debian's rbldnsd package): not tested");
    return;
  }
  ServerOptions options;
  options.auto_user = false;
  ServerProcess server(options);
  CHECK(proc_ids(server.pid(), "Uid:") == std::vector<long>(4, static_cast<long>(rbldns->pw_uid)));
  CHECK(proc_ids(server.pid(), "Gid:") == std::vector<long>(4, static_cast<long>(rbldns->pw_gid)));
  CHECK(server.stop() == 0);
}

TEST_CASE("identity: -r chroots before loading and -w and the data are inside the new root") {
  if (::getuid() != 0) {
    WARN("not root: chroot not tested");
    return;
  }
  Dir root;
  REQUIRE(::mkdir((root.path + "/zones").c_str(), 0755) == 0);
  write_file(root.path + "/zones/other.txt", "5.6.7.8 :3:chrooted\n");
  ServerOptions options = with_args({"-r", root.path, "-w", "/zones"});
  options.zone = "bl.example:ip4set:other.txt";
  options.env = {"ASAN_OPTIONS=detect_leaks=0"};  // LeakSanitizer needs /proc, not in the chroot
  ServerProcess server(options);                  // its own -w (the temporary dir) comes first; ours wins
  char target[PATH_MAX] = {};
  const ssize_t n =
      ::readlink(("/proc/" + std::to_string(server.pid()) + "/root").c_str(), target, sizeof target - 1);
  REQUIRE(n > 0);
  CHECK(std::string(target, static_cast<std::size_t>(n)) == root.path);
  check_reply(udp_exchange(server.endpoint(), make_query(1, "8.7.6.5.bl.example", 16)),
              answer_txt(1, {"\"chrooted\""}));
  CHECK(server.stop() == 0);

  Dir dir;
  const std::vector<std::string> args = {
      "-n", "-u", "nobody", "-r", "/nonexistent-fastrbl", "-b", "127.0.0.1/0", "bl.example:ip4set:data.txt"};
  const RunResult r = run_fastrbld(args, dir.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err == "fastrbld: unable to chroot to /nonexistent-fastrbl: No such file or directory\n");
  if (auto ref = run_rbldnsd(args, dir.path)) {
    CHECK(ref->exit_code == 1);
    CHECK(ref->err == r.err);
  }
}

TEST_CASE("identity: the pidfile is written before the privileges are dropped") {
  if (::getuid() != 0) {
    WARN("not root: not tested");
    return;
  }
  ServerOptions options = with_args({"-u", "nobody"});
  options.foreground = false;  // -p in the root-owned temporary directory
  ServerProcess server(options);
  struct stat st {};
  REQUIRE(::stat((server.dir() + "/fastrbld.pid").c_str(), &st) == 0);
  CHECK(st.st_uid == 0);
  CHECK((st.st_mode & 0777) == 0644);
  CHECK(server.stop() == 0);
}

}  // namespace
}  // namespace fastrbl::test
