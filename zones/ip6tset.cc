#include "zones/ip6tset.h"

#include "zones/answer_sink.h"
#include "zones/dump.h"
#include "zones/ip6trie.h"

#include <algorithm>

namespace fastrbl::zones {

bool Ip6TSet::query(const QueryKey& key, AnswerSink& out) const noexcept {
  if (key.labels == 0) return false;
  if (key.ip6) {
    const Ip6Key k = ip6_key(key.ip6_addr);
    if (!std::binary_search(nets_.begin(), nets_.end(), k.hi)) return false;
    if (std::binary_search(excluded_.begin(), excluded_.end(), k)) return false;
    if (!out.wants_a() && !out.wants_txt()) return true;
    std::array<char, 40> buf;
    out.add_a_txt(value_, meta_.txt, txt_subject(out, key.ip6_addr, buf), meta_.ttl);
    return true;
  }
  if (key.ip6_prefix_nibbles >= 1 && key.ip6_prefix_nibbles <= 31) {
    const auto [lo, hi] = ip6_prefix_range(key);
    auto it = std::lower_bound(nets_.begin(), nets_.end(), lo.hi);
    if (it == nets_.end() || *it > hi.hi) return false;
    if (key.ip6_prefix_nibbles <= 16) return true;  // a whole /64 is under the prefix
    // Inside one /64 (lo.hi == hi.hi): listed unless every address of the range is
    // excluded.
    const auto first = std::lower_bound(excluded_.begin(), excluded_.end(), lo);
    const auto last = std::upper_bound(excluded_.begin(), excluded_.end(), hi);
    const auto excluded = static_cast<std::uint64_t>(last - first);
    return excluded == 0 || excluded - 1 < hi.lo - lo.lo;
  }
  return false;
}

void Ip6TSet::dump(DumpWriter& out) const {
  const std::array<const Value*, 1> vals{&value_};
  for (const std::uint64_t net : nets_) {
    const Ip6Key first{net, 0};
    dump_ip6_range(out, first, AddrTraits<Ip6Key>::last(first, 64), vals, meta_.txt);
  }
  for (const Ip6Key& a : excluded_) out.excluded(ip6_owner(a, 32));
}

std::size_t Ip6TSet::memory_bytes() const noexcept {
  return own_nets_.capacity() * sizeof(std::uint64_t) + own_excluded_.capacity() * sizeof(Ip6Key) +
         pool_.bytes();
}

bool Ip6TSet::write_image(ImageWriter& out) const {
  out.set_type(ImageType::kIp6TSet);
  out.add_array(nets_);
  out.add_array(excluded_);
  write_values(out, std::span<const Value>(&value_, 1));
  return true;
}

core::Result<std::shared_ptr<const Dataset>> Ip6TSet::from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner) {
  std::shared_ptr<Ip6TSet> set(new Ip6TSet(std::move(meta)));
  set->backing_ = std::move(owner);
  if (image.sections() != 5)
    return core::Status::error("dataset image: ip6tset has the wrong number of sections");
  if (core::Status st = view_array(image, 1, &set->nets_); !st.is_ok()) return st;
  if (core::Status st = view_array(image, 2, &set->excluded_); !st.is_ok()) return st;
  if (!strictly_ascending(set->nets_) || !strictly_ascending(set->excluded_))
    return core::Status::error("dataset image: ip6tset arrays are not sorted");
  std::vector<Value> values;
  if (core::Status st = read_values(image, 3, &values); !st.is_ok()) return st;
  if (values.size() != 1) return core::Status::error("dataset image: ip6tset needs one value");
  set->value_ = values[0];
  return std::shared_ptr<const Dataset>(std::move(set));
}

std::string Ip6TSet::stats() const {
  return "cnt=" + std::to_string(nets_.size()) + " exl=" + std::to_string(excluded_.size());
}

bool Ip6TSetBuilder::set_value(const std::array<std::uint8_t, 4>& a, std::string_view txt) {
  if (has_value_) return false;
  has_value_ = true;
  value_.a = a;
  value_.txt = pool_.intern(txt);
  return true;
}

std::unique_ptr<Ip6TSet> Ip6TSetBuilder::build(DatasetMeta meta) {
  std::unique_ptr<Ip6TSet> set(new Ip6TSet(std::move(meta)));
  std::sort(nets_.begin(), nets_.end());
  nets_.erase(std::unique(nets_.begin(), nets_.end()), nets_.end());
  nets_.shrink_to_fit();
  std::sort(excluded_.begin(), excluded_.end());
  excluded_.erase(std::unique(excluded_.begin(), excluded_.end()), excluded_.end());
  excluded_.shrink_to_fit();
  set->own_nets_ = std::move(nets_);
  set->own_excluded_ = std::move(excluded_);
  set->nets_ = set->own_nets_;
  set->excluded_ = set->own_excluded_;
  set->value_ = value_;
  set->pool_ = std::move(pool_);
  nets_.clear();
  excluded_.clear();
  pool_ = StringPool();
  value_ = Value{};
  has_value_ = false;
  return set;
}

}  // namespace fastrbl::zones
