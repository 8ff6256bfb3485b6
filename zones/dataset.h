#pragma once
// Dataset: one loaded rbldnsd dataset (ip4set, dnset, ...) and what a query asks of it.
//
// A dataset is built by the loader, then published inside an immutable Snapshot and only
// read. query() is on the hot path: noexcept, no allocation, no locks; it reads its own
// index and writes answers through the AnswerSink. The same dataset object may be shared
// by several zones (rbldnsd shares a dataset between specs with the same type and file
// list). Thread safety: after publication, query() and meta() may be called from any
// number of threads at once; so may dump(), which only reads.

#include "core/dname.h"
#include "zones/string_pool.h"
#include "zones/txt_template.h"

#include <array>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::zones {

class AnswerSink;
class DumpWriter;
class ImageWriter;

/// An A + TXT value of an entry (compat §3.3). `txt` is the unexpanded template; empty
/// means none (a base template may still produce a TXT). Views into the dataset's pool.
struct Value {
  std::array<std::uint8_t, 4> a{127, 0, 0, 2};
  std::string_view txt;
  friend bool operator==(const Value& x, const Value& y) noexcept { return x.a == y.a && x.txt == y.txt; }
};

struct SoaData {
  core::Name mname, rname;  // absolute
  std::uint32_t ttl = 0;
  std::uint32_t serial = 0;  // 0: the zone's newest data stamp is used
  std::uint32_t refresh = 0, retry = 0, expire = 0, minimum = 0;
};

struct NsData {
  std::uint32_t ttl = 0;
  std::vector<core::Name> names;  // deduplicated, at most 32
};

/// What a data file declares besides its entries (the specials of compat §3.2).
struct DatasetMeta {
  std::string type;       // "ip4set"
  std::string spec;       // the file list as written on the command line
  std::uint32_t ttl = 0;  // A/TXT TTL: the last $TTL, or the -t default (resolved by the loader)
  std::optional<SoaData> soa;
  std::optional<NsData> ns;
  TxtVars txt;
  std::time_t stamp = 0;    // newest mtime of the files
  std::time_t expires = 0;  // $TIMESTAMP expiry; 0: none
};

/// The question, prepared once per query relative to the zone that was found.
struct QueryKey {
  /// The relative name, lowercase, as wire labels without the terminating root byte
  /// (empty at the zone apex). Points into the caller's ParsedQuery.
  std::span<const std::uint8_t> name;
  std::size_t labels = 0;
  std::uint16_t qtype = 0;

  bool ip4 = false;
  std::uint32_t ip4_addr = 0;  // host order: 10.0.0.1 is 0x0a000001
  bool ip6 = false;
  std::array<std::uint8_t, 16> ip6_addr{};

  /// RFC 8020 empty non-terminals: 1 to 3 decimal octet labels name a prefix of IPv4
  /// reverse names (`3.2.1` under the zone is 1.2.3.0/24). 0 when the name is not one.
  std::uint8_t ip4_prefix_octets = 0;
  std::uint32_t ip4_prefix = 0;  // the prefix in the high octets, low octets zero

  /// RFC 8020 empty non-terminals for IPv6: 1 to 31 nibble labels name a prefix of IPv6
  /// reverse names (filled in zones with an IPv6 dataset). 0 when the name is not one.
  std::uint8_t ip6_prefix_nibbles = 0;
  std::array<std::uint8_t, 16> ip6_prefix{};  // the nibbles from the top, the rest zero
};

/// An acl action that replaces the data for one query (compat §8.1): `empty` (`value` is
/// null) or an always-listed template. Views into the acl and the caller's buffers.
struct AclOverride {
  const Value* value = nullptr;   // the template's A + TXT; null: `empty`
  const TxtVars* vars = nullptr;  // the acl's $n / $=
  std::string_view client;        // the client address as text (the template's `$`)
  std::uint32_t ttl = 0;          // the acl's TTL
};

enum DatasetFlag : unsigned {
  kWantsIp4 = 1,   // looks at ip4 / ip4_prefix (makes the zone parse IPv4 names)
  kWantsIp6 = 2,   // looks at ip6
  kWantsName = 4,  // looks at the name itself
};

class Dataset {
 public:
  explicit Dataset(DatasetMeta meta) : meta_(std::move(meta)) {}
  virtual ~Dataset() = default;
  Dataset(const Dataset&) = delete;
  Dataset& operator=(const Dataset&) = delete;

  /// Adds this dataset's answers for `key` to `out`. Returns true if the name exists in
  /// the dataset (listed, or an empty non-terminal, which adds nothing), false if not.
  virtual bool query(const QueryKey& key, AnswerSink& out) const noexcept = 0;
  /// What the dataset answers for `key` while an acl `empty` or template action is in
  /// force (compat §8.1, §6.1 step 11). The default, rbldnsd's per-dataset check: nothing
  /// for `empty`; the template, once, for a key this dataset would look up (an address for
  /// IP datasets, a non-apex name for name datasets). Returns true if it added the
  /// template. Generic and Combined answer differently (see there). No allocation.
  virtual bool query_acl(const QueryKey& key, const AclOverride& acl, AnswerSink& out) const noexcept;
  /// DatasetFlag bits.
  virtual unsigned flags() const noexcept = 0;
  /// Number of entries as loaded (for statistics).
  virtual std::size_t entries() const noexcept = 0;
  /// Heap bytes held by the index and values (for statistics and benchmarks).
  virtual std::size_t memory_bytes() const noexcept = 0;
  /// Writes the entries as master-file lines (zones/dump.h), relative to the zone; the
  /// caller has written `$ORIGIN` and `$TTL`. Any thread; allocates (not for the query path).
  virtual void dump(DumpWriter& out) const = 0;
  /// Sets the image type and adds the sections that follow the meta section (zones/image.h,
  /// docs/LMDB_SCHEMA.md). Returns false if the type has no image format yet (the default).
  virtual bool write_image(ImageWriter& out) const;

  const DatasetMeta& meta() const noexcept { return meta_; }

 protected:
  DatasetMeta meta_;
  /// Keeps the bytes alive that a dataset opened from an image serves from in place (a
  /// store read transaction or a heap copy); null for a dataset built from text. A base
  /// member, so that it is released after the derived class's members.
  std::shared_ptr<const void> backing_;
};

}  // namespace fastrbl::zones
