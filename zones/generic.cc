#include "zones/generic.h"

#include "core/dns.h"
#include "zones/answer_sink.h"
#include "zones/dump.h"

#include <algorithm>

namespace fastrbl::zones {
namespace {

std::uint32_t to_u32(std::size_t n) { return static_cast<std::uint32_t>(n); }

}  // namespace

// ---------------------------------------------------------------------------------------
// Generic

void Generic::emit(const Rr& rr, AnswerSink& out) const noexcept {
  const std::uint8_t* d = data_.data() + rr.off;
  switch (rr.type) {
    case core::rrtype::kA:
      out.add_a({d[0], d[1], d[2], d[3]}, rr.ttl);
      break;
    case core::rrtype::kTXT:
      out.add_txt(std::string_view(reinterpret_cast<const char*>(d), rr.len), rr.ttl);
      break;
    case core::rrtype::kMX:
      out.add_mx(static_cast<std::uint16_t>((d[0] << 8) | d[1]), d + 2, rr.ttl);
      break;
    default:
      break;
  }
}

void Generic::emit_group(std::uint32_t b, std::uint32_t e, AnswerSink& out) const noexcept {
  const std::uint32_t n = e - b;
  if (n == 0) return;
  const std::uint32_t start = n > 1 ? rotation_.fetch_add(1, std::memory_order_relaxed) % n : 0;
  for (std::uint32_t i = 0; i < n; ++i) emit(rrs_[b + (start + i) % n], out);
}

bool Generic::query(const QueryKey& key, AnswerSink& out) const noexcept {
  const std::uint32_t id = index_.find(key.name);
  if (id == NameIndex::kNone) return false;
  const std::uint32_t b = node_rrs_[id], e = node_rrs_[id + 1];
  const bool any = key.qtype == core::rrtype::kANY;
  for (std::uint32_t i = b; i < e;) {
    std::uint32_t j = i;
    while (j < e && rrs_[j].type == rrs_[i].type) ++j;
    if (any || rrs_[i].type == key.qtype) emit_group(i, j, out);
    i = j;
  }
  return true;
}

bool Generic::query_acl(const QueryKey& key, const AclOverride& acl, AnswerSink& out) const noexcept {
  (void)acl;
  (void)out;
  return index_.find(key.name) != NameIndex::kNone;
}

void Generic::dump(DumpWriter& out) const {
  std::array<char, 4 * core::kMaxNameLen> buf{};
  for (std::uint32_t id = 0; id < index_.size(); ++id) {
    const std::uint32_t b = node_rrs_[id], e = node_rrs_[id + 1];
    if (b == e) continue;  // an ancestor without records
    const std::string owner =
        index_.key(id).empty() ? "@" : std::string(buf.data(), core::name_to_text(index_.wire(id), buf));
    for (std::uint32_t i = b; i < e; ++i) {
      const Rr& rr = rrs_[i];
      const std::string_view o = i == b ? std::string_view(owner) : std::string_view();
      const std::uint8_t* d = data_.data() + rr.off;
      switch (rr.type) {
        case core::rrtype::kA:
          out.a(o, rr.ttl, {d[0], d[1], d[2], d[3]});
          break;
        case core::rrtype::kTXT:
          out.txt(o, rr.ttl, std::string_view(reinterpret_cast<const char*>(d), rr.len));
          break;
        case core::rrtype::kMX:
          out.mx(o, rr.ttl, static_cast<std::uint16_t>((d[0] << 8) | d[1]), d + 2);
          break;
        default:
          break;
      }
    }
  }
}

std::size_t Generic::memory_bytes() const noexcept {
  return index_.memory_bytes() + node_rrs_.capacity() * sizeof(std::uint32_t) + rrs_.capacity() * sizeof(Rr) +
         data_.capacity() + pool_.bytes();
}

std::string Generic::stats_text() const { return "e=" + std::to_string(rrs_.size()); }

// ---------------------------------------------------------------------------------------
// GenericBuilder

void GenericBuilder::add(std::span<const std::uint8_t> name, std::uint16_t type, std::uint32_t ttl,
                         std::span<const std::uint8_t> data) {
  const std::uint32_t node = index_.insert(name);
  pending_.push_back({node, type, static_cast<std::uint16_t>(data.size()), ttl, to_u32(data_.size())});
  data_.insert(data_.end(), data.begin(), data.end());
}

void GenericBuilder::add_a(std::span<const std::uint8_t> name, std::uint32_t ttl,
                           const std::array<std::uint8_t, 4>& a) {
  add(name, core::rrtype::kA, ttl, a);
}

void GenericBuilder::add_txt(std::span<const std::uint8_t> name, std::uint32_t ttl, std::string_view text) {
  add(name, core::rrtype::kTXT, ttl,
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

void GenericBuilder::add_mx(std::span<const std::uint8_t> name, std::uint32_t ttl, std::uint16_t pref,
                            const core::Name& target) {
  std::vector<std::uint8_t> d = {static_cast<std::uint8_t>(pref >> 8), static_cast<std::uint8_t>(pref)};
  d.insert(d.end(), target.data(), target.data() + target.size());
  add(name, core::rrtype::kMX, ttl, d);
}

std::unique_ptr<Generic> GenericBuilder::build(DatasetMeta meta) {
  std::unique_ptr<Generic> g(new Generic(std::move(meta)));
  // RFC 8020: proper ancestors (one label or more) of every name become record-less nodes.
  const std::size_t named = index_.size();
  for (std::uint32_t id = 0; id < named; ++id) {
    std::array<std::uint8_t, core::kMaxNameLen> name{};
    const std::span<const std::uint8_t> k = index_.key(id);
    std::copy(k.begin(), k.end(), name.begin());
    const std::size_t len = k.size();
    if (len == 0) continue;
    for (std::size_t pos = std::size_t{name[0]} + 1; pos < len; pos += std::size_t{name[pos]} + 1)
      index_.insert(std::span<const std::uint8_t>(name.data() + pos, len - pos));
  }
  // rbldnsd keeps records sorted by name, then type; file order within a type.
  std::stable_sort(pending_.begin(), pending_.end(), [](const Pending& x, const Pending& y) {
    return x.node != y.node ? x.node < y.node : x.type < y.type;
  });
  g->node_rrs_.assign(index_.size() + 1, 0);
  g->rrs_.reserve(pending_.size());
  std::size_t i = 0;
  for (std::uint32_t node = 0; node < index_.size(); ++node) {
    g->node_rrs_[node] = to_u32(g->rrs_.size());
    for (; i < pending_.size() && pending_[i].node == node; ++i) {
      const Pending& p = pending_[i];
      g->rrs_.push_back({p.type, p.len, p.ttl, p.off});
    }
  }
  g->node_rrs_[index_.size()] = to_u32(g->rrs_.size());
  index_.shrink_to_fit();
  data_.shrink_to_fit();
  g->index_ = std::move(index_);
  g->data_ = std::move(data_);
  g->pool_ = std::move(pool_);
  std::vector<Pending>().swap(pending_);
  return g;
}

}  // namespace fastrbl::zones
