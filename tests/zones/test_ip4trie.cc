// Tests for zones::Ip4Trie and the PrefixTable under it: longest prefix with exclusions,
// first duplicate wins, /0, empty non-terminals, a random comparison with a direct
// longest-prefix model, the two-level search at every block edge, statistics and the
// no-allocation contract of query().

#include "ip_test_util.h"
#include "zones/ip4trie.h"

#include <catch2/catch.hpp>

#include <random>

namespace fastrbl::zones {
namespace {

using testing::ip;
using testing::ip4_key;
using testing::ip4_prefix_key;
using testing::QResult;
using testing::Rrs;
using testing::run;

struct E {
  std::uint32_t first;
  int bits;
  bool excluded;
  std::uint8_t a4;
  std::string txt;
};
E L(std::uint32_t f, int bits, std::uint8_t a4 = 2, std::string txt = "") {
  return {f, bits, false, a4, std::move(txt)};
}
E X(std::uint32_t f, int bits) { return {f, bits, true, 2, ""}; }

std::unique_ptr<Ip4Trie> make(const std::vector<E>& es, std::size_t* dups = nullptr) {
  Ip4TrieBuilder b;
  std::size_t d = 0;
  for (const E& e : es)
    if (!b.add(e.first, e.bits, e.excluded, {127, 0, 0, e.a4}, e.txt)) ++d;
  if (dups != nullptr) *dups = d;
  DatasetMeta meta;
  meta.ttl = 2100;
  return b.build(std::move(meta));
}

TEST_CASE("ip4trie: longest prefix wins, exclusions count as prefixes", "[ip4trie]") {
  auto t = make({L(ip(10, 0, 0, 0), 8, 3, "ten $"), X(ip(10, 1, 0, 0), 16), L(ip(10, 1, 2, 0), 24, 4, "net"),
                 X(ip(10, 1, 2, 3), 32), L(ip(10, 1, 2, 4), 32, 6, "host")});
  CHECK(run(*t, ip4_key(ip(10, 0, 0, 1))).rrs == Rrs{"A 127.0.0.3 2100", "TXT ten 10.0.0.1 2100"});
  CHECK_FALSE(run(*t, ip4_key(ip(10, 1, 0, 1))).found);
  CHECK(run(*t, ip4_key(ip(10, 1, 2, 2))).rrs == Rrs{"A 127.0.0.4 2100", "TXT net 2100"});
  CHECK_FALSE(run(*t, ip4_key(ip(10, 1, 2, 3))).found);
  CHECK(run(*t, ip4_key(ip(10, 1, 2, 4))).rrs == Rrs{"A 127.0.0.6 2100", "TXT host 2100"});
  CHECK(run(*t, ip4_key(ip(10, 1, 2, 255))).found);
  CHECK(run(*t, ip4_key(ip(10, 1, 3, 0))).found == false);
  CHECK(run(*t, ip4_key(ip(10, 2, 0, 0))).found);
  CHECK(run(*t, ip4_key(ip(10, 255, 255, 255))).found);
  CHECK_FALSE(run(*t, ip4_key(ip(11, 0, 0, 0))).found);
  CHECK_FALSE(run(*t, ip4_key(ip(9, 255, 255, 255))).found);
  CHECK(t->entries() == 5);
  CHECK(t->flags() == kWantsIp4);
}

TEST_CASE("ip4trie: the first of a duplicated prefix wins, also an exclusion", "[ip4trie]") {
  std::size_t dups = 0;
  auto t = make(
      {L(ip(1, 2, 3, 0), 24, 4), L(ip(1, 2, 3, 0), 24, 5), X(ip(5, 0, 0, 0), 8), L(ip(5, 0, 0, 0), 8, 6)},
      &dups);
  CHECK(dups == 2);
  CHECK(t->entries() == 2);
  CHECK(run(*t, ip4_key(ip(1, 2, 3, 9))).rrs == Rrs{"A 127.0.0.4 2100"});
  CHECK_FALSE(run(*t, ip4_key(ip(5, 1, 1, 1))).found);
}

TEST_CASE("ip4trie: /0 and the edges of the address space", "[ip4trie]") {
  auto t = make({L(0, 0, 9, "all"), X(0, 32), X(0xffffffffu, 32), L(ip(128, 0, 0, 0), 1, 8)});
  CHECK_FALSE(run(*t, ip4_key(0)).found);
  CHECK(run(*t, ip4_key(1)).rrs == Rrs{"A 127.0.0.9 2100", "TXT all 2100"});
  CHECK(run(*t, ip4_key(ip(127, 255, 255, 255))).rrs == Rrs{"A 127.0.0.9 2100", "TXT all 2100"});
  CHECK(run(*t, ip4_key(ip(128, 0, 0, 0))).rrs == Rrs{"A 127.0.0.8 2100"});
  CHECK(run(*t, ip4_key(0xfffffffeu)).rrs == Rrs{"A 127.0.0.8 2100"});
  CHECK_FALSE(run(*t, ip4_key(0xffffffffu)).found);
  CHECK(t->runs() == 4);
}

TEST_CASE("ip4trie: empty non-terminals (RFC 8020)", "[ip4trie]") {
  auto t = make({L(ip(10, 0, 0, 0), 8), X(ip(10, 1, 0, 0), 16), L(ip(10, 1, 7, 7), 32), X(ip(20, 0, 0, 0), 8),
                 L(ip(30, 0, 0, 0), 7), X(ip(30, 0, 0, 0), 8)});
  struct Row {
    std::uint32_t prefix;
    std::uint8_t octets;
    bool exists;
  };
  for (const Row& r : std::vector<Row>{{ip(10, 0, 0, 0), 1, true},
                                       {ip(10, 1, 0, 0), 2, true},  // 10.1.7.7
                                       {ip(10, 1, 6, 0), 3, false},
                                       {ip(10, 1, 7, 0), 3, true},
                                       {ip(10, 2, 0, 0), 2, true},
                                       {ip(20, 0, 0, 0), 1, false},
                                       {ip(30, 0, 0, 0), 1, false},
                                       {ip(31, 0, 0, 0), 1, true},
                                       {ip(31, 255, 255, 0), 3, true},
                                       {ip(32, 0, 0, 0), 1, false}}) {
    INFO(std::hex << r.prefix << " " << int(r.octets));
    QResult res = run(*t, ip4_prefix_key(r.prefix, r.octets));
    CHECK(res.found == r.exists);
    CHECK(res.rrs.empty());
  }
  CHECK_FALSE(run(*t, QueryKey{}).found);
}

TEST_CASE("ip4trie: matches a direct longest-prefix model on random data", "[ip4trie]") {
  std::mt19937 gen(4711);
  for (int round = 0; round < 20; ++round) {
    std::vector<E> es;
    const int n = 300;
    for (int i = 0; i < n; ++i) {
      const int bits = 8 + static_cast<int>(gen() % 25);
      std::uint32_t a = ip(10, 0, 0, 0) | (static_cast<std::uint32_t>(gen()) & 0x00ffffffu);
      a &= bits == 32 ? 0xffffffffu : ~((std::uint32_t{1} << (32 - bits)) - 1u);
      if (gen() % 4 == 0)
        es.push_back(X(a, bits));
      else
        es.push_back(L(a, bits, static_cast<std::uint8_t>(2 + gen() % 5)));
    }
    auto t = make(es);
    for (int q = 0; q < 2000; ++q) {
      const std::uint32_t addr = ip(9, 255, 0, 0) + (static_cast<std::uint32_t>(gen()) % 0x1020000u);
      // Model: the first-added entry among the longest covering prefixes.
      const E* best = nullptr;
      for (const E& e : es) {
        const auto mask = static_cast<std::uint32_t>(~((std::uint64_t{1} << (32 - e.bits)) - 1u));
        if ((addr & mask) == e.first && (best == nullptr || e.bits > best->bits)) best = &e;
      }
      QResult got = run(*t, ip4_key(addr), core::rrtype::kA);
      INFO("round " << round << " addr " << std::hex << addr);
      if (best == nullptr || best->excluded) {
        REQUIRE_FALSE(got.found);
      } else {
        REQUIRE(got.rrs == Rrs{"A 127.0.0." + std::to_string(best->a4) + " 2100"});
      }
    }
  }
}

TEST_CASE("prefix table: the two-level search finds every run, at every block edge", "[ip4trie]") {
  // Tables of 1 to 150 listed /32s three addresses apart (2n + 1 or 2n + 2 runs: every
  // block count and fill around kBlock), and one of 5,000: each run's first and last
  // address, and the addresses just outside it, answer as the run says.
  for (std::size_t n :
       {std::size_t{1}, std::size_t{7}, std::size_t{8}, std::size_t{15}, std::size_t{16}, std::size_t{17},
        std::size_t{31}, std::size_t{32}, std::size_t{33}, std::size_t{150}, std::size_t{5000}}) {
    for (std::uint32_t base : {std::uint32_t{0}, ip(10, 0, 0, 0)}) {
      PrefixTableBuilder<std::uint32_t> b;
      for (std::uint32_t i = 0; i < n; ++i) b.add(base + 3 * i, 32, i);
      const PrefixTable<std::uint32_t> t = b.build();
      INFO("n " << n << " base " << base);
      REQUIRE(t.runs() == 2 * n + (base == 0 ? 0 : 1));
      std::size_t listed = 0;
      t.for_each_listed([&](std::uint32_t first, std::uint32_t last, std::uint32_t id) {
        ++listed;
        REQUIRE(first == base + 3 * id);
        REQUIRE(last == first);
        CHECK(t.lookup(first) == id);
        CHECK(t.any_listed(first, first));
        if (first > 0) {
          CHECK(t.lookup(first - 1) == PrefixTable<std::uint32_t>::kNone);
          CHECK_FALSE(t.any_listed(first - 1, first - 1));
        }
        CHECK(t.lookup(first + 1) == PrefixTable<std::uint32_t>::kNone);
        CHECK_FALSE(t.any_listed(first + 1, first + 2));
        CHECK(t.any_listed(first + 1, first + 3) == (id + 1 < n));
      });
      CHECK(listed == n);
      CHECK(t.lookup(0xffffffffu) == PrefixTable<std::uint32_t>::kNone);
    }
  }
}

TEST_CASE("ip4trie: query() does not allocate, and stats and memory", "[ip4trie]") {
  auto t = make({L(ip(10, 0, 0, 0), 8, 2, "Listed $"), X(ip(10, 1, 0, 0), 16)});
  long total = 0;
  for (const QueryKey& k :
       {ip4_key(ip(10, 0, 0, 1)), ip4_key(ip(10, 1, 0, 1)), ip4_prefix_key(ip(10, 1, 0, 0), 2)}) {
    long n = 0;
    run(*t, k, core::rrtype::kANY, &n);
    total += n;
  }
  CHECK(total == 0);
  CHECK(t->stats() ==
        "ents=2 tbm=0 lc=0 mem=" + std::to_string((t->memory_bytes() + 1023) / 1024) + "k free=0 waste=0");
  CHECK(t->runs() == 5);  // none, 10/8 (first part), none (10.1/16), 10/8 (rest), none
}

}  // namespace
}  // namespace fastrbl::zones
