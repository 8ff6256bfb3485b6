#include "zones/ip6trie.h"

#include "zones/answer_sink.h"
#include "zones/dump.h"

namespace fastrbl::zones {

std::pair<Ip6Key, Ip6Key> ip6_prefix_range(const QueryKey& key) noexcept {
  const int bits = 4 * key.ip6_prefix_nibbles;
  Ip6Key lo = ip6_key(key.ip6_prefix);
  if (bits <= 64) {
    lo.lo = 0;
    lo.hi &= bits == 64 ? ~std::uint64_t{0} : ~((std::uint64_t{1} << (64 - bits)) - 1u);
  } else {
    lo.lo &= ~((std::uint64_t{1} << (128 - bits)) - 1u);
  }
  return {lo, AddrTraits<Ip6Key>::last(lo, bits)};
}

bool Ip6Trie::query(const QueryKey& key, AnswerSink& out) const noexcept {
  if (key.labels == 0) return false;
  if (key.ip6) {
    const std::uint32_t id = table_.lookup(ip6_key(key.ip6_addr));
    if (id == PrefixTable<Ip6Key>::kNone) return false;
    if (!out.wants_a() && !out.wants_txt()) return true;
    std::array<char, 40> buf;
    out.add_a_txt(values_[id], meta_.txt, txt_subject(out, key.ip6_addr, buf), meta_.ttl);
    return true;
  }
  if (key.ip6_prefix_nibbles >= 1 && key.ip6_prefix_nibbles <= 31) {
    const auto [lo, hi] = ip6_prefix_range(key);
    return table_.any_listed(lo, hi);
  }
  return false;
}

void Ip6Trie::dump(DumpWriter& out) const {
  table_.for_each_listed([&](const Ip6Key& lo, const Ip6Key& hi, std::uint32_t id) {
    const std::array<const Value*, 1> vals{&values_[id]};
    dump_ip6_range(out, lo, hi, vals, meta_.txt);
  });
}

bool Ip6Trie::write_image(ImageWriter& out) const {
  write_prefix_image(out, ImageType::kIp6Trie);
  return true;
}

core::Result<std::shared_ptr<const Dataset>> Ip6Trie::from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner) {
  std::shared_ptr<Ip6Trie> t(new Ip6Trie(std::move(meta)));
  if (core::Status st = t->read_prefix_image(image, std::move(owner), "ip6trie"); !st.is_ok()) return st;
  return std::shared_ptr<const Dataset>(std::move(t));
}

std::unique_ptr<Ip6Trie> Ip6TrieBuilder::build(DatasetMeta meta) {
  std::unique_ptr<Ip6Trie> t(new Ip6Trie(std::move(meta)));
  t->adopt(take());
  return t;
}

}  // namespace fastrbl::zones
