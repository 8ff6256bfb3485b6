// Tests for zones::Ip4Set and its builder: rbldnsd's ip4set conflict rules resolved into
// the flat index, value sets, empty non-terminals, statistics, and the hot-path contract
// (no allocation in query()).

#include "core/dns.h"
#include "core/wire_writer.h"
#include "support/alloc_counter.h"
#include "support/answer_text.h"
#include "support/placed_image.h"
#include "zones/answer_sink.h"
#include "zones/dump.h"
#include "zones/image.h"
#include "zones/ip4set.h"
#include "zones/prefix_table.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cstdlib>
#include <map>
#include <new>
#include <random>
#include <set>
#include <string>
#include <vector>

using fastrbl::testing::g_allocations;
using fastrbl::testing::g_counting;

namespace fastrbl::zones {
namespace {

using Rrs = std::vector<std::string>;

// The set's dump (rbldnsd's text), to compare a set with its image reopened.
std::string dump_text(const Dataset& set) {
  std::string t;
  StringDumpSink sink(t);
  DumpWriter w(sink);
  set.dump(w);
  return t;
}

constexpr std::uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

struct Entry {
  std::uint32_t first, last;
  bool excluded;
  std::array<std::uint8_t, 4> a;
  std::string txt;
};

// A listing with the default value, an exclusion, a listing with a value.
Entry L(std::uint32_t first, std::uint32_t last) { return {first, last, false, {127, 0, 0, 2}, ""}; }
Entry X(std::uint32_t first, std::uint32_t last) { return {first, last, true, {127, 0, 0, 2}, ""}; }
Entry V(std::uint32_t first, std::uint32_t last, std::uint8_t a4, std::string txt) {
  return {first, last, false, {127, 0, 0, a4}, std::move(txt)};
}

std::unique_ptr<Ip4Set> make_set(const std::vector<Entry>& entries, std::uint32_t ttl = 2100) {
  Ip4SetBuilder b;
  for (const Entry& e : entries) {
    if (e.excluded)
      b.exclude(e.first, e.last);
    else
      b.add(e.first, e.last, b.add_value(e.a, e.txt));
  }
  DatasetMeta meta;
  meta.type = "ip4set";
  meta.spec = "test";
  meta.ttl = ttl;
  return b.build(std::move(meta));
}

struct Result {
  bool found = false;
  Rrs rrs;
};

// Runs query() for one key and returns the answer records as text, sorted.
Result run(const Ip4Set& set, const QueryKey& key, std::uint16_t qtype = core::rrtype::kANY) {
  // A minimal query packet: header + "q." + type/class.
  std::vector<std::uint8_t> query = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'q', 0, 0, 1, 0, 1};
  std::vector<std::uint8_t> buf(core::kMaxTcpMessage);
  core::ResponseWriter w(buf);
  w.begin(query, query.size(), buf.size());
  AnswerSink sink(w, qtype);
  Result r;
  r.found = set.query(key, sink);
  fastrbl::testing::for_each_answer(
      buf.data(), query.size(), w.count(core::Section::kAnswer),
      [&](std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rd) {
        r.rrs.push_back(fastrbl::testing::rr_plain_text(type, ttl, rd));
      });
  std::sort(r.rrs.begin(), r.rrs.end());
  return r;
}

QueryKey addr_key(std::uint32_t a) {
  QueryKey k;
  k.labels = 4;
  k.ip4 = true;
  k.ip4_addr = a;
  return k;
}

QueryKey prefix_key(std::uint32_t prefix, std::uint8_t octets) {
  QueryKey k;
  k.labels = octets;
  k.ip4_prefix_octets = octets;
  k.ip4_prefix = prefix;
  return k;
}

Result ask(const Ip4Set& set, std::uint32_t a, std::uint16_t qtype = core::rrtype::kANY) {
  return run(set, addr_key(a), qtype);
}

TEST_CASE("ip4set: the compat 4.1 example", "[ip4set]") {
  auto set = make_set({
      L(ip(10, 0, 0, 0), ip(10, 255, 255, 255)),
      X(ip(10, 1, 0, 0), ip(10, 1, 255, 255)),
      V(ip(10, 1, 2, 0), ip(10, 1, 2, 255), 3, "x"),
      X(ip(10, 1, 2, 3), ip(10, 1, 2, 3)),
  });
  CHECK(ask(*set, ip(10, 0, 0, 1)).rrs == Rrs{"A 127.0.0.2 2100"});
  CHECK_FALSE(ask(*set, ip(10, 1, 0, 1)).found);
  CHECK(ask(*set, ip(10, 1, 2, 2)).rrs == Rrs{"A 127.0.0.3 2100", "TXT x 2100"});
  CHECK_FALSE(ask(*set, ip(10, 1, 2, 3)).found);
  CHECK(ask(*set, ip(10, 200, 0, 1)).found);
  CHECK_FALSE(ask(*set, ip(11, 0, 0, 0)).found);
  CHECK(set->stats().to_string() == "e32/24/16/8=1/1/1/1");
  CHECK(set->entries() == 4);
}

TEST_CASE("ip4set: specificity counts octet levels, not prefix length", "[ip4set]") {
  // 1.2.3.0/25 is 128 /32 blocks, which beat a /24 exclusion.
  auto set = make_set({
      L(ip(1, 2, 3, 0), ip(1, 2, 3, 127)),
      X(ip(1, 2, 3, 0), ip(1, 2, 3, 255)),
  });
  CHECK(ask(*set, ip(1, 2, 3, 0)).found);
  CHECK(ask(*set, ip(1, 2, 3, 127)).found);
  CHECK_FALSE(ask(*set, ip(1, 2, 3, 128)).found);
  CHECK(set->stats().to_string() == "e32/24/16/8=128/1/0/0");
}

TEST_CASE("ip4set: an exclusion beats listings at the same level", "[ip4set]") {
  auto set = make_set({
      L(ip(5, 5, 5, 5), ip(5, 5, 5, 5)),
      X(ip(5, 5, 5, 5), ip(5, 5, 5, 5)),
      L(ip(5, 5, 5, 0), ip(5, 5, 5, 255)),
  });
  CHECK_FALSE(ask(*set, ip(5, 5, 5, 5)).found);  // the /32 level decides
  CHECK(ask(*set, ip(5, 5, 5, 6)).found);
}

TEST_CASE("ip4set: several values at one address are all returned, once each", "[ip4set]") {
  auto set = make_set({
      V(ip(1, 2, 3, 4), ip(1, 2, 3, 4), 3, "a"),
      V(ip(1, 2, 3, 4), ip(1, 2, 3, 4), 3, "b"),
      V(ip(1, 2, 3, 4), ip(1, 2, 3, 4), 4, "a"),
      V(ip(1, 2, 3, 4), ip(1, 2, 3, 4), 3, "a"),
      V(ip(1, 2, 3, 0), ip(1, 2, 3, 255), 9, "less specific"),
  });
  CHECK(ask(*set, ip(1, 2, 3, 4)).rrs ==
        Rrs{"A 127.0.0.3 2100", "A 127.0.0.4 2100", "TXT a 2100", "TXT b 2100"});
  CHECK(ask(*set, ip(1, 2, 3, 4), core::rrtype::kA).rrs == Rrs{"A 127.0.0.3 2100", "A 127.0.0.4 2100"});
  CHECK(ask(*set, ip(1, 2, 3, 4), core::rrtype::kTXT).rrs == Rrs{"TXT a 2100", "TXT b 2100"});
  CHECK(ask(*set, ip(1, 2, 3, 5)).rrs == Rrs{"A 127.0.0.9 2100", "TXT less specific 2100"});
  // rbldnsd counts after dropping adjacent duplicates only (sorted by value pointer):
  // a, b, a(.4), a stays 4, as the real rbldnsd reports.
  CHECK(set->stats().blocks[0] == 4);
}

TEST_CASE("ip4set: a listed name exists for any qtype, with records only for A/TXT/ANY", "[ip4set]") {
  auto set = make_set({V(ip(1, 2, 3, 4), ip(1, 2, 3, 4), 2, "t")});
  Result mx = ask(*set, ip(1, 2, 3, 4), core::rrtype::kMX);
  CHECK(mx.found);
  CHECK(mx.rrs.empty());
}

TEST_CASE("ip4set: TXT templates expand with the queried address and the dataset TTL", "[ip4set]") {
  auto set = make_set({V(ip(10, 0, 0, 0), ip(10, 0, 0, 255), 2, "Listed $ see http://x/?$")}, 600);
  CHECK(ask(*set, ip(10, 0, 0, 7)).rrs ==
        Rrs{"A 127.0.0.2 600", "TXT Listed 10.0.0.7 see http://x/?10.0.0.7 600"});
}

TEST_CASE("ip4set: empty non-terminals (RFC 8020)", "[ip4set]") {
  auto set = make_set({
      L(ip(127, 0, 0, 2), ip(127, 0, 0, 2)),
      L(ip(200, 1, 0, 0), ip(200, 1, 255, 255)),
      X(ip(200, 1, 7, 0), ip(200, 1, 7, 255)),
      L(ip(255, 255, 255, 255), ip(255, 255, 255, 255)),
  });
  struct Row {
    std::uint32_t prefix;
    std::uint8_t octets;
    bool exists;
  };
  const std::vector<Row> rows = {
      {ip(127, 0, 0, 0), 3, true},     {ip(127, 0, 0, 0), 2, true},   {ip(127, 0, 0, 0), 1, true},
      {ip(127, 0, 1, 0), 3, false},    {ip(127, 1, 0, 0), 2, false},  {ip(126, 0, 0, 0), 1, false},
      {ip(200, 1, 7, 0), 3, false},    {ip(200, 1, 8, 0), 3, true},   {ip(200, 0, 0, 0), 1, true},
      {ip(255, 255, 255, 0), 3, true}, {ip(255, 255, 0, 0), 2, true}, {ip(255, 0, 0, 0), 1, true},
      {ip(254, 0, 0, 0), 1, false},
  };
  for (const Row& r : rows) {
    Result res = run(*set, prefix_key(r.prefix, r.octets));
    INFO("prefix " << std::hex << r.prefix << " octets " << int(r.octets));
    CHECK(res.found == r.exists);
    CHECK(res.rrs.empty());
  }
  QueryKey apex;  // labels == 0
  CHECK_FALSE(run(*set, apex).found);
  QueryKey other;  // a name that is not an address
  other.labels = 2;
  CHECK_FALSE(run(*set, other).found);
}

TEST_CASE("ip4set: whole address space and its edges", "[ip4set]") {
  auto set = make_set({L(0, 0xffffffffu), X(0, 0)});
  CHECK(set->stats().to_string() == "e32/24/16/8=1/0/0/256");
  CHECK_FALSE(ask(*set, 0).found);
  CHECK(ask(*set, 1).found);
  CHECK(ask(*set, 0xffffffffu).found);
  CHECK(set->listed_addresses() == 0xffffffffull);
}

TEST_CASE("ip4set: ranges split into octet-aligned blocks like rbldnsd", "[ip4set]") {
  struct Row {
    std::uint32_t first, last;
    const char* stats;
  };
  const std::vector<Row> rows = {
      {ip(127, 0, 0, 1), ip(127, 0, 0, 255), "e32/24/16/8=255/0/0/0"},
      {ip(127, 16, 0, 0), ip(127, 31, 255, 255), "e32/24/16/8=0/0/16/0"},
      {ip(1, 2, 3, 0), ip(1, 2, 4, 255), "e32/24/16/8=0/2/0/0"},
      {ip(1, 2, 3, 5), ip(1, 2, 4, 3), "e32/24/16/8=255/0/0/0"},
      {ip(1, 0, 0, 1), ip(1, 0, 1, 0), "e32/24/16/8=256/0/0/0"},
      {ip(1, 2, 0, 0), ip(1, 3, 255, 255), "e32/24/16/8=0/0/2/0"},
      {ip(1, 0, 0, 0), ip(5, 255, 255, 255), "e32/24/16/8=0/0/0/5"},
      {ip(9, 255, 255, 255), ip(10, 0, 0, 0), "e32/24/16/8=2/0/0/0"},
  };
  for (const Row& r : rows) {
    auto set = make_set({L(r.first, r.last)});
    INFO(r.stats);
    CHECK(set->stats().to_string() == r.stats);
    CHECK(set->listed_addresses() == std::uint64_t{r.last} - r.first + 1);
    CHECK(ask(*set, r.first).found);
    CHECK(ask(*set, r.last).found);
    if (r.first != 0) CHECK_FALSE(ask(*set, r.first - 1).found);
    if (r.last != 0xffffffffu) CHECK_FALSE(ask(*set, r.last + 1).found);
  }
}

TEST_CASE("ip4set: add_value shares an instance between consecutive equal values", "[ip4set]") {
  Ip4SetBuilder b;
  auto v1 = b.add_value({127, 0, 0, 3}, "a");
  CHECK(b.add_value({127, 0, 0, 3}, "a") == v1);
  auto v2 = b.add_value({127, 0, 0, 3}, "b");
  CHECK(v2 != v1);
  CHECK(b.add_value({127, 0, 0, 3}, "a") != v1);  // not consecutive: a new instance
  CHECK(b.add_value({127, 0, 0, 2}, "") != b.default_instance());
}

TEST_CASE("ip4set: an empty set answers nothing", "[ip4set]") {
  auto set = make_set({});
  CHECK_FALSE(ask(*set, ip(1, 2, 3, 4)).found);
  CHECK_FALSE(run(*set, prefix_key(ip(1, 0, 0, 0), 1)).found);
  CHECK(set->stats().to_string() == "e32/24/16/8=0/0/0/0");
  CHECK(set->entries() == 0);
  CHECK(set->flags() == kWantsIp4);
}

// Reference model: rbldnsd's four sorted arrays, searched /32, /24, /16, /8.
struct Model {
  std::array<std::map<std::uint32_t, std::vector<int>>, 4> levels;  // value -1: exclusion
  void add(unsigned level, std::uint32_t addr, std::uint32_t count, int v) {
    for (std::uint32_t k = 0; k < count; ++k) levels[level][addr + (k << (8 * level))].push_back(v);
  }
  void add_range(std::uint32_t a, std::uint32_t b, int v) {
    // Independent statement of the split: largest aligned blocks of 2^(8k), k<=3.
    std::uint64_t x = a;
    while (x <= b) {
      unsigned level = 3;
      for (;; --level) {
        const std::uint64_t size = std::uint64_t{1} << (8 * level);
        if (x % size == 0 && x + size - 1 <= b) break;
      }
      add(level, static_cast<std::uint32_t>(x), 1, v);
      x += std::uint64_t{1} << (8 * level);
    }
  }
  std::set<int> lookup(std::uint32_t addr, bool* listed) const {
    for (unsigned level = 0; level < 4; ++level) {
      const std::uint32_t mask = level == 0 ? 0xffffffffu : ~((std::uint32_t{1} << (8 * level)) - 1);
      auto it = levels[level].find(addr & mask);
      if (it == levels[level].end()) continue;
      std::set<int> vals(it->second.begin(), it->second.end());
      *listed = vals.count(-1) == 0;
      if (!*listed) vals.clear();
      return vals;
    }
    *listed = false;
    return {};
  }
};

TEST_CASE("ip4set: matches a direct model of rbldnsd's lookup on random data", "[ip4set]") {
  std::mt19937 gen(12345);
  auto rng = [&gen]() { return static_cast<std::uint32_t>(gen()); };
  for (int round = 0; round < 20; ++round) {
    Model model;
    Ip4SetBuilder b;
    const std::uint32_t base = ip(10, 0, 0, 0);
    const int n = 200;
    for (int i = 0; i < n; ++i) {
      // Addresses in 10.0.0.0/14, ranges of several shapes.
      std::uint32_t a = base + (rng() & 0x3ffffu);
      std::uint32_t len;
      switch (rng() % 4) {
        case 0:
          len = 1;
          break;
        case 1:
          len = 1 + (rng() % 600);
          break;
        case 2:
          a &= 0xffffff00u;
          len = 256;
          break;
        default:
          a &= 0xffff0000u;
          len = 65536;
          break;
      }
      std::uint32_t last = std::min<std::uint64_t>(std::uint64_t{a} + len - 1, base + 0x3ffffu) & 0xffffffffu;
      if (rng() % 5 == 0) {
        b.exclude(a, last);
        model.add_range(a, last, -1);
      } else {
        int v = static_cast<int>(rng() % 4);
        b.add(a, last, b.add_value({127, 0, 0, static_cast<std::uint8_t>(2 + v)}, ""));
        model.add_range(a, last, v);
      }
    }
    if (round % 2 == 0) {  // a covering /8 with its own value, sometimes
      b.add(ip(10, 0, 0, 0), ip(10, 255, 255, 255), b.add_value({127, 0, 0, 9}, ""));
      model.add_range(ip(10, 0, 0, 0), ip(10, 255, 255, 255), 7);
    }
    DatasetMeta meta;
    meta.ttl = 60;
    auto set = b.build(std::move(meta));
    for (int q = 0; q < 3000; ++q) {
      const std::uint32_t addr = base + (rng() & 0x7ffffu);
      bool listed = false;
      std::set<int> want = model.lookup(addr, &listed);
      Result got = ask(*set, addr, core::rrtype::kA);
      INFO("round " << round << " addr " << std::hex << addr);
      REQUIRE(got.found == listed);
      Rrs want_rrs;
      for (int v : want) want_rrs.push_back("A 127.0.0." + std::to_string(v == 7 ? 9 : 2 + v) + " 60");
      std::sort(want_rrs.begin(), want_rrs.end());
      REQUIRE(got.rrs == want_rrs);
    }
    // Empty non-terminals: any listed address in the /24 and /16.
    for (int q = 0; q < 200; ++q) {
      const std::uint32_t p24 = (base + (rng() & 0x7ffffu)) & 0xffffff00u;
      bool any = false;
      for (std::uint32_t k = 0; k < 256 && !any; ++k) model.lookup(p24 + k, &any);
      REQUIRE(run(*set, prefix_key(p24, 3)).found == any);
    }
  }
}

TEST_CASE("ip4set: a large set (direct top-16-bit indexes) matches the model", "[ip4set]") {
  // Enough /16s and intervals that build_index() makes both indexes: entries spread over
  // the whole space, clustered in a few /16s too, ranges across /16 boundaries.
  std::mt19937 gen(777);
  auto rng = [&gen]() { return static_cast<std::uint32_t>(gen()); };
  Model model;
  Ip4SetBuilder b;
  std::vector<std::uint32_t> probes;
  for (int i = 0; i < 8000; ++i) {
    std::uint32_t a = rng();
    if (i % 4 == 0) a = ip(10, 1 + rng() % 3, 0, 0) | (rng() & 0xffffu);  // clustered
    std::uint32_t last = a;
    if (i % 50 == 0) {
      a |= 0xff00u;  // from near the top of a /16 into the next one
      last = static_cast<std::uint32_t>(
          std::min<std::uint64_t>(std::uint64_t{a} + 300 + rng() % 600, 0xffffffffu));
    }
    if (i % 13 == 0) {
      b.exclude(a, last);
      model.add_range(a, last, -1);
    } else {
      const int v = static_cast<int>(rng() % 4);
      b.add(a, last, b.add_value({127, 0, 0, static_cast<std::uint8_t>(2 + v)}, ""));
      model.add_range(a, last, v);
    }
    for (std::uint32_t p : {a, a - 1, a + 1, last, last + 1, a & 0xffff0000u, (a & 0xffff0000u) - 1,
                            (a | 0xffffu), (a | 0xffffu) + 1})
      probes.push_back(p);
  }
  b.add(ip(10, 2, 0, 0), ip(10, 2, 255, 255), b.add_value({127, 0, 0, 9}, ""));  // a whole /16
  model.add_range(ip(10, 2, 0, 0), ip(10, 2, 255, 255), 7);
  for (int i = 0; i < 5000; ++i) probes.push_back(rng());
  for (std::uint32_t p : {0u, 1u, 0xffffu, 0x10000u, 0xfffffffeu, 0xffffffffu}) probes.push_back(p);
  DatasetMeta meta;
  meta.ttl = 60;
  auto set = b.build(std::move(meta));
  REQUIRE(set->intervals() >= 4096);
  for (std::uint32_t addr : probes) {
    bool listed = false;
    std::set<int> want = model.lookup(addr, &listed);
    Result got = ask(*set, addr, core::rrtype::kA);
    INFO("addr " << std::hex << addr);
    REQUIRE(got.found == listed);
    Rrs want_rrs;
    for (int v : want) want_rrs.push_back("A 127.0.0." + std::to_string(v == 7 ? 9 : 2 + v) + " 60");
    std::sort(want_rrs.begin(), want_rrs.end());
    REQUIRE(got.rrs == want_rrs);
  }
}

TEST_CASE("ip4set: find() at interval, bucket and address-space edges, built and from an image", "[ip4set]") {
  // Disjoint ranges over the whole space (0.0.0.0 and 255.255.255.255 listed), enough of
  // them for buckets finer than /16, some adjacent with another value (no gap between two
  // intervals), some long ones across bucket boundaries. find() must say "listed" exactly
  // inside a range, with one value-set id per value; the set opened from its image (whose
  // interval ends are derived from the bitmap) must answer the same ids.
  std::mt19937 gen(4242);
  auto rng = [&gen]() { return static_cast<std::uint32_t>(gen()); };
  struct Range {
    std::uint32_t lo, hi;
    unsigned v;
  };
  std::vector<Range> ranges;
  std::uint64_t at = 0;
  while (at <= 0xffffffffu) {
    const std::uint32_t r = rng() % 100;
    const std::uint64_t len = r < 80 ? 1 : r < 95 ? 1 + rng() % 300 : 1 + rng() % 100000;
    const std::uint64_t hi = std::min<std::uint64_t>(at + len - 1, 0xffffffffu);
    ranges.push_back({static_cast<std::uint32_t>(at), static_cast<std::uint32_t>(hi), rng() % 4});
    const std::uint32_t g = rng() % 10;
    at = hi + 1 + (g == 0 ? 0 : rng() % 28000);
  }
  ranges.back().hi = 0xffffffffu;  // the last address too
  Ip4SetBuilder b;
  for (const Range& x : ranges)
    b.add(x.lo, x.hi, b.add_value({127, 0, 0, static_cast<std::uint8_t>(2 + x.v)}, ""));
  DatasetMeta meta;
  meta.ttl = 60;
  const std::unique_ptr<Ip4Set> built = b.build(std::move(meta));
  REQUIRE(built->intervals() >= std::size_t{4} << 16);  // buckets of 18 bits
  auto image = write_image(*built);
  REQUIRE(image.is_ok());
  // Placed on a 32-byte boundary plus kImageAlignOffset: served in place.
  const testing::Placed placed(image.value(), kImageAlignOffset);
  auto opened = open_image(placed.bytes, nullptr);
  INFO(opened.status().message());
  REQUIRE(opened.is_ok());
  const auto* reopened = dynamic_cast<const Ip4Set*>(opened.value().dataset.get());
  REQUIRE(reopened != nullptr);
  REQUIRE(reopened->intervals() == built->intervals());

  std::map<unsigned, std::uint32_t> set_of;  // value -> the set id find() gives it
  auto check = [&](std::uint32_t addr, const Range* in) {
    INFO("addr " << std::hex << addr);
    const std::uint32_t got = built->find(addr);
    REQUIRE(reopened->find(addr) == got);
    if (in == nullptr) {
      REQUIRE(got == Ip4Set::kNotListed);
      return;
    }
    REQUIRE(got != Ip4Set::kNotListed);
    REQUIRE(got != Ip4Set::kNoValues);
    const auto [it, fresh] = set_of.emplace(in->v, got);
    REQUIRE(it->second == got);
  };
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const Range& x = ranges[i];
    check(x.lo, &x);
    check(x.hi, &x);
    if (x.hi - x.lo >= 2) check(x.lo + 1 + rng() % (x.hi - x.lo - 1), &x);
    if (x.lo != 0 && (i == 0 || ranges[i - 1].hi != x.lo - 1)) check(x.lo - 1, nullptr);
    if (x.hi != 0xffffffffu && (i + 1 == ranges.size() || ranges[i + 1].lo != x.hi + 1))
      check(x.hi + 1, nullptr);
  }
  // Bucket edges of every width the index may use (16 to 22 bits), inside and outside ranges.
  auto range_of = [&](std::uint32_t a) -> const Range* {
    auto it = std::upper_bound(ranges.begin(), ranges.end(), a,
                               [](std::uint32_t v, const Range& x) { return v < x.lo; });
    if (it == ranges.begin()) return nullptr;
    --it;
    return a <= it->hi ? &*it : nullptr;
  };
  for (unsigned bits = 16; bits <= 22; ++bits) {
    for (int k = 0; k < 500; ++k) {
      const std::uint32_t edge = (rng() >> bits) << bits;
      for (std::uint32_t a : {edge, edge - 1, edge + 1}) check(a, range_of(a));
    }
  }
  for (std::uint32_t a : {0u, 1u, 0xfffffffeu, 0xffffffffu}) check(a, range_of(a));
  for (int k = 0; k < 20000; ++k) {
    const std::uint32_t a = rng();
    check(a, range_of(a));
  }
  CHECK(set_of.size() == 4);
  // The dump of the reopened set (its intervals' ends) is the dump of the built one.
  const std::string t1 = dump_text(*built);
  CHECK(t1.size() > ranges.size() * 10);
  CHECK(dump_text(*reopened) == t1);
}

TEST_CASE("ip4set: a set of single addresses keeps no extents and answers the same, built and from an image",
          "[ip4set]") {
  // /32s only (the usual list), some adjacent with another value (intervals with no gap
  // between them), enough for buckets: every interval's extent is 0, so none are kept.
  // The same set plus one two-address range keeps them all (2 bytes an interval).
  std::mt19937 gen(99);
  auto rng = [&gen]() { return static_cast<std::uint32_t>(gen()); };
  std::map<std::uint32_t, unsigned> listed;  // address -> value
  while (listed.size() < 20000) {
    const std::uint32_t a = rng();
    listed[a] = rng() % 3;
    if (rng() % 8 == 0 && a != 0xffffffffu) listed[a + 1] = (listed[a] + 1) % 3;
  }
  listed[0] = 0;
  listed[0xffffffffu] = 1;
  auto build = [&](bool with_range) {
    Ip4SetBuilder b;
    std::array<std::uint32_t, 3> v{};
    for (unsigned i = 0; i < 3; ++i) v[i] = b.add_value({127, 0, 0, static_cast<std::uint8_t>(2 + i)}, "");
    for (const auto& [a, x] : listed) b.add(a, a, v[x]);
    if (with_range) b.add(ip(10, 0, 0, 0), ip(10, 0, 0, 1), v[0]);
    DatasetMeta meta;
    meta.ttl = 60;
    return b.build(std::move(meta));
  };
  const std::unique_ptr<Ip4Set> built = build(false);
  const std::unique_ptr<Ip4Set> with_range = build(true);
  REQUIRE(built->intervals() >= 20000);
  CHECK(with_range->memory_bytes() >= built->memory_bytes() + 2 * built->intervals());
  // From an image, where the extents are derived from the bitmap: the same.
  auto image = write_image(*built);
  auto image_r = write_image(*with_range);
  REQUIRE(image.is_ok());
  REQUIRE(image_r.is_ok());
  const testing::Placed placed(image.value(), kImageAlignOffset);
  const testing::Placed placed_r(image_r.value(), kImageAlignOffset);
  auto opened = open_image(placed.bytes, nullptr);
  auto opened_r = open_image(placed_r.bytes, nullptr);
  REQUIRE(opened.is_ok());
  REQUIRE(opened_r.is_ok());
  const auto* reopened = dynamic_cast<const Ip4Set*>(opened.value().dataset.get());
  REQUIRE(reopened != nullptr);
  CHECK(opened_r.value().dataset->memory_bytes() >= reopened->memory_bytes() + 2 * built->intervals());
  std::map<unsigned, std::uint32_t> set_of;  // value -> the set id find() gives it
  auto check = [&](std::uint32_t a) {
    INFO("addr " << std::hex << a);
    const std::uint32_t got = built->find(a);
    REQUIRE(reopened->find(a) == got);
    const auto it = listed.find(a);
    if (it == listed.end()) {
      REQUIRE(got == Ip4Set::kNotListed);
      return;
    }
    REQUIRE(got != Ip4Set::kNotListed);
    REQUIRE(set_of.emplace(it->second, got).first->second == got);
  };
  for (const auto& [a, x] : listed)
    for (std::uint32_t p : {a, a - 1, a + 1, a + 2}) check(p);
  for (int k = 0; k < 20000; ++k) check(rng());
  CHECK(set_of.size() == 3);
  CHECK(dump_text(*reopened) == dump_text(*built));
}

TEST_CASE("ip4set: intervals of 65536 addresses and more (beyond the stored extent)", "[ip4set]") {
  // Intervals of 65535, 65536, 65537 and 300000 addresses (values alternating so that they
  // stay separate intervals), a gap, then more: find() asks the bitmap past 65535
  // addresses into an interval; built and reopened from an image (extents from the bitmap).
  std::vector<std::pair<std::uint32_t, std::uint32_t>> listed;  // first, last
  Ip4SetBuilder b;
  std::uint32_t at = ip(10, 0, 0, 0);
  int k = 0;
  for (std::uint32_t len : {65535u, 65536u, 65537u, 300000u, 1u, 65536u}) {
    for (int adjacent = 0; adjacent < 2; ++adjacent) {  // one right after the other, then a gap
      b.add(at, at + len - 1, b.add_value({127, 0, 0, static_cast<std::uint8_t>(2 + k++ % 2)}, ""));
      listed.emplace_back(at, at + len - 1);
      at += len + (adjacent == 1 ? 1000 : 0);
    }
  }
  b.add(ip(255, 255, 0, 0), ip(255, 255, 255, 255), b.add_value({127, 0, 0, 9}, ""));  // the end
  listed.emplace_back(ip(255, 255, 0, 0), ip(255, 255, 255, 255));
  DatasetMeta meta;
  meta.ttl = 60;
  const std::unique_ptr<Ip4Set> built = b.build(std::move(meta));
  auto image = write_image(*built);
  REQUIRE(image.is_ok());
  auto opened = open_image(image.value(), nullptr);  // any placement: copied when not aligned
  REQUIRE(opened.is_ok());
  const auto* reopened = dynamic_cast<const Ip4Set*>(opened.value().dataset.get());
  REQUIRE(reopened != nullptr);
  auto is_listed = [&](std::uint32_t a) {
    for (const auto& [lo, hi] : listed)
      if (a >= lo && a <= hi) return true;
    return false;
  };
  for (const auto& [lo, hi] : listed) {
    for (std::uint64_t a :
         {std::uint64_t{lo} - 1, std::uint64_t{lo}, std::uint64_t{lo} + 1, std::uint64_t{lo} + 0xfffe,
          std::uint64_t{lo} + 0xffff, std::uint64_t{lo} + 0x10000, std::uint64_t{lo} + 0x10001,
          std::uint64_t{hi} - 1, std::uint64_t{hi}, std::uint64_t{hi} + 1}) {
      const auto addr = static_cast<std::uint32_t>(a);  // wraps at the ends of the space
      INFO("addr " << std::hex << addr);
      const std::uint32_t got = built->find(addr);
      CHECK((got != Ip4Set::kNotListed) == is_listed(addr));
      CHECK(reopened->find(addr) == got);
    }
  }
  CHECK(dump_text(*reopened) == dump_text(*built));
}

TEST_CASE("ip4set: query() does not allocate", "[ip4set]") {
  auto set = make_set({
      V(ip(10, 0, 0, 0), ip(10, 255, 255, 255), 2, "Listed $"),
      V(ip(10, 1, 2, 3), ip(10, 1, 2, 3), 3, "other"),
      V(ip(10, 1, 2, 3), ip(10, 1, 2, 3), 4, "third"),
  });
  std::vector<std::uint8_t> query = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'q', 0, 0, 255, 0, 1};
  std::vector<std::uint8_t> buf(core::kMaxTcpMessage);
  const std::vector<QueryKey> keys = {addr_key(ip(10, 1, 2, 3)), addr_key(ip(10, 9, 9, 9)),
                                      addr_key(ip(11, 0, 0, 1)), prefix_key(ip(10, 1, 0, 0), 2)};
  long allocations = 0;
  for (const QueryKey& k : keys) {
    core::ResponseWriter w(buf);
    w.begin(query, query.size(), buf.size());
    AnswerSink sink(w, core::rrtype::kANY);
    g_allocations = 0;
    g_counting = true;
    set->query(k, sink);
    g_counting = false;
    allocations += g_allocations.load();
  }
  CHECK(allocations == 0);
}

TEST_CASE("ip4set: many distinct values (wider value-set ids)", "[ip4set]") {
  for (std::uint32_t n : {300u, 70000u}) {
    Ip4SetBuilder b;
    for (std::uint32_t i = 0; i < n; ++i)
      b.add(ip(10, 0, 0, 0) + 2 * i, ip(10, 0, 0, 0) + 2 * i,
            b.add_value({127, 0, 0, 2}, "v" + std::to_string(i)));
    DatasetMeta meta;
    meta.ttl = 1;
    auto set = b.build(std::move(meta));
    INFO(n);
    CHECK(set->value_set_count() == n + 0);
    for (std::uint32_t i : {0u, 1u, n / 2, n - 1}) {
      CHECK(ask(*set, ip(10, 0, 0, 0) + 2 * i, core::rrtype::kTXT).rrs ==
            Rrs{"TXT v" + std::to_string(i) + " 1"});
      CHECK_FALSE(ask(*set, ip(10, 0, 0, 0) + 2 * i + 1).found);
    }
  }
}

TEST_CASE("ip4set: memory accounting is plausible", "[ip4set]") {
  std::vector<Entry> entries;
  for (std::uint32_t i = 0; i < 10000; ++i)
    entries.push_back(L(ip(10, 0, 0, 0) + i * 1000, ip(10, 0, 0, 0) + i * 1000));  // sparse: array containers
  auto set = make_set(entries);
  CHECK(set->entries() == 10000);
  CHECK(set->intervals() == 10000);
  CHECK(set->memory_bytes() > 10000 * 2);
  CHECK(set->memory_bytes() < 10000 * 16);
}

}  // namespace
}  // namespace fastrbl::zones

TEST_CASE("allocation counter: counts, so zero-allocation checks are not vacuous", "[alloc]") {
  g_allocations = 0;
  g_counting = true;
  auto* p = new std::vector<int>(4);  // NOLINT: the allocation under test
  g_counting = false;
  delete p;
  CHECK(g_allocations.load() >= 1);
}

// format_ip4() (the `$` of an ip4set TXT) against inet_ntop: every octet value in every
// position, the widest and narrowest addresses.
TEST_CASE("ip4set: format_ip4 writes the dotted quad inet_ntop writes") {
  auto check = [](std::uint32_t addr) {
    std::array<char, 16> buf;
    const std::size_t n = fastrbl::zones::format_ip4(addr, buf);
    std::array<char, INET_ADDRSTRLEN> want{};
    const std::uint32_t be = htonl(addr);
    REQUIRE(::inet_ntop(AF_INET, &be, want.data(), want.size()) != nullptr);
    CHECK(std::string(buf.data(), n) == std::string(want.data()));
  };
  for (std::uint32_t o = 0; o < 256; ++o)
    for (unsigned shift = 0; shift < 32; shift += 8) {
      check(o << shift);
      check((o << shift) | (0xffffffffu & ~(0xffu << shift)));
    }
  check(0);
  check(0xffffffffu);
  check(0x64646464u);  // 100.100.100.100
}
