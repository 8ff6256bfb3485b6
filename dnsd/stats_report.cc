#include "dnsd/stats_report.h"

#include "core/log.h"

#include <cstdio>
#include <utility>

namespace fastrbl::dnsd {

namespace {

void append_field(std::string& s, std::uint64_t v) {
  s += ':';
  s += std::to_string(v);
}

void append_entry(std::string& s, const std::string& name, const TrafficTotals& t) {
  s += ' ';
  s += name;
  append_field(s, t.total());
  append_field(s, t.ok);
  append_field(s, t.nxd);
  append_field(s, t.bytes_in);
  append_field(s, t.bytes_out);
}

std::string counter_fields(const TrafficTotals& t) {
  return " tot=" + std::to_string(t.total()) + " ok=" + std::to_string(t.ok) +
         " nxd=" + std::to_string(t.nxd) + " err=" + std::to_string(t.err) +
         " in=" + std::to_string(t.bytes_in) + " out=" + std::to_string(t.bytes_out);
}

QueryTotals zeros(std::size_t zones) {
  QueryTotals t;
  t.zones.resize(zones);
  return t;
}

}  // namespace

std::string format_stats_line(std::time_t now, const std::vector<std::string>& names,
                              const QueryTotals& values) {
  std::string s = std::to_string(static_cast<long long>(now));
  for (std::size_t i = 0; i < names.size() && i < values.zones.size(); ++i)
    append_entry(s, names[i], values.zones[i]);
  append_entry(s, "*", values.all());
  s += '\n';
  return s;
}

std::vector<std::string> format_counter_log(long seconds, const std::vector<std::string>& names,
                                            const QueryTotals& values) {
  std::vector<std::string> lines;
  const std::string period = std::to_string(seconds);
  for (std::size_t i = 0; i < names.size() && i < values.zones.size(); ++i)
    lines.push_back("stats for " + period + "secs zone " + names[i].substr(0, 60) + ":" +
                    counter_fields(values.zones[i]));
  lines.push_back("stats for " + period + "sec:" + counter_fields(values.all()));
  return lines;
}

StatsReporter::StatsReporter(std::string statsfile, bool delta, std::vector<std::string> zone_names)
    : file_(std::move(statsfile)),
      delta_(delta),
      names_(std::move(zone_names)),
      base_(zeros(names_.size())),
      prev_(zeros(names_.size())) {}

void StatsReporter::start(std::time_t now) {
  period_start_ = now;
  write_timestamp(now);
}

QueryTotals StatsReporter::since_reset(const QueryTotals& current) const {
  QueryTotals c = current;
  if (c.zones.size() < names_.size()) c.zones.resize(names_.size());
  return c - base_;
}

void StatsReporter::write_line(const QueryTotals& current, std::time_t now) {
  const QueryTotals abs = since_reset(current);
  if (!delta_) {
    append(format_stats_line(now, names_, abs));
    return;
  }
  append(format_stats_line(now, names_, abs - prev_));
  prev_ = abs;
}

void StatsReporter::log_counters(const QueryTotals& current, std::time_t now) const {
  for (const std::string& line :
       format_counter_log(static_cast<long>(now - period_start_), names_, since_reset(current)))
    FASTRBL_LOG_INFO("%s", line.c_str());
}

void StatsReporter::reset(const QueryTotals& current, std::time_t now) {
  base_ = current;
  if (base_.zones.size() < names_.size()) base_.zones.resize(names_.size());
  prev_ = zeros(names_.size());
  period_start_ = now;
}

void StatsReporter::write_timestamp(std::time_t now) const {
  append(std::to_string(static_cast<long long>(now)) + "\n");
}

void StatsReporter::append(const std::string& text) const {
  if (file_.empty()) return;
  std::FILE* f = std::fopen(file_.c_str(), "a");
  if (f == nullptr) return;  // as rbldnsd: no message, try again next time
  std::fwrite(text.data(), 1, text.size(), f);
  std::fclose(f);
}

}  // namespace fastrbl::dnsd
