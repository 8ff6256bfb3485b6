#pragma once
// rbldnsd's time values (compat §3.7), shared by the command line (-t, -c) and the data-file
// loader ($TTL, $SOA, $NS, generic TTLs): decimal seconds with an optional unit. Pure
// functions, no allocation. Thread safety: none needed.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fastrbl::core {

struct TimeValue {
  std::uint32_t seconds = 0;
  std::size_t length = 0;  // characters used: the digits and the unit, if any
};

/// Decimal digits with an optional unit s m h d w (either case), as rbldnsd's parse_time.
/// Stops at the first character after that (which callers check). Nothing when `text` does
/// not start with a digit or the value is above 2^32-1 seconds.
std::optional<TimeValue> parse_time_value(std::string_view text) noexcept;

}  // namespace fastrbl::core
