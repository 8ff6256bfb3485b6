// Tests for zones/huge_pages.h: HugeVector's large buffers are 2 MiB-aligned mappings of
// their own, advised MADV_HUGEPAGE on their whole huge pages (the kernel's VmFlags "hg",
// which does not depend on whether huge pages are free at the moment), and keep their
// contents as they grow; prefer_huge_pages() advises only whole huge pages inside a range.

#include "zones/huge_pages.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace fastrbl::zones {
namespace {

// Whether transparent huge pages can be advised here: the kernel has them and the
// operator has not turned them off (prefer_huge_pages() and HugeVector then give none).
bool thp_available() {
  std::ifstream f("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  return std::getline(f, line) && line.find("[never]") == std::string::npos;
}

// The VmFlags of the mapping holding `p` (/proc/self/smaps); "" if none holds it.
std::string vm_flags(const void* p) {
  const auto a = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    std::uintptr_t lo = 0, hi = 0;
    char dash = 0;
    std::istringstream range(line);
    if (range >> std::hex >> lo >> dash >> hi && dash == '-' && line.find(':') > line.find(' ')) {
      inside = lo <= a && a < hi;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return line.substr(8) + " ";
    }
  }
  return "";
}

bool advised(const void* p) { return vm_flags(p).find(" hg ") != std::string::npos; }

TEST_CASE("huge pages: a large HugeVector buffer is an advised mapping at a 2 MiB boundary", "[huge_pages]") {
  HugeVector<std::uint32_t> v;
  for (std::uint32_t i = 0; i < (3u << 20); ++i) v.push_back(i * 7u);  // 12 MiB, grown in steps
  REQUIRE(v.size() == (3u << 20));
  for (std::uint32_t i = 0; i < v.size(); i += 4099) REQUIRE(v[i] == i * 7u);
  CHECK(reinterpret_cast<std::uintptr_t>(v.data()) % kHugePage == 0);
  if (thp_available()) {
    CHECK(advised(v.data()));
    CHECK(advised(v.data() + v.size() - 1));
  }
  v.resize(1000);  // shrink to a heap buffer and back
  v.shrink_to_fit();
  REQUIRE(v.size() == 1000);
  CHECK(v[999] == 999u * 7u);
}

TEST_CASE("huge pages: a buffer's tail gets a huge page only when at least 7/8 of it is used",
          "[huge_pages]") {
  if (!thp_available()) {
    WARN("transparent huge pages are off: nothing to check");
    return;
  }
  // 2,000,000 bytes (a million 2-byte extents): one huge page, 95 % used.
  HugeVector<std::uint16_t> extents(1000000, 1);
  CHECK(reinterpret_cast<std::uintptr_t>(extents.data()) % kHugePage == 0);
  CHECK(advised(extents.data() + extents.size() - 1));
  // 3 MiB: the first 2 MiB advised, the last 1 MiB (half a huge page) on 4 KiB pages.
  HugeVector<std::uint8_t> bytes(3u << 20, 5);
  CHECK(advised(bytes.data()));
  CHECK(advised(bytes.data() + kHugePage - 1));
  CHECK_FALSE(advised(bytes.data() + kHugePage));
  CHECK(bytes[(3u << 20) - 1] == 5);
  // Below kHugeMin: the ordinary heap.
  HugeVector<std::uint8_t> small(kHugeMin - 1, 9);
  CHECK(small.back() == 9);
}

TEST_CASE("huge pages: prefer_huge_pages advises the whole huge pages inside a range only", "[huge_pages]") {
  std::vector<std::uint8_t> small(kHugePage - 1, 1);
  CHECK(prefer_huge_pages(std::span<const std::uint8_t>(small)) == 0);
  std::vector<std::uint8_t> big(5 * kHugePage + 12345, 2);
  const std::size_t n = prefer_huge_pages(std::span<const std::uint8_t>(big));
  CHECK(n % kHugePage == 0);
  CHECK(n <= big.size());
  if (thp_available()) {
    CHECK(n >= 4 * kHugePage);
    const auto begin = reinterpret_cast<std::uintptr_t>(big.data());
    const std::uintptr_t first = (begin + kHugePage - 1) / kHugePage * kHugePage;
    CHECK(advised(reinterpret_cast<const void*>(first)));
    CHECK(advised(reinterpret_cast<const void*>(first + n - 1)));
  }
  CHECK(big[big.size() - 1] == 2);  // the contents stay
}

}  // namespace
}  // namespace fastrbl::zones
