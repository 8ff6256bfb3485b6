// libFuzzer target for the feed readers: the first input byte picks the format (modulo
// the fourteen feed formats), the rest is one source, read from memory with default
// options. Besides ASan/UBSan, it checks what every reader promises (feeds/reader.h):
// every entry is normalised (names survive normalise_domain() unchanged, prefixes
// survive parse_ip_prefix() unchanged, so no host bits), diagnostics point at lines that
// exist and never exceed the cap, error messages never outnumber bad lines, and an
// incomplete read counts at least one bad line. Replayed over tests/fuzz/corpus/feeds by
// replay_main.cc in every build.

#include "feeds/ip_prefix.h"
#include "feeds/normalise.h"
#include "feeds/reader.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

namespace feeds = fastrbl::feeds;

constexpr std::array<feeds::Format, 14> kFormats = {
    feeds::Format::kPlain,      feeds::Format::kHosts,
    feeds::Format::kAdblock,    feeds::Format::kCsv,
    feeds::Format::kDnset,      feeds::Format::kIp4set,
    feeds::Format::kIp6,        feeds::Format::kRpz,
    feeds::Format::kAws,        feeds::Format::kGoogle,
    feeds::Format::kAzure,      feeds::Format::kOracle,
    feeds::Format::kCloudflare, feeds::Format::kCloudflareJson,
};

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "fuzz_feeds: invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const feeds::Format format = kFormats[data[0] % kFormats.size()];
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const feeds::ReadOptions options;
  const feeds::ReadResult r = feeds::make_reader(format, options)->read(text, "fuzz");

  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  if (r.diagnostics.size() > options.max_diagnostics) fail("more diagnostics than the cap");
  std::size_t errors = 0;
  for (const feeds::Diagnostic& d : r.diagnostics) {
    if (d.line > lines) fail("diagnostic past the last line");
    if (d.message.empty()) fail("empty diagnostic");
    if (d.severity == feeds::Diagnostic::Severity::kError) ++errors;
  }
  if (errors > r.bad_lines) fail("more error messages than bad lines");
  if (!r.complete && r.bad_lines == 0) fail("incomplete read without a bad line");
  if (r.entries() > 0 && r.good_lines == 0) fail("entries without a good line");
  for (const feeds::DomainEntry& e : r.domains) {
    auto again = feeds::normalise_domain(e.name);
    if (!again.is_ok() || again.value() != e.name) fail("domain entry not normalised");
    if (e.line > lines) fail("domain entry past the last line");
  }
  for (const feeds::IpEntry& e : r.ips) {
    auto again = feeds::parse_ip_prefix(e.prefix.to_string());
    if (!again.is_ok() || !(again.value() == e.prefix)) fail("IP entry not canonical");
    if (e.line > lines) fail("IP entry past the last line");
  }
  return 0;
}
