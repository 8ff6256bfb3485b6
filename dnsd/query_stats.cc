#include "dnsd/query_stats.h"

#include <algorithm>

namespace fastrbl::dnsd {

TrafficTotals& TrafficTotals::operator+=(const TrafficTotals& o) noexcept {
  ok += o.ok;
  nxd += o.nxd;
  err += o.err;
  bytes_in += o.bytes_in;
  bytes_out += o.bytes_out;
  return *this;
}

TrafficTotals TrafficTotals::operator-(const TrafficTotals& o) const noexcept {
  TrafficTotals d;
  d.ok = ok - o.ok;
  d.nxd = nxd - o.nxd;
  d.err = err - o.err;
  d.bytes_in = bytes_in - o.bytes_in;
  d.bytes_out = bytes_out - o.bytes_out;
  return d;
}

TrafficTotals QueryTotals::all() const noexcept {
  TrafficTotals t = global;
  for (const TrafficTotals& z : zones) t += z;
  return t;
}

QueryTotals QueryTotals::operator-(const QueryTotals& o) const {
  QueryTotals d;
  d.zones.resize(zones.size());
  for (std::size_t i = 0; i < zones.size() && i < o.zones.size(); ++i) d.zones[i] = zones[i] - o.zones[i];
  d.global = global - o.global;
  return d;
}

QueryCounters::QueryCounters(std::size_t zones)
    : zones_(zones), slots_(std::make_unique<TrafficCounters[]>(zones + 1)) {}

void QueryCounters::count_global(const AnswerInfo& info, std::uint64_t in, std::size_t reply_len) noexcept {
  TrafficCounters& global = slots_[zones_];
  global.bytes_in.add(in);
  if (!info.replied) {
    global.err.add();
    return;
  }
  global.bytes_out.add(reply_len);
  // Only version.bind is a successful reply without a zone.
  if (info.rcode == core::Rcode::kNoError && info.ext_rcode == 0) {
    global.ok.add();
  } else {
    global.err.add();
  }
}

void QueryCounters::add_to(QueryTotals& totals) const {
  if (totals.zones.size() < zones_) totals.zones.resize(zones_);
  auto add = [](TrafficTotals& t, const TrafficCounters& c) {
    t.ok += c.ok.get();
    t.nxd += c.nxd.get();
    t.err += c.err.get();
    t.bytes_in += c.bytes_in.get();
    t.bytes_out += c.bytes_out.get();
  };
  for (std::size_t i = 0; i < zones_; ++i) add(totals.zones[i], slots_[i]);
  add(totals.global, slots_[zones_]);
}

}  // namespace fastrbl::dnsd
