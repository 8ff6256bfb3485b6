#pragma once
// Combined: rbldnsd's `combined` dataset (compat §4.8): several nested datasets, each
// served under one or more subzones of the command-line zone (`@` is the zone itself).
//
// A query picks the most specific subzone that is a suffix of the (zone-relative) name,
// as zones are picked; a name in no subzone gets nothing from this dataset. The name is
// then made relative to that subzone (reverse-IP names parsed again by
// prepare_query_key() for the subzone, so nested ip4set/ip6 datasets see their
// addresses) and every nested dataset of the subzone is asked, in $DATASET order; the
// results are unioned (the AnswerSink applies the per-type lowest TTL). A query for a
// subzone's own apex always counts as found (NODATA when nothing answers). RFC 8020 (our
// deliberate difference 1): a proper ancestor of a subzone (`dom` for `sub.dom`) exists
// too, with no records.
//
// Ownership: a Combined shares ownership of its nested datasets and owns the StringPool
// that their `$n`/`$=` views and its own point into. Thread safety: immutable once
// built; query() from any number of threads, no allocation (the subzone-relative key is
// built on the stack).

#include "core/status.h"
#include "zones/dataset.h"
#include "zones/image.h"
#include "zones/string_pool.h"
#include "zones/zone.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace fastrbl::zones {

class Combined final : public Dataset {
 public:
  /// One subzone: its name relative to the zone (lowercase wire labels, no root byte;
  /// empty for `@`) and the nested datasets served there, in $DATASET order.
  struct Subzone {
    std::vector<std::uint8_t> name;
    std::size_t labels = 0;
    std::vector<std::shared_ptr<const Dataset>> datasets;
  };

  /// `subzones` in any order; `pool` holds the strings meta and nested metas view.
  Combined(DatasetMeta meta, std::vector<Subzone> subzones, std::size_t dataset_count, StringPool pool);

  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  /// Under an acl `empty` or template action: the same subzone match, then each nested
  /// dataset's query_acl() with the subzone-relative key (so a template answers only for
  /// names and addresses inside a subzone, never for a subzone's apex, and a generic
  /// subset gives NODATA for its names); a subzone's apex still counts as found.
  bool query_acl(const QueryKey& key, const AclOverride& acl, AnswerSink& out) const noexcept override;
  /// The union of the nested datasets' flags, and kWantsName (subzones are matched by name).
  unsigned flags() const noexcept override { return flags_ | kWantsName; }
  std::size_t entries() const noexcept override { return entries_; }
  std::size_t memory_bytes() const noexcept override;
  void dump(DumpWriter& out) const override;
  /// Writes the subzones and each distinct nested dataset as a nested image
  /// (docs/LMDB_SCHEMA.md). False if a nested type has no image format.
  bool write_image(ImageWriter& out) const override;
  /// The dataset held by `image`: each nested dataset opened from its nested image (in
  /// place, as far as its type allows). `owner` keeps the bytes alive.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);
  /// rbldnsd's statistics text: "subzones=N datasets=M".
  std::string stats_text() const;

 private:
  /// query() (acl null) and query_acl() (acl set): the subzone match and the nested calls.
  bool dispatch(const QueryKey& key, const AclOverride* acl, AnswerSink& out) const noexcept;
  bool is_ancestor(std::span<const std::uint8_t> name) const noexcept;

  struct Sub {
    Subzone z;
    Zone key_zone;  // a root-named zone with the subzone's flags, for prepare_query_key()
  };
  std::vector<Sub> subs_;  // most labels first
  std::size_t dataset_count_ = 0;
  std::size_t entries_ = 0;
  std::size_t memory_ = 0;
  unsigned flags_ = 0;
  StringPool pool_;
};

}  // namespace fastrbl::zones
