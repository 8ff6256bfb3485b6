// Differential tests of the statistics and the query log: Debian's rbldnsd
// (/usr/sbin/rbldnsd) and fastrbld get the same data files, the same zone specs, the same
// -s/-l options, the same UDP queries (answered, refused, NOTIMP, dropped: malformed, QR,
// zone acl) and the same signals (USR1, USR2, HUP with log rotation, TERM). The stats-file
// lines (without their timestamps), the counter log lines (without the period) and the
// query-log lines (without the time; in each file as a sorted list, since workers keep
// their own order) must be identical. The queries avoid our deliberate
// answer differences (docs/differences.md): no empty non-terminals, version.bind with -v
// (7 characters in both), and no apex SOA/NS/ANY (our name compression is tighter, so the
// reply sizes differ). Skipped when /usr/sbin/rbldnsd is not installed.

#include "dns_client.h"
#include "server_process.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <netinet/in.h>
#include <regex>
#include <signal.h>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using fastrbl::test::Bytes;
using fastrbl::test::Endpoint;
using fastrbl::test::ServerOptions;
using fastrbl::test::ServerProcess;
using fastrbl::test::UdpClient;
using Millis = std::chrono::milliseconds;

namespace {

constexpr const char* kRbldnsd = "/usr/sbin/rbldnsd";

constexpr const char* kBlData = R"($SOA 3600 ns.bl.example. hostmaster.bl.example. 1 3600 600 86400 300
$NS 3600 ns.bl.example.
127.0.0.2
10.0.0.1 :2:listed $
)";
constexpr const char* kSubData =
    R"($SOA 3600 ns.sub.bl.example. hostmaster.sub.bl.example. 1 3600 600 86400 300
$NS 3600 ns.sub.bl.example.
127.0.0.2
)";
constexpr const char* kGenData = R"($SOA 3600 ns.gen.t. h.gen.t. 1 3600 600 86400 300
$NS 3600 ns.gen.t.
www A 127.0.0.5
)";
constexpr const char* kGen2Data = R"($SOA 3600 ns.gen2.t. h.gen2.t. 1 3600 600 86400 300
x A 127.0.0.5
)";

bool have_rbldnsd() { return ::access(kRbldnsd, X_OK) == 0; }

// A UDP port that is free right now (rbldnsd prints the port it was given, not the bound one).
std::uint16_t free_udp_port() {
  const int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
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

void put16(Bytes& b, std::uint16_t v) {
  b.push_back(static_cast<std::uint8_t>(v >> 8));
  b.push_back(static_cast<std::uint8_t>(v));
}

// A query with raw labels (any bytes), type, class and header flags.
Bytes query(std::uint16_t id, const std::vector<std::string>& labels, std::uint16_t type,
            std::uint16_t qclass = 1, std::uint16_t flags = 0x0100) {
  Bytes b;
  put16(b, id);
  put16(b, flags);
  put16(b, 1);
  put16(b, 0);
  put16(b, 0);
  put16(b, 0);
  for (const std::string& l : labels) {
    b.push_back(static_cast<std::uint8_t>(l.size()));
    b.insert(b.end(), l.begin(), l.end());
  }
  b.push_back(0);
  put16(b, type);
  put16(b, qclass);
  return b;
}

// The first round of queries: every counting rule.
std::vector<Bytes> first_round() {
  Bytes big = query(24, {"www", "gen", "t"}, 1);
  big.resize(3000);  // counted as the 2048 bytes read
  return {
      query(1, {"2", "0", "0", "127", "bl", "example"}, 1),
      query(2, {"1", "0", "0", "10", "Bl", "Example"}, 16),
      query(3, {"3", "0", "0", "127", "bl", "example"}, 1),
      query(4, {"2", "0", "0", "127", "bl", "example"}, 28),
      query(5, {"foo", "other"}, 1),
      query(6, {"version", "bind"}, 16, 3),
      query(7, {"x", "bl", "example"}, 1, 3),
      query(8, {"1", "0", "0", "10", "bl", "example"}, 257),
      query(9, {"2", "0", "0", "127", "bl", "example"}, 1, 1, 0x1100),   // opcode 2
      Bytes{0x12, 0x34, 0x01},                                           // short: dropped
      query(11, {"2", "0", "0", "127", "bl", "example"}, 1, 1, 0x8100),  // QR: dropped
      query(12, {"www", "acl", "t"}, 1),                                 // zone acl: dropped
      query(13, {"www", "ref", "t"}, 1),
      query(14, {"2", "0", "0", "127", "bl", "example"}, 1, 255),
      query(15, {"we ird", "bl", "example"}, 1),
      query(16, {"a\\b", std::string("c\"d;e@f$g(h)\x7f\xff\0", 15), "gen", "t"}, 16),
      query(17, {"gen2", "t"}, 2),
      query(18, {"x", "sub", "bl", "example"}, 1),
      query(19, {"www", "gen", "t"}, 1),
      query(20, {"www", "gen", "t"}, 1, 0),
      query(21, {"www", "gen", "t"}, 1, 4),
      query(22, {"www", "gen", "t"}, 1, 254),
      query(23, {}, 2),
      big,
  };
}

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> v;
  std::ifstream in(path);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

// Waits (bounded) until `path` has at least `n` lines.
void wait_lines(const std::string& path, std::size_t n) {
  const auto deadline = std::chrono::steady_clock::now() + Millis(5000);
  while (read_lines(path).size() < n && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(Millis(20));
  REQUIRE(read_lines(path).size() >= n);
}

// Drops the first field (the unix time) of every line; a bare timestamp becomes "".
std::vector<std::string> without_time(const std::vector<std::string>& lines) {
  std::vector<std::string> v;
  for (const std::string& l : lines) {
    const std::size_t sp = l.find(' ');
    v.push_back(sp == std::string::npos ? "" : l.substr(sp + 1));
  }
  return v;
}

// The counter log lines of the output, without program prefix and period.
std::vector<std::string> counter_log(const std::string& output) {
  static const std::regex period("stats for [0-9]+sec");
  std::vector<std::string> v;
  std::istringstream in(output);
  for (std::string l; std::getline(in, l);) {
    const std::size_t at = l.find("stats for ");
    if (at == std::string::npos) continue;
    v.push_back(std::regex_replace(l.substr(at), period, "stats for Nsec"));
  }
  return v;
}

struct Result {
  std::vector<std::string> stats;      // stats file lines without time
  std::vector<std::string> query_log;  // query log lines without time (rotated file first)
  std::vector<std::string> counters;   // counter log lines
  int exit_code = -1;
};

void send_all(const Endpoint& to, const std::vector<Bytes>& queries) {
  UdpClient c(AF_INET);
  for (const Bytes& q : queries) {
    c.send(to, q);
    const std::uint16_t id = q.size() >= 2 ? static_cast<std::uint16_t>(q[0] << 8 | q[1]) : 0;
    const bool dropped = q.size() < 12 || (q[2] & 0x80) != 0 || id == 12;
    const auto reply = c.receive_id(id, Millis(dropped ? 300 : 3000));
    CHECK(reply.has_value() != dropped);
  }
}

// Runs the scenario against `program` (empty: fastrbld).
Result run(const std::string& program, bool plus) {
  ServerOptions o;
  o.program = program;
  o.data = kBlData;
  o.zone = "bl.example:ip4set:data.txt";
  o.files = {{"sub.txt", kSubData},
             {"gen.txt", kGenData},
             {"gen2.txt", kGen2Data},
             {"acl.txt", "127.0.0.0/8 :ignore\n"},
             {"ref.txt", ":refuse\n127.0.0.0/8\n"}};
  o.more_zones = {"gen.t:generic:gen.txt",        "acl.t:generic:gen.txt", "acl.t:acl:acl.txt",
                  "ref.t:generic:gen.txt",        "ref.t:acl:ref.txt",     "gen2.t:generic:gen2.txt",
                  "sub.bl.example:ip4set:sub.txt"};
  o.args = {"-v", "-s", plus ? "+stats.log" : "stats.log", "-l", plus ? "+q.log" : "q.log"};
  if (!program.empty()) {
    if (::geteuid() == 0) o.args.insert(o.args.begin(), {"-u", "nobody"});
    o.binds = {"127.0.0.1/" + std::to_string(free_udp_port())};
  }
  ServerProcess server(o);
  const std::string stats = server.dir() + "/stats.log";
  const std::string qlog = server.dir() + "/q.log";
  const Endpoint to = server.endpoint();
  wait_lines(stats, 1);  // the start-up timestamp

  send_all(to, first_round());
  ::kill(server.pid(), SIGUSR1);
  wait_lines(stats, 2);
  send_all(to, {query(30, {"2", "0", "0", "127", "bl", "example"}, 16),
                query(31, {"9", "9", "bl", "example"}, 1)});
  ::kill(server.pid(), SIGUSR2);  // line, counter log, reset, bare timestamp
  wait_lines(stats, 4);
  if (plus) {  // unbuffered: every line is in the file already
    const auto deadline = std::chrono::steady_clock::now() + Millis(5000);
    while (read_lines(qlog).size() < 23 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(Millis(20));
    CHECK(read_lines(qlog).size() == 23);
  }
  // Log rotation: rename, SIGHUP, and the next lines go to a new file.
  std::this_thread::sleep_for(Millis(100));
  REQUIRE(std::rename(qlog.c_str(), (qlog + ".1").c_str()) == 0);
  ::kill(server.pid(), SIGHUP);
  const auto deadline = std::chrono::steady_clock::now() + Millis(5000);
  while (::access(qlog.c_str(), F_OK) != 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(Millis(20));
  send_all(to, {query(40, {"www", "gen", "t"}, 16)});
  ::kill(server.pid(), SIGUSR1);
  wait_lines(stats, 5);
  send_all(to, {query(41, {"x", "sub", "bl", "example"}, 1)});

  Result r;
  r.exit_code = server.stop();
  r.stats = without_time(read_lines(stats));
  // Each worker writes its own lines in order; between workers (clients on different
  // source ports may be served by different workers) the order is not kept, so each
  // file is compared as a sorted list.
  r.query_log = without_time(read_lines(qlog + ".1"));
  std::sort(r.query_log.begin(), r.query_log.end());
  r.query_log.emplace_back("-- reopened --");
  std::vector<std::string> after = without_time(read_lines(qlog));
  std::sort(after.begin(), after.end());
  r.query_log.insert(r.query_log.end(), after.begin(), after.end());
  r.counters = counter_log(server.output());
  INFO(server.output());
  CHECK(r.exit_code == 0);
  return r;
}

void compare(bool plus) {
  const Result ours = run("", plus);
  // What the scenario must produce whatever the reference says: start-up timestamp,
  // USR1 line, USR2 line + timestamp, USR1 line, TERM line + timestamp.
  REQUIRE(ours.stats.size() == 7);
  CHECK(ours.stats[0].empty());
  CHECK(ours.stats[3].empty());
  CHECK(ours.stats[6].empty());
  CHECK(ours.query_log.size() == 26);    // 24 queries, 3 dropped, 2 + 1 + 1 later ones, the marker
  CHECK(ours.counters.size() == 4 * 7);  // USR1, USR2, USR1, TERM: 6 zones + total
  if (!have_rbldnsd()) {
    SUCCEED("skipped the comparison: " << kRbldnsd << " is not installed");
    return;
  }
  const Result ref = run(kRbldnsd, plus);
  CHECK(ours.stats == ref.stats);
  CHECK(ours.query_log == ref.query_log);
  CHECK(ours.counters == ref.counters);
}

}  // namespace

TEST_CASE("stats file, counter log and query log match rbldnsd's", "[integration][stats]") { compare(false); }

TEST_CASE("stats file with + (deltas) and unbuffered query log match rbldnsd's", "[integration][stats]") {
  compare(true);
}
