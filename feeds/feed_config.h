#pragma once
// Feed definitions: which lists fastrbl imports, from where, in what format, into which
// dataset, and how it renders that dataset as an rbldnsd data file (feeds/README.md
// "Feed config"; an example in etc/feeds/feeds.toml).
//
// The config is TOML (parsed with Debian's libtomlplusplus): `[[dataset]]` tables (or
// `[dataset.NAME]`) name the datasets (type, zone, output file, default value, SOA/NS,
// test points, and for a multi dataset its member datasets and their bits), `[[feed]]`
// tables (or `[feed.NAME]`) the sources that fill them. load_feed_config() validates all
// of it and reports the first problem as `FILE:LINE: message`.
//
// Plain values; immutable once loaded; thread-compatible.

#include "core/status.h"
#include "feeds/normalise.h"
#include "feeds/reader.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::feeds {

/// What a dataset renders to: the rbldnsd dataset type of its output file.
enum class DatasetKind : std::uint8_t { kDnset, kIp4trie, kIp6trie };

/// "dnset", "ip4trie", "ip6trie".
std::string_view dataset_kind_name(DatasetKind kind) noexcept;

/// A member list of a multi dataset and the bit it contributes (SURBL-style: the A record
/// of an answer is 127.0.0.(OR of the bits of every member list that matches)).
struct MultiMember {
  std::string dataset;
  std::uint32_t bit = 0;
};

struct DatasetDef {
  std::string name;
  DatasetKind kind = DatasetKind::kDnset;
  /// The DNS zone that serves it (fastrbld zone spec, DNS UPDATE), lowercase, no final dot.
  std::string zone;
  /// The rbldnsd data file rendered from its entries: absolute (made so relative to the
  /// config file's directory, or to ImportOptions::output_dir).
  std::string output;
  /// The default value line (`:A:TXT`) of the rendered file: A record and TXT template.
  std::string value = "127.0.0.2";
  std::string txt;
  /// RFC 5782 test points: dnset `test` listed and `!invalid`; ip4trie 127.0.0.2 listed,
  /// 127.0.0.1 excluded; ip6trie ::ffff:127.0.0.2 listed, ::ffff:127.0.0.1 excluded.
  bool test_points = true;
  /// `$SOA` and `$NS` lines (the text after the keyword), or empty.
  std::string soa;
  std::string ns;
  /// Non-empty: a multi dataset, rendered from the entries of these member datasets (of
  /// the same kind) with A = 127.0.0.(OR of bits), never from feeds of its own.
  std::vector<MultiMember> members;
  std::size_t line = 0;  ///< where it is defined in the config
};

struct FeedDef {
  std::string name;
  /// Target datasets: entries go to the one of their kind (names to the dnset, IPv4 to the
  /// ip4trie, IPv6 to the ip6trie); an entry of a kind no target takes is a bad entry.
  std::vector<std::string> datasets;
  /// A local path (absolute, made so relative to the config file), `file:///path`, or an
  /// http(s) URL fetched with libcurl.
  std::string source;
  /// A local file used when the URL cannot be fetched (or with --offline); may be empty.
  std::string fallback;
  Format format = Format::kPlain;
  ReadOptions read;
  /// How names are listed (feeds/normalise.h); nullopt: as the source writes them
  /// (`d`, `*.d`, `.d`; a bare name in plain/hosts/csv is exact).
  std::optional<ListingPolicy> listing;
  /// The value of its entries: empty A/TXT = the dataset's default. The TXT may name
  /// {provider}, {service}, {region}, {tag} and {feed}, filled from each entry's metadata
  /// at import (`$` is left for rbldnsd's substitution at query time).
  std::string value;
  std::string txt;
  double max_shrink = 0.5;
  double max_bad = 0.1;
  /// Seconds an entry stays after it was last seen in the source; 0: dropped at the first
  /// import that no longer has it.
  std::int64_t expire_after = 0;
  /// HTTP timeout in seconds (whole transfer).
  long timeout = 60;
  std::size_t line = 0;
};

struct FeedConfig {
  std::string path;  ///< the config file, absolute
  std::string dir;   ///< its directory (relative paths are relative to it)
  /// The Public Suffix List used by listing scopes (default: the Debian package's).
  std::string psl = PublicSuffixList::kSystemPath;
  std::vector<DatasetDef> datasets;
  std::vector<FeedDef> feeds;

  const DatasetDef* dataset(std::string_view name) const noexcept;
  const FeedDef* feed(std::string_view name) const noexcept;
  /// The dataset of `kind` serving `zone` (case-insensitive, trailing dot ignored), or null.
  /// With no kind: the first dataset of the zone.
  const DatasetDef* dataset_for_zone(std::string_view zone,
                                     std::optional<DatasetKind> kind = std::nullopt) const noexcept;
  /// The fastrbld zone specs that serve every dataset's output: `zone:type:file`.
  std::vector<std::string> zone_specs() const;
};

/// Loads and validates a feed config. Errors read `FILE:LINE: message` (TOML syntax errors
/// too: "FILE:3: expected '=' ..."); unknown keys are errors (a typo must not be ignored).
/// `output_dir`, when not empty, replaces the config's directory as the base of relative
/// output paths (demo and tests render into a scratch directory).
core::Result<FeedConfig> load_feed_config(const std::string& path, const std::string& output_dir = {});

/// Parses a duration as the config writes it: `3600`, `90m`, `7d`, `2w` (s m h d w).
std::optional<std::int64_t> parse_duration(std::string_view text) noexcept;

}  // namespace fastrbl::feeds
