#pragma once
// Feed readers: one per source format, each turning the bytes of one source into
// entries (entry.h) plus a diagnostic for every line it could not use.
//
// Formats (feeds/README.md has the syntax of each):
//   plain       one name or IP prefix per line, `#`/`;` comments
//   hosts       `0.0.0.0 name [name...]` hosts files
//   adblock     AdBlock/AdGuard DNS rules: `||d^`, `||*.tld^`, `@@||d^`, `$denyallow=`
//   csv         one chosen column of a CSV file (RFC 8805 geofeeds, SURBL-style CSV)
//   dnset, ip4set, ip6   rbldnsd data files of those types
//   rpz         RPZ zone files, parsed with ldns
//   aws, google, azure, oracle, cloudflare-json   the providers' published JSON
//   cloudflare  Cloudflare's ips-v4 / ips-v6 text lists
//
// Every line is accounted for: it produced entries (good_lines), was a comment or blank,
// was understood and deliberately not used (ignored_lines, with a note), or was bad
// (bad_lines, with an error). Messages read `file NAME(LINE): message`. A reader never
// throws and never stops at a bad line; only a source it cannot get through at all (bad
// JSON, for instance) ends early, with ReadResult::complete false.
//
// Thread safety: a Reader is immutable after make_reader(); read() may run on several
// threads at once.

#include "core/status.h"
#include "feeds/entry.h"
#include "feeds/ip_prefix.h"

#include <cstddef>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fastrbl::feeds {

enum class Format : std::uint8_t {
  kPlain,
  kHosts,
  kAdblock,
  kCsv,
  kDnset,
  kIp4set,
  kIp6,
  kRpz,
  kAws,
  kGoogle,
  kAzure,
  kOracle,
  kCloudflare,
  kCloudflareJson,
};

/// The format's name as feed definitions spell it ("plain", "aws", "cloudflare-json").
std::string_view format_name(Format format) noexcept;
/// The inverse of format_name().
std::optional<Format> format_from_name(std::string_view name) noexcept;

struct CsvOptions {
  std::size_t column = 1;  ///< 1-based column holding the name or prefix
  char delimiter = ',';
  bool header = false;         ///< the first non-comment line names the columns
  std::size_t tag_column = 0;  ///< 1-based column copied to Metadata::tag; 0: none
};

struct ReadOptions {
  /// The form of a bare name in plain, hosts and csv sources (`*.d`/`.d` spelled in the
  /// source win). rbldnsd, AdBlock and RPZ sources say the form themselves.
  DomainForm default_form = DomainForm::kExact;
  CsvOptions csv;
  /// Metadata::provider of every entry. Empty: the provider JSON/Cloudflare readers
  /// imply ("aws", "google", "azure", "oracle", "cloudflare"), else nothing.
  std::string provider;
  /// The origin of an RPZ file that has no `$ORIGIN` (its owners are relative to it).
  std::string rpz_origin = "rpz.invalid.";
  /// CIDRs with host bits set: an error (default, as rbldnsd without -e) or cleared.
  HostBits host_bits = HostBits::kReject;
  /// Messages kept in ReadResult::diagnostics; counts are kept regardless.
  std::size_t max_diagnostics = 100;
};

class Reader {
 public:
  virtual ~Reader() = default;
  /// Reads one whole source. `file_name` is used in messages only.
  virtual ReadResult read(std::string_view data, std::string_view file_name) const = 0;
  /// Reads a stream to its end, then read(). A stream error is a diagnostic and makes the
  /// result incomplete.
  ReadResult read(std::istream& in, std::string_view file_name) const;
};

/// The reader for `format`, configured by `options` (copied).
std::unique_ptr<Reader> make_reader(Format format, const ReadOptions& options = {});

/// Reads the file at `path` with the reader for `format`. Errors: the file cannot be
/// opened or read ("cannot read feed file PATH: <errno text>").
core::Result<ReadResult> read_feed_file(Format format, const std::string& path,
                                        const ReadOptions& options = {});

}  // namespace fastrbl::feeds
