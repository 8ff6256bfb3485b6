#pragma once
// DnSet: rbldnsd's `dnset` dataset (compat §4.6): domain names, exact (`d`), strict
// subdomains (`*.d`) or both (`.d`), each listed with A+TXT values or excluded (`!`).
//
// Lookup, as rbldnsd: an exact entry for the query name settles it (an exclusion means
// not listed; wildcards are not consulted); otherwise the wildcard entries of the proper
// suffixes are tried from the longest suffix to the shortest, and the first one found
// settles it the same way. Every distinct value of the deciding entry is returned; an
// exclusion of a name beats every listing of the same name. The zone apex never matches.
// The TXT subject is the deciding entry's name (for a wildcard, its base), relative to
// the zone, escaped as rbldnsd's dns_dntop does (`special\$.com`).
//
// RFC 8020 (our deliberate difference 1): a name that is a proper ancestor of a listed
// name, or the base `d` (or an ancestor of it) of a listed `*.d`, exists with no records,
// so query() returns true and adds nothing for it when nothing lists it.
//
// Index: one NameIndex (keyed hash, open addressing, keys in a flat arena) holds every
// entry name and every ancestor name; a parallel array of 20-byte nodes gives, per name,
// the exact and wildcard outcomes (excluded, or a run of value ids in one flat array) and
// the ancestor flag. A query is one probe for the exact name and at most one probe per
// wildcard depth present in the data, skipping names of a length no entry has (the index
// knows the lengths of its names, the set those of its wildcard bases). No per-entry heap
// nodes.
//
// Ownership: a DnSet owns its index, values and the StringPool its Values and TxtVars
// point into, or views them in a store image (from_image) whose bytes it keeps alive. Thread safety:
// immutable once built; query() from any number of threads.

#include "core/status.h"
#include "zones/dataset.h"
#include "zones/huge_pages.h"
#include "zones/image.h"
#include "zones/name_hash.h"
#include "zones/string_pool.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fastrbl::zones {

class DnSet final : public Dataset {
 public:
  /// key.labels == 0 (apex): false. Listed: adds every value's A and expanded TXT via
  /// out.add_a_txt (TTL meta().ttl) and returns true. Not listed: true (no records) if
  /// the name is an empty non-terminal of the data, else false. No allocation.
  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  unsigned flags() const noexcept override { return kWantsName; }
  /// query() for a name below the apex without a QueryKey: `name` is the lowercase
  /// relative name (wire labels, no root byte) of `labels` >= 1 labels.
  bool query_name(std::span<const std::uint8_t> name, std::size_t labels, AnswerSink& out) const noexcept;

  /// The outcome of a lookup (every field is set by match(); no default values, so that
  /// an array of them costs nothing to declare).
  struct Match {
    std::uint32_t id;      // the deciding entry, or NameIndex::kNone: no values
    std::uint32_t off, n;  // its value ids: value_ids_[off, off + n)
    bool exists;           // what query() returns
  };
  /// The lookup of query_name() without writing: `id` set when values are to be emitted.
  Match match(std::span<const std::uint8_t> name, std::size_t labels) const noexcept;
  /// Adds the records of a match()ed entry (id != kNone) to `out`, as query_name() does.
  void emit(const Match& m, AnswerSink& out) const noexcept;
  /// The value of a match()ed entry (id != kNone) when it is its only one, else null: what
  /// emit() writes alone (the query path's one-record answers).
  const Value* only_value(const Match& m) const noexcept {
    return m.n == 1 ? &values_[value_ids_[m.off]] : nullptr;
  }
  /// Exact plus wildcard entries as rbldnsd counts them (e/w).
  std::size_t entries() const noexcept override { return exact_count_ + wild_count_; }
  std::size_t memory_bytes() const noexcept override;
  void dump(DumpWriter& out) const override;
  /// Sections: scalars, the name index (seed, arena, offsets, slots), nodes, value ids,
  /// values, TXT bytes (docs/LMDB_SCHEMA.md).
  bool write_image(ImageWriter& out) const override;
  /// The dataset held by `image`: the name index, nodes and value ids are served from the
  /// image bytes in place; the values are rebuilt on the heap. `owner` keeps the bytes
  /// alive. Errors: "dataset image: ..." for sections that do not fit together.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);

  std::size_t exact_count() const noexcept { return exact_count_; }
  std::size_t wild_count() const noexcept { return wild_count_; }
  /// rbldnsd's statistics text: "e/w=P/W".
  std::string stats_text() const;

 private:
  friend class DnSetBuilder;
  explicit DnSet(DatasetMeta meta) : Dataset(std::move(meta)) {}
  // match() past a missing or record-less exact entry: the wildcard probes (kept out of
  // line so that the exact probe, all most queries need, runs with fewer saved registers).
  // `ent`: whether the name itself is an empty non-terminal.
  [[gnu::noinline]] Match match_wild(std::span<const std::uint8_t> name, std::size_t labels,
                                     bool ent) const noexcept;

  struct Node {
    std::uint32_t exact_off = 0, exact_n = 0;  // value ids in value_ids_
    std::uint32_t wild_off = 0, wild_n = 0;
    std::uint8_t flags = 0;  // kHas*, kExcl*, kEnt
  };
  static constexpr std::uint8_t kHasExact = 1, kExclExact = 2, kHasWild = 4, kExclWild = 8, kEnt = 16;

  NameIndex index_;
  std::span<const Node> nodes_;  // by NameIndex id; own_nodes_ or the image
  std::span<const std::uint32_t> value_ids_;
  std::vector<Value> values_;   // txt views point into pool_ or the image
  HugeVector<Node> own_nodes_;  // storage of a set built from text
  HugeVector<std::uint32_t> own_value_ids_;
  StringPool pool_;
  std::size_t min_wild_labels_ = 0, max_wild_labels_ = 0;  // of wildcard base names; 0: none
  // The lengths of the wildcard base names (a suffix of any other length has no wildcard
  // entry, so match() does not probe it). Derived from the nodes (not in the image).
  LengthSet wild_lengths_;
  std::size_t exact_count_ = 0, wild_count_ = 0;
};

/// Collects dnset entries and builds a DnSet. Values are registered with add_value(),
/// which hands out instances as Ip4SetBuilder does (consecutive identical values share
/// one), so that the e/w counters match rbldnsd's duplicate removal.
class DnSetBuilder {
 public:
  using Instance = std::uint32_t;

  DnSetBuilder();
  DnSetBuilder(const DnSetBuilder&) = delete;
  DnSetBuilder& operator=(const DnSetBuilder&) = delete;

  /// The pool the built dataset will own (for $n / $= texts).
  StringPool& pool() noexcept { return pool_; }
  /// rbldnsd's built-in default value (A 127.0.0.2, no TXT).
  Instance default_instance() const noexcept { return kBuiltinDefault; }
  /// As Ip4SetBuilder::add_value. Requires: txt.size() <= 255.
  Instance add_value(const std::array<std::uint8_t, 4>& a, std::string_view txt);

  /// Lists `name` (lowercase wire labels without the root byte, at least one label):
  /// exactly when `exact`, its strict subdomains when `wild`.
  void add(std::span<const std::uint8_t> name, bool exact, bool wild, Instance v);
  /// Excludes `name` in the same forms.
  void exclude(std::span<const std::uint8_t> name, bool exact, bool wild);

  /// Resolves conflicts and builds the dataset; `meta.txt` may point into pool(). The
  /// builder must not be used afterwards.
  std::unique_ptr<DnSet> build(DatasetMeta meta);

 private:
  static constexpr Instance kExclusion = 0;
  static constexpr Instance kBuiltinDefault = 1;

  struct Entry {
    std::uint32_t node;
    std::uint32_t wild;  // 0 exact, 1 wildcard
    Instance inst;
  };
  void push(std::span<const std::uint8_t> name, bool exact, bool wild, Instance v);
  std::uint32_t intern_value(const std::array<std::uint8_t, 4>& a, std::string_view txt);

  StringPool pool_;
  NameIndex index_;
  std::vector<Entry> entries_;
  std::vector<Value> values_;  // content-distinct
  std::map<std::pair<std::array<std::uint8_t, 4>, std::string_view>, std::uint32_t> value_ids_;
  std::vector<std::uint32_t> instance_value_;  // instance -> value id
  Instance last_instance_ = kExclusion;
};

}  // namespace fastrbl::zones
