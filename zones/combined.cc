#include "zones/combined.h"

#include "core/wire_reader.h"
#include "zones/dump.h"
#include "zones/image.h"
#include "zones/query_key.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <set>

namespace fastrbl::zones {

Combined::Combined(DatasetMeta meta, std::vector<Subzone> subzones, std::size_t dataset_count,
                   StringPool pool)
    : Dataset(std::move(meta)), dataset_count_(dataset_count), pool_(std::move(pool)) {
  std::set<const Dataset*> seen;
  for (Subzone& z : subzones) {
    Sub s;
    s.z = std::move(z);
    for (const auto& ds : s.z.datasets) {
      s.key_zone.flags |= ds->flags();
      if (seen.insert(ds.get()).second) {
        entries_ += ds->entries();
        memory_ += ds->memory_bytes();
      }
    }
    flags_ |= s.key_zone.flags;
    subs_.push_back(std::move(s));
  }
  std::stable_sort(subs_.begin(), subs_.end(),
                   [](const Sub& a, const Sub& b) { return a.z.labels > b.z.labels; });
}

bool Combined::query(const QueryKey& key, AnswerSink& out) const noexcept {
  return dispatch(key, nullptr, out);
}

bool Combined::query_acl(const QueryKey& key, const AclOverride& acl, AnswerSink& out) const noexcept {
  return dispatch(key, &acl, out);
}

bool Combined::dispatch(const QueryKey& key, const AclOverride* acl, AnswerSink& out) const noexcept {
  // Label offsets of the relative name: a suffix of n labels starts at off[labels - n].
  std::array<std::uint8_t, core::kMaxLabels + 1> off{};
  std::size_t labels = 0;
  for (std::size_t pos = 0; pos < key.name.size() && labels < core::kMaxLabels;
       pos += std::size_t{key.name[pos]} + 1)
    off[labels++] = static_cast<std::uint8_t>(pos);
  off[labels] = static_cast<std::uint8_t>(key.name.size());

  bool found = false;
  for (const Sub& s : subs_) {
    if (s.z.labels > labels) continue;
    const std::size_t start = off[labels - s.z.labels];
    if (key.name.size() - start != s.z.name.size() ||
        !std::equal(s.z.name.begin(), s.z.name.end(), key.name.begin() + static_cast<std::ptrdiff_t>(start)))
      continue;
    const std::size_t rel = labels - s.z.labels;
    QueryKey sub;
    core::ParsedQuery q;  // only for prepare_query_key: the relative name over the root
    if ((s.key_zone.flags & (kWantsIp4 | kWantsIp6)) != 0) {
      std::memcpy(q.lname.data(), key.name.data(), start);
      q.lname[start] = 0;
      for (std::size_t i = 0; i <= rel; ++i) q.label_off[i] = off[i];
      q.label_count = rel;
      q.qname_len = start + 1;
      q.qtype = key.qtype;
      prepare_query_key(q, s.key_zone, &sub);
    } else {
      sub.name = key.name.first(start);
      sub.labels = rel;
      sub.qtype = key.qtype;
    }
    found = rel == 0;  // a subzone's own apex always exists
    for (const auto& ds : s.z.datasets)
      if (acl != nullptr ? ds->query_acl(sub, *acl, out) : ds->query(sub, out)) found = true;
    break;
  }
  return found || is_ancestor(key.name);
}

void Combined::dump(DumpWriter& out) const {
  for (const Sub& s : subs_) {
    out.set_origin(s.z.name);
    for (const auto& ds : s.z.datasets) {
      out.ttl(ds->meta().ttl);
      ds->dump(out);
    }
  }
  out.set_origin({});  // back to the zone for the datasets that follow
}

// RFC 8020: a proper ancestor of a subzone exists (its apex does).
bool Combined::is_ancestor(std::span<const std::uint8_t> name) const noexcept {
  for (const Sub& s : subs_) {
    if (s.z.name.size() <= name.size()) continue;
    for (std::size_t pos = 0; pos < s.z.name.size(); pos += std::size_t{s.z.name[pos]} + 1) {
      if (s.z.name.size() - pos != name.size()) continue;
      if (std::equal(name.begin(), name.end(), s.z.name.begin() + static_cast<std::ptrdiff_t>(pos)))
        return true;
      break;
    }
  }
  return false;
}

std::size_t Combined::memory_bytes() const noexcept { return memory_ + pool_.bytes(); }

bool Combined::write_image(ImageWriter& out) const {
  out.set_type(ImageType::kCombined);
  // Distinct nested datasets (one may serve several subzones), in order of first use.
  std::vector<const Dataset*> nested;
  auto index_of = [&nested](const Dataset* d) {
    for (std::size_t i = 0; i < nested.size(); ++i)
      if (nested[i] == d) return i;
    nested.push_back(d);
    return nested.size() - 1;
  };
  ByteWriter sc;
  sc.u64(dataset_count_);
  sc.u32(static_cast<std::uint32_t>(subs_.size()));
  for (const Sub& s : subs_) {
    sc.str(std::string_view(reinterpret_cast<const char*>(s.z.name.data()), s.z.name.size()));
    sc.u32(static_cast<std::uint32_t>(s.z.labels));
    sc.u32(static_cast<std::uint32_t>(s.z.datasets.size()));
    for (const auto& ds : s.z.datasets) sc.u32(static_cast<std::uint32_t>(index_of(ds.get())));
  }
  sc.u32(static_cast<std::uint32_t>(nested.size()));
  out.add(sc.bytes());
  for (const Dataset* d : nested) {
    auto image = zones::write_image(*d);
    if (!image.is_ok()) return false;
    add_nested_image(out, image.value());
  }
  return true;
}

core::Result<std::shared_ptr<const Dataset>> Combined::from_image(DatasetMeta meta, const ImageView& image,
                                                                  std::shared_ptr<const void> owner) {
  auto bad = [](std::string_view what) {
    return core::Status::error("dataset image: combined " + std::string(what));
  };
  if (image.sections() < 2) return bad("has no subzone section");
  ByteReader sc(image.section(1));
  const std::size_t dataset_count = static_cast<std::size_t>(sc.u64());
  const std::uint32_t nsubs = sc.u32();
  struct Pending {
    std::vector<std::uint8_t> name;
    std::size_t labels;
    std::vector<std::uint32_t> ids;
  };
  std::vector<Pending> pending;
  for (std::uint32_t i = 0; i < nsubs && !sc.failed(); ++i) {
    Pending p;
    const std::string_view name = sc.str();
    p.name.assign(name.begin(), name.end());
    p.labels = sc.u32();
    const std::uint32_t n = sc.u32();
    for (std::uint32_t k = 0; k < n && !sc.failed(); ++k) p.ids.push_back(sc.u32());
    pending.push_back(std::move(p));
  }
  const std::uint32_t nnested = sc.u32();
  if (sc.failed() || !sc.at_end() || image.sections() != 2 + std::size_t{nnested})
    return bad("subzones do not parse");
  std::vector<std::shared_ptr<const Dataset>> nested;
  for (std::uint32_t i = 0; i < nnested; ++i) {
    auto bytes = nested_image(image, 2 + i);
    if (!bytes.is_ok()) return bytes.status();
    auto opened = open_image(bytes.value(), owner);
    if (!opened.is_ok()) return opened.status();
    nested.push_back(std::move(opened.value().dataset));
  }
  std::vector<Subzone> subzones;
  for (Pending& p : pending) {
    // The name must be wire labels (it is matched against query names) of `labels` labels.
    std::size_t labels = 0, pos = 0;
    while (pos < p.name.size() && p.name[pos] != 0 && p.name[pos] <= 63)
      pos += std::size_t{p.name[pos]} + 1, ++labels;
    if (pos != p.name.size() || labels != p.labels) return bad("subzone name is malformed");
    Subzone z;
    z.name = std::move(p.name);
    z.labels = p.labels;
    for (std::uint32_t id : p.ids) {
      if (id >= nested.size()) return bad("subzone names a missing dataset");
      z.datasets.push_back(nested[id]);
    }
    subzones.push_back(std::move(z));
  }
  auto c = std::make_shared<Combined>(std::move(meta), std::move(subzones), dataset_count, StringPool());
  c->backing_ = std::move(owner);
  return std::shared_ptr<const Dataset>(std::move(c));
}

std::string Combined::stats_text() const {
  return "subzones=" + std::to_string(subs_.size()) + " datasets=" + std::to_string(dataset_count_);
}

}  // namespace fastrbl::zones
