#pragma once
// Ip4Set: rbldnsd's `ip4set` dataset (compat §4.1), resolved at build time into a flat,
// disjoint index so that a query is one search over sorted intervals (or one bitmap
// membership test when every listed address has the same values).
//
// rbldnsd stores every entry as octet-aligned /32, /24, /16 or /8 blocks; for an address
// the most specific level that has ANY block decides, an exclusion there means "not
// listed", otherwise every distinct value at that level is returned. Ip4SetBuilder applies
// these rules once, over the whole address space, and produces:
//   * one CRoaring bitmap of all listed addresses (run-optimised), and
//   * the listed addresses as sorted disjoint intervals (start, and length capped at 2^16),
//     each mapped to a value set (an interned list of distinct Values); omitted when every
//     listed address has the same value set. A lookup searches them alone; the bitmap
//     answers the lookups of a set without intervals (and deep in an interval longer than
//     2^16), prefix (empty non-terminal) queries, dumps and statistics.
// Memory is a few compact arrays; there are no per-entry heap nodes. A set opened from a
// store image (from_image) serves the bitmap and the arrays from the image bytes in place.
//
// Ownership: an Ip4Set owns its bitmap, arrays and the StringPool its Values and TxtVars
// point into, or holds the image bytes they view (Dataset::backing_). The builder is used by one loader
// thread and consumed by build(). Thread safety: a built Ip4Set is immutable; query() may run on any number
// of threads.

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

struct roaring_bitmap_s;

namespace fastrbl::zones {

/// Blocks per octet level after rbldnsd's duplicate removal: [0] /32, [1] /24, [2] /16,
/// [3] /8. This is what rbldnsd prints as `e32/24/16/8=a/b/c/d`.
struct Ip4SetStats {
  std::array<std::size_t, 4> blocks{};
  /// "e32/24/16/8=a/b/c/d".
  std::string to_string() const;
};

class Ip4Set final : public Dataset {
 public:
  ~Ip4Set() override;
  Ip4Set(const Ip4Set&) = delete;
  Ip4Set& operator=(const Ip4Set&) = delete;

  /// key.ip4: listed -> adds A (and expanded TXT) of every value at that address via
  /// out.add_a_txt, subject = the dotted quad, TTL = meta().ttl; returns true.
  /// key.ip4_prefix_octets 1..3: true (no records) iff a listed address lies under the
  /// prefix (RFC 8020 empty non-terminal). The zone apex and other names: false.
  /// No allocation, no locks.
  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  unsigned flags() const noexcept override { return kWantsIp4; }

  /// find(): not listed.
  static constexpr std::uint32_t kNotListed = 0xffffffffu;
  /// find(): listed, but no value set is known (only with inconsistent image data).
  static constexpr std::uint32_t kNoValues = 0xfffffffeu;
  /// The value set of the listed address `addr` (host order), or kNotListed. What query()
  /// does for key.ip4, without a QueryKey (the query path's fast path calls it). Inline:
  /// the call and its register saves cost a fifth of the lookup.
  std::uint32_t find(std::uint32_t addr) const noexcept;
  /// Adds the A (and expanded TXT) of every value of `set` (a find() result other than
  /// kNotListed) for `addr` to `out`, as query() does for a listed address.
  void emit(std::uint32_t set, std::uint32_t addr, AnswerSink& out) const noexcept;
  /// The value of `set` (a find() result other than kNotListed) when it is its only one,
  /// else null: what emit() writes alone (the query path's one-record answers).
  const Value* only_value(std::uint32_t set) const noexcept {
    if (set == kNoValues || set_offsets_[set + 1] - set_offsets_[set] != 1) return nullptr;
    return &values_[set_values_[set_offsets_[set]]];
  }
  /// Blocks as loaded (the sum of the four rbldnsd counters, exclusions included).
  std::size_t entries() const noexcept override;
  std::size_t memory_bytes() const noexcept override;
  /// The listed addresses after conflict resolution, as disjoint octet-aligned blocks
  /// (dump_ip4_range), every value of each; no exclusions are needed.
  void dump(DumpWriter& out) const override;
  /// Sections: scalars, the frozen bitmap, interval starts, interval set ids, set offsets,
  /// set members, values, TXT bytes (docs/LMDB_SCHEMA.md).
  bool write_image(ImageWriter& out) const override;
  /// The dataset held by `image` (checked by ImageView::open), with `meta` from its meta
  /// section. The bitmap and every array are served from the image bytes in place (the
  /// values are rebuilt on the heap: a few per distinct A+TXT). `owner` keeps the bytes
  /// alive. Errors: "dataset image: ..." for sections that do not fit together.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);

  const Ip4SetStats& stats() const noexcept { return stats_; }
  /// Number of listed addresses after conflict resolution.
  std::uint64_t listed_addresses() const noexcept;
  /// Number of disjoint listed intervals.
  std::size_t intervals() const noexcept { return intervals_; }
  /// Number of distinct values / value sets.
  std::size_t value_count() const noexcept { return values_.size(); }
  std::size_t value_set_count() const noexcept { return value_sets_; }

 private:
  friend class Ip4SetBuilder;
  explicit Ip4Set(DatasetMeta meta);
  std::uint32_t run_end(std::uint32_t first, std::uint32_t limit) const;

  // Points the query views at the own_* vectors (a dataset built from text).
  void bind_own() noexcept;
  // Builds container_at_ and start_bucket_ for a large set and, for an image, extents_ (after
  // the views are bound). `image`: when opening from one, what the walk over the starts
  // read is released. False when the starts are not increasing or do not begin runs of
  // the bitmap (an image that does not fit together).
  bool build_index(const ImageView* image = nullptr);
  // Whether `a` is listed: the bitmap, through container_at_ when there is one.
  bool contains(std::uint32_t a) const noexcept;
  // find() for `addr` more than kLongExtent past the start of interval i, that long: the
  // bitmap decides (out of line, so that find() saves no registers for the call).
  [[gnu::noinline]] std::uint32_t find_long(std::uint32_t addr, std::size_t i) const noexcept;
  // The value-set id of interval i (starts_ non-empty).
  std::uint32_t interval_set(std::size_t i) const noexcept {
    return set_width_ == 1 ? interval_set8_[i] : set_width_ == 2 ? interval_set16_[i] : interval_set32_[i];
  }

  // What query() reads: views of the own_* vectors, or of the image bytes (backing_).
  const roaring_bitmap_s* listed_ = nullptr;  // owned (roaring_bitmap_free); a frozen view for an image
  std::span<const std::uint32_t> starts_;     // first address of each listed interval
  // Value-set id of each interval, in the narrowest width that holds every id (only one
  // of the three is used): most datasets have few value sets.
  std::span<const std::uint8_t> interval_set8_;
  std::span<const std::uint16_t> interval_set16_;
  std::span<const std::uint32_t> interval_set32_;
  std::uint8_t set_width_ = 0;  // bytes of the one interval_set*_ in use (0: starts_ is empty)
  std::uint32_t only_set_ = 0;  // used when starts_ is empty (one value set)
  std::size_t intervals_ = 0;
  std::size_t value_sets_ = 0;
  std::span<const std::uint32_t> set_offsets_;  // set s holds set_values_[off[s], off[s+1])
  std::span<const std::uint32_t> set_values_;   // indexes into values_
  std::vector<Value> values_;                   // txt views point into pool_ or the image
  // Storage of a dataset built from text (empty for an image).
  HugeVector<std::uint32_t> own_starts_;
  HugeVector<std::uint8_t> own_set8_;
  HugeVector<std::uint16_t> own_set16_;
  HugeVector<std::uint32_t> own_set32_;
  std::vector<std::uint32_t> own_offsets_;
  std::vector<std::uint32_t> own_members_;
  StringPool pool_;
  Ip4SetStats stats_;
  // Direct indexes by the top bits of an address, for large sets only (empty otherwise;
  // built on the heap, also for an image; huge pages, see huge_pages.h). container_at_[h]
  // (128 KiB, only for a set without intervals) is the index of the bitmap's container
  // for key h, the top 16 bits (0 if none: the key is checked); start_bucket_[h] the first
  // interval whose start's top 32 - bucket_shift_ bits (16 to 22, as many as keep about
  // two intervals a bucket) are >= h (2^(32 - bucket_shift_) + 1 entries).
  std::vector<std::uint16_t> container_at_;
  HugeVector<std::uint32_t> start_bucket_;
  unsigned bucket_shift_ = 16;
  // Each interval's last address minus its first, at most kLongExtent (starts_.size()
  // entries, none when starts_ is empty; on the heap, also for an image: known to the
  // builder, derived from the bitmap when an image is opened). With it, find() decides
  // "listed" and "which value set" in one search over the intervals; only an address more
  // than kLongExtent past the start of an interval that long asks the bitmap.
  // When every interval is a single address (a list of /32s, the usual kind), the extents
  // are all 0 and not kept: extent_at_ then points at one 0 and extent_mask_ is 0, so
  // that extent(i) reads that one (no array, and no cache line to fetch per lookup).
  static constexpr std::uint32_t kLongExtent = 0xffff;
  static constexpr std::uint16_t kSingleExtent[1] = {0};
  HugeVector<std::uint16_t> extents_;
  const std::uint16_t* extent_at_ = kSingleExtent;
  std::size_t extent_mask_ = 0;
  std::uint32_t extent(std::size_t i) const noexcept { return extent_at_[i & extent_mask_]; }
};

namespace detail {

/// In the sorted base[0, n), n >= 1: the last element <= key, or base[0] when every one is
/// above it (the caller tells the two apart by comparing). A branch-free binary search:
/// cheaper than std::upper_bound's on the few dozen elements of a container or a bucket.
template <class T, class K>
inline const T* last_at_or_below(const T* base, std::size_t n, K key) noexcept {
  while (n > 1) {
    const std::size_t half = n >> 1;
    base = base[half] <= key ? base + half : base;
    n -= half;
  }
  return base;
}

}  // namespace detail

[[gnu::always_inline]] inline std::uint32_t Ip4Set::find(std::uint32_t addr) const noexcept {
  if (set_width_ == 0) return contains(addr) ? only_set_ : kNotListed;
  // The interval that may hold the address is the last one starting at or below it. With
  // buckets, that is in the address's bucket or the one before it: every start of an
  // earlier bucket is below the address, every start of a later one above.
  const std::uint32_t* const s = starts_.data();
  const std::uint32_t* base = s;
  std::size_t n = starts_.size();
  if (!start_bucket_.empty()) {
    const std::size_t h = addr >> bucket_shift_;
    base = s + start_bucket_[h];
    n = start_bucket_[h + 1] - start_bucket_[h];
  }
  // k: the number of starts at or below the address (a branch-free binary search).
  auto k = static_cast<std::size_t>(base - s);
  if (n != 0) {
    base = detail::last_at_or_below(base, n, addr);
    k = static_cast<std::size_t>(base - s) + (*base <= addr ? 1 : 0);
  }
  if (k == 0) return kNotListed;
  // Past the interval's extent: not listed, unless the interval is longer than its extent
  // says (kLongExtent, rare: 65536 addresses or more), when the bitmap knows.
  const std::uint32_t off = addr - s[k - 1];
  const std::uint32_t ext = extent(k - 1);
  if (off > ext) return ext == kLongExtent ? find_long(addr, k - 1) : kNotListed;
  return interval_set(k - 1);
}

/// Collects rbldnsd ip4set entries and builds an Ip4Set.
///
/// Values are registered with add_value(), which hands out a value *instance*. Instances
/// model rbldnsd's value pointers: consecutive identical values share one instance (its
/// mp_dmemdup), and rbldnsd removes duplicates only between adjacent instances at one
/// address. That only affects the block counters (stats), never the answers: answers are
/// deduplicated by content. Build cost: O(n log n) in the number of blocks.
class Ip4SetBuilder {
 public:
  using Instance = std::uint32_t;

  Ip4SetBuilder();
  Ip4SetBuilder(const Ip4SetBuilder&) = delete;
  Ip4SetBuilder& operator=(const Ip4SetBuilder&) = delete;

  /// The pool the built dataset will own; the loader interns `$n`/`$=` texts here so
  /// that DatasetMeta::txt can point into it.
  StringPool& pool() noexcept { return pool_; }

  /// rbldnsd's built-in default value (A 127.0.0.2, no TXT).
  Instance default_instance() const noexcept { return kBuiltinDefault; }
  /// Registers a value read from data. Returns the previous instance when the value
  /// equals the last one registered (content comparison), else a new instance.
  /// `txt` is copied. Requires: txt.size() <= 255.
  Instance add_value(const std::array<std::uint8_t, 4>& a, std::string_view txt);

  /// Adds the inclusive range [first, last] with value `v`, split into octet-aligned
  /// blocks exactly as rbldnsd does. Requires: first <= last.
  void add(std::uint32_t first, std::uint32_t last, Instance v);
  /// Adds an exclusion for [first, last]. Requires: first <= last.
  void exclude(std::uint32_t first, std::uint32_t last);

  /// Resolves conflicts and builds the dataset. `meta.txt` may point into pool(), which
  /// moves into the result. The builder is empty afterwards.
  std::unique_ptr<Ip4Set> build(DatasetMeta meta);

 private:
  static constexpr Instance kExclusion = 0;
  static constexpr Instance kBuiltinDefault = 1;

  void add_blocks(Instance v, std::uint32_t first, std::uint32_t last);
  void push(unsigned level, std::uint32_t addr, std::uint32_t count, Instance v);
  std::uint32_t intern_value(const std::array<std::uint8_t, 4>& a, std::string_view txt);

  StringPool pool_;
  std::vector<Value> values_;                         // content-distinct values
  std::vector<std::uint32_t> slots_;                  // hash of values_: id + 1, 0 = empty
  std::vector<std::uint32_t> instance_value_;         // instance -> value id
  Instance last_instance_ = kExclusion;               // none yet
  std::array<std::vector<std::uint64_t>, 4> blocks_;  // (addr << 32) | instance, per level
};

}  // namespace fastrbl::zones
