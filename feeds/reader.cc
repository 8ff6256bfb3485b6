#include "feeds/reader.h"

#include "feeds/read_context.h"

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <utility>

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

std::unique_ptr<Reader> make_reader(Format format, const ReadOptions& options) {
  using detail::TokenKinds;
  switch (format) {
    case Format::kPlain:
      return detail::make_list_reader(options, TokenKinds::kAny, "");
    case Format::kCloudflare:
      return detail::make_list_reader(options, TokenKinds::kIpOnly, "cloudflare");
    case Format::kHosts:
      return detail::make_hosts_reader(options);
    case Format::kAdblock:
      return detail::make_adblock_reader(options);
    case Format::kCsv:
      return detail::make_csv_reader(options);
    case Format::kDnset:
    case Format::kIp4set:
    case Format::kIp6:
      return detail::make_rbldnsd_reader(options, format);
    case Format::kRpz:
      return detail::make_rpz_reader(options);
    case Format::kAws:
    case Format::kGoogle:
    case Format::kAzure:
    case Format::kOracle:
    case Format::kCloudflareJson:
      return detail::make_json_reader(options, format);
  }
  return nullptr;
}

core::Result<ReadResult> read_feed_file(Format format, const std::string& path, const ReadOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return core::Status::error("cannot read feed file " + path + ": " + std::strerror(err));
  }
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) {
    const int err = errno;
    return core::Status::error("cannot read feed file " + path + ": " + std::strerror(err));
  }
  return make_reader(format, options)->read(std::string_view(data), path);
}

}  // namespace fastrbl::feeds
