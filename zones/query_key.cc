#include "zones/query_key.h"

#include "core/dns.h"

#include <algorithm>

namespace fastrbl::zones {
namespace {

// A label of 1-3 decimal digits with value <= 255 (leading zeros allowed, as rbldnsd).
bool octet_label(const std::uint8_t* l, std::uint32_t* v) noexcept {
  const std::size_t len = l[0];
  if (len - 1 > 2) return false;  // 1 to 3 digits (len 0 wraps around)
  std::uint32_t n = l[1] - std::uint32_t{'0'};
  if (n > 9) return false;
  if (len >= 2) {
    const std::uint32_t d = l[2] - std::uint32_t{'0'};
    if (d > 9) return false;
    n = n * 10 + d;
    if (len == 3) {
      const std::uint32_t e = l[3] - std::uint32_t{'0'};
      if (e > 9) return false;
      n = n * 10 + e;
      if (n > 255) return false;
    }
  }
  *v = n;
  return true;
}

bool nibble_label(const std::uint8_t* l, std::uint8_t* v) noexcept {
  if (l[0] != 1) return false;
  const std::uint8_t c = l[1];  // already lowercase
  if (c >= '0' && c <= '9') {
    *v = static_cast<std::uint8_t>(c - '0');
  } else if (c >= 'a' && c <= 'f') {
    *v = static_cast<std::uint8_t>(c - 'a' + 10);
  } else {
    return false;
  }
  return true;
}

}  // namespace

void prepare_query_key(const core::ParsedQuery& q, const Zone& zone, QueryKey* key) noexcept {
  const std::size_t rel = q.label_count - zone.name.label_count();
  const std::uint8_t* name = q.lname.data();
  *key = QueryKey{};
  key->name = std::span<const std::uint8_t>(name, q.label_off[rel]);
  key->labels = rel;
  key->qtype = q.qtype;
  if ((zone.flags & (kWantsIp4 | kWantsIp6)) == 0) return;

  if ((zone.flags & kWantsIp6) && rel >= 1 && rel <= 31 && key->name.size() == 2 * rel) {
    // RFC 8020 empty non-terminals: a proper prefix of IPv6 nibble names. The last label
    // is the top nibble.
    std::array<std::uint8_t, 16> p{};
    bool ok = true;
    for (std::size_t i = 0; i < rel && ok; ++i) {
      std::uint8_t v = 0;
      ok = nibble_label(name + 2 * i, &v);
      const std::size_t nib = rel - 1 - i;
      p[nib / 2] = static_cast<std::uint8_t>(p[nib / 2] | ((nib % 2) ? v : (v << 4)));
    }
    if (ok) {
      key->ip6_prefix_nibbles = static_cast<std::uint8_t>(rel);
      key->ip6_prefix = p;
    }
  }

  if (rel >= 1 && rel <= 4) {
    // Reversed octets: the first label is the last octet.
    std::uint32_t addr = 0;
    bool ok = true;
    for (std::size_t i = 0; i < rel && ok; ++i) {
      std::uint32_t o = 0;
      ok = octet_label(name + q.label_off[i], &o);
      addr |= o << (8 * (i + 4 - rel));
    }
    if (ok && rel == 4) {
      key->ip4 = true;
      key->ip4_addr = addr;
      return;
    }
    if (ok) {
      key->ip4_prefix_octets = static_cast<std::uint8_t>(rel);
      key->ip4_prefix = addr;
    }
    return;
  }
  if (rel == 32 && key->name.size() == 64) {
    std::array<std::uint8_t, 16> a{};
    for (std::size_t i = 0; i < 32; ++i) {
      std::uint8_t v = 0;
      if (!nibble_label(name + 2 * i, &v)) return;
      // Label 0 is the lowest nibble of the last byte.
      const std::size_t nib = 31 - i;
      a[nib / 2] = static_cast<std::uint8_t>(a[nib / 2] | ((nib % 2) ? v : (v << 4)));
    }
    key->ip6 = true;
    key->ip6_addr = a;
    if (zone.flags & kWantsIp4) {
      if (a[0] == 0x20 && a[1] == 0x02) {  // 6to4, RFC 3056: both forms stay valid
        key->ip4 = true;
        key->ip4_addr = core::load_u32(&a[2]);
      } else {
        static constexpr std::array<std::uint8_t, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::equal(kMapped.begin(), kMapped.end(), a.begin())) {  // ::ffff:a.b.c.d
          key->ip4 = true;
          key->ip4_addr = core::load_u32(&a[12]);
          key->ip6 = false;
        }
      }
    }
  }
}

}  // namespace fastrbl::zones
