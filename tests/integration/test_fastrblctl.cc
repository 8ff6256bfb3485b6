// fastrblctl, the real binary: compile (only changed datasets, one generation per change),
// check (writes nothing), dump (from the store, the same text as fastrbld -d from the
// files), stats, --help for each command, and errors that leave the store as it was.

#include "server_process.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace fastrbl::test {
namespace {

const std::string kCtl = std::string(FASTRBL_BINARY_DIR) + "/dnsd/fastrblctl";

struct Dir {
  std::string path = make_temp_dir();
  ~Dir() { remove_dir(path); }
};

RunResult ctl(const std::vector<std::string>& args, const std::string& cwd) {
  RunResult r = run_program(kCtl, args, cwd);
  INFO("fastrblctl " << args.front() << "\nstdout:\n" << r.out << "stderr:\n" << r.err);
  return r;
}

constexpr const char* kIp4 =
    "$SOA 600 ns.bl. hostmaster.bl. 0 3600 600 86400 300\n$NS 600 ns.bl.\n:127.0.0.2:Listed $\n10.0.0.0/8\n"
    "!10.1.0.0/16\n1.2.3.4 :127.0.0.3:three\n";
constexpr const char* kDn = "spam.com\n*.evil.org :127.0.0.4:evil $\n.both.net\n";

// Everything after the two header lines (time and version).
std::string body(const std::string& dump) {
  std::size_t p = 0;
  for (int i = 0; i < 2 && p != std::string::npos; ++i) p = dump.find('\n', p) + 1;
  return p == std::string::npos ? dump : dump.substr(p);
}

TEST_CASE("fastrblctl: compile only what changed, dump from the store as fastrbld -d", "[fastrblctl]") {
  Dir d;
  write_file(d.path + "/a.txt", kIp4);
  write_file(d.path + "/d.txt", kDn);
  const std::vector<std::string> specs = {"bl:ip4set:a.txt", "bl:dnset:d.txt"};
  auto with = [&](std::vector<std::string> head) {
    head.insert(head.end(), specs.begin(), specs.end());
    return head;
  };

  RunResult r = ctl(with({"compile", "--db", "db"}), d.path);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("ip4set:a.txt: compiled, 3 entries, ", 0) == 0);
  CHECK(r.out.find("dnset:d.txt: compiled, 4 entries,") != std::string::npos);
  CHECK(r.out.find("generation 1 committed to " + d.path + "/db\n") != std::string::npos);

  r = ctl(with({"compile", "--db", "db"}), d.path);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("ip4set:a.txt: unchanged") != std::string::npos);
  CHECK(r.out.find("dnset:d.txt: unchanged") != std::string::npos);
  CHECK(r.out.find(d.path + "/db is up to date (generation 1)") != std::string::npos);
  CHECK(r.err.empty());  // nothing was parsed: no rbldnsd info lines

  // The dump from the store is fastrbld -d's from the files.
  RunResult dump = ctl(with({"dump", "--db", "db"}), d.path);
  REQUIRE(dump.exit_code == 0);
  RunResult text = run_fastrbld(with({"-d"}), d.path);
  REQUIRE(text.exit_code == 0);
  CHECK(body(dump.out) == body(text.out));
  CHECK(body(dump.out).find("spam.com\tA\t127.0.0.2") != std::string::npos);

  // A changed file: that dataset alone is parsed, in a new generation.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  write_file(d.path + "/d.txt", std::string(kDn) + "more.com\n");
  r = ctl(with({"compile", "--db", "db"}), d.path);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("ip4set:a.txt: unchanged") != std::string::npos);
  CHECK(r.out.find("dnset:d.txt: compiled, 5 entries") != std::string::npos);
  CHECK(r.out.find("generation 2 committed") != std::string::npos);

  RunResult st = ctl({"stats", "--db", "db"}, d.path);
  REQUIRE(st.exit_code == 0);
  CHECK(st.out.find("generation\t2\n") != std::string::npos);
  CHECK(st.out.find("datasets\t2\nentries\t8\n") != std::string::npos);
  CHECK(st.out.find("dataset\tip4set:a.txt\n  options\tt=2100:0:0 e=0 C=0\n  entries\t3\n") !=
        std::string::npos);
  CHECK(st.out.find("  image generation\t1\n") != std::string::npos);  // carried over
  CHECK(st.out.find("  image generation\t2\n") != std::string::npos);
  CHECK(st.out.find("  source\t" + d.path + "/d.txt size ") != std::string::npos);

  // Another command line (the ip4set alone) keeps the dnset; --prune drops it.
  r = ctl({"compile", "--db", "db", "bl:ip4set:a.txt"}, d.path);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("ip4set:a.txt: unchanged, 3 entries, ", 0) == 0);
  CHECK(r.out.find(" image bytes\n1 dataset(s) of other command lines kept\n" + d.path +
                   "/db is up to date (generation 2)\n") != std::string::npos);
  r = ctl(with({"dump", "--db", "db"}), d.path);
  CHECK(r.exit_code == 0);
  r = ctl({"compile", "--db", "db", "--prune", "bl:ip4set:a.txt"}, d.path);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("1 dataset(s) of other command lines dropped\ngeneration 3 committed") !=
        std::string::npos);
  st = ctl({"stats", "--db", "db"}, d.path);
  CHECK(st.out.find("datasets\t1\n") != std::string::npos);
  r = ctl(with({"dump", "--db", "db"}), d.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("dnset:d.txt is not in the store") != std::string::npos);

  // The same file list in another directory is another dataset.
  Dir other;
  write_file(other.path + "/a.txt", kIp4);
  r = ctl({"compile", "--db", d.path + "/db", "bl:ip4set:a.txt"}, other.path);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("ip4set:a.txt: compiled", 0) == 0);
  CHECK(r.out.find("1 dataset(s) of other command lines kept\ngeneration 4 committed") != std::string::npos);

  // Other load options are another identity: not in the store.
  r = ctl(with({"dump", "--db", "db", "-t", "300"}), d.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err ==
        "fastrblctl: ip4set:a.txt is not in the store " + d.path + "/db (with options t=300:0:0 e=0 C=0)\n");
}

TEST_CASE("fastrblctl: a failed compile leaves the previous generation", "[fastrblctl]") {
  Dir d;
  write_file(d.path + "/a.txt", kIp4);
  REQUIRE(ctl({"compile", "--db", "db", "bl:ip4set:a.txt"}, d.path).exit_code == 0);
  RunResult r = ctl({"compile", "--db", "db", "bl:ip4set:a.txt", "bl:dnset:missing.txt"}, d.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("missing.txt") != std::string::npos);
  RunResult st = ctl({"stats", "--db", "db"}, d.path);
  CHECK(st.out.find("generation\t1\n") != std::string::npos);
  CHECK(st.out.find("datasets\t1\n") != std::string::npos);
}

TEST_CASE("fastrblctl: check parses and writes nothing", "[fastrblctl]") {
  Dir d;
  write_file(d.path + "/a.txt", kIp4);
  RunResult r = ctl({"check", "bl:ip4set:a.txt"}, d.path);
  CHECK(r.exit_code == 0);
  CHECK(r.out == "zone bl: ok, 1 dataset(s)\n");
  CHECK(std::filesystem::directory_iterator(d.path) != std::filesystem::directory_iterator());
  CHECK_FALSE(std::filesystem::exists(d.path + "/db"));
  r = ctl({"check", "bl:ip4set:nothere.txt"}, d.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("nothere.txt") != std::string::npos);
  r = ctl({"check", "--db", "db", "bl:ip4set:a.txt"}, d.path);
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("fastrblctl: check: option not accepted: --db\n", 0) == 0);
}

TEST_CASE("fastrblctl: --help for every command, usage errors", "[fastrblctl]") {
  Dir d;
  for (const char* c : {"compile", "check", "dump", "stats"}) {
    RunResult r = ctl({c, "--help"}, d.path);
    CHECK(r.exit_code == 0);
    CHECK(r.out.rfind(std::string("usage: fastrblctl ") + c + " [options]", 0) == 0);
  }
  RunResult r = ctl({"--help"}, d.path);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("  compile\t") != std::string::npos);
  r = ctl({"frobnicate"}, d.path);
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("fastrblctl: unknown command `frobnicate'\n", 0) == 0);
  r = ctl({"compile", "--db", "db"}, d.path);
  CHECK(r.exit_code == 2);
  CHECK(r.err.rfind("fastrblctl: compile: no zone specs given\n", 0) == 0);
  r = ctl({"stats", "--db", "nowhere"}, d.path);
  CHECK(r.exit_code == 1);
  CHECK(r.err.rfind("fastrblctl: LMDB store nowhere", 0) == 0);
}

}  // namespace
}  // namespace fastrbl::test
