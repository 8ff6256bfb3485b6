#pragma once
// Ip6Trie: rbldnsd's `ip6trie` dataset (compat §4.4): IPv6 CIDR entries with per-entry
// values and `!` exclusions, answered by longest prefix (an exclusion counts as a prefix).
//
// Same layout as Ip4Trie (prefix_table.h) with 16-byte run starts: 20 bytes per run, a
// query is one binary search. Empty non-terminals (1 to 31 nibble labels under the zone)
// answer "exists" when a listed address lies under that nibble prefix (RFC 8020).
//
// Ownership: an Ip6Trie owns its table, values and the StringPool they point into.
// Thread safety: a built Ip6Trie is immutable; query() may run on any number of threads.

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

class Ip6Trie final : public PrefixDataset<Ip6Key> {
 public:
  /// key.ip6 covered by a listing -> its value via out.add_a_txt (subject = compressed
  /// IPv6 text, TTL = meta().ttl); key.ip6_prefix_nibbles 1..31 -> true without records
  /// when a listed address lies under the prefix. Anything else: false. No allocation.
  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  unsigned flags() const noexcept override { return kWantsIp6; }
  void dump(DumpWriter& out) const override;
  /// Writes the sections after the meta (docs/LMDB_SCHEMA.md).
  bool write_image(ImageWriter& out) const override;
  /// The dataset held by `image`, served from its bytes in place (kept alive by `owner`).
  /// Errors: "dataset image: ..." for sections that do not fit together.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);

 private:
  friend class Ip6TrieBuilder;
  explicit Ip6Trie(DatasetMeta meta) : PrefixDataset(std::move(meta)) {}
};

/// Collects ip6trie entries (see PrefixDatasetBuilder::add) and builds an Ip6Trie.
class Ip6TrieBuilder : public PrefixDatasetBuilder<Ip6Key> {
 public:
  std::unique_ptr<Ip6Trie> build(DatasetMeta meta);
};

/// The [lo, hi] range a QueryKey's IPv6 nibble prefix covers. Requires:
/// 1 <= key.ip6_prefix_nibbles <= 31.
std::pair<Ip6Key, Ip6Key> ip6_prefix_range(const QueryKey& key) noexcept;

}  // namespace fastrbl::zones
