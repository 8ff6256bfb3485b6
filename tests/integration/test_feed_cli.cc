// `fastrblctl feed ...`, the real binary: the diff an import prints, a refused import
// keeping the last good data and file, render from the store alone, usage errors, and
// SIGKILL at random moments of an import leaving the previous state or the new one whole
// (docs/LMDB_SCHEMA.md "Feed transactions").

#include "server_process.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <netinet/in.h>
#include <random>
#include <signal.h>
#include <spawn.h>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <ldns/ldns.h>

extern char** environ;

namespace fastrbl::test {
namespace {

const std::string kCtl = std::string(FASTRBL_BINARY_DIR) + "/dnsd/fastrblctl";

struct Dir {
  std::string path = make_temp_dir();
  ~Dir() { remove_dir(path); }
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

constexpr const char* kConfig = R"([dataset.names]
type = "dnset"
zone = "names.example"
output = "names.dnset"
value = "127.0.0.4"
txt = "Listed: $"

[feed.list]
dataset = "names"
source = "list.txt"
format = "plain"
scope = "host"
require_known_tld = false
max_shrink = 0.5
max_bad = 0.5
)";

RunResult feed(const Dir& d, std::vector<std::string> args) {
  std::vector<std::string> all = {"feed", args.front(),   "--config", d.path + "/feeds.toml",
                                  "--db", d.path + "/db", "--now",    "1800000000"};
  all.insert(all.end(), args.begin() + 1, args.end());
  return run_program(kCtl, all, d.path, std::chrono::seconds(120));
}

// A UDP port that is free right now.
std::uint16_t free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, static_cast<const sockaddr*>(static_cast<const void*>(&sin)), sizeof sin) == 0);
  socklen_t len = sizeof sin;
  REQUIRE(::getsockname(fd, static_cast<sockaddr*>(static_cast<void*>(&sin)), &len) == 0);
  ::close(fd);
  return ntohs(sin.sin_port);
}

}  // namespace

TEST_CASE("feed cli: import prints the diff, re-import prints what changed", "[feed_cli]") {
  Dir d;
  write_file(d.path + "/feeds.toml", kConfig);
  write_file(d.path + "/list.txt", "a.example\nB.Example.\nc.example\n");
  RunResult r = feed(d, {"import"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "feed list: read " + d.path +
            "/list.txt: 3 entries, 0 bad\n"
            "feed list: 3 added, 0 removed, 0 kept (0 updated), 0 expired, 0 absent but not expired\n"
            "  + names a.example\n  + names b.example\n  + names c.example\n"
            "rendered names to " +
            d.path + "/names.dnset: 3 entries, 0 exclusions\n");
  const std::string rendered = slurp(d.path + "/names.dnset");
  CHECK(rendered.find("\n:127.0.0.4:Listed: $\na.example\nb.example\nc.example\n# RFC 5782 test "
                      "points\ntest\n!invalid\n") != std::string::npos);

  write_file(d.path + "/list.txt", "b.example\nc.example\nd.example\n# a comment\nbad..name\n");
  r = feed(d, {"import", "--dry-run"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find(
            "1 added, 1 removed, 2 kept (0 updated), 0 expired, 0 absent but not expired (dry run: nothing "
            "committed)") != std::string::npos);
  CHECK(slurp(d.path + "/names.dnset") == rendered);

  r = feed(d, {"import"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out ==
        "feed list: file " + d.path +
            "/list.txt(5): empty label in `bad..name'\n"
            "feed list: read " +
            d.path +
            "/list.txt: 3 entries, 1 bad\n"
            "feed list: 1 added, 1 removed, 2 kept (0 updated), 0 expired, 0 absent but not expired\n"
            "  + names d.example\n  - names a.example\n"
            "rendered names to " +
            d.path + "/names.dnset: 3 entries, 0 exclusions\n");

  // list and show read feed_meta.
  r = feed(d, {"list"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "list\tnames\t" + d.path + "/list.txt\t2027-01-15 08:00:00 UTC\t3 entries\n");
  r = feed(d, {"show", "list"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("last diff\t1 added, 1 removed, 2 kept, 0 expired, 1 bad\n") != std::string::npos);
  r = feed(d, {"zones"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "names.example:dnset:" + d.path + "/names.dnset\n");

  // The rendered file compiles into the same store (fastrbld --db): images and feed tables
  // live side by side, and a compile leaves the feed entries alone.
  r = run_program(kCtl, {"compile", "--db", d.path + "/db", "names.example:dnset:names.dnset"}, d.path);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("dnset:names.dnset: compiled, 5 entries") != std::string::npos);
  r = feed(d, {"list"});
  CHECK(r.out.find("\t3 entries\n") != std::string::npos);
}

TEST_CASE("feed cli: a refused import keeps the last good entries and file", "[feed_cli]") {
  Dir d;
  write_file(d.path + "/feeds.toml", kConfig);
  write_file(d.path + "/list.txt", "a.example\nb.example\nc.example\nd.example\n");
  REQUIRE(feed(d, {"import"}).exit_code == 0);
  const std::string good = slurp(d.path + "/names.dnset");
  write_file(d.path + "/list.txt", "a.example\n");
  RunResult r = feed(d, {"import"});
  CHECK(r.exit_code == 1);
  CHECK(r.out ==
        "feed list: REFUSED: feed list: 4 -> 1 entries (75.0% fewer) exceeds the allowed 50.0%: refused, "
        "keeping the last good data\n");
  CHECK(slurp(d.path + "/names.dnset") == good);
  r = feed(d, {"list"});
  CHECK(r.out.find("4 entries\tlast attempt refused: feed list: 4 -> 1 entries") != std::string::npos);
  // The file is derived: removed, it is rendered again from the store, identical.
  ::unlink((d.path + "/names.dnset").c_str());
  r = feed(d, {"render"});
  REQUIRE(r.exit_code == 0);
  CHECK(slurp(d.path + "/names.dnset") == good);
}

TEST_CASE("feed cli: usage and config errors", "[feed_cli]") {
  Dir d;
  write_file(d.path + "/feeds.toml", std::string(kConfig) + "bogus = 1\n");
  RunResult r = feed(d, {"import"});
  CHECK(r.exit_code == 1);
  CHECK(r.err == "fastrblctl: " + d.path + "/feeds.toml:16: unknown key `bogus' in [[feed]]\n");
  write_file(d.path + "/feeds.toml", kConfig);
  r = feed(d, {"import", "nosuchfeed"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.starts_with("fastrblctl: feed: unknown feed `nosuchfeed' in " + d.path + "/feeds.toml\n"));
  r = run_program(kCtl, {"feed", "frobnicate"}, d.path);
  CHECK(r.exit_code == 2);
  r = run_program(kCtl, {"feed", "--help"}, d.path);
  CHECK(r.exit_code == 0);
  CHECK(r.out.find("fastrblctl feed import") != std::string::npos);
}

TEST_CASE("feed cli: SIGKILL at random moments of an import leaves the previous or the new state whole",
          "[feed_cli][crash]") {
  Dir d;
  write_file(
      d.path + "/feeds.toml",
      "[dataset.names]\ntype = \"dnset\"\nzone = \"names.example\"\noutput = \"names.dnset\"\n"
      "[feed.list]\ndataset = \"names\"\nsource = \"list.txt\"\nformat = \"plain\"\nmax_shrink = 1.0\n");
  std::vector<std::string> lists(2);
  for (int i = 0; i < 40000; ++i) {
    lists[0] += "host" + std::to_string(i) + ".a.example\n";
    lists[1] += "host" + std::to_string(i + 20000) + ".a.example\n";
  }
  // Reference renders of each list, from fresh stores.
  std::vector<std::string> reference;
  std::chrono::microseconds full{0};
  for (const std::string& l : lists) {
    remove_dir(d.path + "/db");
    write_file(d.path + "/list.txt", l);
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(feed(d, {"import"}).exit_code == 0);
    full = std::max(
        full, std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0));
    reference.push_back(slurp(d.path + "/names.dnset"));
  }
  REQUIRE(reference[0] != reference[1]);
  std::size_t held = 1;  // the store holds list 1
  std::mt19937 rng(Catch::rngSeed());
  int killed = 0, advanced = 0;
  for (int round = 0; round < 4; ++round) {
    const std::size_t next = 1 - held;
    write_file(d.path + "/list.txt", lists[next]);
    std::vector<std::string> args = {kCtl,   "feed",         "import", "--config",  d.path + "/feeds.toml",
                                     "--db", d.path + "/db", "--now",  "1800000000"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    REQUIRE(posix_spawn(&pid, kCtl.c_str(), &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    // Every other round in the last 40% of an import, where the write transaction is.
    const auto span = static_cast<std::uint64_t>(full.count() * 11 / 10 + 1);
    const std::uint64_t lo = round % 2 == 0 ? 0 : span * 6 / 10;
    const auto delay = std::chrono::microseconds(lo + rng() % (span - lo));
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    if (WIFSIGNALED(status)) ++killed;
    // Whatever the store holds renders exactly as one of the two lists.
    RunResult r = feed(d, {"render"});
    INFO("round " << round << ", killed after " << delay.count() << " us\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const std::string now = slurp(d.path + "/names.dnset");
    REQUIRE((now == reference[0] || now == reference[1]));
    if (now == reference[next]) {
      held = next;
      ++advanced;
    }
  }
  WARN(killed << " of 4 imports were killed before they exited; " << advanced << " committed");
}

TEST_CASE("feed cli: the shipped feeds, rendered, answer alike from fastrbld and rbldnsd", "[feed_cli]") {
  const std::string rbldnsd = "/usr/sbin/rbldnsd";
  if (::access(rbldnsd.c_str(), X_OK) != 0) {
    WARN("no " << rbldnsd << ": skipped");
    return;
  }
  Dir d;
  const std::string config = std::string(FASTRBL_SOURCE_DIR) + "/etc/feeds/feeds.toml";
  RunResult r = run_program(
      kCtl,
      {"feed", "import", "--offline", "--config", config, "--db", d.path + "/db", "--output-dir", d.path},
      d.path, std::chrono::seconds(120));
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  r = run_program(kCtl, {"feed", "zones", "--config", config, "--output-dir", d.path}, d.path);
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> specs;
  for (std::size_t start = 0, nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1)
    specs.push_back(r.out.substr(start, nl - start));
  REQUIRE(specs.size() == 10);
  // Servers started as root run as nobody: the rendered files must be readable by it.
  ::chmod(d.path.c_str(), 0755);
  ::chmod((d.path + "/rendered").c_str(), 0755);
  const std::vector<std::string> queries = {
      "test.multi.feeds.example",
      "invalid.multi.feeds.example",
      "2.0.0.127.multi.feeds.example",
      "1.0.0.127.multi.feeds.example",
      "x.bit.ly.multi.feeds.example",
      "evil.tk.multi.feeds.example",
      "a.b.sendgrid.net.multi.feeds.example",
      "example.com.multi.feeds.example",
      "1.0.16.104.multi.feeds.example",
      "9.125.142.162.multi.feeds.example",
      "1.1.1.1.multi.feeds.example",
      "test.tld.feeds.example",
      "phish.xyz.tld.feeds.example",
      "bit.ly.short.feeds.example",
      "u1.ct.sendgrid.net.esp.feeds.example",
      "5.0.208.18.cloud.feeds.example",
      "1.0.0.127.cloud.feeds.example",
      "2.0.0.127.scan.feeds.example",
      "2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.cloud.feeds.example",
      "1.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.cloud.feeds.example"};
  auto answers = [&](const std::string& program) {
    ServerOptions o;
    o.program = program;
    if (!program.empty()) {  // rbldnsd prints the port it was given, not the bound one
      if (::geteuid() == 0) o.args = {"-u", "nobody"};
      o.binds = {"127.0.0.1/" + std::to_string(free_udp_port())};
    }
    o.zone = specs[0];
    o.more_zones.assign(specs.begin() + 1, specs.end());
    ServerProcess server(o);
    std::vector<std::string> out;
    std::uint16_t id = 1;
    for (const std::string& q : queries) {
      for (const std::uint16_t type : {std::uint16_t{1}, std::uint16_t{16}}) {
        auto reply = udp_exchange(server.endpoint(), make_query(id++, q, type));
        INFO(program << " " << q << " type " << type << "\n" << server.output());
        REQUIRE(reply.has_value());
        Packet p = parse(*reply);
        REQUIRE(p != nullptr);
        std::string line = q + (type == 1 ? " A" : " TXT") + " rcode " +
                           std::to_string(static_cast<int>(ldns_pkt_get_rcode(p.get())));
        for (const std::string& v :
             rdata_of(ldns_pkt_answer(p.get()), type == 1 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_TXT))
          line += " " + v;
        out.push_back(line);
      }
    }
    return out;
  };
  const std::vector<std::string> ours = answers("");
  CHECK(ours == answers(rbldnsd));
  // And they are what the lists say.
  CHECK(std::find(ours.begin(), ours.end(), "test.multi.feeds.example A rcode 0 127.0.0.14") != ours.end());
  CHECK(std::find(ours.begin(), ours.end(), "x.bit.ly.multi.feeds.example A rcode 0 127.0.0.4") !=
        ours.end());
  CHECK(std::find(ours.begin(), ours.end(), "1.0.0.127.multi.feeds.example A rcode 3") != ours.end());
}

}  // namespace fastrbl::test
