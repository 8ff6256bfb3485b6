#include "zones/ip4trie.h"

#include "zones/answer_sink.h"
#include "zones/dump.h"

namespace fastrbl::zones {

bool Ip4Trie::query(const QueryKey& key, AnswerSink& out) const noexcept {
  if (key.labels == 0) return false;
  if (key.ip4) {
    const std::uint32_t id = table_.lookup(key.ip4_addr);
    if (id == PrefixTable<std::uint32_t>::kNone) return false;
    if (!out.wants_a() && !out.wants_txt()) return true;
    std::array<char, 16> buf;
    out.add_a_txt(values_[id], meta_.txt, txt_subject(out, key.ip4_addr, buf), meta_.ttl);
    return true;
  }
  if (key.ip4_prefix_octets >= 1 && key.ip4_prefix_octets <= 3) {
    const int bits = 8 * key.ip4_prefix_octets;
    const std::uint32_t lo = key.ip4_prefix & ~((std::uint32_t{1} << (32 - bits)) - 1u);
    return table_.any_listed(lo, AddrTraits<std::uint32_t>::last(lo, bits));
  }
  return false;
}

void Ip4Trie::dump(DumpWriter& out) const {
  table_.for_each_listed([&](std::uint32_t lo, std::uint32_t hi, std::uint32_t id) {
    const std::array<const Value*, 1> vals{&values_[id]};
    dump_ip4_range(out, lo, hi, vals, meta_.txt);
  });
}

bool Ip4Trie::write_image(ImageWriter& out) const {
  write_prefix_image(out, ImageType::kIp4Trie);
  return true;
}

core::Result<std::shared_ptr<const Dataset>> Ip4Trie::from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner) {
  std::shared_ptr<Ip4Trie> t(new Ip4Trie(std::move(meta)));
  if (core::Status st = t->read_prefix_image(image, std::move(owner), "ip4trie"); !st.is_ok()) return st;
  return std::shared_ptr<const Dataset>(std::move(t));
}

std::unique_ptr<Ip4Trie> Ip4TrieBuilder::build(DatasetMeta meta) {
  std::unique_ptr<Ip4Trie> t(new Ip4Trie(std::move(meta)));
  t->adopt(take());
  return t;
}

}  // namespace fastrbl::zones
