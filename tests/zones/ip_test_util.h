#pragma once
// Helpers for the IP dataset tests (ip4tset, ip4trie, ip6trie, ip6tset): allocation counting
// (support/alloc_counter.h; link fastrbl_test_alloc_counter), QueryKey makers and run(), which calls
// Dataset::query() and returns the answer records as sorted text.

#include "core/dns.h"
#include "core/wire_writer.h"
#include "support/alloc_counter.h"
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
  std::size_t pos = query.size();
  for (std::uint16_t i = 0; i < w.count(core::Section::kAnswer); ++i) {
    pos += 2;
    const std::uint16_t type = core::load_u16(&buf[pos]);
    const std::uint32_t ttl = core::load_u32(&buf[pos + 4]);
    const std::uint16_t rdlen = core::load_u16(&buf[pos + 8]);
    const std::uint8_t* rd = &buf[pos + 10];
    std::string s;
    if (type == core::rrtype::kA)
      s = "A " + std::to_string(rd[0]) + "." + std::to_string(rd[1]) + "." + std::to_string(rd[2]) + "." +
          std::to_string(rd[3]);
    else
      s = "TXT " + std::string(reinterpret_cast<const char*>(rd + 1), rd[0]);
    r.rrs.push_back(s + " " + std::to_string(ttl));
    pos += 10u + rdlen;
  }
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
