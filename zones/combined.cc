#include "zones/combined.h"

#include "core/wire_reader.h"
#include "zones/dump.h"
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

std::string Combined::stats_text() const {
  return "subzones=" + std::to_string(subs_.size()) + " datasets=" + std::to_string(dataset_count_);
}

}  // namespace fastrbl::zones
