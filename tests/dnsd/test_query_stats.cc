// Table-driven tests of the per-zone counting rules (dnsd/query_stats.h, compat §2.5):
// rows of (client, query) -> which slot gets bytes in, which counter goes up where, and
// which slot gets bytes out. Each query is answered by answer() (no sockets) and counted
// with QueryCounters::count(), as the workers do. The rules were checked against Debian's
// rbldnsd (stats file after the same queries; see the integration test
// test_stats_compare.cc). Also: no allocation per query with counting and the query log on.

#include "dnsd/query.h"
#include "dnsd/query_log.h"
#include "dnsd/query_stats.h"
#include "support/alloc_counter.h"
#include "test_packets.h"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <cstring>
#include <fstream>
#include <netinet/in.h>
#include <sstream>
#include <string>
#include <vector>

using fastrbl::dnsd::AnswerConfig;
using fastrbl::dnsd::AnswerInfo;
using fastrbl::dnsd::QueryCounters;
using fastrbl::dnsd::QueryTotals;
using fastrbl::dnsd::TrafficTotals;
using fastrbl::dnsd::Transport;
using fastrbl::dnsd::WorkerState;
using fastrbl::test::QuerySpec;
using fastrbl::test::TempDir;

namespace {

constexpr const char* kData = R"($SOA 3600 ns1.bl.t. hm.bl.t. 1 600 300 86400 60
$NS 3600 ns1.bl.t
$TTL 300
127.0.0.2
)";
// A zone with a SOA but no NS: an apex NS query is REFUSED inside the zone.
constexpr const char* kNoNs = R"($SOA 3600 ns1.nons.t. hm.nons.t. 1 600 300 86400 60
www A 127.0.0.5
)";
constexpr const char* kZoneAcl = R"(127.0.0.58
127.0.0.57 :refuse
)";
constexpr const char* kGlobalAcl = "127.0.0.50\n";

sockaddr_in client(const char* text) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, text, &s.sin_addr) == 1);
  return s;
}

const sockaddr* as_sa(const sockaddr_in& s) {
  return static_cast<const sockaddr*>(static_cast<const void*>(&s));  // the sockaddr API
}

struct Fixture {
  TempDir dir;
  std::shared_ptr<const fastrbl::zones::Snapshot> snap;
  Fixture() {
    dir.write("data", kData);
    dir.write("nons", kNoNs);
    dir.write("z", kZoneAcl);
    dir.write("g", kGlobalAcl);
    const std::string d = dir.path() + "/";
    snap = fastrbl::test::load({"bl.t:ip4set:" + d + "data", "bl.t:acl:" + d + "z", ":acl:" + d + "g",
                                "nons.t:generic:" + d + "nons", "sub.bl.t:ip4set:" + d + "data"});
    REQUIRE(snap != nullptr);
  }
};

// Slots of the fixture's snapshot: sub.bl.t is placed before its ancestor bl.t.
constexpr int kSub = 0;
constexpr int kBl = 1;
constexpr int kNons = 2;
constexpr int kGlobal = 3;
constexpr int kNone = -1;

enum class Outcome { kOk, kNxd, kErr };

struct Row {
  const char* what;
  const char* client;
  std::vector<std::uint8_t> query;
  int in_slot;  // where the query's bytes go
  int result_slot;
  Outcome result;
  int out_slot;  // where the reply's bytes go (kNone: dropped)
};

std::vector<std::uint8_t> q(const char* name, const char* type, std::uint16_t qclass = 1) {
  QuerySpec s(name, type);
  s.qclass = qclass;
  return fastrbl::test::build_query(s);
}

std::vector<std::uint8_t> q(QuerySpec s) { return fastrbl::test::build_query(s); }

QuerySpec spec(const char* name, const char* type) { return QuerySpec(name, type); }

TrafficTotals& slot_of(QueryTotals& t, int slot) {
  return slot == kGlobal ? t.global : t.zones[static_cast<std::size_t>(slot)];
}

}  // namespace

TEST_CASE("query counters: rbldnsd's counting rules, row by row", "[stats]") {
  Fixture f;
  REQUIRE(f.snap->zones().size() == 3);
  REQUIRE(f.snap->zones()[kSub].name.to_text() == "sub.bl.t");
  REQUIRE(f.snap->zones()[kBl].name.to_text() == "bl.t");

  QuerySpec opcode = spec("2.0.0.127.bl.t", "A");
  opcode.opcode = 2;
  QuerySpec aa = spec("2.0.0.127.bl.t", "A");
  aa.aa = true;
  QuerySpec type257 = spec("2.0.0.127.bl.t", "A");
  type257.qtype_num = 257;
  QuerySpec badvers = spec("2.0.0.127.bl.t", "A");
  badvers.edns = true;
  badvers.edns_version = 1;
  QuerySpec two_opt = spec("2.0.0.127.bl.t", "A");
  two_opt.edns = true;
  two_opt.extra_opt = true;
  std::vector<std::uint8_t> qr = q("2.0.0.127.bl.t", "A");
  qr[2] |= 0x80;
  std::vector<std::uint8_t> big = q("2.0.0.127.bl.t", "A");
  big.resize(5000);  // rbldnsd reads (and counts) 2048 bytes of it

  const std::vector<Row> rows = {
      {"listed", "127.0.0.1", q("2.0.0.127.bl.t", "A"), kBl, kBl, Outcome::kOk, kBl},
      {"not listed", "127.0.0.1", q("3.0.0.127.bl.t", "A"), kBl, kBl, Outcome::kNxd, kBl},
      {"NODATA", "127.0.0.1", q("2.0.0.127.bl.t", "AAAA"), kBl, kBl, Outcome::kOk, kBl},
      {"apex SOA", "127.0.0.1", q("bl.t", "SOA"), kBl, kBl, Outcome::kOk, kBl},
      {"class ANY", "127.0.0.1", q("2.0.0.127.bl.t", "A", 255), kBl, kBl, Outcome::kOk, kBl},
      {"more specific zone", "127.0.0.1", q("x.sub.bl.t", "A"), kSub, kSub, Outcome::kNxd, kSub},
      {"apex NS without NS: REFUSED in the zone", "127.0.0.1", q("nons.t", "NS"), kNons, kNons, Outcome::kErr,
       kNons},
      {"zone acl refuse", "127.0.0.57", q("2.0.0.127.bl.t", "A"), kBl, kBl, Outcome::kErr, kBl},
      {"zone acl ignore: bytes in to the zone, err global", "127.0.0.58", q("2.0.0.127.bl.t", "A"), kBl,
       kGlobal, Outcome::kErr, kNone},
      {"zone acl ignore does not reach another zone", "127.0.0.58", q("www.nons.t", "A"), kNons, kNons,
       Outcome::kOk, kNons},
      {"global acl ignore", "127.0.0.50", q("2.0.0.127.bl.t", "A"), kGlobal, kGlobal, Outcome::kErr, kNone},
      {"outside every zone", "127.0.0.1", q("x.other", "A"), kGlobal, kGlobal, Outcome::kErr, kGlobal},
      {"root", "127.0.0.1", q(".", "NS"), kGlobal, kGlobal, Outcome::kErr, kGlobal},
      {"version.bind", "127.0.0.1", q("version.bind", "TXT", 3), kGlobal, kGlobal, Outcome::kOk, kGlobal},
      {"class CH, not version.bind", "127.0.0.1", q("2.0.0.127.bl.t", "A", 3), kGlobal, kGlobal,
       Outcome::kErr, kGlobal},
      {"class 0", "127.0.0.1", q("2.0.0.127.bl.t", "A", 0), kGlobal, kGlobal, Outcome::kErr, kGlobal},
      {"NOTIMP type", "127.0.0.1", q(type257), kGlobal, kGlobal, Outcome::kErr, kGlobal},
      {"NOTIMP opcode", "127.0.0.1", q(opcode), kGlobal, kGlobal, Outcome::kErr, kGlobal},
      {"NOTIMP: AA in the query", "127.0.0.1", q(aa), kGlobal, kGlobal, Outcome::kErr, kGlobal},
      {"BADVERS (ours)", "127.0.0.1", q(badvers), kGlobal, kGlobal, Outcome::kErr, kGlobal},
      {"FORMERR: two OPT records (ours)", "127.0.0.1", q(two_opt), kGlobal, kGlobal, Outcome::kErr, kGlobal},
      {"QR set: dropped", "127.0.0.1", qr, kGlobal, kGlobal, Outcome::kErr, kNone},
      {"short packet: dropped", "127.0.0.1", {0x12, 0x34, 0x01}, kGlobal, kGlobal, Outcome::kErr, kNone},
      {"oversized query", "127.0.0.1", big, kBl, kBl, Outcome::kOk, kBl},
  };
  for (const Row& row : rows) {
    INFO(row.what);
    QueryCounters counters(f.snap->zones().size());
    WorkerState ws;
    std::vector<std::uint8_t> out(fastrbl::dnsd::kUdpOutSize);
    const sockaddr_in c = client(row.client);
    AnswerInfo info;
    const std::size_t n =
        fastrbl::dnsd::answer(*f.snap, AnswerConfig{}, row.query, out, Transport::kUdp, as_sa(c), ws, &info);
    counters.count(info, row.query.size(), n);
    CHECK((n == 0) == (row.out_slot == kNone));

    QueryTotals want;
    want.zones.resize(3);
    slot_of(want, row.in_slot).bytes_in = std::min<std::size_t>(row.query.size(), 2048);
    TrafficTotals& r = slot_of(want, row.result_slot);
    (row.result == Outcome::kOk ? r.ok : row.result == Outcome::kNxd ? r.nxd : r.err) = 1;
    if (row.out_slot != kNone) slot_of(want, row.out_slot).bytes_out = n;

    QueryTotals got;
    counters.add_to(got);
    REQUIRE(got.zones.size() == 3);
    for (int s = 0; s < 3; ++s) {
      INFO("zone slot " << s);
      CHECK(got.zones[static_cast<std::size_t>(s)] == want.zones[static_cast<std::size_t>(s)]);
    }
    CHECK(got.global == want.global);
    CHECK(got.all().total() == 1);
  }
}

TEST_CASE("query counters: TCP counts like UDP", "[stats]") {
  Fixture f;
  QueryCounters counters(f.snap->zones().size());
  WorkerState ws;
  std::vector<std::uint8_t> out(fastrbl::dnsd::kTcpOutSize);
  const sockaddr_in c = client("127.0.0.1");
  const auto query = q("2.0.0.127.bl.t", "TXT");
  AnswerInfo info;
  const std::size_t n =
      fastrbl::dnsd::answer(*f.snap, AnswerConfig{}, query, out, Transport::kTcp, as_sa(c), ws, &info);
  counters.count(info, query.size(), n);
  QueryTotals got;
  counters.add_to(got);
  CHECK(got.zones[kBl].ok == 1);
  CHECK(got.zones[kBl].bytes_in == query.size());
  CHECK(got.zones[kBl].bytes_out == n);
}

TEST_CASE("query totals: sums over workers, `*` adds the global slot, differences", "[stats]") {
  QueryCounters a(2);
  QueryCounters b(2);
  AnswerInfo ok;
  ok.parsed = true;
  ok.replied = true;
  ok.zone = 1;
  AnswerInfo nxd = ok;
  nxd.rcode = fastrbl::core::Rcode::kNxDomain;
  nxd.zone = 0;
  AnswerInfo dropped;  // unparseable
  a.count(ok, 30, 60);
  b.count(ok, 30, 70);
  b.count(nxd, 40, 90);
  a.count(dropped, 3, 0);
  QueryTotals t;
  a.add_to(t);
  b.add_to(t);
  CHECK(t.zones[1] == TrafficTotals{2, 0, 0, 60, 130});
  CHECK(t.zones[0] == TrafficTotals{0, 1, 0, 40, 90});
  CHECK(t.global == TrafficTotals{0, 0, 1, 3, 0});
  CHECK(t.all() == TrafficTotals{2, 1, 1, 103, 220});
  CHECK(t.all().total() == 4);
  QueryTotals before;
  a.add_to(before);
  const QueryTotals d = t - before;
  CHECK(d.zones[1] == TrafficTotals{1, 0, 0, 30, 70});
  CHECK(d.global == TrafficTotals{});
}

TEST_CASE("query path: no allocation per query with counting and the query log on", "[stats][alloc]") {
  using fastrbl::testing::g_allocations;
  using fastrbl::testing::g_counting;
  Fixture f;
  fastrbl::dnsd::QueryLogFile file;
  file.open(f.dir.file("query.log"), false);
  REQUIRE(file.active());
  fastrbl::dnsd::QueryLogWriter log(file);
  QueryCounters counters(f.snap->zones().size());
  WorkerState ws;
  std::vector<std::uint8_t> out(fastrbl::dnsd::kUdpOutSize);
  const sockaddr_in c = client("127.0.0.1");
  const std::vector<std::vector<std::uint8_t>> queries = {
      q("2.0.0.127.bl.t", "TXT"), q("3.0.0.127.bl.t", "A"), q("x.other", "A"), q("version.bind", "TXT", 3)};
  constexpr int kRounds = 200;  // enough lines to fill the 64 KiB buffer and write it out
  g_allocations = 0;
  g_counting = true;
  for (int i = 0; i < kRounds; ++i) {
    for (const auto& query : queries) {
      AnswerInfo info;
      const std::size_t n =
          fastrbl::dnsd::answer(*f.snap, AnswerConfig{}, query, out, Transport::kUdp, as_sa(c), ws, &info);
      counters.count(info, query.size(), n);
      fastrbl::dnsd::LogEntry e;
      e.time = 1795333501;
      e.peer = as_sa(c);
      e.qname = query.data() + 12;
      e.qtype = info.qtype;
      e.qclass = info.qclass;
      e.rcode = static_cast<std::uint8_t>(info.rcode);
      e.ancount = info.ancount;
      e.length = n;
      log.add(e);
    }
    log.end_batch();
  }
  log.flush();
  g_counting = false;
  CHECK(g_allocations == 0);

  std::ifstream in(f.dir.file("query.log"));
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) ++lines;
  CHECK(lines == kRounds * static_cast<int>(queries.size()));
  QueryTotals t;
  counters.add_to(t);
  CHECK(t.all().total() == static_cast<std::uint64_t>(kRounds) * queries.size());
}
