#include "zones/query_key.h"

#include "core/bytes.h"
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

bool parse_ip6_nibbles(const std::uint8_t* name, std::array<std::uint8_t, 16>* a) noexcept {
  // Eight labels (length, digit, length, digit, ...) in each sixteen bytes: their digits
  // go into the eight byte lanes of one word (labels 0-3 in the even bytes, 4-7 in the
  // odd ones). A byte lane below 0x80 plus a constant below 0x80 cannot carry into the
  // next lane: bit 7 of c + (0x80 - x) says c >= x (lanes of 0x80 and more are refused
  // first). `bad` collects the length bytes that are not 1 and the digits that are not
  // one of 0-9 a-f. Label 0 is the lowest nibble of the address: labels 8j..8j+7 are its
  // bits 32j..32j+31.
  constexpr std::uint64_t kBytes = 0x0101010101010101ULL;
  constexpr std::uint64_t kLow = 0x00ff00ff00ff00ffULL;  // the even bytes
  // Four nibbles in 16-bit lanes, times this, land side by side in the top 16 bits
  // (lane k moves to bit 48 + 4k; the other products fall below bit 48 without carries
  // or above bit 63).
  constexpr std::uint64_t kGather = (1ULL << 48) | (1ULL << 36) | (1ULL << 24) | (1ULL << 12);
  std::uint64_t bad = 0;
  std::uint64_t half[2] = {0, 0};  // bits 0-63, 64-127
  for (std::size_t j = 0; j < 4; ++j) {
    const std::uint64_t w0 = core::load_le<std::uint64_t>(name + 16 * j);
    const std::uint64_t w1 = core::load_le<std::uint64_t>(name + 16 * j + 8);
    const std::uint64_t c = ((w0 >> 8) & kLow) | (w1 & ~kLow);
    auto at_least = [c](std::uint64_t x) { return (c + (0x80 - x) * kBytes) & (0x80 * kBytes); };
    const std::uint64_t hex = (at_least('0') & ~at_least('9' + 1)) | (at_least('a') & ~at_least('f' + 1));
    bad |= (((w0 & kLow) | ((w1 & kLow) << 8)) ^ kBytes) | (c & 0x80 * kBytes) | (hex ^ 0x80 * kBytes);
    // '0'-'9': the low four bits; 'a'-'f' (0x61-0x66, bit 6 set): the low four bits + 9.
    const std::uint64_t v = (c & 0x0f * kBytes) + 9 * ((c >> 6) & kBytes);
    const std::uint64_t bits = ((v & kLow) * kGather >> 48) | (((v >> 8) & kLow) * kGather >> 48 << 16);
    half[j / 2] |= bits << (32 * (j % 2));
  }
  core::store_u32(a->data(), static_cast<std::uint32_t>(half[1] >> 32));
  core::store_u32(a->data() + 4, static_cast<std::uint32_t>(half[1]));
  core::store_u32(a->data() + 8, static_cast<std::uint32_t>(half[0] >> 32));
  core::store_u32(a->data() + 12, static_cast<std::uint32_t>(half[0]));
  return bad == 0;
}

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
    std::array<std::uint8_t, 16> a;
    if (!parse_ip6_nibbles(name, &a)) return;
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
