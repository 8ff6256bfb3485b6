#pragma once
// Token parsers shared by the data-file readers, each a re-statement of the rbldnsd
// routine it is named after (compat §3.2, §3.7, §4): numbers and time values, TTL
// clamping, $TIMESTAMP dates and the IPv4 address forms. They work on string_views
// and return the rest of the input, or nullopt/-1 when the text is malformed.
// Pure functions; thread-safe.

#include <array>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>

namespace fastrbl::loader {

inline bool is_space(char c) noexcept { return c == ' ' || c == '\t'; }
inline bool is_comment(char c) noexcept { return c == '#' || c == ';'; }
/// Drops leading spaces and tabs.
std::string_view skip_space(std::string_view s) noexcept;

/// A parsed token and the text after it.
template <class T>
struct Parsed {
  T value;
  std::string_view rest;
};

/// Decimal uint32 (overflow fails); then end of text or whitespace, which is skipped
/// (rbldnsd parse_uint32).
std::optional<Parsed<std::uint32_t>> parse_uint32(std::string_view s) noexcept;

/// A time value: decimal with an optional unit s m h d w (any case), overflow of 32 bits
/// fails; then end, ':' (left in place) or whitespace (skipped) (rbldnsd parse_time).
std::optional<Parsed<std::uint32_t>> parse_time(std::string_view s) noexcept;

/// rbldnsd parse_ttl: a time value where 0 means `def`, and other values are raised to
/// min_ttl / lowered to max_ttl (0: no bound).
std::optional<Parsed<std::uint32_t>> parse_ttl(std::string_view s, std::uint32_t def, std::uint32_t min_ttl,
                                               std::uint32_t max_ttl) noexcept;

/// $TIMESTAMP date: `0`, `-` or `:` alone means "not given" (value 0); otherwise
/// YYYY[:-]MM[:-]DD[[:-]hh[[:-]mi[[:-]ss]]] in UTC, years 1970-2038 (rbldnsd
/// parse_timestamp). Trailing whitespace is skipped.
std::optional<Parsed<std::time_t>> parse_timestamp(std::string_view s) noexcept;

/// IPv4 parsing results: `end` is the offset of the first character not consumed.
struct Ip4Prefix {
  std::uint32_t addr = 0;
  int bits = 0;  // 8, 16, 24 or 32: how many octets were written
  std::size_t end = 0;
};
struct Ip4Range {
  std::uint32_t first = 0, last = 0;
  int bits = 0;  // CIDR/prefix length, or 32 for an a-b range
  std::size_t end = 0;
};

/// 1 to 4 dotted decimal octets, each <= 255 (rbldnsd ip4prefix).
std::optional<Ip4Prefix> parse_ip4_prefix(std::string_view s) noexcept;
/// rbldnsd ip4range: `a-b` ranges (same octet count on both sides, or a single octet on
/// the right replacing the last written octet; the end filled with 255s; bits = 32),
/// `prefix/bits` with 0..32 bits, or a prefix of 2-4 octets (a bare number is refused).
/// `first` may have host bits set: callers check them against `bits`.
std::optional<Ip4Range> parse_ip4_range(std::string_view s) noexcept;
/// rbldnsd ip4addr (inet_aton's partial forms): `n` -> 0.0.0.n, `a.b` -> a.0.0.b,
/// `a.b.c` -> a.b.0.c; bits as in parse_ip4_prefix.
std::optional<Ip4Prefix> parse_ip4_addr(std::string_view s) noexcept;
/// The netmask of a prefix length (0..32).
std::uint32_t ip4_mask(int bits) noexcept;

/// An IPv6 address or prefix as rbldnsd reads it (ip6trie, ip6tset).
struct Ip6Prefix {
  std::array<std::uint8_t, 16> addr{};
  int bits = 0;             // `/n`, else 128 with `::`, else 16 per group written
  int groups = 0;           // hex groups written
  bool compressed = false;  // `::` was written
  bool slash = false;       // `/n` was written
  std::size_t end = 0;
};
/// rbldnsd's IPv6 text without `/n`: up to 8 hex groups (value <= ffff, any number of
/// leading zeros), one `::`. Parsing stops after the 8th group, or at a second `::` (its
/// first colon is consumed, so `1::2::3` ends before `:3`); with `::` a trailing single
/// colon is consumed, without it a trailing colon is invalid. `::` with 8 groups, or no
/// group and no `::`, is invalid. No dotted-quad tails.
std::optional<Ip6Prefix> parse_ip6_addr(std::string_view s) noexcept;
/// parse_ip6_addr() plus an optional `/n` (0..128, leading zeros allowed). Without `/n`
/// and `::` the length comes from the groups written (`2001:db8:1` = /48), and a single
/// group is invalid. The host bits are not checked (see ip6_host_bits()).
std::optional<Ip6Prefix> parse_ip6_cidr(std::string_view s) noexcept;
/// True if `a` has bits set beyond the first `bits`.
bool ip6_host_bits(const std::array<std::uint8_t, 16>& a, int bits) noexcept;
/// Clears the bits of `a` beyond the first `bits`.
void ip6_mask(std::array<std::uint8_t, 16>& a, int bits) noexcept;

}  // namespace fastrbl::loader
