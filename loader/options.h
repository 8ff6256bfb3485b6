#pragma once
// LoadOptions: the command-line settings that change how data files are read
// (rbldnsd's -t, -e, -C). A plain value, fixed before a load starts and only read
// during it. Thread safety: a plain value.

#include <cstdint>
#include <ctime>

namespace fastrbl::loader {

struct LoadOptions {
  /// -t def: the TTL of A/TXT records when the data has no $TTL, and what a TTL of 0
  /// in $TTL means. Never 0.
  std::uint32_t default_ttl = 2100;
  /// -t ::min:max: TTLs read from data are raised to min_ttl and lowered to max_ttl
  /// (0: no bound). The default itself is not clamped (the command line checks it).
  std::uint32_t min_ttl = 0;
  std::uint32_t max_ttl = 0;
  /// -e: accept CIDR entries with a non-zero host part and mask it off.
  bool accept_host_bits = false;
  /// -C: a gzip-compressed data file is a load error.
  bool no_gzip = false;
  /// The current time for $TIMESTAMP and expiry checks; 0 means time(nullptr). Tests set it.
  std::time_t now = 0;
};

}  // namespace fastrbl::loader
