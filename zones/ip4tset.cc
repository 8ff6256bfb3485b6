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
    std::array<char, 16> buf{};
    const std::string_view subject(buf.data(), format_ip4(key.ip4_addr, buf));
    out.add_a_txt(value_, meta_.txt, subject, meta_.ttl);
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
  return addrs_.capacity() * sizeof(std::uint32_t) + pool_.bytes();
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
  set->addrs_ = std::move(addrs_);
  set->value_ = value_;
  set->pool_ = std::move(pool_);
  addrs_.clear();
  pool_ = StringPool();
  value_ = Value{};
  has_value_ = false;
  return set;
}

}  // namespace fastrbl::zones
