#pragma once
// Assertions. FASTRBL_REQUIRE is always on: an invariant whose violation means the
// process cannot continue safely. FASTRBL_ASSERT is for debug builds only. Neither is
// ever used to validate input from the network or from files (STYLE.md 11).

#include <cstdio>
#include <cstdlib>

#define FASTRBL_REQUIRE(cond)                                                                      \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      std::fprintf(stderr, "fastrbl: %s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                                \
    }                                                                                              \
  } while (0)

#ifdef NDEBUG
#define FASTRBL_ASSERT(cond) \
  do {                       \
  } while (0)
#else
#define FASTRBL_ASSERT(cond) FASTRBL_REQUIRE(cond)
#endif
