#pragma once
// Small byte helpers for the query path, inline because the lengths are short (zone names):
// a call to memcmp costs more than the comparison itself.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fastrbl::core {

/// The little-endian unsigned integer of sizeof(T) bytes at p, widened to 64 bits (any
/// alignment; hashing and word-at-a-time parsing read bytes this way).
template <class T>
inline std::uint64_t load_le(const std::uint8_t* p) noexcept {
  T v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, sizeof v);
  } else {
    for (std::size_t i = sizeof v; i-- > 0;) v = static_cast<T>((v << 8) | p[i]);
  }
  return v;
}

/// fold(a[0, n)) == b[0, n), eight bytes at a time (the last eight overlapping the loop's).
/// `fold` maps a byte and a word of eight bytes alike (identity, or a lowercase).
template <class Fold>
inline bool equal_folded(const std::uint8_t* a, const std::uint8_t* b, std::size_t n, Fold fold) noexcept {
  if (n < 8) {
    for (std::size_t i = 0; i < n; ++i)
      if (fold(a[i]) != b[i]) return false;
    return true;
  }
  std::uint64_t x = 0, y = 0;
  if (n <= 16) {  // most zone names: two words, no loop
    std::memcpy(&x, a, 8);
    std::memcpy(&y, b, 8);
    if (fold(x) != y) return false;
    std::memcpy(&x, a + n - 8, 8);
    std::memcpy(&y, b + n - 8, 8);
    return fold(x) == y;
  }
  for (std::size_t i = 0; i + 8 < n; i += 8) {
    std::memcpy(&x, a + i, 8);
    std::memcpy(&y, b + i, 8);
    if (fold(x) != y) return false;
  }
  std::memcpy(&x, a + n - 8, 8);
  std::memcpy(&y, b + n - 8, 8);
  return fold(x) == y;
}

/// a[0, n) == b[0, n).
inline bool same_bytes(const std::uint8_t* a, const std::uint8_t* b, std::size_t n) noexcept {
  return equal_folded(a, b, n, [](auto v) { return v; });
}

}  // namespace fastrbl::core
