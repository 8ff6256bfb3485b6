// Tests for zones/query_key.h's parse_ip6_nibbles(): the eight-bytes-at-a-time reading of
// 32 ip6.arpa nibble labels against a label-by-label reference, on valid names and on
// names with one byte changed to every value.

#include "zones/query_key.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <random>

namespace fastrbl::zones {
namespace {

using Name64 = std::array<std::uint8_t, 64>;

// The reference: label i (length 1, a lowercase hex digit) is nibble i from the bottom.
std::optional<std::array<std::uint8_t, 16>> reference(const Name64& n) {
  std::array<std::uint8_t, 16> a{};
  for (std::size_t i = 0; i < 32; ++i) {
    if (n[2 * i] != 1) return std::nullopt;
    const std::uint8_t c = n[2 * i + 1];
    unsigned v = 0;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10u;
    } else {
      return std::nullopt;
    }
    const std::size_t nib = 31 - i;
    a[nib / 2] = static_cast<std::uint8_t>(a[nib / 2] | (nib % 2 ? v : v << 4));
  }
  return a;
}

Name64 name_of(const std::array<std::uint8_t, 16>& addr) {
  static constexpr char kHex[] = "0123456789abcdef";
  Name64 n{};
  for (std::size_t i = 0; i < 32; ++i) {
    const std::size_t nib = 31 - i;
    const unsigned v = nib % 2 ? addr[nib / 2] & 0xfu : addr[nib / 2] >> 4;
    n[2 * i] = 1;
    n[2 * i + 1] = static_cast<std::uint8_t>(kHex[v]);
  }
  return n;
}

TEST_CASE("query key: ip6 nibble labels, eight bytes at a time, as label by label", "[query_key]") {
  std::mt19937 gen(6);
  for (int round = 0; round < 2000; ++round) {
    std::array<std::uint8_t, 16> addr{};
    for (auto& b : addr) b = static_cast<std::uint8_t>(gen());
    if (round == 0) addr.fill(0);
    if (round == 1) addr.fill(0xff);
    const Name64 n = name_of(addr);
    std::array<std::uint8_t, 16> got{};
    REQUIRE(parse_ip6_nibbles(n.data(), &got));
    REQUIRE(got == addr);
    REQUIRE(reference(n) == addr);
    // One byte changed, to every value: accepted exactly when the reference accepts it,
    // with the same address.
    const std::size_t at = static_cast<std::size_t>(gen() % 64);
    for (unsigned v = 0; v < 256; ++v) {
      Name64 m = n;
      m[at] = static_cast<std::uint8_t>(v);
      const auto want = reference(m);
      INFO("byte " << at << " = " << v);
      REQUIRE(parse_ip6_nibbles(m.data(), &got) == want.has_value());
      if (want) REQUIRE(got == *want);
    }
  }
}

}  // namespace
}  // namespace fastrbl::zones
