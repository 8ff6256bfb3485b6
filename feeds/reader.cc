// Format names and Reader::read(istream). The factory, make_reader() and
// read_feed_file(), is in make_reader.cc: it links every reader (and ldns, for RPZ), which
// a program that only needs the names (fastrbld, through the feed config) should not.

#include "feeds/reader.h"

#include <array>
#include <sstream>
#include <string>

namespace fastrbl::feeds {
namespace {

struct FormatName {
  Format format;
  std::string_view name;
};
constexpr std::array<FormatName, 14> kFormatNames{{
    {Format::kPlain, "plain"},
    {Format::kHosts, "hosts"},
    {Format::kAdblock, "adblock"},
    {Format::kCsv, "csv"},
    {Format::kDnset, "dnset"},
    {Format::kIp4set, "ip4set"},
    {Format::kIp6, "ip6"},
    {Format::kRpz, "rpz"},
    {Format::kAws, "aws"},
    {Format::kGoogle, "google"},
    {Format::kAzure, "azure"},
    {Format::kOracle, "oracle"},
    {Format::kCloudflare, "cloudflare"},
    {Format::kCloudflareJson, "cloudflare-json"},
}};

}  // namespace

std::string_view format_name(Format format) noexcept {
  for (const FormatName& f : kFormatNames) {
    if (f.format == format) return f.name;
  }
  return "?";
}

std::optional<Format> format_from_name(std::string_view name) noexcept {
  for (const FormatName& f : kFormatNames) {
    if (f.name == name) return f.format;
  }
  return std::nullopt;
}

ReadResult Reader::read(std::istream& in, std::string_view file_name) const {
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) {
    ReadResult r;
    r.complete = false;
    r.bad_lines = 1;
    r.diagnostics.push_back(
        Diagnostic{Diagnostic::Severity::kError, std::string(file_name), 0, "error reading the stream"});
    return r;
  }
  return read(buf.view(), file_name);
}

}  // namespace fastrbl::feeds
