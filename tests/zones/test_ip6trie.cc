// Tests for zones::Ip6Trie: longest prefix with exclusions over 128-bit keys, the
// compressed subject text, empty non-terminals by nibble prefix, a random comparison with
// a direct model, and the no-allocation contract of query(). Also format_ip6().

#include "ip_test_util.h"
#include "zones/ip6trie.h"

#include <catch2/catch.hpp>

#include <random>

namespace fastrbl::zones {
namespace {

using testing::ip6;
using testing::ip6_prefix_key;
using testing::ip6_qkey;
using testing::QResult;
using testing::Rrs;
using testing::run;

struct E {
  std::array<std::uint8_t, 16> first;
  int bits;
  bool excluded;
  std::uint8_t a4;
  std::string txt;
};
E L(std::array<std::uint8_t, 16> f, int bits, std::uint8_t a4 = 2, std::string txt = "") {
  return {f, bits, false, a4, std::move(txt)};
}
E X(std::array<std::uint8_t, 16> f, int bits) { return {f, bits, true, 2, ""}; }

std::unique_ptr<Ip6Trie> make(const std::vector<E>& es, std::size_t* dups = nullptr) {
  Ip6TrieBuilder b;
  std::size_t d = 0;
  for (const E& e : es)
    if (!b.add(zones::ip6_key(e.first), e.bits, e.excluded, {127, 0, 0, e.a4}, e.txt)) ++d;
  if (dups != nullptr) *dups = d;
  DatasetMeta meta;
  meta.ttl = 2100;
  return b.build(std::move(meta));
}

std::string text(const std::array<std::uint8_t, 16>& a) {
  std::array<char, 40> buf{};
  return std::string(buf.data(), format_ip6(a, buf));
}

TEST_CASE("ip6trie: format_ip6 compresses the first longest zero run", "[ip6trie]") {
  CHECK(text(ip6({0x2001, 0xdb8, 1, 2, 0, 0, 0, 1})) == "2001:db8:1:2::1");
  CHECK(text(ip6({0, 0, 0, 0, 0, 0, 0, 0})) == "::");
  CHECK(text(ip6({0, 0, 0, 0, 0, 0, 0, 1})) == "::1");
  CHECK(text(ip6({1, 0, 0, 0, 0, 0, 0, 0})) == "1::");
  CHECK(text(ip6({1, 0, 0, 2, 0, 0, 3, 4})) == "1::2:0:0:3:4");
  CHECK(text(ip6({1, 0, 2, 0, 0, 0, 3, 4})) == "1:0:2::3:4");
  CHECK(text(ip6({0x2001, 0xdbd, 1, 2, 3, 4, 5, 0})) == "2001:dbd:1:2:3:4:5:0");
  CHECK(text(ip6({0, 0, 1, 0, 0, 0, 0, 0})) == "0:0:1::");
  CHECK(text(ip6({0, 0, 0, 0, 0, 0xffff, 0x102, 0x304})) == "::ffff:102:304");
  CHECK(text(ip6({0xabcd, 0xef01, 0x2345, 0x6789, 0xffff, 0xffff, 0xffff, 0xffff})) ==
        "abcd:ef01:2345:6789:ffff:ffff:ffff:ffff");
}

TEST_CASE("ip6trie: longest prefix, exclusions, subject text", "[ip6trie]") {
  std::size_t dups = 0;
  auto t = make({L(ip6({0x2001, 0x21ab, 0xc000, 0, 0, 0, 0, 0}), 48, 3, "net48 $"),
                 L(ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0}), 32, 4, "doc $"),
                 X(ip6({0x2001, 0xdb8, 1, 0, 0, 0, 0, 0}), 48),
                 L(ip6({0x2001, 0xdb8, 1, 2, 0, 0, 0, 1}), 128, 5, "host $"),
                 L(ip6({0, 0, 0, 0, 0, 0, 0, 0}), 0, 7, "all $"),
                 L(ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0}), 32, 8, "dup")},
                &dups);
  CHECK(dups == 1);
  CHECK(t->entries() == 5);
  CHECK(t->flags() == kWantsIp6);
  CHECK(run(*t, ip6_qkey(ip6({0x2001, 0x21ab, 0xc000, 0, 0, 0, 0, 5}))).rrs ==
        Rrs{"A 127.0.0.3 2100", "TXT net48 2001:21ab:c000::5 2100"});
  CHECK(run(*t, ip6_qkey(ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1}))).rrs ==
        Rrs{"A 127.0.0.4 2100", "TXT doc 2001:db8::1 2100"});
  CHECK_FALSE(run(*t, ip6_qkey(ip6({0x2001, 0xdb8, 1, 0, 0, 0, 0, 1}))).found);
  CHECK(run(*t, ip6_qkey(ip6({0x2001, 0xdb8, 1, 2, 0, 0, 0, 1}))).rrs ==
        Rrs{"A 127.0.0.5 2100", "TXT host 2001:db8:1:2::1 2100"});
  CHECK(run(*t, ip6_qkey(ip6({1, 0, 0, 0, 0, 0, 0, 0}))).rrs == Rrs{"A 127.0.0.7 2100", "TXT all 1:: 2100"});
  CHECK(run(*t, ip6_qkey(ip6({0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff})),
            core::rrtype::kA)
            .rrs == Rrs{"A 127.0.0.7 2100"});
}

TEST_CASE("ip6trie: empty non-terminals by nibble prefix (RFC 8020)", "[ip6trie]") {
  auto t = make({L(ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0}), 32), X(ip6({0x2001, 0xdb8, 1, 0, 0, 0, 0, 0}), 48),
                 L(ip6({0x2001, 0xdb8, 1, 2, 0, 0, 0, 1}), 128)});
  const auto host = ip6({0x2001, 0xdb8, 1, 2, 0, 0, 0, 1});
  for (std::uint8_t n = 1; n <= 31; ++n) {
    INFO(int(n));
    QResult r = run(*t, ip6_prefix_key(host, n));
    CHECK(r.found);
    CHECK(r.rrs.empty());
  }
  const auto other = ip6({0x2001, 0xdb8, 1, 3, 0, 0, 0, 1});  // under the exclusion
  CHECK(run(*t, ip6_prefix_key(other, 12)).found);            // 2001:db8:1 contains the host
  CHECK_FALSE(run(*t, ip6_prefix_key(other, 16)).found);
  CHECK_FALSE(run(*t, ip6_prefix_key(ip6({0x2001, 0xdb9, 0, 0, 0, 0, 0, 0}), 8)).found);
  CHECK(run(*t, ip6_prefix_key(ip6({0x2001, 0xdb8, 2, 0, 0, 0, 0, 0}), 12)).found);
  CHECK_FALSE(run(*t, ip6_prefix_key(ip6({0x3000, 0, 0, 0, 0, 0, 0, 0}), 1)).found);
  CHECK_FALSE(run(*t, QueryKey{}).found);
}

TEST_CASE("ip6trie: matches a direct longest-prefix model on random data", "[ip6trie]") {
  std::mt19937 gen(99);
  auto covers = [](const E& e, const std::array<std::uint8_t, 16>& a) {
    for (int b = 0; b < e.bits; ++b) {
      const auto byte = static_cast<std::size_t>(b / 8);
      const unsigned bit = 0x80u >> (b % 8);
      if ((e.first[byte] & bit) != (a[byte] & bit)) return false;
    }
    return true;
  };
  for (int round = 0; round < 10; ++round) {
    std::vector<E> es;
    for (int i = 0; i < 200; ++i) {
      // Prefixes around 2001:db8::/32 with lengths spread over both halves.
      std::array<std::uint8_t, 16> a = ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0});
      for (std::size_t k = 4; k < 16; ++k) a[k] = static_cast<std::uint8_t>(gen() % 3);
      const int bits = 32 + static_cast<int>(gen() % 97);
      for (int b = bits; b < 128; ++b)
        a[static_cast<std::size_t>(b / 8)] &= static_cast<std::uint8_t>(~(0x80u >> (b % 8)));
      if (gen() % 4 == 0)
        es.push_back(X(a, bits));
      else
        es.push_back(L(a, bits, static_cast<std::uint8_t>(2 + gen() % 5)));
    }
    auto t = make(es);
    for (int q = 0; q < 1000; ++q) {
      std::array<std::uint8_t, 16> a = ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0});
      for (std::size_t k = 4; k < 16; ++k) a[k] = static_cast<std::uint8_t>(gen() % 3);
      const E* best = nullptr;
      for (const E& e : es)
        if (covers(e, a) && (best == nullptr || e.bits > best->bits)) best = &e;
      QResult got = run(*t, ip6_qkey(a), core::rrtype::kA);
      INFO("round " << round << " q " << q);
      if (best == nullptr || best->excluded)
        REQUIRE_FALSE(got.found);
      else
        REQUIRE(got.rrs == Rrs{"A 127.0.0." + std::to_string(best->a4) + " 2100"});
    }
  }
}

TEST_CASE("ip6trie: query() does not allocate", "[ip6trie]") {
  auto t = make({L(ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0}), 32, 2, "Listed $")});
  long total = 0;
  for (const QueryKey& k :
       {ip6_qkey(ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 1})), ip6_qkey(ip6({1, 0, 0, 0, 0, 0, 0, 0})),
        ip6_prefix_key(ip6({0x2001, 0xdb8, 0, 0, 0, 0, 0, 0}), 20)}) {
    long n = 0;
    run(*t, k, core::rrtype::kANY, &n);
    total += n;
  }
  CHECK(total == 0);
  CHECK(t->memory_bytes() >= t->runs() * 20);
}

}  // namespace
}  // namespace fastrbl::zones
