// The replacement of every global operator new/delete form for the allocation-counting
// tests (see alloc_counter.h). One copy per test binary, through an object library.

#include "support/alloc_counter.h"

#include <cstddef>
#include <cstdlib>
#include <new>

namespace fastrbl::testing {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

void* counted_alloc(std::size_t n, std::size_t align) noexcept {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
void* counted_alloc_or_throw(std::size_t n, std::size_t align) {
  if (void* p = counted_alloc(n, align)) return p;
  throw std::bad_alloc();
}
constexpr std::size_t kPlain = alignof(std::max_align_t);
}  // namespace fastrbl::testing

// Every replaceable form is replaced, so that the sanitizer never sees a mismatch.
void* operator new(std::size_t n) {
  return fastrbl::testing::counted_alloc_or_throw(n, fastrbl::testing::kPlain);
}
void* operator new[](std::size_t n) {
  return fastrbl::testing::counted_alloc_or_throw(n, fastrbl::testing::kPlain);
}
void* operator new(std::size_t n, std::align_val_t a) {
  return fastrbl::testing::counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a) {
  return fastrbl::testing::counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return fastrbl::testing::counted_alloc(n, fastrbl::testing::kPlain);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return fastrbl::testing::counted_alloc(n, fastrbl::testing::kPlain);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return fastrbl::testing::counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return fastrbl::testing::counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
