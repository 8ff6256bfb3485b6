#include "zones/prefix_table.h"

#include <cstring>

namespace fastrbl::zones {

std::string prefix_stats(std::size_t entries, std::size_t memory_bytes) {
  return "ents=" + std::to_string(entries) +
         " tbm=0 lc=0 mem=" + std::to_string((memory_bytes + 1023) / 1024) + "k free=0 waste=0";
}

std::array<std::uint8_t, 16> ip6_bytes(const Ip6Key& k) noexcept {
  std::array<std::uint8_t, 16> a{};
  for (std::size_t i = 0; i < 8; ++i) {
    a[i] = static_cast<std::uint8_t>(k.hi >> (56 - 8 * i));
    a[i + 8] = static_cast<std::uint8_t>(k.lo >> (56 - 8 * i));
  }
  return a;
}

namespace {

// The decimal text of every octet value, up to 3 digits and then its length, as 4 bytes
// copied at once: format_ip4() runs for every listed TXT answer with a `$`.
struct OctetText {
  std::array<char, 3> digits;
  std::uint8_t len;
};
static_assert(sizeof(OctetText) == 4);

constexpr std::array<OctetText, 256> kOctetText = [] {
  std::array<OctetText, 256> t{};
  for (unsigned o = 0; o < 256; ++o) {
    std::uint8_t n = 0;
    if (o >= 100) t[o].digits[n++] = static_cast<char>('0' + o / 100);
    if (o >= 10) t[o].digits[n++] = static_cast<char>('0' + (o / 10) % 10);
    t[o].digits[n++] = static_cast<char>('0' + o % 10);
    t[o].len = n;
  }
  return t;
}();

}  // namespace

std::size_t format_ip4(std::uint32_t addr, std::array<char, 16>& out) noexcept {
  // Each octet's 4 table bytes land at out[n, n + 4) (n <= 12: at most 3 octets of 3
  // digits and their dots before the last), the length byte overwritten by what follows.
  std::size_t n = 0;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const OctetText& o = kOctetText[(addr >> shift) & 255u];
    std::memcpy(out.data() + n, &o, sizeof o);
    n += o.len;
    if (shift != 0) out[n++] = '.';
  }
  return n;
}

std::size_t format_ip6(const std::array<std::uint8_t, 16>& a, std::array<char, 40>& out) noexcept {
  std::array<unsigned, 8> g{};
  for (std::size_t i = 0; i < 8; ++i) g[i] = (unsigned{a[2 * i]} << 8) | a[2 * i + 1];
  // The first longest run of at least two zero groups.
  std::size_t best = 8, best_len = 1;
  for (std::size_t i = 0; i < 8;) {
    if (g[i] != 0) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < 8 && g[j] == 0) ++j;
    if (j - i > best_len) {
      best = i;
      best_len = j - i;
    }
    i = j;
  }
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::size_t n = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    if (i == best) {
      out[n++] = ':';
      out[n++] = ':';
      i += best_len - 1;
      continue;
    }
    if (i != 0 && i != best + best_len) out[n++] = ':';
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const unsigned d = (g[i] >> shift) & 15u;
      if (d != 0 || started || shift == 0) {
        out[n++] = kHex[d];
        started = true;
      }
    }
  }
  return n;
}

}  // namespace fastrbl::zones
