#pragma once
// Ip4TSet: rbldnsd's `ip4tset` dataset (compat §4.2): a set of single IPv4 addresses that
// all share one value (the first `:` line of the whole dataset).
//
// The index is one sorted array of distinct addresses (4 bytes per entry); a query is a
// binary search, an empty non-terminal (`3.2.1` under the zone) a lower_bound.
//
// Ownership: an Ip4TSet owns its array and the StringPool its Value and TxtVars point
// into, or views them in a store image (from_image) whose bytes it keeps alive. The builder is used by one
// loader thread and consumed by build(). Thread safety: a built Ip4TSet is immutable; query() may run on any
// number of threads.

#include "core/status.h"
#include "zones/dataset.h"
#include "zones/huge_pages.h"
#include "zones/image.h"
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

class Ip4TSet final : public Dataset {
 public:
  /// key.ip4 listed -> the shared value via out.add_a_txt (subject = dotted quad, TTL =
  /// meta().ttl); key.ip4_prefix_octets 1..3 -> true without records when a listed
  /// address lies under the prefix (RFC 8020). Anything else: false. No allocation.
  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  unsigned flags() const noexcept override { return kWantsIp4; }
  /// Distinct addresses (rbldnsd's `cnt=`).
  std::size_t entries() const noexcept override { return addrs_.size(); }
  std::size_t memory_bytes() const noexcept override;
  void dump(DumpWriter& out) const override;
  /// Writes the sections after the meta (docs/LMDB_SCHEMA.md).
  bool write_image(ImageWriter& out) const override;
  /// The dataset held by `image`, served from its bytes in place (kept alive by `owner`).
  /// Errors: "dataset image: ..." for sections that do not fit together.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);

  const Value& value() const noexcept { return value_; }
  /// "cnt=N".
  std::string stats() const;

 private:
  friend class Ip4TSetBuilder;
  explicit Ip4TSet(DatasetMeta meta) : Dataset(std::move(meta)) {}

  std::span<const std::uint32_t> addrs_;  // sorted, distinct: own_addrs_ or the image
  HugeVector<std::uint32_t> own_addrs_;
  Value value_;
  StringPool pool_;
};

/// Collects ip4tset addresses and the shared value. Build cost O(n log n).
class Ip4TSetBuilder {
 public:
  /// The pool the built dataset will own ($n/$= texts are interned here).
  StringPool& pool() noexcept { return pool_; }
  /// Sets the shared value, unless one was set before (the first `:` line wins).
  /// Returns false when it was already set. `txt` is copied.
  bool set_value(const std::array<std::uint8_t, 4>& a, std::string_view txt);
  void add(std::uint32_t addr) { addrs_.push_back(addr); }
  /// Sorts and deduplicates; the builder is empty afterwards.
  std::unique_ptr<Ip4TSet> build(DatasetMeta meta);

 private:
  StringPool pool_;
  HugeVector<std::uint32_t> addrs_;
  Value value_;
  bool has_value_ = false;
};

}  // namespace fastrbl::zones
