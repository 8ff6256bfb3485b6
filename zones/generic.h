#pragma once
// Generic: rbldnsd's `generic` dataset (compat §4.7): a few A, TXT and MX records per
// name, in simplified BIND syntax, served as they are (no `$` substitution).
//
// A query for a name with records adds the records of the asked type (A, TXT or MX; ANY:
// all of them, grouped by type in A, MX, TXT order as rbldnsd sorts them) and returns
// true; a name with records but none of the asked type is NODATA (true, nothing added);
// an unknown name returns false. Each record keeps its own TTL. When a type has several
// records, the starting record rotates between queries, as rbldnsd does. RFC 8020 (our
// deliberate difference 1): proper ancestors of names with records exist too (true,
// nothing added).
//
// Rotation state: one relaxed atomic counter per dataset, bumped only by queries that
// return two or more records of one type. Workers may race on it; any interleaving is a
// valid rotation, and rbldnsd promises no particular order. (A per-worker counter passed
// in through the AnswerSink would avoid the shared cache line; proposed to the lead.)
//
// Index: a NameIndex (keyed hash, flat key arena) maps each name to a run of 12-byte
// record descriptors in one array; record data (A address, TXT text, MX preference and
// uncompressed target) sits in one byte arena. No per-entry heap nodes.
//
// Ownership: a Generic owns its index, records and pool. Thread safety: immutable once
// built except the rotation counter (atomic); query() from any number of threads.

#include "core/dname.h"
#include "core/status.h"
#include "zones/dataset.h"
#include "zones/image.h"
#include "zones/name_hash.h"
#include "zones/string_pool.h"

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::zones {

class Generic final : public Dataset {
 public:
  /// See the header comment. No allocation.
  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  /// Under an acl `empty` or template action, as classic rbldnsd: no records at all (not
  /// even the template, nor the apex records), but a name that exists still counts as
  /// found, so it answers NODATA instead of NXDOMAIN (compat §4.7).
  bool query_acl(const QueryKey& key, const AclOverride& acl, AnswerSink& out) const noexcept override;
  unsigned flags() const noexcept override { return kWantsName; }
  /// Records as loaded (rbldnsd's `e=N`).
  std::size_t entries() const noexcept override { return rrs_.size(); }
  std::size_t memory_bytes() const noexcept override;
  void dump(DumpWriter& out) const override;
  /// Writes the sections after the meta (docs/LMDB_SCHEMA.md).
  bool write_image(ImageWriter& out) const override;
  /// The dataset held by `image`, served from its bytes in place (kept alive by `owner`).
  /// Errors: "dataset image: ..." for sections that do not fit together.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);
  /// rbldnsd's statistics text: "e=N".
  std::string stats_text() const;

 private:
  friend class GenericBuilder;
  explicit Generic(DatasetMeta meta) : Dataset(std::move(meta)) {}

  struct Rr {
    std::uint16_t type = 0;
    std::uint16_t len = 0;  // bytes in data_
    std::uint32_t ttl = 0;
    std::uint32_t off = 0;  // into data_
  };
  void emit(const Rr& rr, AnswerSink& out) const noexcept;
  void emit_group(std::uint32_t b, std::uint32_t e, AnswerSink& out) const noexcept;

  NameIndex index_;
  std::span<const std::uint32_t> node_rrs_;  // node id -> first record; one extra at the end
  std::span<const Rr> rrs_;                  // grouped by node, then by type
  std::span<const std::uint8_t> data_;
  // Storage of a dataset built from text (the spans view these, or an image).
  std::vector<std::uint32_t> own_node_rrs_;
  std::vector<Rr> own_rrs_;
  std::vector<std::uint8_t> own_data_;
  StringPool pool_;
  mutable std::atomic<std::uint32_t> rotation_{0};
};

/// Collects generic records and builds a Generic. Names are lowercase wire labels
/// without the root byte (empty: the zone apex).
class GenericBuilder {
 public:
  /// The pool the built dataset will own (the reader interns $n / $= texts there).
  StringPool& pool() noexcept { return pool_; }
  void add_a(std::span<const std::uint8_t> name, std::uint32_t ttl, const std::array<std::uint8_t, 4>& a);
  /// Requires: text.size() <= 255.
  void add_txt(std::span<const std::uint8_t> name, std::uint32_t ttl, std::string_view text);
  void add_mx(std::span<const std::uint8_t> name, std::uint32_t ttl, std::uint16_t pref,
              const core::Name& target);
  /// Builds the dataset; the builder must not be used afterwards.
  std::unique_ptr<Generic> build(DatasetMeta meta);

 private:
  struct Pending {
    std::uint32_t node;
    std::uint16_t type;
    std::uint16_t len;
    std::uint32_t ttl;
    std::uint32_t off;
  };
  void add(std::span<const std::uint8_t> name, std::uint16_t type, std::uint32_t ttl,
           std::span<const std::uint8_t> data);

  StringPool pool_;
  NameIndex index_;
  std::vector<Pending> pending_;
  std::vector<std::uint8_t> data_;
};

}  // namespace fastrbl::zones
