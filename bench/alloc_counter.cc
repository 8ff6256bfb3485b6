#include "bench/alloc_counter.h"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

// constinit: no dynamic initialisation, so counting works before main and in any thread.
constinit thread_local std::uint64_t t_allocations = 0;
std::atomic<bool> g_failure{false};

// operator new goes through malloc below, which counts.
void* allocate(std::size_t size) noexcept { return std::malloc(size == 0 ? 1 : size); }

void* allocate_aligned(std::size_t size, std::align_val_t align) noexcept {
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

// malloc and its relatives, replaced (glibc supports this: the program's definitions win
// over libc's for every caller, C libraries such as ldns and CRoaring included) and
// forwarded to glibc's own allocator under its exported __libc_* names, so that C code
// that allocates is counted too. Every call that returns new memory counts one.
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t n, std::size_t size);
void* __libc_realloc(void* p, std::size_t size);
void* __libc_memalign(std::size_t align, std::size_t size);
void __libc_free(void* p);

void* malloc(std::size_t size) {
  ++t_allocations;
  return __libc_malloc(size);
}
void* calloc(std::size_t n, std::size_t size) {
  ++t_allocations;
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t size) {
  ++t_allocations;
  return __libc_realloc(p, size);
}
void* memalign(std::size_t align, std::size_t size) {
  ++t_allocations;
  return __libc_memalign(align, size);
}
void* aligned_alloc(std::size_t align, std::size_t size) {
  ++t_allocations;
  return __libc_memalign(align, size);
}
int posix_memalign(void** out, std::size_t align, std::size_t size) {
  if (align < sizeof(void*) || (align & (align - 1)) != 0) return EINVAL;
  ++t_allocations;
  void* p = __libc_memalign(align, size);
  if (p == nullptr) return ENOMEM;
  *out = p;
  return 0;
}
void free(void* p) { __libc_free(p); }
}

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
