// The shrink guard: refuse a feed that lost more than the allowed fraction of its entries.

#include "feeds/shrink_guard.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

namespace fastrbl::feeds {
namespace {

TEST_CASE("shrink guard: accept or refuse, with the reason", "[feeds][shrink]") {
  struct Row {
    std::size_t previous, current;
    double max_shrink;
    bool accept;
    std::string message;
  };
  const std::vector<Row> rows = {
      {0, 0, 0.5, true, "feed f: 0 -> 0 entries: first import, accepted"},
      {0, 10, 0.0, true, "feed f: 0 -> 10 entries: first import, accepted"},
      {100, 100, 0.0, true, "feed f: 100 -> 100 entries: accepted"},
      {100, 150, 0.0, true, "feed f: 100 -> 150 entries: accepted"},
      {100, 50, 0.5, true, "feed f: 100 -> 50 entries (50.0% fewer), within the allowed 50.0%: accepted"},
      {100, 49, 0.5, false,
       "feed f: 100 -> 49 entries (51.0% fewer) exceeds the allowed 50.0%: refused, keeping the last good "
       "data"},
      {1000, 400, 0.5, false,
       "feed f: 1000 -> 400 entries (60.0% fewer) exceeds the allowed 50.0%: refused, keeping the last good "
       "data"},
      {100, 99, 0.0, false,
       "feed f: 100 -> 99 entries (1.0% fewer) exceeds the allowed 0.0%: refused, keeping the last good "
       "data"},
      {100, 0, 0.99, false,
       "feed f: 100 -> 0 entries (100.0% fewer) exceeds the allowed 99.0%: refused, keeping the last good "
       "data"},
      {100, 0, 1.0, true, "feed f: 100 -> 0 entries (100.0% fewer), within the allowed 100.0%: accepted"},
  };
  for (const Row& row : rows) {
    INFO(row.previous << " -> " << row.current << " max " << row.max_shrink);
    const ShrinkVerdict v = check_shrink("f", row.previous, row.current, row.max_shrink);
    CHECK(v.accept == row.accept);
    CHECK(v.message == row.message);
  }
}

TEST_CASE("shrink guard: a bad setting refuses", "[feeds][shrink]") {
  for (double bad : {-0.1, 1.5, std::nan("")}) {
    INFO(bad);
    const ShrinkVerdict v = check_shrink("aws", 10, 10, bad);
    CHECK_FALSE(v.accept);
    CHECK(v.message.find("invalid maximum shrink") != std::string::npos);
  }
}

TEST_CASE("bad-line guard: too many bad lines, or an unfinished read, refuse", "[feeds][shrink]") {
  struct Row {
    std::size_t good, bad;
    bool complete;
    double max_bad;
    bool accept;
    std::string message;
  };
  const std::vector<Row> rows = {
      {100, 0, true, 0.0, true, "feed f: 0 bad of 100 lines: accepted"},
      {0, 0, true, 0.0, true, "feed f: 0 bad of 0 lines: accepted"},
      {99, 1, true, 0.01, true, "feed f: 1 bad of 100 lines (1.0%), within the allowed 1.0%: accepted"},
      {98, 2, true, 0.01, false,
       "feed f: 2 bad of 100 lines (2.0%) exceeds the allowed 1.0%: refused, keeping the last good data"},
      {0, 5, true, 0.5, false,
       "feed f: 5 bad of 5 lines (100.0%) exceeds the allowed 50.0%: refused, keeping the last good data"},
      {10, 1, false, 1.0, false,
       "feed f: 1 bad of 11 lines, source not read to the end: refused, keeping the last good data"},
  };
  for (const Row& row : rows) {
    INFO(row.good << " good, " << row.bad << " bad");
    const ShrinkVerdict v = check_bad_lines("f", row.good, row.bad, row.complete, row.max_bad);
    CHECK(v.accept == row.accept);
    CHECK(v.message == row.message);
  }
  CHECK_FALSE(check_bad_lines("f", 1, 0, true, std::nan("")).accept);
}

}  // namespace
}  // namespace fastrbl::feeds
