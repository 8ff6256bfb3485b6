#include "feeds/shrink_guard.h"

#include <array>
#include <cstdio>

namespace fastrbl::feeds {
namespace {

std::string percent(double fraction) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.1f%%", fraction * 100.0);
  return buf.data();
}

}  // namespace

ShrinkVerdict check_shrink(std::string_view feed, std::size_t previous, std::size_t current,
                           double max_shrink) {
  const std::string head = "feed " + std::string(feed) + ": " + std::to_string(previous) + " -> " +
                           std::to_string(current) + " entries";
  // Written so that NaN fails too.
  if (!(max_shrink >= 0.0 && max_shrink <= 1.0)) {
    return {false, head + ": invalid maximum shrink " + std::to_string(max_shrink) +
                       " (must be a fraction from 0 to 1): refused, keeping the last good data"};
  }
  if (previous == 0) return {true, head + ": first import, accepted"};
  if (current >= previous) return {true, head + ": accepted"};
  const double shrink = static_cast<double>(previous - current) / static_cast<double>(previous);
  if (shrink > max_shrink) {
    return {false, head + " (" + percent(shrink) + " fewer) exceeds the allowed " + percent(max_shrink) +
                       ": refused, keeping the last good data"};
  }
  return {true, head + " (" + percent(shrink) + " fewer), within the allowed " + percent(max_shrink) +
                    ": accepted"};
}

ShrinkVerdict check_bad_lines(std::string_view feed, std::size_t good, std::size_t bad, bool complete,
                              double max_bad) {
  const std::string head = "feed " + std::string(feed) + ": " + std::to_string(bad) + " bad of " +
                           std::to_string(good + bad) + " lines";
  if (!(max_bad >= 0.0 && max_bad <= 1.0)) {
    return {false, head + ": invalid maximum bad fraction " + std::to_string(max_bad) +
                       " (must be a fraction from 0 to 1): refused, keeping the last good data"};
  }
  if (!complete) return {false, head + ", source not read to the end: refused, keeping the last good data"};
  if (bad == 0) return {true, head + ": accepted"};
  const double fraction = static_cast<double>(bad) / static_cast<double>(good + bad);
  if (fraction > max_bad) {
    return {false, head + " (" + percent(fraction) + ") exceeds the allowed " + percent(max_bad) +
                       ": refused, keeping the last good data"};
  }
  return {true, head + " (" + percent(fraction) + "), within the allowed " + percent(max_bad) + ": accepted"};
}

}  // namespace fastrbl::feeds
