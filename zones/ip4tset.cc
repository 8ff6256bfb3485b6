#include "zones/ip4tset.h"

#include "zones/answer_sink.h"
#include "zones/dump.h"
#include "zones/prefix_table.h"

#include <algorithm>

namespace fastrbl::zones {

bool Ip4TSet::query(const QueryKey& key, AnswerSink& out) const noexcept {
  if (key.labels == 0) return false;
  if (key.ip4) {
    if (!std::binary_search(addrs_.begin(), addrs_.end(), key.ip4_addr)) return false;
    if (!out.wants_a() && !out.wants_txt()) return true;
    std::array<char, 16> buf;
    out.add_a_txt(value_, meta_.txt, txt_subject(out, key.ip4_addr, buf), meta_.ttl);
    return true;
  }
  if (key.ip4_prefix_octets >= 1 && key.ip4_prefix_octets <= 3) {
    const std::uint32_t lo =
        key.ip4_prefix & ~((std::uint32_t{1} << (32u - 8u * key.ip4_prefix_octets)) - 1u);
    const std::uint32_t hi = AddrTraits<std::uint32_t>::last(lo, 8 * key.ip4_prefix_octets);
    auto it = std::lower_bound(addrs_.begin(), addrs_.end(), lo);
    return it != addrs_.end() && *it <= hi;
  }
  return false;
}

void Ip4TSet::dump(DumpWriter& out) const {
  const std::array<const Value*, 1> vals{&value_};
  for (const std::uint32_t a : addrs_) dump_ip4_range(out, a, a, vals, meta_.txt);
}

std::size_t Ip4TSet::memory_bytes() const noexcept {
  return own_addrs_.capacity() * sizeof(std::uint32_t) + pool_.bytes();
}

bool Ip4TSet::write_image(ImageWriter& out) const {
  out.set_type(ImageType::kIp4TSet);
  out.add_array(addrs_);
  write_values(out, std::span<const Value>(&value_, 1));
  return true;
}

core::Result<std::shared_ptr<const Dataset>> Ip4TSet::from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner) {
  std::shared_ptr<Ip4TSet> set(new Ip4TSet(std::move(meta)));
  set->backing_ = std::move(owner);
  if (image.sections() != 4)
    return core::Status::error("dataset image: ip4tset has the wrong number of sections");
  if (core::Status st = view_array(image, 1, &set->addrs_); !st.is_ok()) return st;
  if (!strictly_ascending(set->addrs_))
    return core::Status::error("dataset image: ip4tset addresses are not sorted");
  std::vector<Value> values;
  if (core::Status st = read_values(image, 2, &values); !st.is_ok()) return st;
  if (values.size() != 1) return core::Status::error("dataset image: ip4tset needs one value");
  set->value_ = values[0];
  return std::shared_ptr<const Dataset>(std::move(set));
}

std::string Ip4TSet::stats() const { return "cnt=" + std::to_string(addrs_.size()); }

bool Ip4TSetBuilder::set_value(const std::array<std::uint8_t, 4>& a, std::string_view txt) {
  if (has_value_) return false;
  has_value_ = true;
  value_.a = a;
  value_.txt = pool_.intern(txt);
  return true;
}

std::unique_ptr<Ip4TSet> Ip4TSetBuilder::build(DatasetMeta meta) {
  std::unique_ptr<Ip4TSet> set(new Ip4TSet(std::move(meta)));
  std::sort(addrs_.begin(), addrs_.end());
  addrs_.erase(std::unique(addrs_.begin(), addrs_.end()), addrs_.end());
  addrs_.shrink_to_fit();
  set->own_addrs_ = std::move(addrs_);
  set->addrs_ = set->own_addrs_;
  set->value_ = value_;
  set->pool_ = std::move(pool_);
  addrs_.clear();
  pool_ = StringPool();
  value_ = Value{};
  has_value_ = false;
  return set;
}

}  // namespace fastrbl::zones
