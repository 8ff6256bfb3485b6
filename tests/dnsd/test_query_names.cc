// Table-driven tests of answer() for the name-keyed dataset types (dnset, generic,
// combined), through the loader, as tests/dnsd/test_query.cc does for ip4set. Expected
// answers were checked against Debian's rbldnsd 1.0~20210120, except the rows marked
// RFC 8020 (our deliberate difference 1: rbldnsd answers NXDOMAIN there).

#include "dnsd/query.h"
#include "loader/load.h"
#include "test_packets.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include <ldns/ldns.h>

using fastrbl::dnsd::Transport;
using fastrbl::dnsd::WorkerState;
using fastrbl::test::QuerySpec;
using fastrbl::test::TempDir;

namespace {

constexpr const char* kHead = R"($SOA 3600 ns1.bl.example. hostmaster.bl.example. 42 600 300 86400 60
$NS 3600 ns1.bl.example
)";

struct Row {
  const char* what;
  QuerySpec q;
  int rcode;
  std::vector<std::string> answer;      // "TYPE TTL RDATA" (RDATA for A/TXT), order-free
  std::vector<std::string> authority;   // "TYPE TTL", order-free
  std::vector<std::string> additional;  // "TYPE TTL RDATA", order-free
};

void check_rows(const std::vector<std::pair<std::string, std::string>>& files,
                const std::vector<std::string>& specs, const std::vector<Row>& rows) {
  TempDir dir;
  for (const auto& [name, text] : files) dir.write(name, text);
  std::vector<std::string> full;
  for (const auto& s : specs) full.push_back(fastrbl::test::replace_dir(s, dir.path()));
  auto snap = fastrbl::test::load(full);
  REQUIRE(snap != nullptr);
  for (const Row& row : rows) {
    INFO(row.what);
    WorkerState ws;
    auto resp = fastrbl::test::ask(*snap, {}, row.q, Transport::kUdp, ws);
    REQUIRE(resp.pkt != nullptr);
    CHECK(static_cast<int>(ldns_pkt_get_rcode(resp.pkt.get())) == row.rcode);
    CHECK(ldns_pkt_aa(resp.pkt.get()));
    auto sorted = [](std::vector<std::string> v) {
      std::sort(v.begin(), v.end());
      return v;
    };
    CHECK(fastrbl::test::rrs(ldns_pkt_answer(resp.pkt.get()), true) == sorted(row.answer));
    CHECK(fastrbl::test::rrs(ldns_pkt_authority(resp.pkt.get()), false) == sorted(row.authority));
    CHECK(fastrbl::test::rrs(ldns_pkt_additional(resp.pkt.get()), true) == sorted(row.additional));
  }
}

const std::vector<std::string> kNs = {"NS 3600"};
const std::vector<std::string> kSoaNeg = {"SOA 60"};

}  // namespace

TEST_CASE("answer: dnset", "[answer_names]") {
  const std::string data = std::string(kHead) + R"($TTL 300
:127.0.0.2:Listed $
exact.com
*.wild.com :3:Wild $
!*.ex.wild.com
a.b.c.d.com
special$.com
)";
  check_rows(
      {{"dn.txt", data}}, {"bl.example:dnset:@DIR@/dn.txt"},
      {
          {"exact",
           {"exact.com.bl.example", "ANY"},
           0,
           {"A 300 127.0.0.2", "TXT 300 \"Listed exact.com\""},
           kNs,
           {}},
          {"exact, TXT", {"EXACT.com.bl.example", "TXT"}, 0, {"TXT 300 \"Listed exact.com\""}, kNs, {}},
          {"not a subdomain", {"x.exact.com.bl.example", "A"}, 3, {}, kSoaNeg, {}},
          {"wildcard", {"a.b.wild.com.bl.example", "TXT"}, 0, {"TXT 300 \"Wild wild.com\""}, kNs, {}},
          {"wildcard exclusion", {"q.ex.wild.com.bl.example", "A"}, 3, {}, kSoaNeg, {}},
          {"escaped subject",
           {"special\\$.com.bl.example", "TXT"},
           0,
           {"TXT 300 \"Listed special\\\\$.com\""},
           kNs,
           {}},
          {"MX on a listing: NODATA", {"exact.com.bl.example", "MX"}, 0, {}, kSoaNeg, {}},
          {"RFC 8020: ancestor of a listing", {"c.d.com.bl.example", "A"}, 0, {}, kSoaNeg, {}},
          {"RFC 8020: base of a wildcard", {"wild.com.bl.example", "A"}, 0, {}, kSoaNeg, {}},
          {"unlisted", {"other.org.bl.example", "A"}, 3, {}, kSoaNeg, {}},
          {"apex A: NODATA", {"bl.example", "A"}, 0, {}, kSoaNeg, {}},
      });
}

TEST_CASE("answer: generic with apex records and glue", "[answer_names]") {
  const std::string data = std::string(kHead) + R"($TTL 300
@ A 127.0.0.9
@ TXT "apex text"
ns1 A 10.0.0.1
www 3000 A 127.0.0.8
www A 2
a.b.deep A 1.2.3.4
)";
  check_rows({{"g.txt", data}}, {"bl.example:generic:@DIR@/g.txt"},
             {
                 {"apex A", {"bl.example", "A"}, 0, {"A 300 127.0.0.9"}, kNs, {"A 300 10.0.0.1"}},
                 {"apex TXT", {"bl.example", "TXT"}, 0, {"TXT 300 \"apex text\""}, kNs, {"A 300 10.0.0.1"}},
                 {"lowest TTL of the RRset",
                  {"www.bl.example", "A"},
                  0,
                  {"A 300 127.0.0.8", "A 300 0.0.0.2"},
                  kNs,
                  {"A 300 10.0.0.1"}},
                 {"existing name, other type: NODATA", {"www.bl.example", "TXT"}, 0, {}, kSoaNeg, {}},
                 {"unknown name", {"nope.bl.example", "A"}, 3, {}, kSoaNeg, {}},
                 {"RFC 8020: ancestor", {"b.deep.bl.example", "A"}, 0, {}, kSoaNeg, {}},
             });
}

TEST_CASE("answer: combined subzones", "[answer_names]") {
  const std::string data = std::string(kHead) + R"($TTL 600
$DATASET ip4set:proxy proxies @
:2:Open proxy $
127.0.0.2
$DATASET generic relays @
$TTL 120
ns1 A 10.1.1.1
www A 127.0.0.8
)";
  check_rows({{"c.txt", data}}, {"bl.example:combined:@DIR@/c.txt"},
             {
                 {"ip4set under @",
                  {"2.0.0.127.bl.example", "TXT"},
                  0,
                  {"TXT 600 \"Open proxy 127.0.0.2\""},
                  kNs,
                  {"A 120 10.1.1.1"}},
                 {"ip4set under a subzone",
                  {"2.0.0.127.proxies.bl.example", "A"},
                  0,
                  {"A 600 127.0.0.2"},
                  kNs,
                  {"A 120 10.1.1.1"}},
                 {"not in that subzone", {"2.0.0.127.relays.bl.example", "A"}, 3, {}, kSoaNeg, {}},
                 {"generic with its own $TTL",
                  {"www.relays.bl.example", "A"},
                  0,
                  {"A 120 127.0.0.8"},
                  kNs,
                  {"A 120 10.1.1.1"}},
                 {"subzone apex: NODATA", {"proxies.bl.example", "A"}, 0, {}, kSoaNeg, {}},
                 {"outside every subzone dataset", {"nope.bl.example", "A"}, 3, {}, kSoaNeg, {}},
             });
}
