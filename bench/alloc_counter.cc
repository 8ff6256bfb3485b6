#include "bench/alloc_counter.h"

#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

// constinit: no dynamic initialisation, so counting works before main and in any thread.
constinit thread_local std::uint64_t t_allocations = 0;
std::atomic<bool> g_failure{false};

void* allocate(std::size_t size) noexcept {
  ++t_allocations;
  return std::malloc(size == 0 ? 1 : size);
}

void* allocate_aligned(std::size_t size, std::align_val_t align) noexcept {
  ++t_allocations;
  const auto a = static_cast<std::size_t>(align);
  const std::size_t rounded = (size + a - 1) / a * a;  // aligned_alloc wants a multiple
  return std::aligned_alloc(a, rounded == 0 ? a : rounded);
}

void* checked(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}

}  // namespace

namespace fastrbl::bench {

std::uint64_t thread_allocations() noexcept { return t_allocations; }

void report_allocs(benchmark::State& state, std::uint64_t start) {
  const std::uint64_t n = thread_allocations() - start;  // before the counter map allocates
  state.counters["allocs/op"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kAvgIterations);
}

void require_no_allocs(benchmark::State& state, std::uint64_t start) {
  const std::uint64_t n = thread_allocations() - start;
  report_allocs(state, start);
  if (n != 0) {
    g_failure = true;
    state.SkipWithError("heap allocation on a path that must not allocate");
  }
}

bool allocation_failure() noexcept { return g_failure; }

}  // namespace fastrbl::bench

// The replaceable global allocation functions ([new.delete]), every form.
void* operator new(std::size_t size) { return checked(allocate(size)); }
void* operator new[](std::size_t size) { return checked(allocate(size)); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept { return allocate(size); }
void* operator new(std::size_t size, std::align_val_t align) {
  return checked(allocate_aligned(size, align));
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return checked(allocate_aligned(size, align));
}
void* operator new(std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return allocate_aligned(size, align);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
