#pragma once
// Helpers for loader tests: a temporary directory of data files, a log capture, and
// ask(), which runs one question against a Snapshot's datasets the way the server does
// (zone lookup, QueryKey, AnswerSink) and returns the answer records as text.

#include "core/dname.h"
#include "core/dns.h"
#include "core/log.h"
#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "loader/load.h"
#include "support/answer_text.h"
#include "support/temp_dir.h"
#include "zones/answer_sink.h"
#include "zones/query_key.h"
#include "zones/snapshot.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdlib.h>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

namespace fastrbl::testing {

/// Changes the working directory while alive (so that file names in messages are short).
class ScopedChdir {
 public:
  explicit ScopedChdir(const std::string& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~ScopedChdir() {
    std::error_code ec;
    std::filesystem::current_path(old_, ec);
  }
  ScopedChdir(const ScopedChdir&) = delete;
  ScopedChdir& operator=(const ScopedChdir&) = delete;

 private:
  std::filesystem::path old_;
};

/// Captures log messages while alive ("W: text", "I: text", "E: text").
class LogCapture {
 public:
  LogCapture() {
    lines().clear();
    core::set_log_sink(&sink);
  }
  ~LogCapture() { core::set_log_sink(nullptr); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  /// Messages with `strip` (e.g. the temp dir plus '/') removed.
  std::vector<std::string> messages(std::string_view strip = {}) const {
    std::vector<std::string> out;
    for (std::string s : lines()) {
      if (!strip.empty())
        for (std::size_t p; (p = s.find(strip)) != std::string::npos;) s.erase(p, strip.size());
      out.push_back(s);
    }
    return out;
  }
  std::vector<std::string> warnings(std::string_view strip = {}) const {
    std::vector<std::string> out;
    for (const std::string& s : messages(strip))
      if (s.rfind("W: ", 0) == 0) out.push_back(s.substr(3));
    return out;
  }
  void clear() { lines().clear(); }

 private:
  static std::vector<std::string>& lines() {
    static std::vector<std::string> l;
    return l;
  }
  static void sink(core::LogLevel level, const char* msg) {
    const char* tag = level == core::LogLevel::kInfo      ? "I: "
                      : level == core::LogLevel::kWarning ? "W: "
                                                          : "E: ";
    lines().push_back(std::string(tag) + msg);
  }
};

struct Answer {
  bool zone = false;             // a zone was found for the name
  bool found = false;            // some dataset said the name exists
  std::vector<std::string> rrs;  // "A 127.0.0.2 2100", "TXT \"text\" 2100", sorted
};

inline std::string rr_text(std::uint16_t type, const std::uint8_t* rd, std::size_t rdlen, std::uint32_t ttl) {
  std::string s;
  if (type == core::rrtype::kA && rdlen == 4) {
    s = "A " + std::to_string(rd[0]) + "." + std::to_string(rd[1]) + "." + std::to_string(rd[2]) + "." +
        std::to_string(rd[3]);
  } else if (type == core::rrtype::kTXT && rdlen >= 1) {
    s = "TXT \"" + std::string(reinterpret_cast<const char*>(rd + 1), rd[0]) + "\"";
  } else {
    s = "type" + std::to_string(type);
  }
  return s + " " + std::to_string(ttl);
}

/// The clock and file time the load tests use: now 2027-01-15 08:00:00 UTC, files written
/// 2023-11-14 22:13:20 UTC.
inline constexpr std::time_t kLoadNow = 1800000000;
inline constexpr std::time_t kFileMtime = 1700000000;

/// The result of load_files(): the snapshot or the error, and what the load logged.
struct LoadedZone {
  std::shared_ptr<const zones::Snapshot> snap;
  core::Status error;
  std::vector<std::string> warnings;
  std::vector<std::string> info;  // informational lines, without the "I: " mark
};

/// Writes `files` (a name ending in ".gz" gzip-compressed) with mtime kFileMtime into a fresh
/// directory, loads the spec "<zone>:<type>:<names joined by ','>" from there with `opts`
/// (now = kLoadNow unless set) and captures the log.
inline LoadedZone load_files(const std::string& zone, const std::string& type,
                             const std::vector<std::pair<std::string, std::string>>& files,
                             loader::LoadOptions opts = {}) {
  TempDir dir;
  std::string list;
  for (const auto& [name, content] : files) {
    if (name.size() > 3 && name.substr(name.size() - 3) == ".gz")
      dir.write_gz(name, content, kFileMtime);
    else
      dir.write(name, content, kFileMtime);
    list += (list.empty() ? "" : ",") + name;
  }
  if (opts.now == 0) opts.now = kLoadNow;
  LogCapture log;
  ScopedChdir cd(dir.path());
  LoadedZone out;
  auto snap = loader::load_snapshot({zone + ":" + type + ":" + list}, opts);
  if (snap.is_ok())
    out.snap = snap.value();
  else
    out.error = snap.status();
  out.warnings = log.warnings();
  for (const std::string& m : log.messages())
    if (m.rfind("I: ", 0) == 0) out.info.push_back(m.substr(3));
  return out;
}

/// Asks `qname` (presentation text) of type `qtype` against the snapshot's datasets.
inline Answer ask(const zones::Snapshot& snap, std::string_view qname,
                  std::uint16_t qtype = core::rrtype::kANY) {
  Answer ans;
  auto name = core::Name::from_text(qname);
  if (!name.is_ok()) return ans;
  std::vector<std::uint8_t> query(core::kHeaderSize, 0);
  query[5] = 1;
  query.insert(query.end(), name.value().data(), name.value().data() + name.value().size());
  query.push_back(static_cast<std::uint8_t>(qtype >> 8));
  query.push_back(static_cast<std::uint8_t>(qtype));
  query.push_back(0);
  query.push_back(1);
  core::ParsedQuery q;
  if (core::parse_query(query, &q) != core::ParseResult::kOk) return ans;
  std::size_t index = 0;
  const zones::Zone* zone = snap.find_zone(q, &index);
  if (zone == nullptr) return ans;
  ans.zone = true;
  zones::QueryKey key;
  zones::prepare_query_key(q, *zone, &key);
  std::vector<std::uint8_t> buf(core::kMaxTcpMessage);
  core::ResponseWriter w(buf);
  w.begin(query, q.question_end, buf.size());
  zones::AnswerSink sink(w, qtype);
  for (const auto& ds : zone->datasets)
    if (ds->query(key, sink)) ans.found = true;
  fastrbl::testing::for_each_answer(
      buf.data(), q.question_end, w.count(core::Section::kAnswer),
      [&](std::uint16_t type, std::uint32_t ttl, std::span<const std::uint8_t> rd) {
        ans.rrs.push_back(rr_text(type, rd.data(), rd.size(), ttl));
      });
  std::sort(ans.rrs.begin(), ans.rrs.end());
  return ans;
}

using Rrs = std::vector<std::string>;

}  // namespace fastrbl::testing
