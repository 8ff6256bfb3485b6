#include "loader/parse_util.h"

#include "core/time_value.h"

#include <array>

namespace fastrbl::loader {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
unsigned digit(char c) noexcept { return static_cast<unsigned>(c - '0'); }

// Decimal digits without any trailing check; nullopt on no digit or 32-bit overflow.
std::optional<Parsed<std::uint32_t>> parse_digits(std::string_view s) noexcept {
  if (s.empty() || !is_digit(s[0])) return std::nullopt;
  std::uint32_t n = 0;
  std::size_t i = 0;
  for (; i < s.size() && is_digit(s[i]); ++i) {
    if (n > 0xffffffffu / 10) return std::nullopt;
    if (n * 10 > 0xffffffffu - digit(s[i])) return std::nullopt;
    n = n * 10 + digit(s[i]);
  }
  return Parsed<std::uint32_t>{n, s.substr(i)};
}

// One timestamp field of at most `width` digits in [lo, hi]; an optional ':' or '-' after it.
std::optional<Parsed<unsigned>> parse_ts_field(std::string_view s, unsigned lo, unsigned hi,
                                               unsigned width) noexcept {
  if (s.empty() || !is_digit(s[0])) return std::nullopt;
  unsigned n = 0;
  std::size_t i = 0;
  do {
    n = n * 10 + digit(s[i]);
    ++i;
  } while (i < s.size() && is_digit(s[i]) && i < width);
  if (n < lo || n > hi) return std::nullopt;
  if (i < s.size() && (s[i] == ':' || s[i] == '-')) ++i;
  return Parsed<unsigned>{n, s.substr(i)};
}

bool is_leap(unsigned y) noexcept { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr std::array<unsigned, 12> kMonthDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

}  // namespace

std::string_view skip_space(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && is_space(s[i])) ++i;
  return s.substr(i);
}

std::optional<Parsed<std::uint32_t>> parse_uint32(std::string_view s) noexcept {
  auto r = parse_digits(s);
  if (!r) return std::nullopt;
  if (!r->rest.empty()) {
    if (!is_space(r->rest[0])) return std::nullopt;
    r->rest = skip_space(r->rest);
  }
  return r;
}

std::optional<Parsed<std::uint32_t>> parse_time(std::string_view s) noexcept {
  const auto t = core::parse_time_value(s);
  if (!t) return std::nullopt;
  std::string_view rest = s.substr(t->length);
  if (!rest.empty() && rest[0] != ':') {
    if (!is_space(rest[0])) return std::nullopt;
    rest = skip_space(rest);
  }
  return Parsed<std::uint32_t>{t->seconds, rest};
}

std::optional<Parsed<std::uint32_t>> parse_ttl(std::string_view s, std::uint32_t def, std::uint32_t min_ttl,
                                               std::uint32_t max_ttl) noexcept {
  auto r = parse_time(s);
  if (!r) return std::nullopt;
  if (r->value == 0)
    r->value = def;
  else if (min_ttl != 0 && r->value < min_ttl)
    r->value = min_ttl;
  else if (max_ttl != 0 && r->value > max_ttl)
    r->value = max_ttl;
  return r;
}

std::optional<Parsed<std::time_t>> parse_timestamp(std::string_view s) noexcept {
  if (!s.empty() && (s[0] == '0' || s[0] == '-' || s[0] == ':') && (s.size() == 1 || is_space(s[1])))
    return Parsed<std::time_t>{0, skip_space(s.substr(1))};
  auto year = parse_ts_field(s, 1970, 2038, 4);
  if (!year) return std::nullopt;
  auto mon = parse_ts_field(year->rest, 1, 12, 2);
  if (!mon) return std::nullopt;
  const unsigned m = mon->value - 1;
  const unsigned mdays = (m == 1 && is_leap(year->value)) ? 29 : kMonthDays[m];
  auto day = parse_ts_field(mon->rest, 1, mdays, 2);
  if (!day) return std::nullopt;
  std::string_view rest = day->rest;
  std::array<unsigned, 3> hms = {0, 0, 0};
  constexpr std::array<unsigned, 3> kHmsMax = {23, 59, 59};
  for (std::size_t k = 0; k < 3; ++k) {
    if (rest.empty() || is_space(rest[0])) break;
    auto f = parse_ts_field(rest, 0, kHmsMax[k], 2);
    if (!f) return std::nullopt;
    hms[k] = f->value;
    rest = f->rest;
  }
  if (!rest.empty()) {
    if (!is_space(rest[0])) return std::nullopt;
    rest = skip_space(rest);
  }
  std::int64_t days = 0;
  for (unsigned y = 1970; y < year->value; ++y) days += is_leap(y) ? 366 : 365;
  for (unsigned k = 0; k < m; ++k) days += kMonthDays[k];
  if (m > 1 && is_leap(year->value)) ++days;
  days += day->value - 1;
  const std::int64_t secs = ((days * 24 + hms[0]) * 60 + hms[1]) * 60 + hms[2];
  return Parsed<std::time_t>{static_cast<std::time_t>(secs), rest};
}

std::uint32_t ip4_mask(int bits) noexcept {
  if (bits <= 0) return 0;
  if (bits >= 32) return 0xffffffffu;
  return ~((std::uint32_t{1} << (32 - bits)) - 1u);
}

std::optional<Ip4Prefix> parse_ip4_prefix(std::string_view s) noexcept {
  Ip4Prefix p;
  std::size_t i = 0;
  for (int shift = 24;; shift -= 8) {
    if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
    unsigned o = digit(s[i++]);
    while (i < s.size() && is_digit(s[i])) {
      o = o * 10 + digit(s[i++]);
      if (o > 255) return std::nullopt;
    }
    p.addr |= std::uint32_t{o} << shift;
    if (shift == 0 || i >= s.size() || s[i] != '.') {
      p.bits = 32 - shift;
      p.end = i;
      return p;
    }
    ++i;  // the dot: an octet must follow
  }
}

std::optional<Ip4Range> parse_ip4_range(std::string_view s) noexcept {
  auto a = parse_ip4_prefix(s);
  if (!a) return std::nullopt;
  Ip4Range r;
  r.first = a->addr;
  std::size_t i = a->end;
  if (i < s.size() && s[i] == '-') {
    auto b = parse_ip4_prefix(s.substr(i + 1));
    if (!b) return std::nullopt;
    r.end = i + 1 + b->end;
    std::uint32_t last = b->addr;
    int bbits = b->bits;
    if (bbits == 8) {  // 127.0.0.1-2: the right side replaces the last written octet
      last = (last >> (a->bits - 8)) | (a->addr & ip4_mask(a->bits - 8));
      bbits = a->bits;
    } else if (bbits != a->bits) {
      return std::nullopt;  // 1.2-1.2.3.4
    }
    if (bbits != 32) last |= ~ip4_mask(bbits);
    if (r.first > last) return std::nullopt;
    r.last = last;
    r.bits = 32;
    return r;
  }
  int bits = a->bits;
  if (i < s.size() && s[i] == '/') {
    ++i;
    if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
    bits = static_cast<int>(digit(s[i++]));
    while (i < s.size() && is_digit(s[i])) {
      bits = bits * 10 + static_cast<int>(digit(s[i++]));
      if (bits > 32) return std::nullopt;
    }
  } else if (bits == 8) {
    return std::nullopt;  // a bare number: write 1/8
  }
  r.bits = bits;
  r.last = r.first | ~ip4_mask(bits);
  r.end = i;
  return r;
}

std::optional<Ip4Prefix> parse_ip4_addr(std::string_view s) noexcept {
  auto p = parse_ip4_prefix(s);
  if (!p) return std::nullopt;
  switch (p->bits) {
    case 8:
      p->addr >>= 24;
      break;
    case 16:
      p->addr = (p->addr & 0xff000000u) | ((p->addr >> 16) & 255u);
      break;
    case 24:
      p->addr = (p->addr & 0xffff0000u) | ((p->addr >> 8) & 255u);
      break;
    default:
      break;
  }
  return p;
}

}  // namespace fastrbl::loader

namespace fastrbl::loader {
namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<Ip6Prefix> parse_ip6_addr(std::string_view s) noexcept {
  Ip6Prefix p;
  std::array<unsigned, 8> g{};
  int zpos = -1;  // groups written before the `::`
  std::size_t i = 0;
  bool lone_colon = false;  // the text ends in a single consumed ':'
  if (s.size() >= 2 && s[0] == ':' && s[1] == ':') {
    zpos = 0;
    i = 2;
  }
  while (p.groups < 8) {
    if (i >= s.size() || hex_digit(s[i]) < 0) break;
    unsigned v = 0;
    for (; i < s.size() && hex_digit(s[i]) >= 0; ++i) {
      v = v * 16 + static_cast<unsigned>(hex_digit(s[i]));
      if (v > 0xffff) return std::nullopt;
    }
    g[static_cast<std::size_t>(p.groups++)] = v;
    lone_colon = false;
    if (p.groups == 8 || i >= s.size() || s[i] != ':') break;
    ++i;
    lone_colon = true;
    if (i < s.size() && s[i] == ':') {
      if (zpos >= 0) break;  // a second `::`: the address ends before its second colon
      zpos = p.groups;
      ++i;
      lone_colon = false;
    }
  }
  if (zpos < 0 && (p.groups == 0 || lone_colon)) return std::nullopt;
  if (zpos >= 0 && p.groups == 8) return std::nullopt;
  p.compressed = zpos >= 0;
  const std::size_t n = static_cast<std::size_t>(p.groups);
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t at = k;
    if (zpos >= 0 && k >= static_cast<std::size_t>(zpos)) at = 8 - (n - k);
    p.addr[2 * at] = static_cast<std::uint8_t>(g[k] >> 8);
    p.addr[2 * at + 1] = static_cast<std::uint8_t>(g[k]);
  }
  p.bits = p.compressed ? 128 : 16 * p.groups;
  p.end = i;
  return p;
}

std::optional<Ip6Prefix> parse_ip6_cidr(std::string_view s) noexcept {
  auto p = parse_ip6_addr(s);
  if (!p) return std::nullopt;
  std::size_t i = p->end;
  if (i < s.size() && s[i] == '/') {
    ++i;
    if (i >= s.size() || !is_digit(s[i])) return std::nullopt;
    int bits = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      bits = bits * 10 + static_cast<int>(digit(s[i]));
      if (bits > 128) return std::nullopt;
    }
    p->bits = bits;
    p->slash = true;
    p->end = i;
  } else if (!p->compressed && p->groups < 2) {
    return std::nullopt;
  }
  return p;
}

bool ip6_host_bits(const std::array<std::uint8_t, 16>& a, int bits) noexcept {
  std::array<std::uint8_t, 16> m = a;
  ip6_mask(m, bits);
  return m != a;
}

void ip6_mask(std::array<std::uint8_t, 16>& a, int bits) noexcept {
  for (std::size_t k = 0; k < 16; ++k) {
    const int keep = bits - static_cast<int>(8 * k);
    if (keep >= 8) continue;
    a[k] = keep <= 0 ? std::uint8_t{0} : static_cast<std::uint8_t>(a[k] & (0xff00u >> keep));
  }
}

}  // namespace fastrbl::loader
