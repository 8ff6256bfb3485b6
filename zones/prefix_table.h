#pragma once
// PrefixTable: the flat, disjoint index behind rbldnsd's ip4trie and ip6trie (compat §4.3,
// §4.4), plus the address types and text forms the IP datasets share.
//
// rbldnsd keeps CIDR entries in a trie and answers with the longest matching prefix, an
// exclusion counting as a prefix. PrefixTableBuilder applies that rule once, over the whole
// address space, and produces the address space cut into runs: `starts` (sorted, the first
// address of each run, starts[0] == 0) and one result per run, a value id or kNone. A run
// that is excluded or covered by no entry is kNone, and neighbouring runs never share a
// result, so a kNone run is always followed by a listed one. A lookup is one search;
// "is anything listed in [lo, hi]" is the same search plus one comparison. The search runs
// in two levels: over every 16th start first (a copy small enough to stay in cache: 1/16
// of the starts), then within the one block of 16 starts that it picks, so that a lookup
// in a table of a million runs touches two or three cache lines of the full array instead
// of one per step of a plain binary search (bench_datasets, ip4trie and ip6trie).
//
// Ownership: plain vectors owned by the table, or views of a store image whose bytes the
// owning dataset keeps alive (from_image). Thread safety: a built table is immutable
// and may be read from any number of threads; the builder is for one thread.

#include "core/dns.h"
#include "core/status.h"
#include "zones/answer_sink.h"
#include "zones/dataset.h"
#include "zones/huge_pages.h"
#include "zones/image.h"
#include "zones/string_pool.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fastrbl::zones {

/// An IPv6 address as two host-order halves (hi holds the first 8 bytes).
struct Ip6Key {
  std::uint64_t hi = 0;
  std::uint64_t lo = 0;
  friend bool operator==(const Ip6Key& a, const Ip6Key& b) noexcept { return a.hi == b.hi && a.lo == b.lo; }
  friend bool operator<(const Ip6Key& a, const Ip6Key& b) noexcept {
    return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
  }
  friend bool operator<=(const Ip6Key& a, const Ip6Key& b) noexcept { return !(b < a); }
};

/// The 16 network-order bytes of an address as an Ip6Key (inline: every IPv6 lookup).
inline Ip6Key ip6_key(const std::array<std::uint8_t, 16>& a) noexcept {
  Ip6Key k;
  k.hi = std::uint64_t{core::load_u32(a.data())} << 32 | core::load_u32(a.data() + 4);
  k.lo = std::uint64_t{core::load_u32(a.data() + 8)} << 32 | core::load_u32(a.data() + 12);
  return k;
}
/// The bytes of `k` in network order.
std::array<std::uint8_t, 16> ip6_bytes(const Ip6Key& k) noexcept;

/// Address arithmetic for the two address widths.
template <class A>
struct AddrTraits;

template <>
struct AddrTraits<std::uint32_t> {
  static constexpr int kBits = 32;
  static constexpr std::uint32_t max() noexcept { return 0xffffffffu; }
  static constexpr std::uint32_t next(std::uint32_t a) noexcept { return a + 1; }
  static constexpr std::uint32_t prev(std::uint32_t a) noexcept { return a - 1; }
  /// The last address of the /bits prefix starting at `a`. Requires: 0 <= bits <= 32.
  static constexpr std::uint32_t last(std::uint32_t a, int bits) noexcept {
    return bits == 0 ? 0xffffffffu : a | ((std::uint32_t{1} << (32 - bits)) - 1u);
  }
};

template <>
struct AddrTraits<Ip6Key> {
  static constexpr int kBits = 128;
  static constexpr Ip6Key max() noexcept { return {~std::uint64_t{0}, ~std::uint64_t{0}}; }
  static constexpr Ip6Key next(Ip6Key a) noexcept {
    return a.lo == ~std::uint64_t{0} ? Ip6Key{a.hi + 1, 0} : Ip6Key{a.hi, a.lo + 1};
  }
  static constexpr Ip6Key prev(Ip6Key a) noexcept {
    return a.lo == 0 ? Ip6Key{a.hi - 1, ~std::uint64_t{0}} : Ip6Key{a.hi, a.lo - 1};
  }
  /// The last address of the /bits prefix starting at `a`. Requires: 0 <= bits <= 128.
  static constexpr Ip6Key last(Ip6Key a, int bits) noexcept {
    constexpr std::uint64_t kAll = ~std::uint64_t{0};
    if (bits >= 128) return a;
    if (bits > 64) return {a.hi, a.lo | ((std::uint64_t{1} << (128 - bits)) - 1u)};
    if (bits == 64) return {a.hi, kAll};
    if (bits == 0) return {kAll, kAll};
    return {a.hi | ((std::uint64_t{1} << (64 - bits)) - 1u), kAll};
  }
};

/// Writes the dotted quad of `addr` (host order); returns the length (at most 15).
std::size_t format_ip4(std::uint32_t addr, std::array<char, 16>& out) noexcept;
/// Writes rbldnsd's IPv6 text: lowercase hex groups without leading zeros, the first
/// longest run of two or more zero groups as `::`, never a dotted-quad tail. Returns the
/// length (at most 39).
std::size_t format_ip6(const std::array<std::uint8_t, 16>& a, std::array<char, 40>& out) noexcept;

/// The TXT subject (`$`) of a listed address, in `buf`: its text when `out` wants TXT
/// records, else empty (an A query never reads it, so the address is not formatted).
inline std::string_view txt_subject(const AnswerSink& out, std::uint32_t addr,
                                    std::array<char, 16>& buf) noexcept {
  return {buf.data(), out.wants_txt() ? format_ip4(addr, buf) : 0};
}
inline std::string_view txt_subject(const AnswerSink& out, const std::array<std::uint8_t, 16>& addr,
                                    std::array<char, 40>& buf) noexcept {
  return {buf.data(), out.wants_txt() ? format_ip6(addr, buf) : 0};
}

template <class A>
class PrefixTable {
 public:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();

  PrefixTable() = default;
  // Moves keep the views valid (a vector's buffer moves with it); a copy would not.
  PrefixTable(PrefixTable&&) noexcept = default;
  PrefixTable& operator=(PrefixTable&&) noexcept = default;
  PrefixTable(const PrefixTable&) = delete;
  PrefixTable& operator=(const PrefixTable&) = delete;

  /// Starts per block of the two-level search (see the file comment).
  static constexpr std::size_t kBlock = 16;

  /// The value id of the longest prefix covering `a`, or kNone (excluded or not covered).
  std::uint32_t lookup(const A& a) const noexcept {
    if (starts_v_.empty()) return kNone;
    return results_v_[run_of(a)];
  }
  /// True if some address in [lo, hi] is listed. Requires: lo <= hi.
  bool any_listed(const A& lo, const A& hi) const noexcept {
    if (starts_v_.empty()) return false;
    const std::size_t i = run_of(lo);
    if (results_v_[i] != kNone) return true;
    // A kNone run is followed by a listed run.
    return i + 1 < starts_v_.size() && starts_v_[i + 1] <= hi;
  }
  std::size_t runs() const noexcept { return starts_v_.size(); }
  /// Calls fn(first, last, value_id) for every listed run, in address order (for dumps).
  template <class F>
  void for_each_listed(F&& fn) const {
    for (std::size_t i = 0; i < starts_v_.size(); ++i) {
      if (results_v_[i] == kNone) continue;
      const A last = i + 1 < starts_v_.size() ? AddrTraits<A>::prev(starts_v_[i + 1]) : AddrTraits<A>::max();
      fn(starts_v_[i], last, results_v_[i]);
    }
  }
  std::size_t memory_bytes() const noexcept {
    return starts_.capacity() * sizeof(A) + results_.capacity() * sizeof(std::uint32_t) +
           top_.capacity() * sizeof(A);
  }

  /// Adds two sections: the run starts and the results, as they are.
  void write_image(ImageWriter& out) const {
    out.add_array(starts_v_);
    out.add_array(results_v_);
  }
  /// Views sections `first` and `first + 1` of `image` in place (the bytes must outlive the
  /// table). Checks what lookup() relies on: equal lengths, starts ascending from the
  /// lowest address, every result below `values` or kNone.
  core::Status from_image(const ImageView& image, std::size_t first, std::size_t values) {
    std::span<const A> starts;
    std::span<const std::uint32_t> results;
    if (core::Status st = view_array(image, first, &starts); !st.is_ok()) return st;
    if (core::Status st = view_array(image, first + 1, &results); !st.is_ok()) return st;
    if (starts.size() != results.size() || (!starts.empty() && !(starts[0] == A{})) ||
        !strictly_ascending(starts))
      return core::Status::error("dataset image: prefix table runs do not fit");
    for (std::uint32_t r : results)
      if (r != kNone && r >= values)
        return core::Status::error("dataset image: prefix table value out of bounds");
    starts_.clear();
    results_.clear();
    starts_v_ = starts;
    results_v_ = results;
    build_top();
    return core::Status::ok();
  }

 private:
  template <class>
  friend class PrefixTableBuilder;
  void bind() {
    starts_v_ = starts_;
    results_v_ = results_;
    build_top();
  }
  // top_[j] = starts_v_[j * kBlock]: the first level of the search (derived, not stored in
  // images).
  void build_top() {
    top_.clear();
    top_.reserve((starts_v_.size() + kBlock - 1) / kBlock);
    for (std::size_t i = 0; i < starts_v_.size(); i += kBlock) top_.push_back(starts_v_[i]);
  }
  // The index of the run holding `a`. Requires: a non-empty table (starts_v_[0] == 0 <= a).
  std::size_t run_of(const A& a) const noexcept {
    const std::size_t block =
        static_cast<std::size_t>(std::upper_bound(top_.begin(), top_.end(), a) - top_.begin()) - 1;
    const auto first = starts_v_.begin() + static_cast<std::ptrdiff_t>(block * kBlock);
    const auto last = starts_v_.end() - first > static_cast<std::ptrdiff_t>(kBlock)
                          ? first + static_cast<std::ptrdiff_t>(kBlock)
                          : starts_v_.end();
    return static_cast<std::size_t>(std::upper_bound(first, last, a) - starts_v_.begin()) - 1;
  }

  HugeVector<A> starts_;  // storage of a table built here (empty for an image)
  HugeVector<std::uint32_t> results_;
  std::span<const A> starts_v_;  // what lookups read: the vectors, or an image
  std::span<const std::uint32_t> results_v_;
  HugeVector<A> top_;  // every kBlock-th start, from starts_v_
};

/// Collects (prefix, bits, result) entries, without duplicates, and resolves them by
/// longest prefix. Requires of every entry: the host bits of `first` are zero.
template <class A>
class PrefixTableBuilder {
 public:
  using Traits = AddrTraits<A>;
  static constexpr std::uint32_t kNone = PrefixTable<A>::kNone;

  /// `result` is a value id, or kNone for an exclusion. Requires: the same (first, bits)
  /// was not added before (the caller keeps rbldnsd's "first one wins").
  void add(const A& first, int bits, std::uint32_t result) {
    entries_.push_back(Entry{first, Traits::last(first, bits), bits, result});
  }
  std::size_t size() const noexcept { return entries_.size(); }

  /// Builds the table; the builder is empty afterwards. O(n log n).
  PrefixTable<A> build() {
    std::sort(entries_.begin(), entries_.end(), [](const Entry& x, const Entry& y) {
      return x.first < y.first || (x.first == y.first && x.bits < y.bits);
    });
    PrefixTable<A> t;
    A cur{};
    bool done = false;  // the whole space is covered (cur would wrap)
    auto fill_to = [&](const A& last, std::uint32_t res) {
      if (done || last < cur) return;
      if (t.results_.empty() || t.results_.back() != res) {
        t.starts_.push_back(cur);
        t.results_.push_back(res);
      }
      if (last == Traits::max())
        done = true;
      else
        cur = Traits::next(last);
    };
    // CIDR blocks are nested or disjoint: a stack of the open ones, innermost on top.
    std::vector<const Entry*> open;
    for (const Entry& e : entries_) {
      while (!open.empty() && open.back()->last < e.first) {
        fill_to(open.back()->last, open.back()->result);
        open.pop_back();
      }
      if (!done && cur < e.first) fill_to(Traits::prev(e.first), open.empty() ? kNone : open.back()->result);
      open.push_back(&e);
    }
    while (!open.empty()) {
      fill_to(open.back()->last, open.back()->result);
      open.pop_back();
    }
    fill_to(Traits::max(), kNone);
    t.starts_.shrink_to_fit();
    t.results_.shrink_to_fit();
    t.bind();
    std::vector<Entry>().swap(entries_);
    return t;
  }

 private:
  struct Entry {
    A first;
    A last;
    int bits;
    std::uint32_t result;
  };
  std::vector<Entry> entries_;
};

/// What ip4trie and ip6trie builders share: rbldnsd's "same prefix twice: the first one
/// wins" bookkeeping, interned values and the PrefixTableBuilder.
template <class A>
class PrefixDatasetBuilder {
 public:
  /// The pool the built dataset will own ($n/$= texts and TXT templates).
  StringPool& pool() noexcept { return pool_; }

  /// Adds a listing with value (a, txt), or an exclusion when `excluded`. Returns false,
  /// adding nothing, when the same (first, bits) was added before (rbldnsd's
  /// `duplicated entry`). Requires: the host bits of `first` are zero.
  bool add(const A& first, int bits, bool excluded, const std::array<std::uint8_t, 4>& a,
           std::string_view txt) {
    if (!seen_.emplace(first, bits).second) return false;
    table_.add(first, bits, excluded ? PrefixTable<A>::kNone : intern(a, txt));
    return true;
  }
  /// Distinct prefixes added, exclusions included (rbldnsd's `ents=`).
  std::size_t entries() const noexcept { return seen_.size(); }

  /// The parts of the dataset; the builder is empty afterwards.
  struct Parts {
    PrefixTable<A> table;
    std::vector<Value> values;
    StringPool pool;
    std::size_t entries = 0;
  };
  Parts take() {
    Parts p;
    p.entries = seen_.size();
    p.table = table_.build();
    p.values = std::move(values_);
    p.values.shrink_to_fit();
    p.pool = std::move(pool_);
    std::set<std::pair<A, int>>().swap(seen_);
    ids_.clear();
    values_.clear();
    pool_ = StringPool();
    return p;
  }

 private:
  std::uint32_t intern(const std::array<std::uint8_t, 4>& a, std::string_view txt) {
    auto [it, inserted] =
        ids_.emplace(std::make_pair(a, std::string(txt)), static_cast<std::uint32_t>(values_.size()));
    if (inserted) {
      Value v;
      v.a = a;
      v.txt = pool_.intern(txt);
      values_.push_back(v);
    }
    return it->second;
  }

  StringPool pool_;
  std::vector<Value> values_;
  std::map<std::pair<std::array<std::uint8_t, 4>, std::string>, std::uint32_t> ids_;
  std::set<std::pair<A, int>> seen_;
  PrefixTableBuilder<A> table_;
};

/// rbldnsd's trie statistics line, `ents=N tbm=.. lc=.. mem=..k free=.. waste=..`: ents is
/// exact; there are no trie nodes here, so tbm, lc, free and waste are 0 and mem is the
/// index's size.
std::string prefix_stats(std::size_t entries, std::size_t memory_bytes);

/// What the ip4trie and ip6trie datasets share: the table, the values and the pool they
/// point into, the entry count, and their store image (section 1 the entry count, 2-3 the
/// table, 4-5 the values; section 0 is the meta, written by the caller of write_image).
/// The derived class answers queries and dumps; it makes PrefixDatasetBuilder<A>'s parts
/// its own with adopt().
template <class A>
class PrefixDataset : public Dataset {
 public:
  /// Distinct prefixes as loaded, exclusions included (rbldnsd's `ents=`).
  std::size_t entries() const noexcept override { return entries_; }
  std::size_t memory_bytes() const noexcept override {
    return table_.memory_bytes() + values_.capacity() * sizeof(Value) + pool_.bytes();
  }
  /// Runs in the flat table.
  std::size_t runs() const noexcept { return table_.runs(); }
  /// See prefix_stats().
  std::string stats() const { return prefix_stats(entries_, memory_bytes()); }

 protected:
  explicit PrefixDataset(DatasetMeta meta) : Dataset(std::move(meta)) {}

  void adopt(typename PrefixDatasetBuilder<A>::Parts p) {
    table_ = std::move(p.table);
    values_ = std::move(p.values);
    pool_ = std::move(p.pool);
    entries_ = p.entries;
  }
  void write_prefix_image(ImageWriter& out, ImageType type) const {
    out.set_type(type);
    ByteWriter sc;
    sc.u64(entries_);
    out.add(sc.bytes());
    table_.write_image(out);
    write_values(out, values_);
  }
  /// Views what write_prefix_image() wrote, keeping `owner` (the bytes) alive; `name` is
  /// the type for messages.
  core::Status read_prefix_image(const ImageView& image, std::shared_ptr<const void> owner,
                                 const char* name) {
    backing_ = std::move(owner);
    if (image.sections() != 6)
      return core::Status::error(std::string("dataset image: ") + name + " has the wrong number of sections");
    ByteReader sc(image.section(1));
    entries_ = static_cast<std::size_t>(sc.u64());
    if (sc.failed() || !sc.at_end())
      return core::Status::error(std::string("dataset image: ") + name + " scalars do not parse");
    if (core::Status st = read_values(image, 4, &values_); !st.is_ok()) return st;
    return table_.from_image(image, 2, values_.size());
  }

  PrefixTable<A> table_;
  std::vector<Value> values_;
  StringPool pool_;
  std::size_t entries_ = 0;
};

}  // namespace fastrbl::zones
