#pragma once
// StatsReporter: rbldnsd's statistics output from the summed QueryCounters (compat §2.5,
// §2.4): the `-s [+]file` stats file and the counter log lines of SIGUSR1/SIGUSR2/SIGTERM.
//
// Stats file: opened in append mode and closed again for every write, so that it can be
// rotated at any time. A bare timestamp line at start-up, after a reset (SIGUSR2) and at
// exit; otherwise `TIME zone:tot:ok:nxd:in:out ... *:tot:ok:nxd:in:out`, zones in snapshot
// order (most specific first, rbldnsd's zone list order), `*` = every zone plus the global
// slot. With `+` every number is the change since the previous line. A file that cannot
// be opened is skipped silently (as rbldnsd). Counter log: one
// `stats for Nsecs zone Z: tot= ok= nxd= err= in= out=` line per zone, then
// `stats for Nsec: ...` for the total, N seconds since start-up or the last reset.
// Resets never touch the workers' counters (they have a single writer each): the reporter
// keeps the totals at the last reset as a baseline and subtracts it.
// Thread safety: control thread only.

#include "dnsd/query_stats.h"

#include <ctime>
#include <string>
#include <vector>

namespace fastrbl::dnsd {

/// `TIME name:tot:ok:nxd:in:out ... *:tot:ok:nxd:in:out\n` for `values`.
/// Requires: names.size() == values.zones.size().
std::string format_stats_line(std::time_t now, const std::vector<std::string>& names,
                              const QueryTotals& values);

/// rbldnsd's counter log lines (without the program prefix), zones first, then the total.
std::vector<std::string> format_counter_log(long seconds, const std::vector<std::string>& names,
                                            const QueryTotals& values);

class StatsReporter {
 public:
  /// `statsfile` empty: no stats file (the counter log still works). `zone_names` in
  /// snapshot order, as text.
  StatsReporter(std::string statsfile, bool delta, std::vector<std::string> zone_names);

  /// Start-up: the period starts now; a bare timestamp line in the stats file.
  void start(std::time_t now);
  /// One stats file line for `current` (the workers' sums).
  void write_line(const QueryTotals& current, std::time_t now);
  /// Logs the counter lines (info level) for `current`.
  void log_counters(const QueryTotals& current, std::time_t now) const;
  /// SIGUSR2: counting starts again from `current`; a new period starts now. (The bare
  /// timestamp line is written separately, with write_timestamp().)
  void reset(const QueryTotals& current, std::time_t now);
  /// A bare timestamp line in the stats file.
  void write_timestamp(std::time_t now) const;

  const std::vector<std::string>& zone_names() const noexcept { return names_; }
  /// The counters since the last reset.
  QueryTotals since_reset(const QueryTotals& current) const;

 private:
  void append(const std::string& text) const;

  std::string file_;
  bool delta_;
  std::vector<std::string> names_;
  QueryTotals base_;  // totals at the last reset
  QueryTotals prev_;  // since-reset totals at the previous line (delta mode)
  std::time_t period_start_ = 0;
};

}  // namespace fastrbl::dnsd
