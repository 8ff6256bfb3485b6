#pragma once
// Query counters per zone, as rbldnsd keeps them for its stats file and its counter log
// (compat §2.5): for each zone and for one global slot, replies ok / nxd / err and
// bytes in / out. Counting rules (rbldnsd's replypacket(), checked against the Debian
// binary):
//   * dropped before a zone is known (global acl `ignore`, unparseable packet): global
//     err, global bytes in;
//   * replied before a zone is known (NOTIMP opcode or type, REFUSED class or name
//     outside every zone, our FORMERR/BADVERS for bad EDNS): global err, bytes in and out;
//     version.bind: global ok;
//   * zone found: zone bytes in; then a zone acl `ignore` drop is a *global* err;
//     otherwise NOERROR (NODATA, apex and truncated answers included) is zone ok,
//     NXDOMAIN zone nxd, anything else (SERVFAIL, REFUSED) zone err, and the reply
//     length goes to the zone's bytes out.
// Bytes in are the query length, at most the 2048 bytes rbldnsd reads. Over TCP the
// lengths are those of the DNS messages (without the 2-byte prefix).
//
// QueryCounters is one worker's set: zones + 1 slots, allocated once at start-up (the zone
// list is fixed by the command line, so a zone keeps its index in every snapshot), written
// by that worker only (relaxed load + store, no locked read-modify-write, stats.h) and
// summed by the control thread into QueryTotals.
// Thread safety: count(): the owning worker only; slot(): any thread.

#include "dnsd/query.h"
#include "dnsd/stats.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fastrbl::dnsd {

/// One zone's (or the global slot's) counters; a cache line of its own.
struct alignas(64) TrafficCounters {
  Counter ok;
  Counter nxd;
  Counter err;
  Counter bytes_in;
  Counter bytes_out;
};

/// Plain values of TrafficCounters.
struct TrafficTotals {
  std::uint64_t ok = 0;
  std::uint64_t nxd = 0;
  std::uint64_t err = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;

  std::uint64_t total() const noexcept { return ok + nxd + err; }
  TrafficTotals& operator+=(const TrafficTotals& o) noexcept;
  /// Field-wise difference (wrapping, as rbldnsd's unsigned counters).
  TrafficTotals operator-(const TrafficTotals& o) const noexcept;
  friend bool operator==(const TrafficTotals&, const TrafficTotals&) = default;
};

/// The counters of every zone (in snapshot order) plus the global slot, summed.
struct QueryTotals {
  std::vector<TrafficTotals> zones;
  TrafficTotals global;

  /// rbldnsd's `*` total: every zone plus the global slot.
  TrafficTotals all() const noexcept;
  /// Field-wise difference, zone by zone. Requires: same number of zones.
  QueryTotals operator-(const QueryTotals& o) const;
};

class QueryCounters {
 public:
  explicit QueryCounters(std::size_t zones);
  QueryCounters(const QueryCounters&) = delete;
  QueryCounters& operator=(const QueryCounters&) = delete;

  /// Counts one query of `query_len` bytes whose answer() result was `info` and whose
  /// reply is `reply_len` bytes (0 when dropped). Allocation-free, noexcept.
  /// Inline: it runs once per query.
  void count(const AnswerInfo& info, std::size_t query_len, std::size_t reply_len) noexcept {
    const std::uint64_t in = query_len < core::kMaxQuerySize ? query_len : core::kMaxQuerySize;
    const bool zone_known = info.parsed && info.zone >= 0 && static_cast<std::size_t>(info.zone) < zones_;
    if (!zone_known) {
      count_global(info, in, reply_len);
      return;
    }
    if (!info.replied) {  // the zone acl said `ignore`: rbldnsd counts the error globally
      slots_[static_cast<std::size_t>(info.zone)].bytes_in.add(in);
      slots_[zones_].err.add();
      return;
    }
    count_replied(static_cast<std::size_t>(info.zone), in, reply_len, info.rcode);
  }
  /// count() of a query answered from zone `zone` (< zones()) with `rcode`
  /// (answer_fast_in_place()).
  /// Requires: query_len <= core::kMaxQuerySize (count() clamps; the fast path's queries
  /// are at most 271 bytes).
  void count_replied(std::size_t zone, std::size_t query_len, std::size_t reply_len,
                     core::Rcode rcode) noexcept {
    TrafficCounters& z = slots_[zone];
    z.bytes_in.add(query_len);
    z.bytes_out.add(reply_len);
    if (rcode == core::Rcode::kNoError) {
      z.ok.add();
    } else if (rcode == core::Rcode::kNxDomain) {
      z.nxd.add();
    } else {
      z.err.add();
    }
  }

  std::size_t zones() const noexcept { return zones_; }
  /// Slot `i` < zones() is zone i; slot zones() is the global slot.
  const TrafficCounters& slot(std::size_t i) const noexcept { return slots_[i]; }
  const TrafficCounters& global() const noexcept { return slots_[zones_]; }

  /// Adds this worker's counters into `totals` (whose zones vector is resized if empty).
  void add_to(QueryTotals& totals) const;

 private:
  // count() before a zone is known.
  void count_global(const AnswerInfo& info, std::uint64_t in, std::size_t reply_len) noexcept;

  std::size_t zones_;
  std::unique_ptr<TrafficCounters[]> slots_;
};

}  // namespace fastrbl::dnsd
