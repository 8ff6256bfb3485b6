#pragma once
// What a feed reader produces: domain and IP entries with their metadata, and the
// per-line diagnostics of the read.
//
// A DomainEntry is a normalised name (lowercase A-labels, no trailing dot, see
// normalise.h) with the rbldnsd dnset form it is listed in (compat §4.6): exact `d`,
// wildcard `*.d` (strict subdomains only) or suffix `.d` (d and everything under it). An
// IpEntry is an IPv4 or IPv6 prefix with no host bits set. Either may be an exclusion
// (`!` in rbldnsd, an AdBlock `$denyallow`/`@@` exception, an RPZ passthru).
//
// Entries carry the source line they came from and free-text metadata (provider, service,
// region, tag) that later becomes TXT/reason text and provenance. Plain values; no
// shared state; thread-compatible.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::feeds {

/// The dnset form of a listed name (compat §4.6).
enum class DomainForm : std::uint8_t {
  kExact,     ///< `d`: exactly d
  kWildcard,  ///< `*.d`: strict subdomains of d, not d itself
  kSuffix,    ///< `.d`: d and all its subdomains
};

/// Where an entry came from and what it means, for TXT templates and provenance. Readers
/// fill what their format carries; empty fields are unknown.
struct Metadata {
  std::string provider;  ///< "aws", "google", "azure", "oracle", "cloudflare", an ESP name...
  std::string service;   ///< AWS/Google service, Azure systemService, Oracle tags ("OSN,OBJECT_STORAGE")
  std::string region;    ///< AWS region, Google scope, Azure region, Oracle region
  std::string tag;       ///< anything else: Azure service tag name, a comment, an rbldnsd value

  bool operator==(const Metadata&) const = default;
};

struct DomainEntry {
  std::string name;  ///< normalised: lowercase A-labels, no trailing dot, never empty
  DomainForm form = DomainForm::kExact;
  bool excluded = false;
  Metadata meta;
  std::size_t line = 0;  ///< 1-based source line (0: not from a line)

  /// The rbldnsd dnset spelling: `[!]` then `d`, `*.d` or `.d`.
  std::string dnset_text() const;
};

/// An IPv4 or IPv6 prefix. IPv4 uses addr[0..3]; bits is 0..32 or 0..128; bits beyond
/// the prefix are zero.
struct IpPrefix {
  bool v6 = false;
  std::array<std::uint8_t, 16> addr{};
  int bits = 0;

  bool operator==(const IpPrefix&) const = default;
  /// `a.b.c.d/n` or the RFC 5952 IPv6 text `/n` (inet_ntop).
  std::string to_string() const;
};

struct IpEntry {
  IpPrefix prefix;
  bool excluded = false;
  Metadata meta;
  std::size_t line = 0;

  /// `[!]prefix/bits`.
  std::string text() const;
};

/// One message about one source line: `file NAME(LINE): message` (the loader's format).
struct Diagnostic {
  enum class Severity : std::uint8_t {
    kError,  ///< a bad line: counted in ReadResult::bad_lines
    kNote,   ///< a line understood but deliberately not used (cosmetic AdBlock rule,
             ///< `localhost` in a hosts file, an unsupported RPZ trigger): ignored_lines
  };
  Severity severity = Severity::kError;
  std::string file;
  std::size_t line = 0;  ///< 0: about the whole source
  std::string message;

  /// `file NAME(LINE): message`, or `file NAME: message` when line is 0.
  std::string to_string() const;
};

/// Everything one read of one source produced.
struct ReadResult {
  std::vector<DomainEntry> domains;
  std::vector<IpEntry> ips;
  /// The first ReadOptions::max_diagnostics messages, in line order; the counts below are
  /// always complete.
  std::vector<Diagnostic> diagnostics;
  std::size_t good_lines = 0;     ///< lines (or JSON records) that produced entries
  std::size_t bad_lines = 0;      ///< errors: every one has (or had, before the cap) a message
  std::size_t ignored_lines = 0;  ///< notes: understood, deliberately not used
  /// False when the reader could not get through the whole source (JSON syntax error,
  /// missing top-level structure, unreadable RPZ): the importer must keep its last good
  /// data whatever the counts say.
  bool complete = true;
  /// The publisher's version stamp when the format has one (AWS/Google syncToken, Azure
  /// changeNumber, Oracle last_updated_timestamp, Cloudflare etag, AdBlock `! Version:`).
  std::string version;

  std::size_t entries() const noexcept { return domains.size() + ips.size(); }
};

}  // namespace fastrbl::feeds
