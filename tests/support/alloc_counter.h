#pragma once
// Counting heap allocations in tests: the query path must not allocate (STYLE.md 13).
// A test binary links the object library fastrbl_test_alloc_counter (alloc_counter.cc),
// which replaces every form of the global operator new/delete; allocations are counted
// while g_counting is true. Thread safety: the counters are atomics; tests turn counting on
// and off around single-threaded code.

#include <atomic>

namespace fastrbl::testing {

extern std::atomic<bool> g_counting;
extern std::atomic<long> g_allocations;

}  // namespace fastrbl::testing
