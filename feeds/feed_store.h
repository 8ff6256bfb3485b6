#pragma once
// FeedStore: feed entries with provenance in the store's LMDB environment, imports that
// commit a diff in one write transaction, pushed changes (DNS UPDATE, `fastrblctl feed
// push`), and the rendering of a dataset to its rbldnsd data file (docs/LMDB_SCHEMA.md
// "feed_entries", "feed_meta"; feeds/README.md).
//
// LMDB is the truth: an entry key (`name`, `*.name`, `.name`, `!name`, `1.2.3.0/24`,
// `2001:db8::/32`) of a dataset holds one contribution per origin (a feed name, or
// `update:KEYNAME` for pushed entries), each with first seen, last seen, expiry, reason and
// value. The rendered file is derived from it and may be rewritten at any time (render()).
//
// Every change (an import, an apply) is ONE LMDB write transaction; LMDB admits one
// writer at a time across processes, so concurrent importers, pushes and compiles
// serialise. A failure before the commit changes nothing.
//
// Ownership: a FeedStore shares the zones::Store (the environment) and owns its config
// and, once a listing scope needs it, the Public Suffix List.
// Thread safety: one FeedStore is used by one thread at a time (external locking);
// several FeedStores on one Store may run in parallel (their writes serialise in LMDB).

#include "core/status.h"
#include "feeds/entry.h"
#include "feeds/feed_config.h"
#include "feeds/normalise.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::zones {
class Store;
}

namespace fastrbl::feeds {

/// One origin's claim on an entry key.
struct Contribution {
  std::string origin;           ///< feed name, or "update:KEYNAME"
  std::int64_t first_seen = 0;  ///< unix time
  std::int64_t last_seen = 0;   ///< unix time of the last import that had it / the push
  std::int64_t expires = 0;     ///< unix time; 0: never (until the origin drops it)
  std::string reason;           ///< source line metadata (provider, service, region, tag)
  std::string a;                ///< A value ("127.0.0.4"); empty: the dataset default
  std::string txt;              ///< TXT template; empty with empty `a`: the dataset default
  std::uint32_t bit = 0;        ///< reserved (multi datasets take bits from their members)
  friend bool operator==(const Contribution&, const Contribution&) = default;
};

/// An entry key of a dataset and everything that contributes it.
struct StoredEntry {
  std::string key;  ///< the canonical spelling: `[!]name`, `[!]*.name`, `[!].name`, `[!]prefix/bits`
  std::vector<Contribution> from;
};

/// A validated, normalised key as pushed (`apply`), with its optional value.
struct PushKey {
  std::string key;  ///< canonical spelling (as StoredEntry::key)
  std::string a;    ///< from `key 127.0.0.2:TXT` / `key :127.0.0.2:TXT`; may be empty
  std::string txt;
};

/// Parses and normalises one pushed line for a dataset of `kind`: `[!]name`, `*.name`,
/// `.name` (dnset; names through normalise_domain()), `[!]a.b.c.d[/n]` (ip4trie),
/// `[!]v6[/n]` (ip6trie), then optionally whitespace and a value `A[:TXT]` or `:A[:TXT]`.
/// Host bits are refused. Errors name the problem: "`a..b': empty label in `a..b'",
/// "`1.2.3.4/24': host bits set", "`2001:db8::/32' is not an IPv4 prefix (dataset type
/// ip4trie)", "invalid A value `300.1.1.1'".
core::Result<PushKey> parse_push_key(DatasetKind kind, std::string_view line);

/// What one change did to one dataset.
struct ChangeSummary {
  std::vector<std::string> added;    ///< keys that were not served before
  std::vector<std::string> removed;  ///< keys dropped (the origin no longer has them)
  std::vector<std::string> expired;  ///< keys dropped because they were not seen for expire-after
  std::vector<std::string> updated;  ///< keys whose value from this origin changed
  std::size_t kept = 0;              ///< keys this origin still has (including updated)
  std::size_t lingering = 0;         ///< absent from the source but not yet expired: still served
  /// Added/removed keys are about this origin's contributions; a key another origin still
  /// contributes is not served less, so removed keys list this origin's drops.
};

/// The result of one import of one feed.
struct ImportReport {
  std::string feed;
  bool refused = false;                  ///< a guard refused the new data: nothing was changed
  bool unchanged_source = false;         ///< HTTP 304: the source did not change since the last import
  std::string message;                   ///< why it was refused, or a one-line summary
  std::vector<std::string> diagnostics;  ///< the reader's messages (`file NAME(LINE): ...`)
  std::size_t entries = 0;               ///< entries read (after normalisation and de-duplication)
  std::size_t bad = 0;                   ///< bad lines + entries no dataset took
  std::string source_used;               ///< the URL or file actually read
  ChangeSummary diff;                    ///< over all its datasets
  std::vector<std::string> datasets;     ///< the datasets it changed (to render)
};

/// The per-feed record kept in `feed_meta`.
struct FeedMeta {
  std::int64_t last_import = 0;  ///< last accepted import (unix time)
  std::int64_t last_attempt = 0;
  std::uint64_t last_good_entries = 0;  ///< entries of the last accepted import (shrink guard)
  std::uint64_t added = 0, removed = 0, kept = 0, expired = 0, bad = 0;
  std::string etag, last_modified;  ///< for a conditional GET
  std::string version;              ///< the publisher's version stamp (ReadResult::version)
  std::string source;               ///< what was read last
  std::string last_error;           ///< why the last attempt was refused, or empty
};

struct ImportOptions {
  bool offline = false;  ///< never fetch: read the fallback (or a local source)
  bool dry_run = false;  ///< compute and print the diff, commit nothing
};

/// What render() wrote.
struct RenderReport {
  std::string dataset;
  std::string path;
  std::size_t listed = 0;    ///< entry lines written (test points excluded)
  std::size_t excluded = 0;  ///< `!` lines written
};

class FeedStore {
 public:
  /// Opens feed access on `store` (which must have its feed tables: a writable open, or a
  /// read-only open of a store some writer created).
  static core::Result<std::unique_ptr<FeedStore>> open(std::shared_ptr<zones::Store> store,
                                                       FeedConfig config);
  ~FeedStore();
  FeedStore(const FeedStore&) = delete;
  FeedStore& operator=(const FeedStore&) = delete;

  const FeedConfig& config() const noexcept { return config_; }

  /// Pushes adds and deletes of entry keys (parse_push_key() spelling, with optional
  /// value) to `dataset` in ONE write transaction, with `origin` as their feed (e.g.
  /// "update:KEYNAME"). An add of a key the origin already has updates its value and last
  /// seen; a delete removes only this origin's contribution (a key another feed lists
  /// stays listed). `expires` 0: the pushed entries do not expire. Every line is validated
  /// before anything is written: one bad line fails the whole call ("line N: ...") and
  /// nothing changes. Returns what changed. Does not render (call render()).
  core::Result<ChangeSummary> apply(std::string_view dataset, const std::vector<std::string>& adds,
                                    const std::vector<std::string>& deletes, std::string_view origin,
                                    std::int64_t now, std::int64_t expires = 0);

  /// Imports one feed: fetch (unless offline), read, normalise, guards (shrink, bad lines,
  /// incomplete source), diff against its stored entries, commit in ONE transaction
  /// (unless refused or dry run). A refusal is not an error: the report says why and the
  /// last good entries stay. Errors: the source cannot be read at all, LMDB failures.
  core::Result<ImportReport> import(std::string_view feed, std::int64_t now,
                                    const ImportOptions& options = {});

  /// Writes the dataset's output file from LMDB (entries not expired at `now`), atomically
  /// (temp file, fsync, rename): the rbldnsd data file of its kind with `$SOA`/`$NS`, the
  /// default value line, entries, exclusions and the RFC 5782 test points. A multi dataset
  /// renders the OR of its members' bits (feeds/README.md "Multi datasets").
  core::Result<RenderReport> render(std::string_view dataset, std::int64_t now);

  /// Every entry key of `dataset` with its contributions, in key order.
  core::Result<std::vector<StoredEntry>> entries(std::string_view dataset) const;
  /// The feed's meta record, or nullopt before its first import.
  core::Result<std::optional<FeedMeta>> feed_meta(std::string_view feed) const;

 private:
  FeedStore(std::shared_ptr<zones::Store> store, FeedConfig config);
  core::Result<const PublicSuffixList*> psl();

  std::shared_ptr<zones::Store> store_;
  FeedConfig config_;
  std::optional<PublicSuffixList> psl_;
};

}  // namespace fastrbl::feeds
