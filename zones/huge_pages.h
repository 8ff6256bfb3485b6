#pragma once
// Transparent huge pages for the arrays queries read at random: an ip4set's interval starts
// and extents, a dnset's hash slots, keys and nodes, a trie's prefix starts. With 4 KiB
// pages a lookup in a million-entry set misses the TLB on nearly every probe, and under a
// hypervisor each miss walks two page tables; 2 MiB pages cover such a set with a few dozen
// TLB entries. bench/README.md ("Huge pages for the datasets") has what it bought.
//
// HugeVector<T>: a std::vector whose large buffers (kHugeMin bytes and more) are mappings
// of their own, aligned to 2 MiB and advised MADV_HUGEPAGE before they are touched, so that
// the kernel backs them with huge pages as they are written (with THP in its default
// "madvise" mode). A buffer's whole huge pages get the advice; its tail past the last
// whole one keeps 4 KiB pages, unless rounding it up wastes at most 1/8 of the buffer
// (e.g. a million 2-byte extents: 2,000,000 bytes in one huge page). Smaller buffers come
// from the ordinary heap.
//
// prefer_huge_pages(bytes): the same advice for memory already written (an image copied to
// the heap): madvise(MADV_HUGEPAGE) on the whole huge pages inside `bytes`, then
// MADV_COLLAPSE (Linux 6.1 on) to back them now, where older kernels leave it to
// khugepaged.
//
// Advice only: errors are ignored (the kernel may refuse, or be short of contiguous
// memory), and when the operator turned transparent huge pages off ("never" in
// /sys/kernel/mm/transparent_hugepage/enabled) no advice is given.
//
// Thread safety: any thread.

#include <cstddef>
#include <cstdint>
#include <new>
#include <span>
#include <vector>

namespace fastrbl::zones {

/// The size of a transparent huge page (2 MiB on x86-64).
inline constexpr std::size_t kHugePage = std::size_t{2} << 20;
/// HugeVector buffers from this size on get a huge-page mapping of their own.
inline constexpr std::size_t kHugeMin = kHugePage / 2;

/// See above. Returns the bytes the kernel was asked to back with huge pages (0: none).
std::size_t prefer_huge_pages(std::span<const std::uint8_t> bytes) noexcept;

template <class T>
std::size_t prefer_huge_pages(std::span<const T> items) noexcept {
  return prefer_huge_pages(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(items.data()), items.size_bytes()));
}

namespace detail {
/// A mapping of at least `bytes` (>= kHugeMin) at a 2 MiB boundary, advised as described
/// above. Throws std::bad_alloc.
void* map_huge(std::size_t bytes);
/// Unmaps what map_huge(bytes) returned.
void unmap_huge(void* p, std::size_t bytes) noexcept;
}  // namespace detail

/// The allocator of HugeVector: stateless, all instances equal.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() noexcept = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT: rebinding converts implicitly

  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    if (n * sizeof(T) < kHugeMin) return std::allocator<T>().allocate(n);
    return static_cast<T*>(detail::map_huge(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept {
    if (n * sizeof(T) < kHugeMin) {
      std::allocator<T>().deallocate(p, n);
    } else {
      detail::unmap_huge(p, n * sizeof(T));
    }
  }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept {
    return true;
  }
};

template <class T>
using HugeVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace fastrbl::zones
