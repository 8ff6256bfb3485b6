// The command line against Debian's rbldnsd: for each argument list, both programs are
// run and must exit with the same status and write the same messages on stderr (with the
// program names made equal). The cases are start-up failures, so that neither program
// stays running. Skipped when /usr/sbin/rbldnsd is not installed.
// Known, deliberate difference (docs/differences.md): fastrbld has long options, so an
// unknown `--word` is "unrecognized option '--word'" where rbldnsd says
// "invalid option -- '-'".

#include "server_process.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace fastrbl::test {
namespace {

constexpr const char* kRbldnsd = "/usr/sbin/rbldnsd";

std::string same_names(std::string s, const std::string& program) {
  for (std::size_t pos = 0; (pos = s.find(program, pos)) != std::string::npos;)
    s.replace(pos, program.size(), "P");
  return s;
}

RunResult run_rbldnsd(const std::vector<std::string>& args, const std::string& cwd) {
  std::string cmd = "cd '" + cwd + "' && " + kRbldnsd;
  for (const std::string& a : args) cmd += " '" + a + "'";
  cmd += " </dev/null 2>&1 >/dev/null";
  RunResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) r.err += buf;
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST_CASE("cli: errors, messages and exit status are rbldnsd's") {
  if (::access(kRbldnsd, X_OK) != 0) {
    WARN("rbldnsd is not installed: not compared");
    return;
  }
  const std::string dir = make_temp_dir();
  write_file(dir + "/d.txt", "1.2.3.4\n");
  const std::string b = "127.0.0.1/0";
  const std::vector<std::vector<std::string>> cases = {
      {"-Z"},
      {"-b"},
      {"-t"},
      {"-s"},
      {"-l"},
      {"-u"},
      {"-r"},
      {"-w"},
      {"-c"},
      {"-p"},
      {"-F"},
      {"-x"},
      {"-X"},
      {"-h", "-Z"},
      {"-d"},
      {"-b", b},
      {"x:ip4set:d.txt"},
      {"-n", "x:ip4set:d.txt"},
      {"-b", "/5353", "x:ip4set:d.txt"},
      {"-b", b, "-t", "0", "x:ip4set:d.txt"},
      {"-b", b, "-t", "5x", "x:ip4set:d.txt"},
      {"-b", b, "-t", "::2m", "x:ip4set:d.txt"},
      {"-b", b, "-t", "1:2:3:4", "x:ip4set:d.txt"},
      {"-b", b, "-t", "10:20", "x:ip4set:d.txt"},
      {"-b", b, "-c", "5x", "x:ip4set:d.txt"},
      {"-b", b, "-c", "", "x:ip4set:d.txt"},
      {"-b", b, "-F", "foo", "x:ip4set:d.txt"},
      {"-b", b, "-x", "a.so", "x:ip4set:d.txt"},
      {"-b", b, "-X", "arg", "x:ip4set:d.txt"},
      {"-b", b, "x:foo:d.txt"},
      {"-b", b, "x.t", "x:ip4set:d.txt"},
      {"-b", b, "x:ip4set"},
      {"-b", b, "x:ip4set:"},
      {"-b", b, ":ip4set:d.txt"},
      {"-b", b, "x:acl:d.txt"},
      {"-b", b, "x:acl:d.txt", "x:acl:d.txt", "x:ip4set:d.txt"},
      {"-b", b, ":acl:d.txt", ":acl:d.txt", "x:ip4set:d.txt"},
      {"-b", "127.0.0.1/nosuchsvc", "x:ip4set:d.txt"},
      {"-n", "-u", "nobody", "-w", "/nonexistent-fastrbl", "-b", b, "x:ip4set:d.txt"},
      {"-n", "-u", "nobody", "-p", "/nonexistent-fastrbl/p", "-b", b, "x:ip4set:d.txt"},
      {"-n", "-u", "nobody", "-r", "/nonexistent-fastrbl", "-b", b, "x:ip4set:d.txt"},
      {"-n", "-u", "root", "-b", b, "x:ip4set:d.txt"},
      {"-n", "-u", "nobody:nosuchgroup-fastrbl", "-b", b, "x:ip4set:d.txt"},
  };
  for (const auto& args : cases) {
    std::string text;
    for (const std::string& a : args) text += "'" + a + "' ";
    INFO(text);
    const RunResult ours = run_fastrbld(args, dir);
    const RunResult ref = run_rbldnsd(args, dir);
    CHECK(ours.exit_code == ref.exit_code);
    CHECK(same_names(ours.err, "fastrbld") == same_names(ref.err, "rbldnsd"));
  }
  remove_dir(dir);
}

}  // namespace
}  // namespace fastrbl::test
