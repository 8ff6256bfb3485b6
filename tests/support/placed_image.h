#pragma once
// Placed: a copy of an image's bytes at a chosen offset modulo 32, as a test needs it to
// open an image served in place (offset zones::kImageAlignOffset, where LMDB puts an
// overflow value) or copied (any other offset). Test-only code: it allocates freely.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace fastrbl::testing {

struct Placed {
  Placed(const std::vector<std::uint8_t>& image, std::size_t offset) : buf(image.size() + 64) {
    const auto base = reinterpret_cast<std::uintptr_t>(buf.data());
    const std::size_t pad = (offset + 32 - base % 32) % 32;
    std::memcpy(buf.data() + pad, image.data(), image.size());
    bytes = {buf.data() + pad, image.size()};
  }
  std::vector<std::uint8_t> buf;
  std::span<const std::uint8_t> bytes;  // the image, inside buf
};

}  // namespace fastrbl::testing
