#pragma once
// Helpers for the IP dataset tests (ip4tset, ip4trie, ip6trie, ip6tset): allocation counting
// (support/alloc_counter.h; link fastrbl_test_alloc_counter), QueryKey makers and run(), which calls
// Dataset::query() and returns the answer records as sorted text.

#include "core/dns.h"
#include "core/wire_writer.h"
#include "support/alloc_counter.h"
#include "support/answer_text.h"
#include "zones/answer_sink.h"
#include "zones/dataset.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

namespace fastrbl::testing {

using Rrs = std::vector<std::string>;

struct QResult {
  bool found = false;
  Rrs rrs;  // "A 127.0.0.2 2100", "TXT text 2100", sorted
};

/// Runs query() for one key; `allocations` (if given) receives the allocations query()
/// made.
inline QResult run(const zones::Dataset& ds, const zones::QueryKey& key,
                   std::uint16_t qtype = core::rrtype::kANY, long* allocations = nullptr) {
  std::vector<std::uint8_t> query = {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'q', 0, 0, 1, 0, 1};
  std::vector<std::uint8_t> buf(core::kMaxTcpMessage);
  core::ResponseWriter w(buf);
  w.begin(query, query.size(), buf.size());
  zones::AnswerSink sink(w, qtype);
  QResult r;
  g_allocations = 0;
  g_counting = true;
  r.found = ds.query(key, sink);
  g_counting = false;
  if (allocations != nullptr) *allocations = g_allocations.load();
  fastrbl::testing::for_each_answer(
      buf.data(), query.size(), w.count(core::Section::kAnswer),
      [&](std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rd) {
        r.rrs.push_back(fastrbl::testing::rr_plain_text(type, ttl, rd));
      });
  std::sort(r.rrs.begin(), r.rrs.end());
  return r;
}

constexpr std::uint32_t ip(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

inline zones::QueryKey ip4_key(std::uint32_t a) {
  zones::QueryKey k;
  k.labels = 4;
  k.ip4 = true;
  k.ip4_addr = a;
  return k;
}

inline zones::QueryKey ip4_prefix_key(std::uint32_t prefix, std::uint8_t octets) {
  zones::QueryKey k;
  k.labels = octets;
  k.ip4_prefix_octets = octets;
  k.ip4_prefix = prefix;
  return k;
}

/// An IPv6 address from 8 groups.
inline std::array<std::uint8_t, 16> ip6(std::array<unsigned, 8> g) {
  std::array<std::uint8_t, 16> a{};
  for (std::size_t i = 0; i < 8; ++i) {
    a[2 * i] = static_cast<std::uint8_t>(g[i] >> 8);
    a[2 * i + 1] = static_cast<std::uint8_t>(g[i]);
  }
  return a;
}

inline zones::QueryKey ip6_qkey(const std::array<std::uint8_t, 16>& a) {
  zones::QueryKey k;
  k.labels = 32;
  k.ip6 = true;
  k.ip6_addr = a;
  return k;
}

/// The first `nibbles` nibbles of `a` as an empty-non-terminal key.
inline zones::QueryKey ip6_prefix_key(const std::array<std::uint8_t, 16>& a, std::uint8_t nibbles) {
  zones::QueryKey k;
  k.labels = nibbles;
  k.ip6_prefix_nibbles = nibbles;
  for (std::size_t n = 0; n < nibbles; ++n) {
    const std::uint8_t v = (n % 2) ? (a[n / 2] & 15) : (a[n / 2] >> 4);
    k.ip6_prefix[n / 2] = static_cast<std::uint8_t>(k.ip6_prefix[n / 2] | ((n % 2) ? v : (v << 4)));
  }
  return k;
}

}  // namespace fastrbl::testing
