// Table-driven tests of answer() with acl datasets (compat §8.1, §6.1 steps 2, 9, 11, 14):
// rows of (client address, question) -> (dropped?, rcode, answer, authority), against a
// snapshot with a zone acl, a global acl and a second zone without an acl. The expected
// answers were checked against Debian's rbldnsd with the same files. Every response is
// parsed by ldns before it is compared.

#include "dnsd/query.h"
#include "loader/load.h"
#include "support/alloc_counter.h"
#include "support/peer_address.h"
#include "test_packets.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <new>
#include <string>
#include <vector>

#include <ldns/ldns.h>

// Allocation counting for the "no allocation on the query path" check (STYLE.md 13).
using fastrbl::testing::g_allocations;
using fastrbl::testing::g_counting;

using fastrbl::dnsd::AnswerConfig;
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

// The zone acl of bl.t.
constexpr const char* kZoneAcl = R"($TTL 33
$SOA 3600 ns1.acl.t. hm.acl.t. 1 600 300 86400 60
127.0.0.55 :10:Z $
127.0.0.57 :refuse
127.0.0.58
127.0.0.60 :empty
127.0.0.61 :11:T $
127.0.0.65 :10:Z $
127.0.0.66 :empty
10.0.0.0/8 :refuse
10.1.0.0/16 :PASS
10.1.2.0/24 =blackhole
10.1.2.0/24 :pass
10.9.0.0/16 junk text $
10.8.0.0/16 :refuse junk
2001:db8::/32 :refuse
2001:db8:1::/48 =pass
::ffff:a00:0/104 :empty
)";

// The global acl.
constexpr const char* kGlobalAcl = R"(127.0.0.50
127.0.0.51 :refuse
127.0.0.52 :empty
127.0.0.53 :9:G $
127.0.0.54 :pass
127.0.0.55 :9:G $
127.0.0.56 :refuse
127.0.0.57 :empty
127.0.0.65 :empty
127.0.0.66 :9:G $
::1 :13:V6 $
)";

using Client = fastrbl::testing::PeerAddress;

struct Row {
  const char* client;
  QuerySpec q;
  int rcode;  // -1: dropped (no reply)
  std::vector<std::string> answer;
  std::vector<std::string> authority;  // "TYPE TTL"
};

const std::vector<std::string> kNs = {"NS 3600"};
const std::vector<std::string> kSoaNeg = {"SOA 60"};

QuerySpec ch_version() {
  QuerySpec q("version.bind", "TXT");
  q.qclass = 3;
  return q;
}

QuerySpec class_any(const char* name) {
  QuerySpec q(name, "A");
  q.qclass = 255;
  return q;
}

void check(const fastrbl::zones::Snapshot& snap, const Row& row) {
  INFO(row.client << " " << row.q.name << " " << row.q.type << " class " << row.q.qclass);
  Client c(row.client);
  WorkerState ws;
  std::vector<std::uint8_t> out(fastrbl::dnsd::kUdpOutSize);
  auto query = fastrbl::test::build_query(row.q);
  const std::size_t n =
      fastrbl::dnsd::answer(snap, AnswerConfig{}, query, out, Transport::kUdp, c.sa(), ws, nullptr);
  if (row.rcode < 0) {
    CHECK(n == 0);
    return;
  }
  REQUIRE(n > 0);
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_wire2pkt(&p, out.data(), n) == LDNS_STATUS_OK);
  std::unique_ptr<ldns_pkt, fastrbl::test::PktDeleter> pkt(p);
  CHECK(static_cast<int>(ldns_pkt_get_rcode(p)) == row.rcode);
  auto want_answer = row.answer;
  std::sort(want_answer.begin(), want_answer.end());
  CHECK(fastrbl::test::rrs(ldns_pkt_answer(p), true) == want_answer);
  auto want_auth = row.authority;
  std::sort(want_auth.begin(), want_auth.end());
  CHECK(fastrbl::test::rrs(ldns_pkt_authority(p), false) == want_auth);
}

struct Fixture {
  TempDir dir;
  std::shared_ptr<const fastrbl::zones::Snapshot> snap;
  Fixture() {
    dir.write("data", kData);
    dir.write("z", kZoneAcl);
    dir.write("g", kGlobalAcl);
    const std::string d = dir.path() + "/";
    snap = fastrbl::test::load(
        {"bl.t:ip4set:" + d + "data", "bl.t:acl:" + d + "z", ":acl:" + d + "g", "z2.t:ip4set:" + d + "data"});
    REQUIRE(snap != nullptr);
  }
};

const char* const kHit = "2.0.0.127.bl.t";

}  // namespace

TEST_CASE("acl: the actions of one zone acl", "[answer][acl]") {
  Fixture f;
  const std::vector<Row> rows = {
      {"127.0.0.1", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},
      {"127.0.0.58", {kHit, "A"}, -1, {}, {}},
      {"127.0.0.58", {"bl.t", "SOA"}, -1, {}, {}},
      {"127.0.0.58", ch_version(), 0, {"TXT 0 \"" + std::string(fastrbl::dnsd::version_string()) + "\""}, {}},
      {"127.0.0.58", {"2.0.0.127.z2.t", "A"}, 0, {"A 300 127.0.0.2"}, kNs},
      {"127.0.0.58", {"x.other", "A"}, 5, {}, {}},
      {"127.0.0.57", {"bl.t", "SOA"}, 5, {}, {}},
      {"127.0.0.57", {kHit, "A"}, 5, {}, {}},
      {"127.0.0.63", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},
      {"127.0.0.60", {"bl.t", "SOA"}, 0, {"SOA 3600"}, kNs},
      {"127.0.0.60", {"bl.t", "NS"}, 0, {"NS 3600"}, kNs},
      {"127.0.0.60", {"bl.t", "ANY"}, 0, {"SOA 3600", "NS 3600"}, kNs},
      {"127.0.0.60", {"bl.t", "A"}, 0, {}, kSoaNeg},
      {"127.0.0.60", {kHit, "A"}, 3, {}, kSoaNeg},
      {"127.0.0.60", {"0.127.bl.t", "A"}, 3, {}, kSoaNeg},
      {"127.0.0.61", {kHit, "ANY"}, 0, {"A 33 127.0.0.11", "TXT 33 \"T 127.0.0.61\""}, kNs},
      {"127.0.0.61", {"9.9.9.9.bl.t", "A"}, 0, {"A 33 127.0.0.11"}, kNs},
      {"127.0.0.61", {"9.9.9.9.bl.t", "AAAA"}, 0, {}, kSoaNeg},
      {"127.0.0.61", {"foo.bl.t", "A"}, 3, {}, kSoaNeg},
      {"127.0.0.61", {"0.127.bl.t", "A"}, 3, {}, kSoaNeg},
      {"127.0.0.61", {"bl.t", "A"}, 0, {}, kSoaNeg},
      {"127.0.0.61", {"bl.t", "SOA"}, 0, {"SOA 3600"}, kNs},
      {"127.0.0.61", {"2.0.0.127.z2.t", "TXT"}, 0, {}, kSoaNeg},
      {"127.0.0.61", class_any(kHit), 0, {"A 33 127.0.0.11"}, kNs},
      // Longest prefix wins; the first of two equal prefixes wins; keywords in any case.
      {"10.2.3.4", {kHit, "A"}, 5, {}, {}},
      {"10.1.3.4", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},
      {"10.1.2.3", {kHit, "A"}, -1, {}, {}},
      {"10.9.1.1", {kHit, "TXT"}, 0, {"TXT 33 \"junk text 10.9.1.1\""}, kNs},
      {"10.8.1.1", {kHit, "A"}, 5, {}, {}},
      // IPv6 clients, and a v4-mapped client (a dual-stack socket) in the IPv6 table.
      {"2001:db8:2::1", {kHit, "A"}, 5, {}, {}},
      {"2001:db8:1::1", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},
      {"::ffff:10.2.3.4", {kHit, "A"}, 3, {}, kSoaNeg},
      {"::ffff:127.0.0.58", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},
  };
  for (const Row& r : rows) check(*f.snap, r);
}

TEST_CASE("acl: the global acl and how it combines with a zone acl", "[answer][acl]") {
  Fixture f;
  const std::vector<Row> rows = {
      // Global ignore drops everything, even version.bind and names outside every zone.
      {"127.0.0.50", ch_version(), -1, {}, {}},
      {"127.0.0.50", {"x.other", "A"}, -1, {}, {}},
      {"127.0.0.50", {"2.0.0.127.z2.t", "A"}, -1, {}, {}},
      // Global refuse acts once a zone matched.
      {"127.0.0.51", ch_version(), 0, {"TXT 0 \"" + std::string(fastrbl::dnsd::version_string()) + "\""}, {}},
      {"127.0.0.51", {"z2.t", "SOA"}, 5, {}, {}},
      {"127.0.0.51",
       {
           kHit,
           "A",
       },
       5,
       {},
       {}},
      {"127.0.0.51",
       {
           kHit,
           "A",
       },
       5,
       {},
       {}},
      {"127.0.0.52", {"2.0.0.127.z2.t", "A"}, 3, {}, kSoaNeg},
      {"127.0.0.52", {"z2.t", "SOA"}, 0, {"SOA 3600"}, kNs},
      {"127.0.0.53", {"2.0.0.127.z2.t", "ANY"}, 0, {"A 2100 127.0.0.9", "TXT 2100 \"G 127.0.0.53\""}, kNs},
      {"127.0.0.54", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},
      // Both templates: the global one. Global refuse beats a zone template, a zone
      // refuse beats a global empty, and empty beats a template either way.
      {"127.0.0.55", {kHit, "ANY"}, 0, {"A 2100 127.0.0.9", "TXT 2100 \"G 127.0.0.55\""}, kNs},
      {"127.0.0.56", {kHit, "A"}, 5, {}, {}},
      {"127.0.0.57", {kHit, "A"}, 5, {}, {}},
      {"127.0.0.57", {"2.0.0.127.z2.t", "A"}, 3, {}, kSoaNeg},
      {"127.0.0.65", {kHit, "A"}, 3, {}, kSoaNeg},
      {"127.0.0.66", {kHit, "A"}, 3, {}, kSoaNeg},
      {"::1", {kHit, "TXT"}, 0, {"TXT 2100 \"V6 ::1\""}, kNs},
  };
  for (const Row& r : rows) check(*f.snap, r);
}

// A generic zone and a combined zone behind the same zone acl (:empty and a template).
constexpr const char* kGeneric = R"($SOA 3600 ns1.gen.t. hm.gen.t. 1 600 300 86400 60
$NS 3600 ns1.gen.t
@ 300 A 127.0.0.9
@ 300 TXT apex
www 300 A 127.0.0.10
www 300 MX 10 mx.ex
)";

constexpr const char* kCombined = R"($SOA 3600 ns1.comb.t. hm.comb.t. 1 600 300 86400 60
$NS 3600 ns1.comb.t
$TTL 300
$DATASET ip4set sub @
127.0.0.2
$DATASET generic sub @
www A 127.0.0.10
$DATASET dnset names
listed.example
)";

constexpr const char* kNameAcl = R"($TTL 33
127.0.0.60 :empty
127.0.0.61 :11:T $
)";

TEST_CASE("acl: generic and combined under empty and a template, as classic rbldnsd", "[answer][acl]") {
  TempDir dir;
  dir.write("gen", kGeneric);
  dir.write("comb", kCombined);
  dir.write("z", kNameAcl);
  const std::string d = dir.path() + "/";
  auto snap = fastrbl::test::load({"gen.t:generic:" + d + "gen", "gen.t:acl:" + d + "z",
                                   "comb.t:combined:" + d + "comb", "comb.t:acl:" + d + "z"});
  REQUIRE(snap != nullptr);
  // Every row was checked against Debian's rbldnsd with the same files (ANY queries).
  const std::vector<Row> rows = {
      // generic: the data without an acl action...
      {"127.0.0.1", {"www.gen.t", "ANY"}, 0, {"A 300 127.0.0.10", "MX 300"}, kNs},
      {"127.0.0.1", {"gen.t", "ANY"}, 0, {"SOA 3600", "NS 3600", "A 300 127.0.0.9", "TXT 300 \"apex\""}, kNs},
      // ...and nothing under one (not even the template), but a name with records is NODATA.
      {"127.0.0.60", {"www.gen.t", "ANY"}, 0, {}, kSoaNeg},
      {"127.0.0.61", {"www.gen.t", "ANY"}, 0, {}, kSoaNeg},
      {"127.0.0.61", {"www.gen.t", "A"}, 0, {}, kSoaNeg},
      {"127.0.0.60", {"nothere.gen.t", "ANY"}, 3, {}, kSoaNeg},
      {"127.0.0.61", {"nothere.gen.t", "ANY"}, 3, {}, kSoaNeg},
      {"127.0.0.60", {"gen.t", "ANY"}, 0, {"SOA 3600", "NS 3600"}, kNs},
      {"127.0.0.61", {"gen.t", "ANY"}, 0, {"SOA 3600", "NS 3600"}, kNs},
      // combined: a subzone apex exists under either action.
      {"127.0.0.60", {"names.comb.t", "ANY"}, 0, {}, kSoaNeg},
      {"127.0.0.61", {"names.comb.t", "ANY"}, 0, {}, kSoaNeg},
      {"127.0.0.61", {"sub.comb.t", "ANY"}, 0, {}, kSoaNeg},
      // The template for what a nested ip4set or dnset would look up, inside a subzone.
      {"127.0.0.60", {"2.0.0.127.sub.comb.t", "ANY"}, 3, {}, kSoaNeg},
      {"127.0.0.61", {"2.0.0.127.sub.comb.t", "ANY"}, 0, {"A 33 127.0.0.11", "TXT 33 \"T 127.0.0.61\""}, kNs},
      {"127.0.0.61", {"9.9.9.9.comb.t", "ANY"}, 0, {"A 33 127.0.0.11", "TXT 33 \"T 127.0.0.61\""}, kNs},
      {"127.0.0.61", {"x.names.comb.t", "ANY"}, 0, {"A 33 127.0.0.11", "TXT 33 \"T 127.0.0.61\""}, kNs},
      {"127.0.0.60", {"listed.example.names.comb.t", "ANY"}, 3, {}, kSoaNeg},
      // A nested generic name: NODATA under either action; a name in no subset: NXDOMAIN.
      {"127.0.0.1", {"www.comb.t", "ANY"}, 0, {"A 300 127.0.0.10"}, kNs},
      {"127.0.0.60", {"www.comb.t", "ANY"}, 0, {}, kSoaNeg},
      {"127.0.0.61", {"www.comb.t", "ANY"}, 0, {}, kSoaNeg},
      {"127.0.0.61", {"nothere.comb.t", "ANY"}, 3, {}, kSoaNeg},
  };
  for (const Row& r : rows) check(*snap, r);
}

TEST_CASE("acl: spec errors in rbldnsd's words", "[load][acl]") {
  TempDir dir;
  const std::string d = dir.path() + "/";
  dir.write("data", kData);
  dir.write("z", kZoneAcl);
  struct ErrRow {
    std::vector<std::string> specs;
    std::string error;
  };
  const std::vector<ErrRow> rows = {
      {{"bl.t:ip4set:" + d + "data", "bl.t:acl:" + d + "z", "bl.t:acl:" + d + "z"},
       "repeated ACL definition for zone `bl.t'"},
      {{"bl.t:ip4set:" + d + "data", ":acl:" + d + "z", ":acl:" + d + "z"},
       "global acl specified more than once"},
      {{"bl.t:acl:" + d + "z"}, "missing data for zone `bl.t'"},
      {{"bl.t:ip4set:" + d + "data", "x.t:acl:" + d + "z"}, "missing data for zone `x.t'"},
  };
  for (const ErrRow& r : rows) {
    auto s = fastrbl::loader::load_snapshot(r.specs, fastrbl::loader::LoadOptions{});
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().message() == r.error);
  }
  // `.` is the empty name: a global acl.
  auto s = fastrbl::loader::load_snapshot({"bl.t:ip4set:" + d + "data", ".:acl:" + d + "z"},
                                          fastrbl::loader::LoadOptions{});
  REQUIRE(s.is_ok());
  CHECK(s.value()->global_acl() != nullptr);
  CHECK_FALSE(s.value()->zones()[0].soa->mname.to_text().find("acl") != std::string::npos);
}

TEST_CASE("acl: parsing, as rbldnsd reads an acl file", "[load][acl]") {
  TempDir dir;
  const std::string d = dir.path() + "/";
  dir.write("data", kData);
  dir.write("a1", R"($MAXRANGE4 256
=pass
127.0.0.5 :5
:7:Def $
127.0.0.6
127.0.0.7 :8
127.0.0.8 :
127.0.0.9 =bogus
127.0.0.10 :refusex
127.0.0.11 # comment
127.0.0.12:refuse
127.0.0.13=refuse
127.0.2.0-127.0.2.255 :refuse
127.0.3.1/24 :refuse
10.0.0.0/23 :refuse
2001:db9:1 :refuse
)");
  dir.write("a2", "127.0.0.14\n::/0 :refuse\n");
  auto s = fastrbl::loader::load_snapshot({"bl.t:ip4set:" + d + "data", "bl.t:acl:" + d + "a1," + d + "a2"},
                                          fastrbl::loader::LoadOptions{});
  REQUIRE(s.is_ok());
  const std::vector<Row> rows = {
      {"127.0.0.5", {kHit, "ANY"}, 0, {"A 2100 127.0.0.5"}, kNs},  // `:A` after an action: no TXT
      {"127.0.0.6", {kHit, "ANY"}, 0, {"A 2100 127.0.0.7", "TXT 2100 \"Def 127.0.0.6\""}, kNs},
      {"127.0.0.7", {kHit, "ANY"}, 0, {"A 2100 127.0.0.8", "TXT 2100 \"Def 127.0.0.7\""}, kNs},
      {"127.0.0.8", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},   // invalid A RR: skipped
      {"127.0.0.9", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},   // invalid keyword: skipped
      {"127.0.0.10", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},  // not a keyword: invalid A RR
      {"127.0.0.11", {kHit, "ANY"}, 0, {"A 2100 127.0.0.7", "TXT 2100 \"Def 127.0.0.11\""}, kNs},
      {"127.0.0.12", {kHit, "A"}, 5, {}, {}},
      {"127.0.0.13", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},  // `=` right after: invalid address
      {"127.0.2.1", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},   // no ranges
      {"127.0.3.1", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},   // host bits without -e
      {"10.0.0.1", {kHit, "A"}, 0, {"A 300 127.0.0.2"}, kNs},    // over $MAXRANGE4
      {"2001:db9:1::5", {kHit, "A"}, 5, {}, {}},                 // /48 from three groups
      {"127.0.0.14", {kHit, "A"}, -1, {}, {}},
      {"2001:dba::1", {kHit, "A"}, 5, {}, {}},  // ::/0                   // each file starts with ignore
  };
  for (const Row& r : rows) check(*s.value(), r);

  fastrbl::loader::LoadOptions e;
  e.accept_host_bits = true;
  auto se = fastrbl::loader::load_snapshot({"bl.t:ip4set:" + d + "data", "bl.t:acl:" + d + "a1"}, e);
  REQUIRE(se.is_ok());
  check(*se.value(), {"127.0.3.9", {kHit, "A"}, 5, {}, {}});
}

TEST_CASE("acl: answer() allocates nothing for any acl outcome", "[answer][acl]") {
  Fixture f;
  const std::vector<std::pair<const char*, QuerySpec>> rows = {
      {"127.0.0.50", {kHit, "A"}},   {"127.0.0.51", {kHit, "A"}},  {"127.0.0.52", {kHit, "A"}},
      {"127.0.0.53", {kHit, "ANY"}}, {"127.0.0.58", {kHit, "A"}},  {"127.0.0.61", {kHit, "TXT"}},
      {"::1", {kHit, "TXT"}},        {"127.0.0.1", {kHit, "ANY"}}, {"2001:db8:1::1", {"bl.t", "SOA"}},
  };
  std::vector<std::uint8_t> out(fastrbl::dnsd::kUdpOutSize);
  for (const auto& [client, q] : rows) {
    Client c(client);
    auto query = fastrbl::test::build_query(q);
    WorkerState ws;
    g_allocations = 0;
    g_counting = true;
    fastrbl::dnsd::answer(*f.snap, AnswerConfig{}, query, out, Transport::kUdp, c.sa(), ws, nullptr);
    g_counting = false;
    INFO(client);
    CHECK(g_allocations.load() == 0);
  }
}
