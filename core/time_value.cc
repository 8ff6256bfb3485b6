#include "core/time_value.h"

namespace fastrbl::core {

std::optional<TimeValue> parse_time_value(std::string_view text) noexcept {
  constexpr std::uint64_t kMax = 0xffffffffu;
  std::uint64_t v = 0;
  std::size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
    if (v > kMax) return std::nullopt;
  }
  if (i == 0) return std::nullopt;
  std::uint64_t unit = 0;
  if (i < text.size()) {
    switch (text[i]) {
      case 'w':
      case 'W':
        unit = 7 * 24 * 3600;
        break;
      case 'd':
      case 'D':
        unit = 24 * 3600;
        break;
      case 'h':
      case 'H':
        unit = 3600;
        break;
      case 'm':
      case 'M':
        unit = 60;
        break;
      case 's':
      case 'S':
        unit = 1;
        break;
      default:
        break;
    }
  }
  if (unit != 0) {
    ++i;
    v *= unit;
    if (v > kMax) return std::nullopt;
  }
  return TimeValue{static_cast<std::uint32_t>(v), i};
}

}  // namespace fastrbl::core
