// Reload checks with fastrbld --db (docs/LMDB_SCHEMA.md, "Reloads"): SIGHUP and the -c
// timer stat the data files against the store's stamps, a change is compiled by
// fastrblctl out of process and the new generation is served; a failed compile keeps the
// old generation and logs the compiler's error; unchanged files compile nothing.

#include "dns_client.h"
#include "expect.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <signal.h>
#include <string>
#include <thread>
#include <vector>

namespace fastrbl::test {
namespace {

constexpr std::uint16_t kA = 1;
const std::string kReloaded = "fastrbld: zones reloaded, time ";
const std::string kCompiling = "compiling changed dataset(s) out of process: ";

std::string data_for(int value) {
  return "$SOA 3600 ns1.bl.example. hostmaster.bl.example. 1 1h 15m 1w 5m\n"
         "$NS 3600 ns1.bl.example.\n"
         "1.2.3.4 :127.0.0." +
         std::to_string(value) + ":Value " + std::to_string(value) + "\n";
}

void replace_file(const std::string& dir, const std::string& name, const std::string& contents) {
  write_file(dir + "/" + name + ".tmp", contents);
  REQUIRE(std::rename((dir + "/" + name + ".tmp").c_str(), (dir + "/" + name).c_str()) == 0);
}

void check_a(const Endpoint& ep, std::uint16_t id, const std::string& name, const std::string& a) {
  INFO(name);
  check_reply(udp_exchange(ep, make_query(id, name, kA)), answer_a(id, {a}, 1));
}

// The store lives in the server's temporary directory (0777: as root the server runs as
// nobody), given relative to -w.
ServerOptions store_options(std::vector<std::string> args) {
  args.insert(args.end(), {"--db", "db"});
  ServerOptions o = with_args(std::move(args));
  o.data = data_for(2);
  o.files = {{"other.txt", "5.6.7.8 :127.0.0.9:Other\n"}};
  o.more_zones = {"other.example:ip4set:other.txt"};
  return o;
}

TEST_CASE("store reload: SIGHUP compiles the changed dataset and serves the new generation", "[store]") {
  ServerProcess server(store_options({"-c", "0"}));
  const Endpoint ep = server.endpoint();
  check_a(ep, 1, "4.3.2.1.bl.example", "127.0.0.2");

  // Nothing changed: no compile, no line.
  REQUIRE(::kill(server.pid(), SIGHUP) == 0);
  check_a(ep, 2, "4.3.2.1.bl.example", "127.0.0.2");

  replace_file(server.dir(), "data.txt", data_for(42));
  REQUIRE(::kill(server.pid(), SIGHUP) == 0);
  REQUIRE(server.wait_for(kReloaded, 1));
  INFO(server.output());
  CHECK(server.count(kCompiling + "ip4set:data.txt\n") == 1);
  CHECK(server.count("fastrbld: compile: ip4set:data.txt: compiled, 1 entries") == 1);
  CHECK(server.count("fastrbld: compile: ip4set:other.txt: unchanged") == 1);
  CHECK(server.count("fastrbld: LMDB store db: serving generation 2 (was 1): 1 dataset(s) changed") == 1);
  check_a(ep, 3, "4.3.2.1.bl.example", "127.0.0.42");
  check_a(ep, 4, "8.7.6.5.other.example", "127.0.0.9");
  CHECK(server.stop() == 0);
  CHECK(server.count(kCompiling) == 1);  // the first SIGHUP compiled nothing
}

TEST_CASE("store reload: a failed compile keeps the old generation, a fixed file is served", "[store]") {
  ServerProcess server(store_options({"-c", "0"}));
  const Endpoint ep = server.endpoint();
  const std::string p = server.dir() + "/data.txt";

  SECTION("broken") {
    replace_file(server.dir(), "data.txt", data_for(5) + "$TIMESTAMP 2037-01-01\n");
    REQUIRE(::kill(server.pid(), SIGHUP) == 0);
    REQUIRE(server.wait_for(kReloaded, 1));
    INFO(server.output());
    CHECK(server.count("fastrbld: compile: fastrblctl: file data.txt(4): data timestamp is ") == 1);
  }
  SECTION("missing") {
    REQUIRE(std::rename(p.c_str(), (p + ".hold").c_str()) == 0);
    REQUIRE(::kill(server.pid(), SIGHUP) == 0);
    REQUIRE(server.wait_for(kReloaded, 1));
    INFO(server.output());
    CHECK(server.count("fastrbld: compile: fastrblctl: unable to open file `data.txt': No such file") == 1);
  }
  INFO(server.output());
  CHECK(server.count(
            "fastrbld: LMDB store db: the compile failed (exit status 1); still serving generation 1\n") ==
        1);
  check_a(ep, 1, "4.3.2.1.bl.example", "127.0.0.2");  // the old generation
  check_a(ep, 2, "8.7.6.5.other.example", "127.0.0.9");

  replace_file(server.dir(), "data.txt", data_for(77));
  REQUIRE(::kill(server.pid(), SIGHUP) == 0);
  REQUIRE(server.wait_for(kReloaded, 2));
  CHECK(server.count("fastrbld: LMDB store db: serving generation 2 (was 1)") == 1);
  check_a(ep, 3, "4.3.2.1.bl.example", "127.0.0.77");
  CHECK(server.stop() == 0);
}

TEST_CASE("store reload: the -c timer picks up a change", "[store]") {
  ServerProcess server(store_options({"-c", "1"}));
  const Endpoint ep = server.endpoint();
  check_a(ep, 1, "4.3.2.1.bl.example", "127.0.0.2");
  replace_file(server.dir(), "data.txt", data_for(42));
  REQUIRE(server.wait_for(kReloaded, 1, std::chrono::milliseconds(10000)));
  INFO(server.output());
  check_a(ep, 2, "4.3.2.1.bl.example", "127.0.0.42");
  CHECK(server.stop() == 0);
  CHECK(server.count(kCompiling) == 1);  // later ticks found nothing to do
}

// A `$TIMESTAMP` expiry that passes while no file changes takes the zone out of service
// (SERVFAIL, rbldnsd's "zone data expired"), as on the text path: the check rebuilds the
// snapshot from the same generation, compiling nothing.
TEST_CASE("store reload: a $TIMESTAMP expiry passing without a change stops the zone", "[store]") {
  const std::time_t expires = std::time(nullptr) + 3;
  std::tm tm{};
  ::gmtime_r(&expires, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y:%m:%d:%H:%M:%S", &tm);
  ServerOptions o = store_options({"-c", "1"});
  o.data = data_for(2) + "$TIMESTAMP 0 " + stamp + "\n";
  ServerProcess server(o);
  const Endpoint ep = server.endpoint();
  check_a(ep, 1, "4.3.2.1.bl.example", "127.0.0.2");
  REQUIRE(server.wait_for("zone bl.example: zone data expired, zone will not be serviced", 1,
                          std::chrono::milliseconds(10000)));
  INFO(server.output());
  // The line is logged as the snapshot is built, just before it is published.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    const auto reply = udp_exchange(ep, make_query(2, "4.3.2.1.bl.example", kA));
    if ((reply && reply->size() > 3 && ((*reply)[3] & 0x0F) == LDNS_RCODE_SERVFAIL) ||
        std::chrono::steady_clock::now() > deadline)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  check_reply(udp_exchange(ep, make_query(2, "4.3.2.1.bl.example", kA)), rcode_only(2, LDNS_RCODE_SERVFAIL));
  check_a(ep, 3, "8.7.6.5.other.example", "127.0.0.9");  // the other zone does not expire
  CHECK(server.stop() == 0);
  CHECK(server.count(kCompiling) == 0);           // nothing was compiled for it
  CHECK(server.count("zone data expired") == 1);  // once: later checks have nothing to do
}

// -q with a store: the server starts answering SERVFAIL at once, the first reload check
// compiles the files out of process and the generation is served.
TEST_CASE("store reload: -q serves SERVFAIL until the first check has compiled the store", "[store]") {
  ServerProcess server(store_options({"-q", "-c", "0"}));
  const Endpoint ep = server.endpoint();
  REQUIRE(server.wait_for(kReloaded, 1));
  INFO(server.output());
  CHECK(server.count(kCompiling + "ip4set:data.txt, ip4set:other.txt\n") == 1);
  CHECK(server.count("fastrbld: LMDB store db: serving generation 1 (was 0): 2 dataset(s) changed") == 1);
  // "started" came before the compile: the workers answered (SERVFAIL, the unloaded
  // snapshot of -q) while it ran.
  CHECK(server.output().find(" started (") < server.output().find(kCompiling));
  check_a(ep, 1, "4.3.2.1.bl.example", "127.0.0.2");
  check_a(ep, 2, "8.7.6.5.other.example", "127.0.0.9");
  CHECK(server.stop() == 0);
}

}  // namespace
}  // namespace fastrbl::test
