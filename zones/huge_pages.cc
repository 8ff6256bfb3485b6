#include "zones/huge_pages.h"

#include <cstdio>
#include <cstring>
#include <sys/mman.h>

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25  // Linux 6.1 (asm-generic/mman-common.h); older libc headers lack it
#endif

namespace fastrbl::zones {
namespace {

// False when the operator turned transparent huge pages off ("[never]" selected), read
// once. A kernel without THP has no such file: madvise() refuses there anyway.
bool thp_allowed() noexcept {
  static const bool allowed = [] {
    std::FILE* f = std::fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
    if (f == nullptr) return true;
    char line[128] = {};
    const bool read = std::fgets(line, sizeof line, f) != nullptr;
    std::fclose(f);
    return !read || std::strstr(line, "[never]") == nullptr;
  }();
  return allowed;
}

std::size_t round_up(std::size_t n, std::size_t to) noexcept { return (n + to - 1) / to * to; }

// The length map_huge() maps for `bytes`: whole huge pages when the last one would be at
// least 7/8 used, else the 4 KiB pages the bytes need.
std::size_t huge_length(std::size_t bytes) noexcept {
  const std::size_t up = round_up(bytes, kHugePage);
  return up - bytes <= bytes / 8 ? up : round_up(bytes, 4096);
}

}  // namespace

std::size_t prefer_huge_pages(std::span<const std::uint8_t> bytes) noexcept {
  if (bytes.size() < kHugePage || !thp_allowed()) return 0;
  const auto begin = reinterpret_cast<std::uintptr_t>(bytes.data());
  const std::uintptr_t first = round_up(begin, kHugePage);
  const std::uintptr_t last = (begin + bytes.size()) / kHugePage * kHugePage;
  if (last <= first) return 0;
  void* p = reinterpret_cast<void*>(first);
  const std::size_t n = last - first;
  if (::madvise(p, n, MADV_HUGEPAGE) != 0) return 0;
  ::madvise(p, n, MADV_COLLAPSE);  // EINVAL before 6.1: khugepaged collapses in its time
  return n;
}

namespace detail {

void* map_huge(std::size_t bytes) {
  const std::size_t len = huge_length(bytes);
  // Map a huge page more than needed, then cut the ends off at the 2 MiB boundary.
  void* m = ::mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) throw std::bad_alloc();
  const auto raw = reinterpret_cast<std::uintptr_t>(m);
  const std::uintptr_t start = round_up(raw, kHugePage);
  if (start > raw) ::munmap(m, start - raw);
  const std::uintptr_t end = raw + len + kHugePage;
  if (end > start + len) ::munmap(reinterpret_cast<void*>(start + len), end - start - len);
  const std::size_t whole = len / kHugePage * kHugePage;
  if (whole != 0 && thp_allowed()) ::madvise(reinterpret_cast<void*>(start), whole, MADV_HUGEPAGE);
  return reinterpret_cast<void*>(start);
}

void unmap_huge(void* p, std::size_t bytes) noexcept { ::munmap(p, huge_length(bytes)); }

}  // namespace detail
}  // namespace fastrbl::zones
