#pragma once
// Ip6TSet: rbldnsd's `ip6tset` dataset (compat §4.5): listed /64 networks and excluded
// single addresses (/128), all sharing one value (the first `:` line of the dataset).
// An address is listed when its /64 is listed and the address itself is not excluded.
//
// The index is two sorted arrays of distinct keys: the /64s (8 bytes each) and the
// exclusions (16 bytes each). A query is one or two binary searches.
//
// Ownership: an Ip6TSet owns its arrays and the StringPool its Value and TxtVars point
// into. Thread safety: a built Ip6TSet is immutable; query() may run on any number of
// threads; the builder is for one thread.

#include "core/status.h"
#include "zones/dataset.h"
#include "zones/huge_pages.h"
#include "zones/image.h"
#include "zones/prefix_table.h"
#include "zones/string_pool.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::zones {

class Ip6TSet final : public Dataset {
 public:
  /// key.ip6 listed -> the shared value via out.add_a_txt (subject = compressed IPv6
  /// text, TTL = meta().ttl); key.ip6_prefix_nibbles 1..31 -> true without records when
  /// a listed address lies under the prefix (RFC 8020). Anything else: false.
  /// No allocation.
  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  unsigned flags() const noexcept override { return kWantsIp6; }
  /// Distinct /64s plus distinct exclusions.
  std::size_t entries() const noexcept override { return nets_.size() + excluded_.size(); }
  std::size_t memory_bytes() const noexcept override;
  void dump(DumpWriter& out) const override;
  /// Writes the sections after the meta (docs/LMDB_SCHEMA.md).
  bool write_image(ImageWriter& out) const override;
  /// The dataset held by `image`, served from its bytes in place (kept alive by `owner`).
  /// Errors: "dataset image: ..." for sections that do not fit together.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);

  std::size_t listed_count() const noexcept { return nets_.size(); }
  std::size_t excluded_count() const noexcept { return excluded_.size(); }
  /// "cnt=N exl=M".
  std::string stats() const;

 private:
  friend class Ip6TSetBuilder;
  explicit Ip6TSet(DatasetMeta meta) : Dataset(std::move(meta)) {}

  std::span<const std::uint64_t> nets_;  // listed /64s (upper halves), sorted, distinct
  std::span<const Ip6Key> excluded_;     // sorted, distinct
  HugeVector<std::uint64_t> own_nets_;   // storage of a set built from text
  std::vector<Ip6Key> own_excluded_;
  Value value_;
  StringPool pool_;
};

/// Collects ip6tset entries and the shared value. Build cost O(n log n).
class Ip6TSetBuilder {
 public:
  StringPool& pool() noexcept { return pool_; }
  /// Sets the shared value unless one was set before; false if it was. `txt` is copied.
  bool set_value(const std::array<std::uint8_t, 4>& a, std::string_view txt);
  /// Lists the /64 whose upper half is `net`.
  void add(std::uint64_t net) { nets_.push_back(net); }
  void exclude(const Ip6Key& addr) { excluded_.push_back(addr); }
  /// Sorts and deduplicates; the builder is empty afterwards.
  std::unique_ptr<Ip6TSet> build(DatasetMeta meta);

 private:
  StringPool pool_;
  HugeVector<std::uint64_t> nets_;
  std::vector<Ip6Key> excluded_;
  Value value_;
  bool has_value_ = false;
};

}  // namespace fastrbl::zones
