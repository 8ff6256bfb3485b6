#pragma once
// wire_name(): a wire-format name from raw labels (any bytes, including '.', NUL and
// spaces: nothing is escaped or checked), ending in the root. Test-only code.

#include <cstdint>
#include <string>
#include <vector>

namespace fastrbl::testing {

inline std::vector<std::uint8_t> wire_name(const std::vector<std::string>& labels) {
  std::vector<std::uint8_t> n;
  for (const std::string& l : labels) {
    n.push_back(static_cast<std::uint8_t>(l.size()));
    n.insert(n.end(), l.begin(), l.end());
  }
  n.push_back(0);
  return n;
}

}  // namespace fastrbl::testing
