#pragma once
// The shrink guard: a new copy of a feed that is much smaller than the last good one is
// more often a broken download, a truncated file or a changed format than a real clean-up,
// so it is refused and the last good data kept (STYLE.md trap 11). Pure function;
// thread-safe.

#include <cstddef>
#include <string>
#include <string_view>

namespace fastrbl::feeds {

struct ShrinkVerdict {
  bool accept = true;
  /// Always set: what was compared and why it was accepted or refused, e.g. "feed aws:
  /// 1000 -> 400 entries (60.0% fewer) exceeds the allowed 50.0%: refused, keeping the last
  /// good data".
  std::string message;
};

/// Accepts `current` unless it is smaller than `previous` by more than `max_shrink` (a
/// fraction of `previous`, 0..1: 0 refuses any shrink, 1 accepts anything, even an empty
/// feed). `previous` == 0 (first import) is always accepted. A `max_shrink` outside 0..1
/// or NaN refuses, saying so: a bad setting must not open the guard.
ShrinkVerdict check_shrink(std::string_view feed, std::size_t previous, std::size_t current,
                           double max_shrink);

}  // namespace fastrbl::feeds
