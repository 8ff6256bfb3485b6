#pragma once
// Heap allocation counting for the micro-benchmarks (STYLE.md 13 and 37).
//
// alloc_counter.cc replaces malloc, calloc, realloc, the aligned forms and free, and every
// form of the global operator new and delete (which go through malloc), in the binary it
// is linked into; each allocation bumps a per-thread counter, so a benchmark reads how
// many allocations its own loop made, unaffected by other threads. C libraries that call
// malloc (ldns, CRoaring) are counted too. glibc only (it forwards to __libc_malloc).
// Thread safety: the counter is thread_local; reading it is only meaningful on the
// thread that runs the measured code.

#include <benchmark/benchmark.h>

#include <cstdint>

namespace fastrbl::bench {

/// Heap allocations (malloc and its relatives, operator new, all forms) made by the calling thread so far.
std::uint64_t thread_allocations() noexcept;

/// Sets the "allocs/op" counter of `state`: allocations made by this thread since
/// `start` (a thread_allocations() value taken before the loop), per iteration.
void report_allocs(benchmark::State& state, std::uint64_t start);

/// As report_allocs(), for code that must not allocate (the query path): any allocation
/// makes the benchmark report an error and sets allocation_failure().
void require_no_allocs(benchmark::State& state, std::uint64_t start);

/// True once require_no_allocs() saw an allocation. Benchmark mains return non-zero then,
/// so the ctest smoke runs fail.
bool allocation_failure() noexcept;

}  // namespace fastrbl::bench
