#pragma once
// Helpers for the feeds tests: fixture loading and one-line renderings of entries and
// diagnostics, so that expected results are compact tables.

#include "feeds/entry.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fastrbl::feeds::testing {

inline std::string fixture_path(const std::string& name) {
  return std::string(FASTRBL_SOURCE_DIR) + "/tests/feeds/fixtures/" + name;
}

inline std::string read_fixture(const std::string& name) {
  std::ifstream in(fixture_path(name), std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string render_meta(const Metadata& m) {
  std::string out;
  if (!m.provider.empty()) out += " provider=" + m.provider;
  if (!m.service.empty()) out += " service=" + m.service;
  if (!m.region.empty()) out += " region=" + m.region;
  if (!m.tag.empty()) out += " tag=" + m.tag;
  return out;
}

/// `LINE TEXT [provider=..] [service=..] [region=..] [tag=..]`
inline std::vector<std::string> render(const std::vector<DomainEntry>& v) {
  std::vector<std::string> out;
  for (const DomainEntry& e : v)
    out.push_back(std::to_string(e.line) + " " + e.dnset_text() + render_meta(e.meta));
  return out;
}
inline std::vector<std::string> render(const std::vector<IpEntry>& v) {
  std::vector<std::string> out;
  for (const IpEntry& e : v) out.push_back(std::to_string(e.line) + " " + e.text() + render_meta(e.meta));
  return out;
}
/// `error: file F(L): msg` / `note: ...`
inline std::vector<std::string> render(const std::vector<Diagnostic>& v) {
  std::vector<std::string> out;
  for (const Diagnostic& d : v) {
    out.push_back(std::string(d.severity == Diagnostic::Severity::kError ? "error: " : "note: ") +
                  d.to_string());
  }
  return out;
}

}  // namespace fastrbl::feeds::testing
