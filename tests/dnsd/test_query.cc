// Table-driven tests of the pure answer() function (STYLE.md 32): rows of
// (qname, qtype, qclass, query tweaks) -> (rcode, flags, answer, authority, additional),
// against snapshots loaded from tiny rbldnsd data files. Every response is parsed by ldns,
// an independent parser, before it is compared.

#include "dnsd/query.h"
#include "loader/load.h"
#include "test_packets.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include <ldns/ldns.h>

using fastrbl::dnsd::AnswerConfig;
using fastrbl::dnsd::AnswerInfo;
using fastrbl::dnsd::Transport;
using fastrbl::dnsd::WorkerState;
using fastrbl::test::QuerySpec;
using fastrbl::test::TempDir;

namespace {

constexpr const char* kData = R"($SOA 3600 ns1.bl.example. hostmaster.bl.example. 42 600 300 86400 60
$NS 3600 ns1.bl.example ns2.other.example
$TTL 300
:127.0.0.2:Listed $
127.0.0.2
10.0.0.0/8
!10.1.0.0/16
10.1.2.0/24 :3:Net $
!10.1.2.3
192.0.2.1 :4:
192.0.2.2 :5
)";

// Forty distinct values at one address: more than fits in 512 bytes.
std::string many_values() {
  std::string s =
      "$SOA 3600 ns1.big.example. hostmaster.big.example. 1 600 300 86400 60\n"
      "$NS 3600 ns1.big.example\n";
  for (int i = 1; i <= 40; ++i) s += "10.9.9.9 :127.0.1." + std::to_string(i) + ":\n";
  return s;
}

struct Fixture {
  TempDir dir;
  std::shared_ptr<const fastrbl::zones::Snapshot> snap;

  explicit Fixture(const std::vector<std::pair<std::string, std::string>>& files,
                   const std::vector<std::string>& specs) {
    for (const auto& [name, text] : files) dir.write(name, text);
    std::vector<std::string> full;
    for (const auto& s : specs) full.push_back(fastrbl::test::replace_dir(s, dir.path()));
    snap = fastrbl::test::load(full);
    REQUIRE(snap != nullptr);
  }
};

struct Row {
  const char* what;
  QuerySpec q;
  int rcode;
  bool aa;
  std::vector<std::string> answer;     // "TYPE TTL RDATA", order-free
  std::vector<std::string> authority;  // "TYPE TTL" (RDATA left out), order-free
};

void check_row(const fastrbl::zones::Snapshot& snap, const Row& row, const AnswerConfig& cfg = {},
               Transport t = Transport::kUdp) {
  INFO(row.what);
  WorkerState ws;
  auto resp = fastrbl::test::ask(snap, cfg, row.q, t, ws);
  REQUIRE(resp.pkt != nullptr);
  CHECK(static_cast<int>(ldns_pkt_get_rcode(resp.pkt.get())) == row.rcode);
  CHECK(ldns_pkt_aa(resp.pkt.get()) == row.aa);
  CHECK(ldns_pkt_qr(resp.pkt.get()));
  CHECK_FALSE(ldns_pkt_tc(resp.pkt.get()));
  auto got_answer = fastrbl::test::rrs(ldns_pkt_answer(resp.pkt.get()), true);
  auto want_answer = row.answer;
  std::sort(want_answer.begin(), want_answer.end());
  CHECK(got_answer == want_answer);
  auto got_auth = fastrbl::test::rrs(ldns_pkt_authority(resp.pkt.get()), false);
  auto want_auth = row.authority;
  std::sort(want_auth.begin(), want_auth.end());
  CHECK(got_auth == want_auth);
}

const std::vector<std::string> kNs = {"NS 3600", "NS 3600"};
const std::vector<std::string> kSoaNeg = {"SOA 60"};

}  // namespace

TEST_CASE("answer: ip4set listings, exclusions and values", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  const std::vector<Row> rows = {
      {"listed A", {"2.0.0.127.bl.example", "A"}, 0, true, {"A 300 127.0.0.2"}, kNs},
      {"listed TXT with $", {"2.0.0.127.bl.example", "TXT"}, 0, true, {"TXT 300 \"Listed 127.0.0.2\""}, kNs},
      {"listed ANY",
       {"2.0.0.127.bl.example", "ANY"},
       0,
       true,
       {"A 300 127.0.0.2", "TXT 300 \"Listed 127.0.0.2\""},
       kNs},
      {"not listed", {"1.0.0.127.bl.example", "A"}, 3, true, {}, kSoaNeg},
      {"/8 listing", {"1.0.0.10.bl.example", "A"}, 0, true, {"A 300 127.0.0.2"}, kNs},
      {"/16 exclusion", {"1.0.1.10.bl.example", "A"}, 3, true, {}, kSoaNeg},
      {"/24 value",
       {"2.2.1.10.bl.example", "ANY"},
       0,
       true,
       {"A 300 127.0.0.3", "TXT 300 \"Net 10.1.2.2\""},
       kNs},
      {"/32 exclusion", {"3.2.1.10.bl.example", "A"}, 3, true, {}, kSoaNeg},
      {":A: means no TXT", {"1.2.0.192.bl.example", "TXT"}, 0, true, {}, kSoaNeg},
      {":A: still has A", {"1.2.0.192.bl.example", "A"}, 0, true, {"A 300 127.0.0.4"}, kNs},
      {":A takes the default TXT",
       {"2.2.0.192.bl.example", "TXT"},
       0,
       true,
       {"TXT 300 \"Listed 192.0.2.2\""},
       kNs},
      {"other qtype on a listing: NODATA", {"2.0.0.127.bl.example", "AAAA"}, 0, true, {}, kSoaNeg},
      {"MX on a listing: NODATA", {"2.0.0.127.bl.example", "MX"}, 0, true, {}, kSoaNeg},
      {"NS below the apex: NODATA", {"2.0.0.127.bl.example", "NS"}, 0, true, {}, kSoaNeg},
      {"leading zeros", {"002.000.000.127.bl.example", "A"}, 0, true, {"A 300 127.0.0.2"}, kNs},
      {"five labels", {"1.2.0.0.127.bl.example", "A"}, 3, true, {}, kSoaNeg},
      {"octet 256", {"256.0.0.127.bl.example", "A"}, 3, true, {}, kSoaNeg},
      {"hex label", {"a.0.0.127.bl.example", "A"}, 3, true, {}, kSoaNeg},
      {"uppercase query", {"2.0.0.127.BL.Example", "A"}, 0, true, {"A 300 127.0.0.2"}, kNs},
  };
  for (const Row& r : rows) check_row(*f.snap, r);
}

TEST_CASE("answer: empty non-terminals are NODATA (RFC 8020)", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  const std::vector<Row> rows = {
      {"one octet above a listing", {"127.bl.example", "A"}, 0, true, {}, kSoaNeg},
      {"two octets", {"0.127.bl.example", "A"}, 0, true, {}, kSoaNeg},
      {"three octets", {"0.0.127.bl.example", "TXT"}, 0, true, {}, kSoaNeg},
      {"nothing listed under it", {"3.2.1.bl.example", "A"}, 3, true, {}, kSoaNeg},
      {"nothing under 11/8", {"11.bl.example", "A"}, 3, true, {}, kSoaNeg},
      {"an excluded /16 with a listed /24 inside", {"1.10.bl.example", "A"}, 0, true, {}, kSoaNeg},
  };
  for (const Row& r : rows) check_row(*f.snap, r);
}

TEST_CASE("answer: apex SOA, NS and ANY", "[answer]") {
  Fixture f({{"bl.txt", kData}, {"nosoa.txt", "127.0.0.2\n"}},
            {"bl.example:ip4set:@DIR@/bl.txt", "plain.example:ip4set:@DIR@/nosoa.txt"});
  const std::vector<Row> rows = {
      {"apex SOA", {"bl.example", "SOA"}, 0, true, {"SOA 3600"}, kNs},
      {"apex NS: in ANSWER and AUTHORITY", {"bl.example", "NS"}, 0, true, {"NS 3600", "NS 3600"}, kNs},
      {"apex ANY", {"bl.example", "ANY"}, 0, true, {"SOA 3600", "NS 3600", "NS 3600"}, kNs},
      {"apex A: NODATA", {"bl.example", "A"}, 0, true, {}, kSoaNeg},
      {"apex SOA without $SOA: REFUSED", {"plain.example", "SOA"}, 5, false, {}, {}},
      {"apex NS without $NS: REFUSED", {"plain.example", "NS"}, 5, false, {}, {}},
      {"apex ANY without SOA: REFUSED", {"plain.example", "ANY"}, 5, false, {}, {}},
      {"no SOA: NXDOMAIN without authority", {"1.0.0.127.plain.example", "A"}, 3, true, {}, {}},
      {"no NS: positive answer without authority",
       {"2.0.0.127.plain.example", "A"},
       0,
       true,
       {"A 2100 127.0.0.2"},
       {}},
  };
  for (const Row& r : rows) check_row(*f.snap, r);
}

TEST_CASE("answer: SOA record contents", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  WorkerState ws;
  auto resp = fastrbl::test::ask(*f.snap, {}, {"bl.example", "SOA"}, Transport::kUdp, ws);
  REQUIRE(resp.pkt != nullptr);
  ldns_rr_list* an = ldns_pkt_answer(resp.pkt.get());
  REQUIRE(ldns_rr_list_rr_count(an) == 1);
  char* text = ldns_rr2str(ldns_rr_list_rr(an, 0));
  std::string s(text);
  free(text);  // NOLINT: ldns allocates with malloc
  CHECK(s.find("ns1.bl.example. hostmaster.bl.example. 42 600 300 86400 60") != std::string::npos);
}

TEST_CASE("answer: zones outside, classes and version.bind", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  QuerySpec any_class{"2.0.0.127.bl.example", "A"};
  any_class.qclass = 255;
  QuerySpec ch_a{"version.bind", "A"};
  ch_a.qclass = 3;
  QuerySpec hostname{"hostname.bind", "TXT"};
  hostname.qclass = 3;
  QuerySpec hs{"2.0.0.127.bl.example", "A"};
  hs.qclass = 4;
  const std::vector<Row> rows = {
      {"outside every zone", {"example.com", "A"}, 5, false, {}, {}},
      {"the root", {".", "NS"}, 5, false, {}, {}},
      {"a parent of the zone", {"example", "SOA"}, 5, false, {}, {}},
      {"class ANY: answered without AA", any_class, 0, false, {"A 300 127.0.0.2"}, kNs},
      {"CH A version.bind", ch_a, 5, false, {}, {}},
      {"CH TXT hostname.bind", hostname, 5, false, {}, {}},
      {"class HS", hs, 5, false, {}, {}},
  };
  for (const Row& r : rows) check_row(*f.snap, r);

  for (int mode = 0; mode <= 2; ++mode) {
    for (const char* name : {"version.bind", "VERSION.Server"}) {
      INFO(name << " with version mode " << mode);
      QuerySpec v{name, "TXT"};
      v.qclass = 3;
      AnswerConfig cfg;
      cfg.version_mode = mode;
      WorkerState ws;
      auto resp = fastrbl::test::ask(*f.snap, cfg, v, Transport::kUdp, ws);
      REQUIRE(resp.pkt != nullptr);
      CHECK_FALSE(ldns_pkt_aa(resp.pkt.get()));
      if (mode == 2) {
        CHECK(ldns_pkt_get_rcode(resp.pkt.get()) == LDNS_RCODE_REFUSED);
        continue;
      }
      CHECK(ldns_pkt_get_rcode(resp.pkt.get()) == LDNS_RCODE_NOERROR);
      auto an = fastrbl::test::rrs(ldns_pkt_answer(resp.pkt.get()), true);
      std::string want = mode == 0 ? std::string("TXT 0 \"") + fastrbl::dnsd::version_string() + "\""
                                   : std::string("TXT 0 \"fastrbl\"");
      CHECK(an == std::vector<std::string>{want});
    }
  }
}

TEST_CASE("answer: NOTIMP for opcodes, AA/TC in the query and meta qtypes", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  struct NotImp {
    const char* what;
    QuerySpec q;
    bool rd_kept;
  };
  QuerySpec base{"2.0.0.127.bl.example", "A"};
  base.rd = true;  // kept for meta qtypes, cleared for the flag and opcode cases
  std::vector<NotImp> cases;
  for (int opcode : {1, 2, 4, 5}) {
    QuerySpec q = base;
    q.opcode = opcode;
    cases.push_back({"opcode", q, false});
  }
  QuerySpec aa = base;
  aa.aa = true;
  cases.push_back({"AA in query", aa, false});
  QuerySpec tc = base;
  tc.tc = true;
  cases.push_back({"TC in query", tc, false});
  for (int t : {250, 251, 252, 253, 254, 256, 257, 65535}) {
    QuerySpec q = base;
    q.qtype_num = t;
    cases.push_back({"meta qtype", q, true});
  }
  for (const NotImp& c : cases) {
    INFO(c.what << " opcode=" << c.q.opcode << " qtype=" << c.q.qtype_num);
    WorkerState ws;
    auto resp = fastrbl::test::ask(*f.snap, {}, c.q, Transport::kUdp, ws);
    REQUIRE(resp.bytes.size() >= 12);
    CHECK((resp.bytes[3] & 0x0f) == 4);
    CHECK((resp.bytes[2] & 0x04) == 0);  // no AA
    CHECK(((resp.bytes[2] & 0x01) != 0) == c.rd_kept);
    CHECK(resp.bytes[6] == 0);
    CHECK(resp.bytes[7] == 0);
  }
}

TEST_CASE("answer: flags copied and cleared", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  QuerySpec q{"2.0.0.127.bl.example", "A"};
  q.rd = true;
  q.ad = true;
  q.cd = true;
  q.z = true;
  WorkerState ws;
  auto resp = fastrbl::test::ask(*f.snap, {}, q, Transport::kUdp, ws);
  REQUIRE(resp.bytes.size() > 12);
  CHECK(resp.bytes[0] == 0x12);
  CHECK(resp.bytes[1] == 0x34);
  CHECK(resp.bytes[2] == (0x80 | 0x04 | 0x01));  // QR AA RD
  CHECK(resp.bytes[3] == 0);                     // RA, Z, AD, CD cleared
}

TEST_CASE("answer: lazy mode (-a) leaves NS out of positive answers", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  AnswerConfig lazy;
  lazy.lazy = true;
  check_row(*f.snap, {"listed", {"2.0.0.127.bl.example", "A"}, 0, true, {"A 300 127.0.0.2"}, {}}, lazy);
  check_row(*f.snap, {"negative keeps SOA", {"1.0.0.127.bl.example", "A"}, 3, true, {}, kSoaNeg}, lazy);
}

TEST_CASE("answer: NS rotation alternates the first NS", "[answer]") {
  // Each write of the NS set moves its start (an apex NS query writes it twice, in
  // ANSWER and AUTHORITY, as rbldnsd does), so look at positive answers' AUTHORITY.
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  WorkerState ws;
  std::vector<std::string> firsts;
  for (int i = 0; i < 4; ++i) {
    auto resp = fastrbl::test::ask(*f.snap, {}, {"2.0.0.127.bl.example", "A"}, Transport::kUdp, ws);
    REQUIRE(resp.pkt != nullptr);
    ldns_rr* rr = ldns_rr_list_rr(ldns_pkt_authority(resp.pkt.get()), 0);
    char* s = ldns_rdf2str(ldns_rr_rdf(rr, 0));
    firsts.emplace_back(s);
    free(s);  // NOLINT
  }
  CHECK(firsts[0] != firsts[1]);
  CHECK(firsts[0] == firsts[2]);
  CHECK(firsts[1] == firsts[3]);
}

TEST_CASE("answer: IPv6 reverse names reach IPv4 data (6to4, v4-mapped)", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  // 2002:7f00:0002::1 -> 127.0.0.2 ; ::ffff:127.0.0.2 -> 127.0.0.2 ; 2001:db8::1 -> nothing
  const std::string six_to_four =
      fastrbl::test::nibbles("2002:7f00:0002:0000:0000:0000:0000:0001") + ".bl.example";
  const std::string mapped =
      fastrbl::test::nibbles("0000:0000:0000:0000:0000:ffff:7f00:0002") + ".bl.example";
  const std::string plain = fastrbl::test::nibbles("2001:0db8:0000:0000:0000:0000:0000:0001") + ".bl.example";
  check_row(*f.snap, {"6to4", {six_to_four, "A"}, 0, true, {"A 300 127.0.0.2"}, kNs});
  check_row(*f.snap, {"v4-mapped", {mapped, "A"}, 0, true, {"A 300 127.0.0.2"}, kNs});
  check_row(*f.snap, {"plain IPv6", {plain, "A"}, 3, true, {}, kSoaNeg});
}

TEST_CASE("answer: the most specific zone wins whatever the order", "[answer]") {
  Fixture f({{"parent.txt", "$SOA 3600 ns.example. h.example. 1 1 1 1 1\n127.0.0.2\n"},
             {"child.txt", "$SOA 3600 ns.example. h.example. 2 1 1 1 1\n:127.0.0.9:\n127.0.0.3\n"}},
            {"bl.example:ip4set:@DIR@/parent.txt", "sub.bl.example:ip4set:@DIR@/child.txt"});
  check_row(*f.snap, {"child zone", {"3.0.0.127.sub.bl.example", "A"}, 0, true, {"A 2100 127.0.0.9"}, {}});
  check_row(*f.snap, {"child has no 127.0.0.2", {"2.0.0.127.sub.bl.example", "A"}, 3, true, {}, {"SOA 1"}});
  check_row(*f.snap, {"parent", {"2.0.0.127.bl.example", "A"}, 0, true, {"A 2100 127.0.0.2"}, {}});
}

TEST_CASE("answer: several datasets in a zone merge, lowest TTL per type", "[answer]") {
  Fixture f({{"a.txt", "$TTL 600\n:127.0.0.2:same\n10.0.0.1\n!10.0.0.2\n"},
             {"b.txt", "$TTL 120\n:127.0.0.2:same\n10.0.0.1\n10.0.0.2 :127.0.0.5:other\n"}},
            {"bl.example:ip4set:@DIR@/a.txt", "bl.example:ip4set:@DIR@/b.txt"});
  check_row(*f.snap, {"identical values once, lowest TTL",
                      {"1.0.0.10.bl.example", "ANY"},
                      0,
                      true,
                      {"A 120 127.0.0.2", "TXT 120 \"same\""},
                      {}});
  check_row(*f.snap, {"an exclusion in one dataset does not hide the other",
                      {"2.0.0.10.bl.example", "A"},
                      0,
                      true,
                      {"A 120 127.0.0.5"},
                      {}});
}

TEST_CASE("answer: EDNS", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  WorkerState ws;
  SECTION("an EDNS query gets an OPT record, also for a small answer") {
    QuerySpec q{"2.0.0.127.bl.example", "A"};
    q.edns = true;
    q.edns_size = 1232;
    q.edns_do = true;
    auto resp = fastrbl::test::ask(*f.snap, {}, q, Transport::kUdp, ws);
    REQUIRE(resp.pkt != nullptr);
    CHECK(ldns_pkt_edns(resp.pkt.get()));
    CHECK(ldns_pkt_edns_udp_size(resp.pkt.get()) == 2048);
    CHECK(ldns_pkt_edns_do(resp.pkt.get()));
    CHECK(ldns_pkt_get_rcode(resp.pkt.get()) == LDNS_RCODE_NOERROR);
  }
  SECTION("no EDNS, no OPT") {
    auto resp = fastrbl::test::ask(*f.snap, {}, {"2.0.0.127.bl.example", "A"}, Transport::kUdp, ws);
    REQUIRE(resp.pkt != nullptr);
    CHECK_FALSE(ldns_pkt_edns(resp.pkt.get()));
  }
  SECTION("EDNS version 1 gets BADVERS") {
    QuerySpec q{"2.0.0.127.bl.example", "A"};
    q.edns = true;
    q.edns_version = 1;
    auto resp = fastrbl::test::ask(*f.snap, {}, q, Transport::kUdp, ws);
    REQUIRE(resp.bytes.size() >= 12 + 11);
    CHECK(resp.bytes[7] == 0);   // no answer
    CHECK(resp.bytes[11] == 1);  // the OPT record
    const std::size_t opt = resp.bytes.size() - 11;
    CHECK(resp.bytes[opt + 5] == 1);  // extended rcode 16 = BADVERS
  }
  SECTION("two OPT records: FORMERR") {
    QuerySpec q{"2.0.0.127.bl.example", "A"};
    q.edns = true;
    q.extra_opt = true;
    auto resp = fastrbl::test::ask(*f.snap, {}, q, Transport::kUdp, ws);
    REQUIRE(resp.bytes.size() >= 12);
    CHECK((resp.bytes[3] & 0x0f) == 1);
  }
}

TEST_CASE("answer: TC when an answer does not fit, the whole answer over TCP", "[answer]") {
  Fixture f({{"big.txt", many_values()}}, {"big.example:ip4set:@DIR@/big.txt"});
  WorkerState ws;
  QuerySpec q{"9.9.9.10.big.example", "A"};
  auto udp = fastrbl::test::ask(*f.snap, {}, q, Transport::kUdp, ws);
  REQUIRE(udp.pkt != nullptr);
  CHECK(udp.bytes.size() <= 512);
  CHECK(ldns_pkt_tc(udp.pkt.get()));
  CHECK(ldns_pkt_ancount(udp.pkt.get()) < 40);
  CHECK(ldns_pkt_nscount(udp.pkt.get()) == 0);

  q.edns = true;
  q.edns_size = 4096;
  auto edns = fastrbl::test::ask(*f.snap, {}, q, Transport::kUdp, ws);
  REQUIRE(edns.pkt != nullptr);
  CHECK_FALSE(ldns_pkt_tc(edns.pkt.get()));
  CHECK(ldns_pkt_ancount(edns.pkt.get()) == 40);

  q.edns = false;
  auto tcp = fastrbl::test::ask(*f.snap, {}, q, Transport::kTcp, ws);
  REQUIRE(tcp.pkt != nullptr);
  CHECK_FALSE(ldns_pkt_tc(tcp.pkt.get()));
  CHECK(ldns_pkt_ancount(tcp.pkt.get()) == 40);
  CHECK(ldns_pkt_nscount(tcp.pkt.get()) == 1);
}

TEST_CASE("answer: malformed queries get no reply", "[answer]") {
  Fixture f({{"bl.txt", kData}}, {"bl.example:ip4set:@DIR@/bl.txt"});
  WorkerState ws;
  std::vector<std::uint8_t> out(fastrbl::dnsd::kUdpOutSize);
  AnswerInfo info;
  auto good = fastrbl::test::build_query({"2.0.0.127.bl.example", "A"});
  const std::vector<std::pair<const char*, std::vector<std::uint8_t>>> bad = {
      {"empty", {}},
      {"short header", std::vector<std::uint8_t>(good.begin(), good.begin() + 11)},
      {"truncated question", std::vector<std::uint8_t>(good.begin(), good.end() - 1)},
      {"QR set",
       [&] {
         auto p = good;
         p[2] |= 0x80;
         return p;
       }()},
      {"QDCOUNT 0",
       [&] {
         auto p = good;
         p[5] = 0;
         return p;
       }()},
      {"QDCOUNT 2",
       [&] {
         auto p = good;
         p[5] = 2;
         return p;
       }()},
      {"compressed qname",
       [&] {
         std::vector<std::uint8_t> p(good.begin(), good.begin() + 12);
         for (int b : {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01}) p.push_back(static_cast<std::uint8_t>(b));
         return p;
       }()},
  };
  for (const auto& [what, pkt] : bad) {
    INFO(what);
    CHECK(fastrbl::dnsd::answer(*f.snap, {}, pkt, out, Transport::kUdp, nullptr, ws, &info) == 0);
    CHECK_FALSE(info.replied);
  }
  auto trailing = good;
  trailing.push_back(0xde);
  trailing.push_back(0xad);
  CHECK(fastrbl::dnsd::answer(*f.snap, {}, trailing, out, Transport::kUdp, nullptr, ws, &info) > 0);
}
