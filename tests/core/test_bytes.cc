// Tests for core/bytes.h: same_bytes() and equal_folded() against a plain byte loop, for
// every length up to 40 (the short, two-word and looping cases) and a difference at every
// position.

#include "core/bytes.h"
#include "core/wire_reader.h"

#include <catch2/catch.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace core = fastrbl::core;

namespace {

struct Lower {
  std::uint8_t operator()(std::uint8_t c) const noexcept { return core::lower(c); }
  std::uint64_t operator()(std::uint64_t w) const noexcept { return core::detail::lower8(w); }
};

}  // namespace

TEST_CASE("bytes: same_bytes and equal_folded at every length and difference position", "[bytes]") {
  std::array<std::uint8_t, 48> a{}, b{};
  for (std::size_t i = 0; i < a.size(); ++i) {
    a[i] = static_cast<std::uint8_t>('a' + i % 26);
    b[i] = a[i];
  }
  for (std::size_t n = 0; n <= 40; ++n) {
    INFO("n " << n);
    CHECK(core::same_bytes(a.data(), b.data(), n));
    CHECK(core::equal_folded(a.data(), b.data(), n, Lower{}));
    for (std::size_t at = 0; at < n; ++at) {
      INFO("difference at " << at);
      std::array<std::uint8_t, 48> c = a;
      c[at] = static_cast<std::uint8_t>(c[at] ^ 0x01);
      CHECK_FALSE(core::same_bytes(c.data(), b.data(), n));
      CHECK_FALSE(core::equal_folded(c.data(), b.data(), n, Lower{}));
      std::array<std::uint8_t, 48> u = a;  // upper case: equal once folded, not as bytes
      u[at] = static_cast<std::uint8_t>(u[at] - 0x20);
      CHECK_FALSE(core::same_bytes(u.data(), b.data(), n));
      CHECK(core::equal_folded(u.data(), b.data(), n, Lower{}));
    }
    // A difference just past the end changes nothing.
    std::array<std::uint8_t, 48> c = a;
    c[n] = static_cast<std::uint8_t>(c[n] ^ 0x01);
    CHECK(core::same_bytes(c.data(), b.data(), n));
  }
}
