// Crash safety of the store (issue 5, item 6): `fastrblctl compile` is killed with SIGKILL
// at a random moment, again and again; after each kill the store opens, its generation is
// the previous one or the new one (never anything between), and what it holds dumps exactly
// as the data files of that generation do.
//
// Two data sets, A and B, alternate: each round writes the one the store does not hold
// and compiles it. The reference dumps are fastrbld -d's of A and B. ctest runs a few
// rounds; the full run is
//   FASTRBL_CRASH_ROUNDS=50 build/asan/tests/integration/test_crash
// (docs/LMDB_SCHEMA.md, "Crash safety").

#include "server_process.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <random>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace fastrbl::test {
namespace {

const std::string kCtl = std::string(FASTRBL_BINARY_DIR) + "/dnsd/fastrblctl";

struct Dir {
  std::string path = make_temp_dir();
  ~Dir() { remove_dir(path); }
};

std::string ip4_data(std::uint32_t seed, int n) {
  std::mt19937 gen(seed);
  std::string d =
      "$SOA 600 ns.bl. hostmaster.bl. 1 3600 600 86400 300\n$NS 600 ns.bl.\n:127.0.0.2:Listed $\n";
  for (int i = 0; i < n; ++i) {
    const auto a = static_cast<std::uint32_t>(gen());
    d += std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 255) + "." +
         std::to_string((a >> 8) & 255) + "." + std::to_string(a & 255) + (i % 10 == 0 ? "/28" : "") +
         " :127.0.0." + std::to_string(2 + i % 3) + ":v" + std::to_string(i % 4) + "\n";
  }
  return d;
}

std::string dn_data(std::uint32_t seed, int n) {
  std::mt19937 gen(seed);
  std::string d;
  for (int i = 0; i < n; ++i)
    d += (i % 5 == 0 ? "*." : "") + std::string("h") + std::to_string(gen() % 1000000) + ".example" +
         std::to_string(i % 7) + ".com :127.0.0." + std::to_string(2 + i % 3) + "\n";
  return d;
}

// Everything after the two header lines (time and version).
std::string body(const std::string& dump) {
  std::size_t p = 0;
  for (int i = 0; i < 2 && p != std::string::npos; ++i) p = dump.find('\n', p) + 1;
  return p == std::string::npos ? dump : dump.substr(p);
}

// Starts fastrblctl with `args` in `cwd`, output to /dev/null; returns its pid.
pid_t spawn_ctl(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> all = {kCtl, "-w", cwd};
  all.insert(all.begin() + 1, args.front());
  all.insert(all.end(), args.begin() + 1, args.end());
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, kCtl.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return pid;
}

int rounds() {
  const char* e = std::getenv("FASTRBL_CRASH_ROUNDS");
  return e != nullptr && std::atoi(e) > 0 ? std::atoi(e) : 4;
}

unsigned long long generation_of(const std::string& stats) {
  const std::size_t at = stats.find("generation\t");
  REQUIRE(at != std::string::npos);
  return std::stoull(stats.substr(at + 11));
}

TEST_CASE("crash: SIGKILL at random moments of a compile leaves the previous generation whole",
          "[store][crash]") {
  Dir d;
  const std::vector<std::string> specs = {"bl:ip4set:a.txt", "dn:dnset:d.txt"};
  const std::string db = d.path + "/db";
  const std::vector<std::pair<std::string, std::string>> data = {
      {ip4_data(1, 60000), dn_data(1, 20000)},
      {ip4_data(2, 61000), dn_data(2, 21000)},
  };
  // Reference dumps from the text, by fastrbld -d.
  std::vector<std::string> reference;
  for (const auto& [a, dn] : data) {
    write_file(d.path + "/a.txt", a);
    write_file(d.path + "/d.txt", dn);
    std::vector<std::string> args = {"-d"};
    args.insert(args.end(), specs.begin(), specs.end());
    RunResult r = run_fastrbld(args, d.path, std::chrono::seconds(120));
    REQUIRE(r.exit_code == 0);
    reference.push_back(body(r.out));
  }
  // Generation 1 holds data set 1 (the last one written); time a whole compile.
  std::vector<std::string> compile = {"compile", "--db", db};
  compile.insert(compile.end(), specs.begin(), specs.end());
  const auto t0 = std::chrono::steady_clock::now();
  REQUIRE(run_program(kCtl, compile, d.path, std::chrono::seconds(120)).exit_code == 0);
  const auto full =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0);
  std::size_t held = 1;
  unsigned long long gen = 1;

  std::mt19937 rng(Catch::rngSeed());
  int killed_mid_way = 0, advanced = 0;
  for (int round = 0; round < rounds(); ++round) {
    const std::size_t next = 1 - held;
    write_file(d.path + "/a.txt", data[next].first);
    write_file(d.path + "/d.txt", data[next].second);
    const pid_t pid = spawn_ctl(compile, d.path);
    // Anywhere from the start to a little after a whole compile would end; every other
    // round in its last 40%, where the write transaction and the commit are.
    const auto span = static_cast<std::uint64_t>(full.count() * 11 / 10 + 1);
    const std::uint64_t lo = round % 2 == 0 ? 0 : span * 7 / 11;
    const auto delay = std::chrono::microseconds(lo + rng() % (span - lo));
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) ++killed_mid_way;

    RunResult st = run_program(kCtl, {"stats", "--db", db}, d.path);
    INFO("round " << round << ", killed after " << delay.count() << " us\n" << st.out << st.err);
    REQUIRE(st.exit_code == 0);
    const unsigned long long now = generation_of(st.out);
    REQUIRE((now == gen || now == gen + 1));
    if (now == gen + 1) {
      held = next;
      ++advanced;
    }
    gen = now;
    std::vector<std::string> dump = {"dump", "--db", db};
    dump.insert(dump.end(), specs.begin(), specs.end());
    RunResult r = run_program(kCtl, dump, d.path, std::chrono::seconds(120));
    REQUIRE(r.exit_code == 0);
    CHECK(body(r.out) == reference[held]);
  }
  // Most kills land inside the compile (it is the delay's range).
  WARN(killed_mid_way << " of " << rounds() << " compiles were killed before they exited; " << advanced
                      << " committed their generation");
}

}  // namespace
}  // namespace fastrbl::test
