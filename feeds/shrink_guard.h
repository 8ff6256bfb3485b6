#pragma once
// The guards an import passes before its data replaces the last good copy (STYLE.md trap
// 11). The shrink guard: a new copy of a feed that is much smaller than the last good one
// is more often a broken download, a truncated file or a changed format than a real
// clean-up. The bad-line guard: a source where too many lines fail to parse is read with
// the wrong format or is damaged. Either refuses, and the last good data is kept. Pure
// functions; thread-safe.

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

/// Accepts a read with `bad` bad lines among `good + bad` unless bad / (good + bad) exceeds
/// `max_bad` (0..1; outside or NaN refuses), or the read was not `complete` (the reader
/// gave up on the source: always refused). A read with no good and no bad lines is
/// accepted here; an empty source is the shrink guard's business.
ShrinkVerdict check_bad_lines(std::string_view feed, std::size_t good, std::size_t bad, bool complete,
                              double max_bad);

}  // namespace fastrbl::feeds
