// Integration tests of reloading (compat §2.4, §7; docs/differences.md 5): SIGHUP and the
// -c timer run a check; changed files reload while unchanged datasets stay; a missing or
// broken file keeps the last good data; -q answers SERVFAIL until the zones are loaded and
// survives a failed first load; without -q a failed load is fatal as in rbldnsd.

#include "dns_client.h"
#include "expect.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <array>
#include <chrono>
#include <cstdio>
#include <fcntl.h>
#include <signal.h>
#include <string>
#include <sys/stat.h>
#include <sys/time.h>
#include <thread>
#include <unistd.h>

namespace fastrbl::test {
namespace {

constexpr std::uint16_t kA = 1;
const std::string kReloaded = "fastrbld: zones reloaded, time ";

std::string data_for(int value) {
  return "$SOA 3600 ns1.bl.example. hostmaster.bl.example. 1 1h 15m 1w 5m\n"
         "$NS 3600 ns1.bl.example.\n"
         "1.2.3.4 :127.0.0." +
         std::to_string(value) + ":Value " + std::to_string(value) + "\n";
}

// Replaces `name` in `dir` with rename(2), as rbldnsd advises.
void replace_file(const std::string& dir, const std::string& name, const std::string& contents) {
  write_file(dir + "/" + name + ".tmp", contents);
  REQUIRE(std::rename((dir + "/" + name + ".tmp").c_str(), (dir + "/" + name).c_str()) == 0);
}

void check_a(const Endpoint& ep, std::uint16_t id, const std::string& name, const std::string& a) {
  INFO(name);
  check_reply(udp_exchange(ep, make_query(id, name, kA)), answer_a(id, {a}, 1));
}

ServerOptions reload_options(std::vector<std::string> args) {
  ServerOptions o = with_args(std::move(args));
  o.data = data_for(2);
  o.files = {{"other.txt", "5.6.7.8 :127.0.0.9:Other\n"}};
  o.more_zones = {"other.example:ip4set:other.txt"};
  return o;
}

}  // namespace

TEST_CASE("reload: SIGHUP reloads the changed dataset only and answers from the new data") {
  ServerProcess server(reload_options({"-c", "0"}));
  const Endpoint ep = server.endpoint();
  REQUIRE(server.count(kReloaded) == 1);  // the start-up load
  check_a(ep, 1, "4.3.2.1.bl.example", "127.0.0.2");

  std::string expect;
  SECTION("rewritten in place with another size") {
    write_file(server.dir() + "/data.txt", data_for(23));
    expect = "127.0.0.23";
  }
  SECTION("replaced with rename(2)") {
    replace_file(server.dir(), "data.txt", data_for(23));
    expect = "127.0.0.23";
  }
  SECTION("rewritten in place with the same size: the mtime differs") {
    const std::string p = server.dir() + "/data.txt";
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    write_file(p, data_for(4));  // as long as data_for(2), maybe within the same second
    std::array<timeval, 2> tv{};
    tv[0].tv_sec = tv[1].tv_sec = st.st_mtime + 7;
    REQUIRE(::utimes(p.c_str(), tv.data()) == 0);
    expect = "127.0.0.4";
  }
  check_a(ep, 2, "4.3.2.1.bl.example", "127.0.0.2");  // no check yet: old data
  REQUIRE(::kill(server.pid(), SIGHUP) == 0);
  REQUIRE(server.wait_for(kReloaded, 2));
  check_a(ep, 3, "4.3.2.1.bl.example", expect);
  check_a(ep, 4, "8.7.6.5.other.example", "127.0.0.9");
  // One stats line per dataset at start, then one for the changed dataset only.
  CHECK(server.count("fastrbld: ip4set:data.txt: ") == 2);
  CHECK(server.count("fastrbld: ip4set:other.txt: ") == 1);

  // A check that finds nothing changed logs nothing.
  REQUIRE(::kill(server.pid(), SIGHUP) == 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(server.stop() == 0);
  CHECK(server.count(kReloaded) == 2);
}

TEST_CASE("reload: the -c timer checks every interval") {
  ServerProcess server(reload_options({"-c", "1"}));
  const Endpoint ep = server.endpoint();
  check_a(ep, 1, "4.3.2.1.bl.example", "127.0.0.2");
  replace_file(server.dir(), "data.txt", data_for(42));
  REQUIRE(server.wait_for(kReloaded, 2, std::chrono::milliseconds(5000)));
  check_a(ep, 2, "4.3.2.1.bl.example", "127.0.0.42");
  CHECK(server.stop() == 0);
}

TEST_CASE("reload: a missing or broken file keeps the last good data, a fixed one reloads") {
  ServerProcess server(reload_options({"-c", "0"}));
  const Endpoint ep = server.endpoint();
  const std::string p = server.dir() + "/data.txt";

  SECTION("missing") {
    REQUIRE(std::rename(p.c_str(), (p + ".hold").c_str()) == 0);
    REQUIRE(::kill(server.pid(), SIGHUP) == 0);
    REQUIRE(server.wait_for(kReloaded, 2));
    CHECK(server.count("fastrbld: file data.txt: unable to open file: No such file or directory\n") == 1);
  }
  SECTION("a $TIMESTAMP in the future") {
    replace_file(server.dir(), "data.txt", data_for(5) + "$TIMESTAMP 2037-01-01\n");
    REQUIRE(::kill(server.pid(), SIGHUP) == 0);
    REQUIRE(server.wait_for(kReloaded, 2));
    CHECK(server.count("fastrbld: file data.txt(4): data timestamp is ") == 1);
  }
  CHECK(server.count("fastrbld: ip4set:data.txt: load failed, still serving the data loaded before\n") == 1);
  CHECK(server.count("not all datasets are loaded") == 0);
  check_a(ep, 1, "4.3.2.1.bl.example", "127.0.0.2");  // the old data, not SERVFAIL
  check_a(ep, 2, "8.7.6.5.other.example", "127.0.0.9");

  replace_file(server.dir(), "data.txt", data_for(77));
  REQUIRE(::kill(server.pid(), SIGHUP) == 0);
  REQUIRE(server.wait_for(kReloaded, 3));
  check_a(ep, 3, "4.3.2.1.bl.example", "127.0.0.77");
  CHECK(server.stop() == 0);
}

TEST_CASE("reload: -q answers SERVFAIL until the zones are loaded") {
  // The first dataset is a named pipe: the background load waits in open(2) until the test
  // opens the other end, so the queries below certainly arrive before the zones are loaded.
  ServerOptions o = with_args({"-q"});
  o.fifos = {"slow.fifo"};
  o.zone = "slow.example:ip4set:slow.fifo";
  o.more_zones = {"bl.example:ip4set:data.txt"};
  ServerProcess server(o);
  const Endpoint ep = server.endpoint();
  check_reply(udp_exchange(ep, make_query(1, "4.3.2.1.bl.example", kA)), rcode_only(1, LDNS_RCODE_SERVFAIL));
  check_reply(udp_exchange(ep, make_query(2, "bl.example", 6)), rcode_only(2, LDNS_RCODE_SERVFAIL));
  check_reply(udp_exchange(ep, make_query(3, "slow.example", 6)), rcode_only(3, LDNS_RCODE_SERVFAIL));
  check_reply(udp_exchange(ep, make_query(4, "4.3.2.1.other.example", kA)),
              rcode_only(4, LDNS_RCODE_REFUSED));
  CHECK(server.count(kReloaded) == 0);

  // An empty pipe: the slow dataset loads empty, then data.txt loads.
  const int fd = ::open((server.dir() + "/slow.fifo").c_str(), O_WRONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  ::close(fd);
  REQUIRE(server.wait_for(kReloaded));
  check_a(ep, 5, "4.3.2.1.bl.example", "127.0.0.2");
  check_reply(udp_exchange(ep, make_query(6, "4.3.2.1.slow.example", kA)),
              rcode_only(6, LDNS_RCODE_NXDOMAIN));
  // With -n -q the "started" line comes before the load messages, as in rbldnsd.
  const std::string& out = server.out();
  CHECK(out.find(" started (") < out.find("fastrbld: ip4set:slow.fifo: "));
  CHECK(out.find("fastrbld: ip4set:slow.fifo: ") < out.find("fastrbld: ip4set:data.txt: "));
  CHECK(server.stop() == 0);
}

TEST_CASE("reload: -q survives a failed first load, the zone is SERVFAIL until it loads") {
  ServerOptions o = with_args({"-q", "-c", "0"});
  o.more_zones = {"m.example:ip4set:missing.txt"};
  ServerProcess server(o);
  const Endpoint ep = server.endpoint();
  REQUIRE(server.wait_for(kReloaded));
  CHECK(server.count("fastrbld: file missing.txt: unable to open file: No such file or directory\n") == 1);
  CHECK(server.count("fastrbld: zone m.example: not all datasets are loaded, zone will not be serviced\n") ==
        1);
  check_reply(udp_exchange(ep, make_query(1, "4.3.2.1.m.example", kA)), rcode_only(1, LDNS_RCODE_SERVFAIL));
  check_a(ep, 2, "4.3.2.1.bl.example", "127.0.0.2");

  write_file(server.dir() + "/missing.txt", "1.2.3.4 :127.0.0.8:Now\n");
  REQUIRE(::kill(server.pid(), SIGHUP) == 0);
  REQUIRE(server.wait_for(kReloaded, 2));
  check_a(ep, 3, "4.3.2.1.m.example", "127.0.0.8");
  CHECK(server.stop() == 0);
}

TEST_CASE("reload: without -q a failed load is fatal, as in rbldnsd") {
  const std::string dir = make_temp_dir();
  write_file(dir + "/a.txt", "1.2.3.4\n");
  const RunResult r = run_fastrbld(
      {"-n", "-w", dir, "-b", "127.0.0.1/0", "a.example:ip4set:a.txt", "m.example:ip4set:missing.txt"}, dir);
  remove_dir(dir);
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("fastrbld: file missing.txt: unable to open file: No such file or directory\n"
                   "fastrbld: zone m.example: not all datasets are loaded, zone will not be serviced\n") !=
        std::string::npos);
  CHECK(r.out.find(kReloaded) != std::string::npos);
  const std::string last = "fastrbld: zone loading errors, aborting\n";
  REQUIRE(r.err.size() > last.size());
  CHECK(r.err.substr(r.err.size() - last.size()) == last);
  CHECK(r.out.find(" started (") == std::string::npos);
}

}  // namespace fastrbl::test
