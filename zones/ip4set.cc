#include "zones/ip4set.h"

#include "zones/answer_sink.h"
#include "zones/dump.h"

#include <roaring/roaring.h>

#include <algorithm>
#include <functional>
#include <limits>
#include <map>

namespace fastrbl::zones {
namespace {

constexpr std::uint32_t kExcludedSet = std::numeric_limits<std::uint32_t>::max();

// A run of addresses [lo, hi] with one outcome: a value-set id or kExcludedSet.
struct Span {
  std::uint32_t lo;
  std::uint32_t hi;
  std::uint32_t res;
};

void emit(std::vector<Span>& out, const Span& s) {
  if (!out.empty()) {
    Span& b = out.back();
    if (b.res == s.res && b.hi != std::numeric_limits<std::uint32_t>::max() && b.hi + 1 == s.lo) {
      b.hi = s.hi;
      return;
    }
  }
  out.push_back(s);
}

// Lays `fine` over `base` (both sorted and disjoint): where they overlap, fine wins. This
// is rbldnsd's "the most specific level that has any entry decides".
std::vector<Span> overlay(const std::vector<Span>& base, const std::vector<Span>& fine) {
  std::vector<Span> out;
  out.reserve(base.size() + fine.size());
  const std::size_t nb = base.size(), nf = fine.size();
  std::size_t i = 0, j = 0;
  std::uint32_t cur = nb != 0 ? base[0].lo : 0;  // start of what is left of base[i]
  while (i < nb || j < nf) {
    if (j == nf) {
      emit(out, {cur, base[i].hi, base[i].res});
      if (++i < nb) cur = base[i].lo;
      continue;
    }
    if (i == nb) {
      emit(out, fine[j++]);
      continue;
    }
    const Span& b = base[i];
    const Span& f = fine[j];
    if (b.hi < f.lo) {
      emit(out, {cur, b.hi, b.res});
      if (++i < nb) cur = base[i].lo;
      continue;
    }
    if (f.hi < cur) {
      emit(out, f);
      ++j;
      continue;
    }
    if (cur < f.lo) emit(out, {cur, f.lo - 1, b.res});
    emit(out, f);
    ++j;
    if (f.hi >= b.hi) {
      ++i;
      while (i < nb && base[i].hi <= f.hi) ++i;
      if (i < nb) cur = std::max(base[i].lo, f.hi + 1);  // base[i].hi > f.hi: no overflow
    } else {
      cur = f.hi + 1;
    }
  }
  return out;
}

std::size_t value_hash(const std::array<std::uint8_t, 4>& a, std::string_view txt) noexcept {
  const std::uint64_t av =
      (std::uint64_t{a[0]} << 24) | (std::uint64_t{a[1]} << 16) | (std::uint64_t{a[2]} << 8) | a[3];
  return static_cast<std::size_t>((std::hash<std::string_view>{}(txt) ^ av) * 0x9e3779b97f4a7c15ULL);
}

std::uint32_t to_u32(std::size_t n) { return static_cast<std::uint32_t>(n); }

}  // namespace

std::string Ip4SetStats::to_string() const {
  return "e32/24/16/8=" + std::to_string(blocks[0]) + "/" + std::to_string(blocks[1]) + "/" +
         std::to_string(blocks[2]) + "/" + std::to_string(blocks[3]);
}

// ---------------------------------------------------------------------------------------
// Ip4Set

Ip4Set::Ip4Set(DatasetMeta meta) : Dataset(std::move(meta)) {}

Ip4Set::~Ip4Set() {
  if (listed_ != nullptr) roaring_bitmap_free(listed_);
}

// Large sets get a direct index by the top 16 bits of an address (build_index()); small
// ones are searched as they are (a few binary-search steps over cached data).
constexpr std::size_t kIndexMinContainers = 1024;
constexpr std::size_t kIndexMinStarts = 4096;
// Buckets by the top 16 to kMaxBucketBits bits of an address: the fewest bits that leave
// fewer than kBucketLoad intervals per bucket on average (a 4-byte slot per bucket, so at
// most 4 * 2 / kBucketLoad bytes per interval above 2^16 of them).
constexpr unsigned kMaxBucketBits = 22;
constexpr std::size_t kBucketLoad = 2;

bool Ip4Set::build_index(const ImageView* image) {
  const roaring_array_t& ra = listed_->high_low_container;
  const std::size_t n = starts_.size();
  const bool need_extents = n != 0 && extents_.empty();
  // container_at_ serves contains(): find() of a set without intervals, and deriving the
  // extents.
  if (static_cast<std::size_t>(ra.size) >= kIndexMinContainers && (n == 0 || need_extents)) {
    // Slot h holds the index of the container whose key is h, else 0; query() checks the
    // key, so a 0 for "absent" is exact.
    container_at_.assign(std::size_t{1} << 16, 0);
    for (std::int32_t i = 0; i < ra.size; ++i) container_at_[ra.keys[i]] = static_cast<std::uint16_t>(i);
  }
  // One walk over the starts: the interval extents (an image: from the bitmap, whose listed
  // addresses from a start to the next start are a run from that start) and the buckets.
  if (need_extents) extents_.resize(n);
  const bool bucketed = n >= kIndexMinStarts;
  unsigned bits = 16;
  while (bits < kMaxBucketBits && (n >> bits) >= kBucketLoad) ++bits;
  bucket_shift_ = 32 - bits;
  if (bucketed) start_bucket_.resize((std::size_t{1} << bits) + 1);
  std::size_t h = 0;         // start_bucket_[0, h) set
  std::size_t released = 0;  // starts_[0, released) dropped from the page tables
  constexpr std::size_t kStretch = kReleaseStretch / sizeof(std::uint32_t);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t s = starts_[i];
    if (need_extents) {
      const std::uint64_t next = i + 1 < n ? std::uint64_t{starts_[i + 1]} : std::uint64_t{1} << 32;
      if (next <= s || !contains(s)) return false;
      std::uint64_t ext = 0;  // the usual single address: its successor is not listed
      if (std::uint64_t{s} + 1 < next && contains(s + 1)) {
        // Listed addresses in [s, s + kLongExtent] (no further: the extent is capped there).
        const std::uint64_t end = std::min<std::uint64_t>(next, std::uint64_t{s} + kLongExtent + 1);
        ext = roaring_bitmap_range_cardinality(listed_, s, end) - 1;
      }
      extents_[i] = static_cast<std::uint16_t>(ext);
    }
    // start_bucket_[k]: the first interval whose start's top bits are >= k.
    if (bucketed)
      for (; h <= (s >> bucket_shift_); ++h) start_bucket_[h] = static_cast<std::uint32_t>(i);
    if (image != nullptr && i + 1 - released >= kStretch) {
      image->release({reinterpret_cast<const std::uint8_t*>(starts_.data() + released),
                      (i + 1 - released) * sizeof(std::uint32_t)});
      released = i + 1;
    }
  }
  if (bucketed)
    for (; h <= (std::size_t{1} << bits); ++h) start_bucket_[h] = static_cast<std::uint32_t>(n);
  if (n != 0 && !container_at_.empty()) std::vector<std::uint16_t>().swap(container_at_);  // served its turn
  if (std::all_of(extents_.begin(), extents_.end(), [](std::uint16_t e) { return e == 0; })) {
    HugeVector<std::uint16_t>().swap(extents_);  // single addresses only (see extent())
    extent_at_ = kSingleExtent;
    extent_mask_ = 0;
  } else {
    extent_at_ = extents_.data();
    extent_mask_ = ~std::size_t{0};
  }
  return true;
}

bool Ip4Set::contains(std::uint32_t a) const noexcept {
  if (container_at_.empty()) return roaring_bitmap_contains(listed_, a);
  const auto hi = static_cast<std::uint16_t>(a >> 16);
  const roaring_array_t& ra = listed_->high_low_container;
  const std::uint16_t i = container_at_[hi];
  if (static_cast<std::int32_t>(i) >= ra.size || ra.keys[i] != hi) return false;
  std::uint8_t type = 0;
  const void* c = container_unwrap_shared(ra_get_container_at_index(&ra, i, &type), &type);
  const auto low = static_cast<std::uint16_t>(a);
  if (type == ARRAY_CONTAINER_TYPE_CODE) {
    // The usual container of a large set of scattered addresses (a few dozen values):
    // a branch-free binary search, cheaper than CRoaring's search-then-scan.
    const auto* ac = static_cast<const array_container_t*>(c);
    if (ac->cardinality <= 0) return false;
    return *detail::last_at_or_below(ac->array, static_cast<std::size_t>(ac->cardinality), low) == low;
  }
  return container_contains(c, low, type);
}

std::uint32_t Ip4Set::find_long(std::uint32_t addr, std::size_t i) const noexcept {
  return roaring_bitmap_contains(listed_, addr) ? interval_set(i) : kNotListed;
}

void Ip4Set::emit(std::uint32_t set, std::uint32_t addr, AnswerSink& out) const noexcept {
  if (set == kNoValues || (!out.wants_a() && !out.wants_txt())) return;
  std::array<char, 16> buf;
  const std::string_view subject = txt_subject(out, addr, buf);
  for (std::uint32_t k = set_offsets_[set]; k < set_offsets_[set + 1]; ++k)
    out.add_a_txt(values_[set_values_[k]], meta_.txt, subject, meta_.ttl);
}

bool Ip4Set::query(const QueryKey& key, AnswerSink& out) const noexcept {
  if (key.labels == 0) return false;
  if (key.ip4) {
    const std::uint32_t set = find(key.ip4_addr);
    if (set == kNotListed) return false;
    emit(set, key.ip4_addr, out);
    return true;
  }
  if (key.ip4_prefix_octets >= 1 && key.ip4_prefix_octets <= 3) {
    const unsigned host_bits = 32u - 8u * key.ip4_prefix_octets;
    const std::uint64_t lo = key.ip4_prefix & ~((std::uint32_t{1} << host_bits) - 1u);
    const std::uint64_t hi = lo + (std::uint64_t{1} << host_bits);
    return roaring_bitmap_range_cardinality(listed_, lo, hi) != 0;
  }
  return false;
}

void Ip4Set::bind_own() noexcept {
  starts_ = own_starts_;
  set_width_ = starts_.empty() ? 0 : !own_set8_.empty() ? 1 : !own_set16_.empty() ? 2 : 4;
  interval_set8_ = own_set8_;
  interval_set16_ = own_set16_;
  interval_set32_ = own_set32_;
  set_offsets_ = own_offsets_;
  set_values_ = own_members_;
}

namespace {

// Section numbers of an ip4set image (0 is the meta).
enum Ip4Section : std::size_t {
  kScalars = 1,
  kBitmap,
  kStarts,
  kIntervalSets,
  kSetOffsets,
  kSetMembers,
  kValues,
  kTxt,
  kIp4Sections
};

}  // namespace

bool Ip4Set::write_image(ImageWriter& out) const {
  out.set_type(ImageType::kIp4Set);
  ByteWriter sc;
  sc.u32(only_set_);
  sc.u64(intervals_);
  sc.u64(value_sets_);
  for (std::size_t b : stats_.blocks) sc.u64(b);
  sc.u8(!interval_set8_.empty() ? 8 : !interval_set16_.empty() ? 16 : !interval_set32_.empty() ? 32 : 0);
  out.add(sc.bytes());
  std::vector<std::uint8_t> frozen(roaring_bitmap_frozen_size_in_bytes(listed_));
  roaring_bitmap_frozen_serialize(listed_, reinterpret_cast<char*>(frozen.data()));
  out.add(frozen);
  out.add_array(starts_);
  if (!interval_set8_.empty())
    out.add_array(interval_set8_);
  else if (!interval_set16_.empty())
    out.add_array(interval_set16_);
  else
    out.add_array(interval_set32_);
  out.add_array(set_offsets_);
  out.add_array(set_values_);
  write_values(out, values_);
  return true;
}

core::Result<std::shared_ptr<const Dataset>> Ip4Set::from_image(DatasetMeta meta, const ImageView& image,
                                                                std::shared_ptr<const void> owner) {
  auto bad = [](std::string_view what) {
    return core::Status::error("dataset image: ip4set " + std::string(what));
  };
  if (image.sections() != kIp4Sections) return bad("has the wrong number of sections");
  std::shared_ptr<Ip4Set> set(new Ip4Set(std::move(meta)));
  set->backing_ = std::move(owner);
  ByteReader sc(image.section(kScalars));
  set->only_set_ = sc.u32();
  set->intervals_ = static_cast<std::size_t>(sc.u64());
  set->value_sets_ = static_cast<std::size_t>(sc.u64());
  for (std::size_t& b : set->stats_.blocks) b = static_cast<std::size_t>(sc.u64());
  const std::uint8_t width = sc.u8();
  if (sc.failed() || !sc.at_end()) return bad("scalars do not parse");

  const std::span<const std::uint8_t> frozen = image.section(kBitmap);
  if (reinterpret_cast<std::uintptr_t>(frozen.data()) % kImageAlign != 0)
    return bad("bitmap is not 32-byte aligned");
  set->listed_ = roaring_bitmap_frozen_view(reinterpret_cast<const char*>(frozen.data()), frozen.size());
  if (set->listed_ == nullptr) return bad("bitmap does not parse");

  auto starts = image.array<std::uint32_t>(kStarts);
  auto offsets = image.array<std::uint32_t>(kSetOffsets);
  auto members = image.array<std::uint32_t>(kSetMembers);
  if (!starts.is_ok()) return starts.status();
  if (!offsets.is_ok()) return offsets.status();
  if (!members.is_ok()) return members.status();
  set->starts_ = starts.value();
  set->set_offsets_ = offsets.value();
  set->set_values_ = members.value();
  std::size_t n_ids = 0;
  std::uint32_t max_id = 0;
  auto scan_ids = [&](auto arr) {
    n_ids = arr.size();
    scan(image, arr, [&](auto id) {
      max_id = std::max<std::uint32_t>(max_id, id);
      return true;
    });
  };
  if (width == 8) {
    auto a = image.array<std::uint8_t>(kIntervalSets);
    if (!a.is_ok()) return a.status();
    set->interval_set8_ = a.value();
    scan_ids(a.value());
  } else if (width == 16) {
    auto a = image.array<std::uint16_t>(kIntervalSets);
    if (!a.is_ok()) return a.status();
    set->interval_set16_ = a.value();
    scan_ids(a.value());
  } else if (width == 32) {
    auto a = image.array<std::uint32_t>(kIntervalSets);
    if (!a.is_ok()) return a.status();
    set->interval_set32_ = a.value();
    scan_ids(a.value());
  } else if (width != 0) {
    return bad("has a bad interval width");
  }
  // Everything query() indexes must be in bounds, whatever the bytes say.
  const std::size_t nsets = set->set_offsets_.size();
  if (nsets < 2 || set->set_offsets_.front() != 0 || set->set_offsets_.back() != set->set_values_.size())
    return bad("set offsets do not fit the set members");
  for (std::size_t i = 1; i < nsets; ++i)
    if (set->set_offsets_[i] < set->set_offsets_[i - 1]) return bad("set offsets are not sorted");
  if (n_ids != set->starts_.size() || (n_ids != 0 && max_id >= nsets - 1) || set->only_set_ >= nsets - 1)
    return bad("interval sets do not fit");
  if (core::Status st = read_values(image, kValues, &set->values_); !st.is_ok()) return st;
  const std::size_t nvalues = set->values_.size();
  if (!scan(image, set->set_values_, [nvalues](std::uint32_t m) { return m < nvalues; }))
    return bad("set member out of bounds");
  set->set_width_ = set->starts_.empty() ? 0 : static_cast<std::uint8_t>(width / 8);
  if (!set->build_index(&image)) return bad("intervals do not fit the bitmap");
  // Deriving the interval lengths read the whole bitmap; lookups of a set with intervals
  // seldom need it again (prefix queries, long intervals), so it leaves the page tables.
  if (set->set_width_ != 0) image.release(frozen);
  return std::shared_ptr<const Dataset>(std::move(set));
}

std::size_t Ip4Set::entries() const noexcept {
  return stats_.blocks[0] + stats_.blocks[1] + stats_.blocks[2] + stats_.blocks[3];
}

// The last address of the run of listed addresses that starts at `first` (listed), not
// beyond `limit`: galloping, then bisection, over range cardinalities.
std::uint32_t Ip4Set::run_end(std::uint32_t first, std::uint32_t limit) const {
  auto full = [&](std::uint32_t last) {
    return roaring_bitmap_range_cardinality(listed_, first, std::uint64_t{last} + 1) ==
           std::uint64_t{last} - first + 1;
  };
  std::uint32_t good = first;  // [first, good] is all listed
  std::uint32_t bad = limit;   // [first, bad] is not, unless bad == limit is untested
  bool bad_known = false;
  for (std::uint32_t step = 1; good < limit;) {
    const std::uint32_t cand = limit - good > step ? good + step : limit;
    if (!full(cand)) {
      bad = cand;
      bad_known = true;
      break;
    }
    good = cand;
    if (step < 0x80000000u) step *= 2;
  }
  if (!bad_known) return good;
  while (bad - good > 1) {
    const std::uint32_t mid = good + (bad - good) / 2;
    if (full(mid))
      good = mid;
    else
      bad = mid;
  }
  return good;
}

void Ip4Set::dump(DumpWriter& out) const {
  std::vector<const Value*> vals;
  auto dump_interval = [&](std::uint32_t lo, std::uint32_t hi, std::uint32_t set) {
    vals.clear();
    for (std::uint32_t k = set_offsets_[set]; k < set_offsets_[set + 1]; ++k)
      vals.push_back(&values_[set_values_[k]]);
    dump_ip4_range(out, lo, hi, vals, meta_.txt);
  };
  if (starts_.empty()) {
    // One value set: the intervals are the bitmap's runs.
    roaring_uint32_iterator_t it;
    roaring_init_iterator(listed_, &it);
    while (it.has_value) {
      const std::uint32_t lo = it.current_value;
      const std::uint32_t hi = run_end(lo, std::numeric_limits<std::uint32_t>::max());
      dump_interval(lo, hi, only_set_);
      if (hi == std::numeric_limits<std::uint32_t>::max() ||
          !roaring_move_uint32_iterator_equalorlarger(&it, hi + 1))
        break;
    }
    return;
  }
  for (std::size_t i = 0; i < starts_.size(); ++i) {
    const std::uint32_t limit =
        i + 1 < starts_.size() ? starts_[i + 1] - 1 : std::numeric_limits<std::uint32_t>::max();
    const std::uint32_t last = extent(i) != kLongExtent ? starts_[i] + extent(i) : run_end(starts_[i], limit);
    dump_interval(starts_[i], last, interval_set(i));
  }
}

std::uint64_t Ip4Set::listed_addresses() const noexcept { return roaring_bitmap_get_cardinality(listed_); }

std::size_t Ip4Set::memory_bytes() const noexcept {
  roaring_statistics_t st{};
  roaring_bitmap_statistics(listed_, &st);
  // Per container: key + typecode + pointer in the roaring array, and the container
  // header (cardinality, capacity, data pointer).
  const std::size_t per_container = sizeof(std::uint16_t) + sizeof(std::uint8_t) + sizeof(void*) + 16;
  std::size_t n = sizeof(roaring_bitmap_t) + std::size_t{st.n_bytes_array_containers} +
                  st.n_bytes_run_containers + st.n_bytes_bitset_containers +
                  std::size_t{st.n_containers} * per_container;
  if (backing_ != nullptr) {
    // Served from the image: only the bitmap's container headers and the values are heap.
    n = sizeof(roaring_bitmap_t) + std::size_t{st.n_containers} * per_container;
  }
  n += own_starts_.capacity() * sizeof(std::uint32_t) + own_set8_.capacity() +
       own_set16_.capacity() * sizeof(std::uint16_t) + own_set32_.capacity() * sizeof(std::uint32_t);
  n += own_offsets_.capacity() * sizeof(std::uint32_t) + own_members_.capacity() * sizeof(std::uint32_t);
  n += values_.capacity() * sizeof(Value) + pool_.bytes();
  n += container_at_.capacity() * sizeof(std::uint16_t) + start_bucket_.capacity() * sizeof(std::uint32_t) +
       extents_.capacity() * sizeof(std::uint16_t);
  return n;
}

// ---------------------------------------------------------------------------------------
// Ip4SetBuilder

Ip4SetBuilder::Ip4SetBuilder() {
  // Instance 0 is the exclusion marker, instance 1 rbldnsd's built-in default value.
  intern_value({127, 0, 0, 2}, {});
  instance_value_ = {0, 0};
}

std::uint32_t Ip4SetBuilder::intern_value(const std::array<std::uint8_t, 4>& a, std::string_view txt) {
  // Open addressing over value ids (slot = id + 1, 0 = empty), at most half full.
  if ((values_.size() + 1) * 2 > slots_.size()) {
    std::vector<std::uint32_t> bigger(slots_.empty() ? 64 : slots_.size() * 2, 0);
    const std::size_t mask = bigger.size() - 1;
    for (std::size_t id = 0; id < values_.size(); ++id) {
      std::size_t h = value_hash(values_[id].a, values_[id].txt) & mask;
      while (bigger[h] != 0) h = (h + 1) & mask;
      bigger[h] = to_u32(id + 1);
    }
    slots_.swap(bigger);
  }
  const std::size_t mask = slots_.size() - 1;
  std::size_t h = value_hash(a, txt) & mask;
  for (; slots_[h] != 0; h = (h + 1) & mask) {
    const Value& v = values_[slots_[h] - 1];
    if (v.a == a && v.txt == txt) return slots_[h] - 1;
  }
  const std::uint32_t id = to_u32(values_.size());
  Value v;
  v.a = a;
  v.txt = pool_.intern(txt);
  values_.push_back(v);
  slots_[h] = id + 1;
  return id;
}

Ip4SetBuilder::Instance Ip4SetBuilder::add_value(const std::array<std::uint8_t, 4>& a, std::string_view txt) {
  if (last_instance_ != kExclusion) {
    const Value& last = values_[instance_value_[last_instance_]];
    if (last.a == a && last.txt == txt) return last_instance_;
  }
  const std::uint32_t id = intern_value(a, txt);
  instance_value_.push_back(id);
  last_instance_ = to_u32(instance_value_.size() - 1);
  return last_instance_;
}

void Ip4SetBuilder::push(unsigned level, std::uint32_t addr, std::uint32_t count, Instance v) {
  const std::uint32_t step = std::uint32_t{1} << (8 * level);
  std::vector<std::uint64_t>& b = blocks_[level];
  for (std::uint32_t k = 0; k < count; ++k, addr += step) b.push_back((std::uint64_t{addr} << 32) | v);
}

// rbldnsd's ip4range_expand: peel partial blocks off both ends, octet by octet, so that
// the middle becomes whole blocks of the next level. A range covering exactly one whole
// block of the next level is stored at that level.
void Ip4SetBuilder::add_blocks(Instance v, std::uint32_t a, std::uint32_t b) {
  for (unsigned level = 0; level < 3; ++level) {
    const unsigned shift = 8 * level;
    if ((a | 255u) >= b) {
      if (b - a == 255u)
        push(level + 1, a << shift, 1, v);
      else
        push(level, a << shift, b - a + 1, v);  // b < a (count 0) when nothing is left
      return;
    }
    if ((a & 255u) != 0) {
      push(level, a << shift, 256u - (a & 255u), v);
      a = (a >> 8) + 1;
    } else {
      a >>= 8;
    }
    if ((b & 255u) != 255u) {
      push(level, (b & ~255u) << shift, (b & 255u) + 1, v);
      b = (b >> 8) - 1;
    } else {
      b >>= 8;
    }
  }
  push(3, a << 24, b - a + 1, v);
}

void Ip4SetBuilder::add(std::uint32_t first, std::uint32_t last, Instance v) { add_blocks(v, first, last); }

void Ip4SetBuilder::exclude(std::uint32_t first, std::uint32_t last) { add_blocks(kExclusion, first, last); }

std::unique_ptr<Ip4Set> Ip4SetBuilder::build(DatasetMeta meta) {
  std::unique_ptr<Ip4Set> set(new Ip4Set(std::move(meta)));

  // Value sets, interned: singletons through a table, bigger sets through a map.
  std::vector<std::uint32_t> singleton(values_.size(), kExcludedSet);
  std::map<std::vector<std::uint32_t>, std::uint32_t> multi;
  std::vector<std::uint32_t>& offsets = set->own_offsets_;
  std::vector<std::uint32_t>& members = set->own_members_;
  offsets.assign(1, 0);  // (assign, not push_back: gcc 12 -O2 misreports -Warray-bounds on the empty vector)
  auto intern_set = [&](const std::vector<std::uint32_t>& vals) -> std::uint32_t {
    if (vals.size() == 1) {
      std::uint32_t& s = singleton[vals[0]];
      if (s == kExcludedSet) {
        s = to_u32(offsets.size() - 1);
        members.push_back(vals[0]);
        offsets.push_back(to_u32(members.size()));
      }
      return s;
    }
    auto [it, inserted] = multi.emplace(vals, to_u32(offsets.size() - 1));
    if (inserted) {
      members.insert(members.end(), vals.begin(), vals.end());
      offsets.push_back(to_u32(members.size()));
    }
    return it->second;
  };

  // Per level, coarse to fine: group blocks by address, count them as rbldnsd does and
  // resolve each address to "excluded" or a value set; then let finer levels win.
  std::vector<Span> resolved;
  std::vector<std::uint32_t> vals;
  for (int level = 3; level >= 0; --level) {
    std::vector<std::uint64_t>& blocks = blocks_[static_cast<std::size_t>(level)];
    std::sort(blocks.begin(), blocks.end());
    const std::uint32_t size_minus_1 = level == 0 ? 0u : (std::uint32_t{1} << (8 * level)) - 1u;
    std::vector<Span> spans;
    spans.reserve(blocks.size());  // at most one span per block; avoids growth copies
    std::size_t count = 0;
    for (std::size_t i = 0; i < blocks.size();) {
      const auto addr = static_cast<std::uint32_t>(blocks[i] >> 32);
      std::size_t j = i;
      while (j < blocks.size() && static_cast<std::uint32_t>(blocks[j] >> 32) == addr) ++j;
      std::uint32_t res;
      if (static_cast<Instance>(blocks[i]) == kExclusion) {
        // rbldnsd sorts the exclusion first, and it swallows everything after it.
        ++count;
        res = kExcludedSet;
      } else {
        vals.clear();
        std::uint32_t prev = kExcludedSet;
        for (std::size_t k = i; k < j; ++k) {
          const std::uint32_t v = instance_value_[static_cast<Instance>(blocks[k])];
          if (v != prev) ++count;  // rbldnsd drops only adjacent equal values
          prev = v;
          vals.push_back(v);
        }
        std::sort(vals.begin(), vals.end());
        vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
        res = intern_set(vals);
      }
      emit(spans, {addr, addr + size_minus_1, res});
      i = j;
    }
    set->stats_.blocks[static_cast<std::size_t>(level)] = count;
    std::vector<std::uint64_t>().swap(blocks);
    resolved = resolved.empty() ? std::move(spans) : overlay(resolved, spans);
  }

  // Keep the listed spans only, in place (the build's peak memory is here), merging
  // neighbours with the same set.
  std::vector<Span>& listed = resolved;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < listed.size(); ++i) {
    const Span s = listed[i];
    if (s.res == kExcludedSet) continue;
    if (kept > 0 && listed[kept - 1].res == s.res && listed[kept - 1].hi + 1 == s.lo)
      listed[kept - 1].hi = s.hi;  // a span follows it, so its hi + 1 does not wrap
    else
      listed[kept++] = s;
  }
  listed.resize(kept);

  roaring_bitmap_t* bitmap = roaring_bitmap_create();
  set->listed_ = bitmap;
  std::vector<std::uint32_t> singles;
  auto flush_singles = [&]() {
    if (!singles.empty()) roaring_bitmap_add_many(bitmap, singles.size(), singles.data());
    singles.clear();
  };
  bool one_set = true;
  for (const Span& s : listed) {
    if (s.res != listed.front().res) one_set = false;
    if (s.lo == s.hi) {
      singles.push_back(s.lo);
      if (singles.size() >= 65536) flush_singles();
    } else {
      flush_singles();
      roaring_bitmap_add_range_closed(bitmap, s.lo, s.hi);
    }
  }
  flush_singles();
  roaring_bitmap_run_optimize(bitmap);
  roaring_bitmap_shrink_to_fit(bitmap);

  set->intervals_ = listed.size();
  if (one_set) {
    set->only_set_ = listed.empty() ? 0 : listed.front().res;
  } else {
    const std::size_t nsets = offsets.size() - 1;
    set->own_starts_.reserve(listed.size());
    set->extents_.reserve(listed.size());
    if (nsets <= 0x100)
      set->own_set8_.reserve(listed.size());
    else if (nsets <= 0x10000)
      set->own_set16_.reserve(listed.size());
    else
      set->own_set32_.reserve(listed.size());
    for (const Span& s : listed) {
      set->own_starts_.push_back(s.lo);
      set->extents_.push_back(
          static_cast<std::uint16_t>(std::min<std::uint32_t>(s.hi - s.lo, Ip4Set::kLongExtent)));
      if (nsets <= 0x100)
        set->own_set8_.push_back(static_cast<std::uint8_t>(s.res));
      else if (nsets <= 0x10000)
        set->own_set16_.push_back(static_cast<std::uint16_t>(s.res));
      else
        set->own_set32_.push_back(s.res);
    }
  }
  set->value_sets_ = offsets.size() - 1;
  if (offsets.size() == 1) offsets.resize(2, 0);  // no set at all: keep query()'s indexing valid
  offsets.shrink_to_fit();
  members.shrink_to_fit();

  set->values_ = std::move(values_);
  set->values_.shrink_to_fit();
  set->pool_ = std::move(pool_);
  set->bind_own();
  set->build_index();

  // Leave the builder empty and reusable.
  values_.clear();
  std::vector<std::uint32_t>().swap(slots_);
  instance_value_.clear();
  last_instance_ = kExclusion;
  pool_ = StringPool();
  intern_value({127, 0, 0, 2}, {});
  instance_value_ = {0, 0};
  return set;
}

}  // namespace fastrbl::zones
