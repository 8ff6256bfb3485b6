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
  return index_.memory_bytes() + own_node_rrs_.capacity() * sizeof(std::uint32_t) +
         own_rrs_.capacity() * sizeof(Rr) + own_data_.capacity() + pool_.bytes();
}

bool Generic::write_image(ImageWriter& out) const {
  out.set_type(ImageType::kGeneric);
  index_.write_image(out);
  out.add_array(node_rrs_);
  out.add_array(rrs_);
  out.add_array(data_);
  return true;
}

core::Result<std::shared_ptr<const Dataset>> Generic::from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner) {
  auto bad = [](std::string_view what) {
    return core::Status::error("dataset image: generic " + std::string(what));
  };
  static_assert(sizeof(Rr) == 12);
  std::shared_ptr<Generic> g(new Generic(std::move(meta)));
  g->backing_ = std::move(owner);
  constexpr std::size_t kRecords = 1 + NameIndex::kImageSections;
  if (image.sections() != kRecords + 3) return bad("has the wrong number of sections");
  if (core::Status st = g->index_.from_image(image, 1); !st.is_ok()) return st;
  if (core::Status st = view_array(image, kRecords, &g->node_rrs_); !st.is_ok()) return st;
  if (core::Status st = view_array(image, kRecords + 1, &g->rrs_); !st.is_ok()) return st;
  if (core::Status st = view_array(image, kRecords + 2, &g->data_); !st.is_ok()) return st;
  // Everything query() and dump() index must be in bounds and well formed.
  const auto& runs = g->node_rrs_;
  if (runs.size() != g->index_.size() + 1 || runs.front() != 0 || runs.back() != g->rrs_.size())
    return bad("record runs do not fit the name index");
  for (std::size_t i = 1; i < runs.size(); ++i)
    if (runs[i] < runs[i - 1]) return bad("record runs are not sorted");
  for (const Rr& rr : g->rrs_) {
    if (rr.off > g->data_.size() || rr.len > g->data_.size() - rr.off)
      return bad("record data out of bounds");
    const std::span<const std::uint8_t> d = g->data_.subspan(rr.off, rr.len);
    core::Name exchange;
    const bool ok = rr.type == core::rrtype::kA     ? d.size() == 4
                    : rr.type == core::rrtype::kTXT ? d.size() <= 255
                    : rr.type == core::rrtype::kMX
                        ? d.size() > 2 && core::Name::from_wire(d.subspan(2), &exchange) &&
                              exchange.size() == d.size() - 2
                        : false;
    if (!ok) return bad("record of type " + std::to_string(rr.type) + " is malformed");
  }
  return std::shared_ptr<const Dataset>(std::move(g));
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
  g->own_node_rrs_.assign(index_.size() + 1, 0);
  g->own_rrs_.reserve(pending_.size());
  std::size_t i = 0;
  for (std::uint32_t node = 0; node < index_.size(); ++node) {
    g->own_node_rrs_[node] = to_u32(g->own_rrs_.size());
    for (; i < pending_.size() && pending_[i].node == node; ++i) {
      const Pending& p = pending_[i];
      g->own_rrs_.push_back({p.type, p.len, p.ttl, p.off});
    }
  }
  g->own_node_rrs_[index_.size()] = to_u32(g->own_rrs_.size());
  index_.shrink_to_fit();
  data_.shrink_to_fit();
  g->index_ = std::move(index_);
  g->own_data_ = std::move(data_);
  g->node_rrs_ = g->own_node_rrs_;
  g->rrs_ = g->own_rrs_;
  g->data_ = g->own_data_;
  g->pool_ = std::move(pool_);
  std::vector<Pending>().swap(pending_);
  return g;
}

}  // namespace fastrbl::zones
