// answer()'s fast path (dnsd/query.cc, fast_answer) against its general path: the same
// data served twice, once as loaded (the fast path serves the plain A/TXT queries of
// ip4set-only and dnset-only zones) and once with a global acl that matches no client,
// which turns the fast path off (Snapshot::fast_zones() is empty) and changes nothing else.
// Every query must get the same bytes and the same AnswerInfo from both: hits with values
// and TXT templates, misses, exclusions, wildcards, empty non-terminals, two datasets in a
// zone, nested zones, upper case, RD, EDNS, TCP, and the names the fast path hands over.

#include "dnsd/query.h"
#include "dnsd/query_fast.h"
#include "support/wire_name.h"
#include "test_packets.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

using fastrbl::dnsd::AnswerConfig;
using fastrbl::dnsd::AnswerInfo;
using fastrbl::dnsd::Transport;
using fastrbl::dnsd::WorkerState;
using fastrbl::test::QuerySpec;
using fastrbl::test::TempDir;
using fastrbl::testing::wire_name;
using fastrbl::zones::FastZone;

namespace {

constexpr const char* kIp4 = R"($SOA 3600 ns1.bl.t. hostmaster.example.net. 1 600 300 86400 60
$NS 3600 ns1.bl.t ns2.example.net
$TTL 300
:127.0.0.2:Listed $, see http://bl.t/$
1.2.3.4
1.2.3.5 :127.0.0.3:Own value for $
10.0.0.0/24 :127.0.0.4:
!10.0.0.7
192.168.0.0/16
)";

// A second ip4set in the same zone (both answer), without TXT.
constexpr const char* kIp4b = R"($TTL 600
1.2.3.4 :127.0.0.9
5.6.7.8
)";

constexpr const char* kDn = R"($SOA 3600 ns1.example.net. hostmaster.example.net. 7 600 300 86400 60
$NS 3600 ns1.example.net
:127.0.0.2:Listed domain $
spam.example.com
.wild.example.org :127.0.0.5:Wild $
!good.wild.example.org
*.sub.example.net
deep.a.b.c.example.com
)";

// The global acl: one client that never asks (tests pass no peer).
constexpr const char* kAcl = "10.255.255.254\n";

void write(const std::string& path, const char* text) { std::ofstream(path) << text; }

struct Result {
  std::vector<std::uint8_t> bytes;
  AnswerInfo info;
};

Result ask(const fastrbl::zones::Snapshot& snap, const AnswerConfig& cfg,
           const std::vector<std::uint8_t>& query, Transport t, WorkerState& ws) {
  std::vector<std::uint8_t> out(t == Transport::kTcp ? fastrbl::dnsd::kTcpOutSize
                                                     : fastrbl::dnsd::kUdpOutSize);
  Result r;
  const std::size_t n = fastrbl::dnsd::answer(snap, cfg, query, out, t, nullptr, ws, &r.info);
  r.bytes.assign(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n));
  return r;
}

// The zones `plain` served twice: as loaded, and with a global acl (`acl`: a file that
// matches no client) that turns the fast path off and changes nothing else.
struct FastAndGeneral {
  std::shared_ptr<const fastrbl::zones::Snapshot> fast, general;
};

FastAndGeneral load_both(const std::vector<std::string>& plain, const std::string& acl) {
  std::vector<std::string> with_acl = plain;
  with_acl.push_back(".:acl:" + acl);
  FastAndGeneral b{fastrbl::test::load(plain), fastrbl::test::load(with_acl)};
  REQUIRE(b.fast != nullptr);
  REQUIRE(b.general != nullptr);
  REQUIRE(b.general->fast_zones().empty());
  return b;
}

}  // namespace

TEST_CASE("fast path: the same bytes as the general path", "[query][fast]") {
  TempDir dir;
  const std::string d = dir.path() + "/";
  write(d + "ip4", kIp4);
  write(d + "ip4b", kIp4b);
  write(d + "dn", kDn);
  write(d + "acl", kAcl);
  const std::vector<std::string> plain = {"bl.t:ip4set:" + d + "ip4", "bl.t:ip4set:" + d + "ip4b",
                                          "dbl.t:dnset:" + d + "dn", "in.dbl.t:ip4set:" + d + "ip4"};
  const auto [fast, general] = load_both(plain, d + "acl");
  REQUIRE(fast->fast_zones().size() == 3);
  for (const FastZone& z : fast->fast_zones()) CHECK(z.kind != FastZone::Kind::kGeneric);

  std::vector<std::string> names = {"4.3.2.1.bl.t",
                                    "5.3.2.1.bl.t",
                                    "6.3.2.1.bl.t",
                                    "8.7.6.5.bl.t",
                                    "1.0.0.10.bl.t",
                                    "7.0.0.10.bl.t",
                                    "255.0.0.10.bl.t",
                                    "9.9.168.192.bl.t",
                                    "004.03.2.1.bl.t",
                                    "3.2.1.bl.t",
                                    "2.1.bl.t",
                                    "1.bl.t",
                                    "256.3.2.1.bl.t",
                                    "a.3.2.1.bl.t",
                                    "5.4.3.2.1.bl.t",
                                    "bl.t",
                                    "spam.example.com.dbl.t",
                                    "x.spam.example.com.dbl.t",
                                    "example.com.dbl.t",
                                    "com.dbl.t",
                                    "x.wild.example.org.dbl.t",
                                    "a.b.wild.example.org.dbl.t",
                                    "wild.example.org.dbl.t",
                                    "good.wild.example.org.dbl.t",
                                    "x.good.wild.example.org.dbl.t",
                                    "q.sub.example.net.dbl.t",
                                    "sub.example.net.dbl.t",
                                    "c.example.com.dbl.t",
                                    "a.b.c.example.com.dbl.t",
                                    "nothing.dbl.t",
                                    "dbl.t",
                                    "4.3.2.1.in.dbl.t",
                                    "1.0.0.10.in.dbl.t",
                                    "9.9.9.9.in.dbl.t",
                                    "in.dbl.t",
                                    "4.3.2.1.other.t",
                                    "version.bind"};
  const std::vector<std::string> upper = {"4.3.2.1.BL.T", "SPAM.Example.COM.dbl.t",
                                          "X.WILD.example.org.DBL.T", "6.3.2.1.In.Dbl.T"};
  names.insert(names.end(), upper.begin(), upper.end());

  const AnswerConfig configs[] = {AnswerConfig{}, AnswerConfig{true, 0}};
  std::size_t compared = 0;
  for (const AnswerConfig& cfg : configs) {
    WorkerState ws_fast, ws_general;
    for (const std::string& name : names) {
      for (const char* type : {"A", "TXT", "ANY", "MX", "AAAA", "NS", "SOA"}) {
        for (int variant = 0; variant < 4; ++variant) {
          QuerySpec q(name, type);
          q.rd = variant == 1;
          q.edns = variant == 2;
          const Transport t = variant == 3 ? Transport::kTcp : Transport::kUdp;
          const auto query = fastrbl::test::build_query(q);
          const Result a = ask(*fast, cfg, query, t, ws_fast);
          const Result b = ask(*general, cfg, query, t, ws_general);
          INFO(name << " " << type << " variant " << variant << " lazy " << cfg.lazy);
          CHECK(a.bytes == b.bytes);
          CHECK(a.info.replied == b.info.replied);
          CHECK(a.info.parsed == b.info.parsed);
          CHECK(a.info.zone == b.info.zone);
          CHECK(a.info.rcode == b.info.rcode);
          CHECK(a.info.ext_rcode == b.info.ext_rcode);
          CHECK(a.info.ancount == b.info.ancount);
          CHECK(a.info.qtype == b.info.qtype);
          CHECK(a.info.qclass == b.info.qclass);
          ++compared;
        }
      }
    }
    CHECK(ws_fast.ns_rotation == ws_general.ns_rotation);
  }
  CHECK(compared == 2 * names.size() * 7 * 4);
}

TEST_CASE("fast path: malformed and unusual headers go to the general path", "[query][fast]") {
  TempDir dir;
  const std::string d = dir.path() + "/";
  write(d + "ip4", kIp4);
  write(d + "acl", kAcl);
  const auto [fast, general] = load_both({"bl.t:ip4set:" + d + "ip4"}, d + "acl");
  const auto base = fastrbl::test::build_query(QuerySpec("4.3.2.1.bl.t", "A"));
  std::vector<std::vector<std::uint8_t>> queries;
  for (std::size_t cut = 0; cut <= base.size(); ++cut)
    queries.emplace_back(base.begin(), base.begin() + static_cast<std::ptrdiff_t>(cut));
  for (const int flags : {0x80, 0x28, 0x04, 0x02, 0x81, 0x01, 0x00}) {
    auto q = base;
    q[2] = static_cast<std::uint8_t>(flags);
    queries.push_back(q);
  }
  for (std::size_t i = 4; i < 12; ++i) {  // QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT bytes
    auto q = base;
    q[i] = static_cast<std::uint8_t>(q[i] ^ 1);
    queries.push_back(q);
  }
  auto trailing = base;
  trailing.insert(trailing.end(), {0, 1, 2, 3});
  queries.push_back(trailing);
  auto long_label = base;
  long_label[12] = 64;  // a length over 63 (and past the name)
  queries.push_back(long_label);
  auto pointer = base;
  pointer[12] = 0xc0;
  queries.push_back(pointer);
  WorkerState ws_fast, ws_general;
  for (const auto& q : queries) {
    for (const Transport t : {Transport::kUdp, Transport::kTcp}) {
      const Result a = ask(*fast, AnswerConfig{}, q, t, ws_fast);
      const Result b = ask(*general, AnswerConfig{}, q, t, ws_general);
      CHECK(a.bytes == b.bytes);
      CHECK(a.info.replied == b.info.replied);
      CHECK(a.info.rcode == b.info.rcode);
      CHECK(a.info.zone == b.info.zone);
    }
  }
}

namespace {

// Zones for the precomputed authority blocks: five NS, three with glue (in the dnset zone
// gd.t, which has its own NS and glue inside itself); six long in-zone NS whose glue
// does not fit in 512 bytes after an answer (the set alone does); a zone without NS; a
// zone without SOA. TXT without `$` (no substitution) and with it.
constexpr const char* kGlueIp4 = R"($SOA 3600 ns1.gd.t. hostmaster.example.net. 1 600 300 86400 60
$NS 3600 ns1.gd.t ns2.gd.t ns3.example.net ns4.gd.t ns5.example.net
1.2.3.4 :127.0.0.2:Listed, no substitution
1.2.3.5 :127.0.0.3:Listed $
1.2.3.6 :127.0.0.4:
)";

constexpr const char* kGlueDn = R"($SOA 3600 ns1.gd.t. hostmaster.gd.t. 1 600 300 86400 60
$NS 3600 ns1.gd.t ns2.gd.t
ns1 :10.0.0.1:
ns2 :10.0.0.2:
ns4 :10.0.0.4:
ns-0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :10.0.1.0:
ns-1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :10.0.1.1:
ns-2-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :10.0.1.2:
ns-3-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :10.0.1.3:
ns-4-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :10.0.1.4:
ns-5-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :10.0.1.5:
ns-6-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :10.0.1.6:
ns-7-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa :10.0.1.7:
spam.example.com :127.0.0.2:Listed domain $
plain.example.com :127.0.0.3:No substitution
)";

constexpr const char* kBigNs = R"($SOA 3600 ns1.gd.t. hostmaster.example.net. 1 600 300 86400 60
$NS 3600 ns-0-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gd.t ns-1-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gd.t ns-2-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gd.t ns-3-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gd.t ns-4-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gd.t ns-5-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gd.t
1.2.3.4 :127.0.0.2:Listed
)";

constexpr const char* kNoNs = R"($SOA 3600 ns1.gd.t. hostmaster.example.net. 1 600 300 86400 60
1.2.3.4 :127.0.0.2:Listed $
)";

constexpr const char* kNoSoa = R"($NS 3600 ns1.gd.t ns2.gd.t
1.2.3.4 :127.0.0.2:Listed $
)";

std::uint16_t count_at(const std::vector<std::uint8_t>& m, std::size_t off) {
  return static_cast<std::uint16_t>(m[off] << 8 | m[off + 1]);
}

}  // namespace

TEST_CASE("fast path: NS sets with glue in every rotation, sets that do not fit, zones without NS or SOA",
          "[query][fast]") {
  TempDir dir;
  const std::string d = dir.path() + "/";
  write(d + "g", kGlueIp4);
  write(d + "gd", kGlueDn);
  write(d + "big", kBigNs);
  write(d + "nons", kNoNs);
  write(d + "nosoa", kNoSoa);
  write(d + "acl", kAcl);
  const std::vector<std::string> plain = {"g.t:ip4set:" + d + "g", "gd.t:dnset:" + d + "gd",
                                          "big.t:ip4set:" + d + "big", "nons.t:ip4set:" + d + "nons",
                                          "nosoa.t:ip4set:" + d + "nosoa"};
  const auto [fast, general] = load_both(plain, d + "acl");
  REQUIRE(fast->fast_zones().size() == 5);
  for (const FastZone& z : fast->fast_zones()) CHECK(z.kind != FastZone::Kind::kGeneric);

  const std::vector<std::string> names = {
      "4.3.2.1.g.t",
      "5.3.2.1.g.t",
      "6.3.2.1.g.t",
      "7.3.2.1.g.t",
      "4.3.2.1.big.t",
      "5.3.2.1.big.t",
      "4.3.2.1.nons.t",
      "5.3.2.1.nons.t",
      "4.3.2.1.nosoa.t",
      "5.3.2.1.nosoa.t",
      "spam.example.com.gd.t",
      "plain.example.com.gd.t",
      "other.gd.t",
      "ns1.gd.t",  // the question is an NS name below the apex: compressed differently
      "x.ns2.gd.t",
      "NS4.GD.T",
      "ns-3-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.gd.t"};
  const AnswerConfig configs[] = {AnswerConfig{}, AnswerConfig{true, 0}};
  bool saw_glue = false, saw_big_udp = false, saw_big_tcp = false;
  for (const AnswerConfig& cfg : configs) {
    WorkerState ws_fast, ws_general;
    for (const std::string& name : names) {
      for (const char* type : {"A", "TXT", "ANY"}) {
        for (int variant = 0; variant < 3; ++variant) {
          QuerySpec q(name, type);
          q.rd = variant == 1;
          const Transport t = variant == 2 ? Transport::kTcp : Transport::kUdp;
          const auto query = fastrbl::test::build_query(q);
          for (int rep = 0; rep < 6; ++rep) {  // every rotation start of the five-NS zone
            const Result a = ask(*fast, cfg, query, t, ws_fast);
            const Result b = ask(*general, cfg, query, t, ws_general);
            INFO(name << " " << type << " variant " << variant << " rep " << rep << " lazy " << cfg.lazy);
            CHECK(a.bytes == b.bytes);
            CHECK(a.info.replied == b.info.replied);
            CHECK(a.info.zone == b.info.zone);
            CHECK(a.info.rcode == b.info.rcode);
            CHECK(a.info.ancount == b.info.ancount);
            CHECK(ws_fast.ns_rotation == ws_general.ns_rotation);
            if (a.bytes.size() < 12 || cfg.lazy || count_at(a.bytes, 6) == 0) continue;
            if (name == "4.3.2.1.g.t" && count_at(a.bytes, 10) != 0) saw_glue = true;
            if (name == "4.3.2.1.big.t" && t == Transport::kUdp && count_at(a.bytes, 8) == 6 &&
                count_at(a.bytes, 10) == 0)
              saw_big_udp = true;
            if (name == "4.3.2.1.big.t" && t == Transport::kTcp && count_at(a.bytes, 10) == 6)
              saw_big_tcp = true;
          }
        }
      }
    }
  }
  CHECK(saw_glue);
  CHECK(saw_big_udp);
  CHECK(saw_big_tcp);
}

TEST_CASE("fast path: zone names of every length class (word compares)", "[query][fast]") {
  TempDir dir;
  const std::string d = dir.path() + "/";
  write(d + "ip4", kIp4);
  write(d + "dn", kDn);
  write(d + "acl", kAcl);
  // Wire sizes 5, 8, 16, 16 (same tail), 17, 35 and 35 (differing in the middle only).
  const std::vector<std::string> zones = {"x.t",
                                          "abcd.t",
                                          "aaaaaaaaaaaa.t",
                                          "baaaaaaaaaaa.t",
                                          "aaaaaaaaaaaaa.t",
                                          "zone-one-xxxxxxxxxxxxxxxxxxxxxxx.t",
                                          "zone-two-xxxxxxxxxxxxxxxxxxxxxxx.t"};
  std::vector<std::string> plain;
  for (std::size_t i = 0; i < zones.size(); ++i)
    plain.push_back(zones[i] + (i % 2 == 0 ? ":ip4set:" + d + "ip4" : ":dnset:" + d + "dn"));
  const auto [fast, general] = load_both(plain, d + "acl");
  REQUIRE(fast->fast_zones().size() == zones.size());

  std::vector<std::string> names = {"t",
                                    "y.t",
                                    "bcd.t",
                                    "Abcd.T",
                                    "a.aaaaaaaaaaa.t",
                                    "caaaaaaaaaaa.t",
                                    "zone-three-xxxxxxxxxxxxxxxxxxxxx.t",
                                    "zone-one-xxxxxxxxxxxxxxxxxxxxxxy.t"};
  for (const std::string& z : zones) {
    for (const char* sub : {"4.3.2.1.", "6.3.2.1.", "spam.example.com.", "nothing.", ""})
      names.push_back(sub + z);
  }
  names.push_back("4.3.2.1.ZONE-TWO-xxxxxxxxxxxxxxxxxxxxxxx.T");
  WorkerState ws_fast, ws_general;
  for (const std::string& name : names) {
    for (const char* type : {"A", "TXT"}) {
      const auto query = fastrbl::test::build_query(QuerySpec(name, type));
      const Result a = ask(*fast, AnswerConfig{}, query, Transport::kUdp, ws_fast);
      const Result b = ask(*general, AnswerConfig{}, query, Transport::kUdp, ws_general);
      INFO(name << " " << type);
      CHECK(a.bytes == b.bytes);
      CHECK(a.info.zone == b.info.zone);
      CHECK(a.info.rcode == b.info.rcode);
    }
  }
}

namespace {

// A query (ID 0x1234, RD, one question) for the wire name `name`, type `qtype`, class IN,
// followed by `trailing` bytes.
std::vector<std::uint8_t> raw_query(const std::vector<std::uint8_t>& name, std::uint16_t qtype,
                                    const std::vector<std::uint8_t>& trailing = {}) {
  std::vector<std::uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  q.insert(q.end(), name.begin(), name.end());
  q.insert(q.end(), {static_cast<std::uint8_t>(qtype >> 8), static_cast<std::uint8_t>(qtype), 0, 1});
  q.insert(q.end(), trailing.begin(), trailing.end());
  return q;
}

}  // namespace

TEST_CASE("fast path: the zone found from the name's tail, octet labels of every kind", "[query][fast]") {
  TempDir dir;
  const std::string d = dir.path() + "/";
  write(d + "ip4", kIp4);
  write(d + "dn", kDn);
  write(d + "acl", kAcl);
  const auto [fast, general] = load_both(
      {"bl.t:ip4set:" + d + "ip4", "dbl.t:dnset:" + d + "dn", "in.dbl.t:ip4set:" + d + "ip4"}, d + "acl");

  std::vector<std::vector<std::uint8_t>> names = {
      // The bytes of bl.t / dbl.t end the name, but not as its labels.
      {4, 'a', 2, 'b', 'l', 1, 't', 0},
      {5, '1', 3, 'd', 'b', 'l', 1, 't', 0},
      {2, 0, 2, 'b', 'l', 1, 't', 0},
      {1, '4', 1, '3', 1, '2', 2, '1', 2, 'b', 'l', 1, 't', 0},
      {7, '4', 1, '3', 1, '2', 1, '1', 2, 'b', 'l', 1, 't', 0},
      // An empty label, a pointer or a label over 63 bytes in the relative name.
      {1, 'a', 0, 3, 'd', 'b', 'l', 1, 't', 0},
      {1, '4', 1, '3', 0, '2', 1, '1', 2, 'b', 'l', 1, 't', 0},
      {0xc0, 12, 3, 'd', 'b', 'l', 1, 't', 0},
      {0x40, 'a', 3, 'd', 'b', 'l', 1, 't', 0},
      {0x81, 'a', 3, 'd', 'b', 'l', 1, 't', 0},
      // One byte above the apex; the apex; the root alone.
      {1, 2, 'b', 'l', 1, 't', 0},
      {2, 'b', 'l', 1, 't', 0},
      {0},
  };
  // Octet labels: leading zeros, over 255, empty, not digits, 1-3 digits, 4 and more.
  const std::vector<std::string> octets = {
      "0", "00", "000", "0000", "7",  "07", "007", "255", "256", "299", "300", "999", "1000", "25",   "2a",
      "a", "/",  ":",   "1/",   "1:", "",   "01",  "010", "100", "199", "200", "249", "250",  "12345"};
  for (const std::string& o : octets) {
    names.push_back(wire_name({o, "3", "2", "1", "bl", "t"}));
    names.push_back(wire_name({"4", o, "2", "1", "bl", "t"}));
    names.push_back(wire_name({"4", "3", o, "1", "bl", "t"}));
    names.push_back(wire_name({"4", "3", "2", o, "bl", "t"}));
    names.push_back(wire_name({o, o, o, o, "in", "dbl", "t"}));
    names.push_back(wire_name({o, "3", "2", "bl", "t"}));
    names.push_back(wire_name({o, "4", "3", "2", "1", "bl", "t"}));
  }
  // Random names of up to six labels of 0-5 bytes, mostly digits, over both zones.
  std::uint32_t x = 12345;
  auto next = [&x](std::uint32_t n) {
    x = x * 1103515245u + 12345u;
    return (x >> 8) % n;
  };
  const std::string alphabet =
      std::string("0123456789012345678901234567890123456789aZ/:-") + '\0' + '\x03' + '\xc0';
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::uint8_t> n;
    const std::uint32_t labels = next(2) == 0 ? 4 : 1 + next(6);  // four: an address, if the octets are
    for (std::uint32_t l = 0; l < labels; ++l) {
      const std::uint32_t len = next(8) < 6 ? 1 + next(3) : next(6);
      n.push_back(static_cast<std::uint8_t>(len));
      for (std::uint32_t k = 0; k < len; ++k)
        n.push_back(static_cast<std::uint8_t>(alphabet[next(static_cast<std::uint32_t>(alphabet.size()))]));
    }
    const std::vector<std::uint8_t> zone = next(3) == 0 ? wire_name({"DbL", "t"}) : wire_name({"bl", "t"});
    n.insert(n.end(), zone.begin(), zone.end());
    names.push_back(n);
  }

  WorkerState ws_fast, ws_general;
  std::size_t in_zone = 0;        // answers from a zone's data (NOERROR, NXDOMAIN)
  std::size_t fast_answered = 0;  // by answer_fast_in_place()
  for (const auto& name : names) {
    for (const std::uint16_t qtype : {std::uint16_t{1}, std::uint16_t{16}}) {
      for (const auto& trailing : {std::vector<std::uint8_t>{}, std::vector<std::uint8_t>{0}}) {
        const auto query = raw_query(name, qtype, trailing);
        WorkerState ws = ws_general;  // for answer_fast_in_place() below: the same NS rotation
        const Result a = ask(*fast, AnswerConfig{}, query, Transport::kUdp, ws_fast);
        const Result b = ask(*general, AnswerConfig{}, query, Transport::kUdp, ws_general);
        INFO("name bytes " << name.size() << " qtype " << qtype << " trailing " << trailing.size());
        CHECK(a.bytes == b.bytes);
        CHECK(a.info.replied == b.info.replied);
        CHECK(a.info.parsed == b.info.parsed);
        CHECK(a.info.zone == b.info.zone);
        CHECK(a.info.rcode == b.info.rcode);
        CHECK(a.info.ancount == b.info.ancount);
        if (a.info.zone >= 0 && a.info.rcode != fastrbl::core::Rcode::kRefused) ++in_zone;
        // The batch loop's entry: answer_fast_in_place() in a receive slot, and
        // answer_general() where it declines (the query then untouched).
        std::vector<std::uint8_t> slot(fastrbl::dnsd::kUdpOutSize, 0xa5);
        std::copy(query.begin(), query.end(), slot.begin());
        const fastrbl::dnsd::FastReply f =
            fastrbl::dnsd::answer_fast_in_place(*fast, AnswerConfig{}, slot, query.size(), ws);
        std::vector<std::uint8_t> out(fastrbl::dnsd::kUdpOutSize);
        if (f.len != 0) {
          ++fast_answered;
          CHECK(std::vector<std::uint8_t>(slot.begin(), slot.begin() + f.len) == b.bytes);
          CHECK(b.info.replied);
          CHECK(b.info.parsed);
          CHECK(f.zone == b.info.zone);
          CHECK(f.rcode == b.info.rcode);
          CHECK(f.ancount == b.info.ancount);
          CHECK(ws.ns_rotation == ws_general.ns_rotation);
          CHECK(b.info.qtype == qtype);
          CHECK(b.info.qclass == 1);
        } else {
          CHECK(std::equal(query.begin(), query.end(), slot.begin()));  // declined: as it came
          AnswerInfo info;
          const std::size_t n = fastrbl::dnsd::answer_general(*fast, AnswerConfig{}, query, out,
                                                              Transport::kUdp, nullptr, ws, &info);
          CHECK(std::vector<std::uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(n)) ==
                b.bytes);
          CHECK(info.zone == b.info.zone);
          CHECK(info.rcode == b.info.rcode);
        }
      }
    }
  }
  INFO("answered from a zone: " << in_zone);
  CHECK(in_zone > 20000);  // the random names reach the data, not only refusals
  INFO("answered by answer_fast_in_place(): " << fast_answered);
  CHECK(fast_answered > 5000);
  CHECK(ws_fast.ns_rotation == ws_general.ns_rotation);
}

namespace {

// rbldnsd's octet label, written out plainly: 1-3 decimal digits, value <= 255, leading
// zeros allowed (zones/query_key.cc). The value, or -1.
int octet_rule(const std::uint8_t* l) {
  const int len = l[0];
  if (len < 1 || len > 3) return -1;
  int v = 0;
  for (int i = 1; i <= len; ++i) {
    if (l[i] < '0' || l[i] > '9') return -1;
    v = v * 10 + (l[i] - '0');
  }
  return v <= 255 ? v : -1;
}

}  // namespace

TEST_CASE("fast path: the octet table against the plain rule, every length byte", "[query][fast]") {
  // Every length byte, and at each of the three positions after it every digit and the
  // bytes around and between them (0, the lengths 1-3, '/', ':', letters, high bytes).
  std::vector<std::uint8_t> bytes = {0,   1,   2,   3,    4,    '.',  ' ',  '/',
                                     ':', 'a', 'A', 0x7f, 0x80, 0xb0, 0xb9, 0xff};
  for (std::uint8_t c = '0'; c <= '9'; ++c) bytes.push_back(c);
  std::size_t checked = 0, valid = 0;
  for (int len = 0; len < 256; ++len) {
    for (const std::uint8_t c0 : bytes) {
      for (const std::uint8_t c1 : bytes) {
        for (const std::uint8_t c2 : bytes) {
          const std::array<std::uint8_t, 4> l = {static_cast<std::uint8_t>(len), c0, c1, c2};
          std::size_t pos = 0;
          const std::uint32_t v = fastrbl::dnsd::detail::octet_at(l.data(), pos);
          const int want = octet_rule(l.data());
          const bool ok = want >= 0 ? v == static_cast<std::uint32_t>(want) : v > 255;
          const std::size_t want_pos = len >= 1 && len <= 3 ? static_cast<std::size_t>(len) + 1 : 1;
          if (!ok || pos != want_pos) {
            INFO("len " << len << " bytes " << int{c0} << " " << int{c1} << " " << int{c2} << " value " << v
                        << " want " << want << " pos " << pos);
            CHECK(ok);
            CHECK(pos == want_pos);
          }
          ++checked;
          if (want >= 0) ++valid;
        }
      }
    }
  }
  CHECK(checked == 256 * bytes.size() * bytes.size() * bytes.size());
  // 1 digit: 10 x 26 x 26 (the rest is not read); 2: 100 x 26; 3: 256 (000-255).
  CHECK(valid == 10 * bytes.size() * bytes.size() + 100 * bytes.size() + 256);
}
