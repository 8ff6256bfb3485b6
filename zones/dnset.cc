#include "zones/dnset.h"

#include "core/dname.h"
#include "zones/answer_sink.h"
#include "zones/dump.h"

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>

namespace fastrbl::zones {
namespace {

std::uint32_t to_u32(std::size_t n) { return static_cast<std::uint32_t>(n); }

std::size_t count_labels(std::span<const std::uint8_t> name) noexcept {
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < name.size(); pos += std::size_t{name[pos]} + 1) ++n;
  return n;
}

}  // namespace

// ---------------------------------------------------------------------------------------
// DnSet

void DnSet::emit(const Match& m, AnswerSink& out) const noexcept {
  if (!out.wants_a() && !out.wants_txt()) return;
  std::array<char, 4 * core::kMaxNameLen> buf;  // only what name_to_text() writes is read
  std::string_view subject;
  if (out.wants_txt()) subject = std::string_view(buf.data(), core::name_to_text(index_.wire(m.id), buf));
  for (std::uint32_t k = m.off; k < m.off + m.n; ++k)
    out.add_a_txt(values_[value_ids_[k]], meta_.txt, subject, meta_.ttl);
}

bool DnSet::query(const QueryKey& key, AnswerSink& out) const noexcept {
  if (key.labels == 0) return false;
  return query_name(key.name, key.labels, out);
}

bool DnSet::query_name(std::span<const std::uint8_t> name, std::size_t labels,
                       AnswerSink& out) const noexcept {
  const Match m = match(name, labels);
  if (m.id != NameIndex::kNone) emit(m, out);
  return m.exists;
}

DnSet::Match DnSet::match(std::span<const std::uint8_t> name, std::size_t labels) const noexcept {
  const std::uint32_t id = index_.find(name);
  const Node* node = id != NameIndex::kNone ? &nodes_[id] : nullptr;
  if (node != nullptr && (node->flags & kHasExact) != 0) {
    if ((node->flags & kExclExact) != 0) return {NameIndex::kNone, 0, 0, (node->flags & kEnt) != 0};
    return {id, node->exact_off, node->exact_n, true};
  }
  const bool ent = node != nullptr && (node->flags & kEnt) != 0;
  // No wildcard entry at any proper suffix's depth: settled (most names of most sets).
  if (max_wild_labels_ == 0 || labels - 1 < min_wild_labels_ || labels < 2)
    return {NameIndex::kNone, 0, 0, ent};
  return match_wild(name, labels, ent);
}

DnSet::Match DnSet::match_wild(std::span<const std::uint8_t> name, std::size_t labels,
                               bool ent) const noexcept {
  // Proper suffixes, longest first: drop one leading label at a time.
  std::size_t pos = 0;
  for (std::size_t n = labels - 1; n >= min_wild_labels_ && n > 0; --n) {
    pos += std::size_t{name[pos]} + 1;
    const std::size_t len = name.size() - pos;
    if (n > max_wild_labels_ || !wild_lengths_.has(len)) continue;
    const std::uint32_t w = index_.find(name.subspan(pos));
    if (w == NameIndex::kNone || (nodes_[w].flags & kHasWild) == 0) continue;
    const Node& wn = nodes_[w];
    if ((wn.flags & kExclWild) != 0) break;
    return {w, wn.wild_off, wn.wild_n, true};
  }
  return {NameIndex::kNone, 0, 0, ent};
}

void DnSet::dump(DumpWriter& out) const {
  // Exact entries first, then wildcards (as rbldnsd), each in load order.
  std::array<char, 4 * core::kMaxNameLen> buf{};
  for (const bool wild : {false, true}) {
    const std::uint8_t has = wild ? kHasWild : kHasExact;
    const std::uint8_t excl = wild ? kExclWild : kExclExact;
    for (std::uint32_t id = 0; id < nodes_.size(); ++id) {
      const Node& n = nodes_[id];
      if ((n.flags & has) == 0) continue;
      const std::string_view name(buf.data(), core::name_to_text(index_.wire(id), buf));
      const std::string owner = wild ? "*." + std::string(name) : std::string(name);
      if ((n.flags & excl) != 0) {
        out.excluded(owner);
        continue;
      }
      const std::uint32_t off = wild ? n.wild_off : n.exact_off;
      const std::uint32_t cnt = wild ? n.wild_n : n.exact_n;
      for (std::uint32_t k = off; k < off + cnt; ++k)
        out.a_txt(owner, values_[value_ids_[k]], meta_.txt, name);
    }
  }
}

std::size_t DnSet::memory_bytes() const noexcept {
  return index_.memory_bytes() + own_nodes_.capacity() * sizeof(Node) +
         own_value_ids_.capacity() * sizeof(std::uint32_t) + values_.capacity() * sizeof(Value) +
         pool_.bytes();
}

std::string DnSet::stats_text() const {
  return "e/w=" + std::to_string(exact_count_) + "/" + std::to_string(wild_count_);
}

namespace {

// Section numbers of a dnset image (0 is the meta).
enum DnSection : std::size_t {
  kScalars = 1,
  kIndex,
  kNodes = kIndex + NameIndex::kImageSections,
  kValueIds,
  kValues,
  kDnSections = kValues + 2
};

}  // namespace

bool DnSet::write_image(ImageWriter& out) const {
  out.set_type(ImageType::kDnSet);
  ByteWriter sc;
  sc.u64(min_wild_labels_);
  sc.u64(max_wild_labels_);
  sc.u64(exact_count_);
  sc.u64(wild_count_);
  out.add(sc.bytes());
  index_.write_image(out);
  out.add_array(nodes_);
  out.add_array(value_ids_);
  write_values(out, values_);
  return true;
}

core::Result<std::shared_ptr<const Dataset>> DnSet::from_image(DatasetMeta meta, const ImageView& image,
                                                               std::shared_ptr<const void> owner) {
  auto bad = [](std::string_view what) {
    return core::Status::error("dataset image: dnset " + std::string(what));
  };
  if (image.sections() != kDnSections) return bad("has the wrong number of sections");
  std::shared_ptr<DnSet> set(new DnSet(std::move(meta)));
  set->backing_ = std::move(owner);
  ByteReader sc(image.section(kScalars));
  set->min_wild_labels_ = static_cast<std::size_t>(sc.u64());
  set->max_wild_labels_ = static_cast<std::size_t>(sc.u64());
  set->exact_count_ = static_cast<std::size_t>(sc.u64());
  set->wild_count_ = static_cast<std::size_t>(sc.u64());
  if (sc.failed() || !sc.at_end()) return bad("scalars do not parse");
  if (core::Status st = set->index_.from_image(image, kIndex); !st.is_ok()) return st;
  auto nodes = image.array<Node>(kNodes);
  auto ids = image.array<std::uint32_t>(kValueIds);
  if (!nodes.is_ok()) return nodes.status();
  if (!ids.is_ok()) return ids.status();
  set->nodes_ = nodes.value();
  set->value_ids_ = ids.value();
  if (core::Status st = read_values(image, kValues, &set->values_); !st.is_ok()) return st;
  // Everything query() indexes must be in bounds, whatever the bytes say.
  if (set->nodes_.size() != set->index_.size()) return bad("nodes do not match the name index");
  const std::size_t nids = set->value_ids_.size();
  DnSet& ds = *set;
  std::uint32_t id = 0;
  if (!scan(image, set->nodes_, [nids, &ds, &id](const Node& n) {
        if ((n.flags & kHasWild) != 0) ds.wild_lengths_.add(ds.index_.key(id).size());
        ++id;
        return n.exact_off <= nids && n.exact_n <= nids - n.exact_off && n.wild_off <= nids &&
               n.wild_n <= nids - n.wild_off;
      }))
    return bad("node value run out of bounds");
  const std::size_t nvalues = set->values_.size();
  if (!scan(image, set->value_ids_, [nvalues](std::uint32_t v) { return v < nvalues; }))
    return bad("value id out of bounds");
  return std::shared_ptr<const Dataset>(std::move(set));
}

// ---------------------------------------------------------------------------------------
// DnSetBuilder

DnSetBuilder::DnSetBuilder() {
  // Instance 0 is the exclusion marker, instance 1 rbldnsd's built-in default value.
  intern_value({127, 0, 0, 2}, {});
  instance_value_ = {0, 0};
}

std::uint32_t DnSetBuilder::intern_value(const std::array<std::uint8_t, 4>& a, std::string_view txt) {
  auto it = value_ids_.find(std::make_pair(a, txt));
  if (it != value_ids_.end()) return it->second;
  Value v;
  v.a = a;
  v.txt = pool_.intern(txt);  // the map's key views the pooled copy, which never moves
  values_.push_back(v);
  value_ids_.emplace(std::make_pair(v.a, v.txt), to_u32(values_.size() - 1));
  return to_u32(values_.size() - 1);
}

DnSetBuilder::Instance DnSetBuilder::add_value(const std::array<std::uint8_t, 4>& a, std::string_view txt) {
  if (last_instance_ != kExclusion) {
    const Value& last = values_[instance_value_[last_instance_]];
    if (last.a == a && last.txt == txt) return last_instance_;
  }
  instance_value_.push_back(intern_value(a, txt));
  last_instance_ = to_u32(instance_value_.size() - 1);
  return last_instance_;
}

void DnSetBuilder::push(std::span<const std::uint8_t> name, bool exact, bool wild, Instance v) {
  const std::uint32_t node = index_.insert(name);
  if (exact) entries_.push_back({node, 0, v});
  if (wild) entries_.push_back({node, 1, v});
}

void DnSetBuilder::add(std::span<const std::uint8_t> name, bool exact, bool wild, Instance v) {
  push(name, exact, wild, v);
}

void DnSetBuilder::exclude(std::span<const std::uint8_t> name, bool exact, bool wild) {
  push(name, exact, wild, kExclusion);
}

std::unique_ptr<DnSet> DnSetBuilder::build(DatasetMeta meta) {
  std::unique_ptr<DnSet> set(new DnSet(std::move(meta)));
  std::sort(entries_.begin(), entries_.end(), [](const Entry& x, const Entry& y) {
    return std::tie(x.node, x.wild, x.inst) < std::tie(y.node, y.wild, y.inst);
  });

  // Value ids actually used get compact new ids (values_ may hold defaults never used).
  std::vector<std::uint32_t> remap(values_.size(), NameIndex::kNone);
  HugeVector<DnSet::Node>& nodes = set->own_nodes_;
  nodes.resize(index_.size());
  std::vector<std::uint32_t> vals;
  std::size_t exact_count = 0, wild_count = 0;
  for (std::size_t i = 0; i < entries_.size();) {
    const Entry& first = entries_[i];
    std::size_t j = i;
    while (j < entries_.size() && entries_[j].node == first.node && entries_[j].wild == first.wild) ++j;
    DnSet::Node& n = nodes[first.node];
    std::size_t& counter = first.wild != 0 ? wild_count : exact_count;
    const bool wild = first.wild != 0;
    n.flags = static_cast<std::uint8_t>(n.flags | (wild ? DnSet::kHasWild : DnSet::kHasExact));
    if (first.inst == kExclusion) {
      // rbldnsd sorts the exclusion first, and it swallows every listing of the name.
      ++counter;
      n.flags = static_cast<std::uint8_t>(n.flags | (wild ? DnSet::kExclWild : DnSet::kExclExact));
    } else {
      vals.clear();
      std::uint32_t prev = NameIndex::kNone;
      for (std::size_t k = i; k < j; ++k) {
        const std::uint32_t v = instance_value_[entries_[k].inst];
        if (v != prev) ++counter;  // rbldnsd drops only adjacent equal values
        prev = v;
        vals.push_back(v);
      }
      std::sort(vals.begin(), vals.end());
      vals.erase(std::unique(vals.begin(), vals.end()), vals.end());
      const auto off = to_u32(set->own_value_ids_.size());
      for (std::uint32_t v : vals) {
        if (remap[v] == NameIndex::kNone) {
          remap[v] = to_u32(set->values_.size());
          set->values_.push_back(values_[v]);
        }
        set->own_value_ids_.push_back(remap[v]);
      }
      (wild ? n.wild_off : n.exact_off) = off;
      (wild ? n.wild_n : n.exact_n) = to_u32(vals.size());
    }
    if (wild) {  // excluded wildcards too: they must be probed to settle a lookup
      const std::size_t labels = count_labels(index_.key(first.node));
      if (set->max_wild_labels_ == 0 || labels < set->min_wild_labels_) set->min_wild_labels_ = labels;
      set->max_wild_labels_ = std::max(set->max_wild_labels_, labels);
    }
    i = j;
  }
  set->exact_count_ = exact_count;
  set->wild_count_ = wild_count;

  // RFC 8020 empty non-terminals: every proper ancestor of a listed name, and the base of
  // a listed wildcard with its ancestors. New names join the index as flag-only nodes.
  const std::size_t listed_nodes = nodes.size();
  for (std::uint32_t id = 0; id < listed_nodes; ++id) {
    const DnSet::Node n = nodes[id];
    const bool exact_listed = (n.flags & DnSet::kHasExact) != 0 && (n.flags & DnSet::kExclExact) == 0;
    const bool wild_listed = (n.flags & DnSet::kHasWild) != 0 && (n.flags & DnSet::kExclWild) == 0;
    if (!exact_listed && !wild_listed) continue;
    std::array<std::uint8_t, core::kMaxNameLen> name{};
    const std::span<const std::uint8_t> k = index_.key(id);
    std::copy(k.begin(), k.end(), name.begin());
    const std::size_t len = k.size();
    std::size_t pos = wild_listed ? 0 : std::size_t{name[0]} + 1;
    for (; pos < len; pos += std::size_t{name[pos]} + 1) {
      const std::uint32_t a = index_.insert(std::span<const std::uint8_t>(name.data() + pos, len - pos));
      if (a >= nodes.size()) nodes.resize(std::size_t{a} + 1);
      nodes[a].flags = static_cast<std::uint8_t>(nodes[a].flags | DnSet::kEnt);
    }
  }

  nodes.shrink_to_fit();
  set->own_value_ids_.shrink_to_fit();
  set->values_.shrink_to_fit();
  index_.shrink_to_fit();
  set->index_ = std::move(index_);
  set->pool_ = std::move(pool_);
  set->nodes_ = set->own_nodes_;
  set->value_ids_ = set->own_value_ids_;
  for (std::uint32_t id = 0; id < nodes.size(); ++id)
    if ((nodes[id].flags & DnSet::kHasWild) != 0) set->wild_lengths_.add(set->index_.key(id).size());
  std::vector<Entry>().swap(entries_);
  return set;
}

}  // namespace fastrbl::zones
