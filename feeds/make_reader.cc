// make_reader() and read_feed_file(): the reader factory (see reader.cc for why it is a
// file of its own).

#include "feeds/read_context.h"
#include "feeds/reader.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>

namespace fastrbl::feeds {

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
