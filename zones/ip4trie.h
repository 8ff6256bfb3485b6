#pragma once
// Ip4Trie: rbldnsd's `ip4trie` dataset (compat §4.3): IPv4 CIDR entries with per-entry
// values and `!` exclusions, answered by longest prefix (an exclusion counts as a prefix),
// one value per address.
//
// The longest-prefix rule is resolved at build time into a PrefixTable (see
// prefix_table.h): sorted run starts (4 bytes) and a value id (4 bytes) per run, where
// a run is a maximal stretch of addresses with one outcome. A query is one binary search
// and no pointer chasing; an empty non-terminal (`3.2.1` under the zone) is the same
// search.
//
// Ownership: an Ip4Trie owns its table, values and the StringPool they point into.
// Thread safety: a built Ip4Trie is immutable; query() may run on any number of threads.

#include "core/status.h"
#include "zones/dataset.h"
#include "zones/prefix_table.h"
#include "zones/string_pool.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fastrbl::zones {

class Ip4Trie final : public PrefixDataset<std::uint32_t> {
 public:
  /// key.ip4 covered by a listing (longest prefix) -> its value via out.add_a_txt
  /// (subject = dotted quad, TTL = meta().ttl); key.ip4_prefix_octets 1..3 -> true
  /// without records when a listed address lies under the prefix (RFC 8020).
  /// Anything else: false. No allocation.
  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  unsigned flags() const noexcept override { return kWantsIp4; }
  void dump(DumpWriter& out) const override;
  /// Writes the sections after the meta (docs/LMDB_SCHEMA.md).
  bool write_image(ImageWriter& out) const override;
  /// The dataset held by `image`, served from its bytes in place (kept alive by `owner`).
  /// Errors: "dataset image: ..." for sections that do not fit together.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);

 private:
  friend class Ip4TrieBuilder;
  explicit Ip4Trie(DatasetMeta meta) : PrefixDataset(std::move(meta)) {}
};

/// Collects ip4trie entries (see PrefixDatasetBuilder::add) and builds an Ip4Trie.
class Ip4TrieBuilder : public PrefixDatasetBuilder<std::uint32_t> {
 public:
  std::unique_ptr<Ip4Trie> build(DatasetMeta meta);
};

}  // namespace fastrbl::zones
