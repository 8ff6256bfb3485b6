#include "zones/snapshot.h"

#include "core/bytes.h"
#include "zones/dnset.h"
#include "zones/ip4set.h"
#include "zones/zone_records.h"

namespace fastrbl::zones {

Snapshot::Snapshot(std::vector<Zone> zones, std::uint64_t generation, std::shared_ptr<const Acl> global_acl)
    : generation_(generation), global_acl_(std::move(global_acl)) {
  // rbldnsd's insertion: a new zone goes in front of the first zone that is its ancestor.
  for (Zone& z : zones) {
    auto pos = zones_.begin();
    for (; pos != zones_.end(); ++pos)
      if (z.name.is_subdomain_of(pos->name)) break;
    zones_.insert(pos, std::move(z));
  }
  for (Zone& z : zones_) z.templates = std::make_shared<const ZoneTemplates>(build_zone_templates(z));
  if (global_acl_ != nullptr || zones_.size() > 0xffff) return;  // (FastZone::index)
  for (const Zone& z : zones_) {
    FastZone f;
    f.zone = &z;
    f.index = static_cast<std::uint16_t>(fast_.size());
    f.name = z.name.data();
    f.size = static_cast<std::uint8_t>(z.name.size());
    f.labels = static_cast<std::uint8_t>(z.name.label_count());
    const std::size_t tn = f.size < f.tail.size() ? f.size : f.tail.size();
    for (std::size_t i = 0; i < tn; ++i) {
      const std::uint8_t c = f.name[f.size - tn + i];
      f.tail[f.tail.size() - tn + i] = c;
      f.tail_case[f.tail.size() - tn + i] = c >= 'a' && c <= 'z' ? 0x20 : 0;
      f.tail_mask = static_cast<std::uint16_t>(f.tail_mask | (1u << (f.tail.size() - tn + i)));
    }
    std::size_t ip4 = 0, dn = 0;
    for (const auto& ds : z.datasets) {
      if (dynamic_cast<const Ip4Set*>(ds.get()) != nullptr) ++ip4;
      if (dynamic_cast<const DnSet*>(ds.get()) != nullptr) ++dn;
    }
    const std::size_t n = z.datasets.size();
    if (z.acl == nullptr && z.serviced && n != 0 && n <= FastZone::kMaxDatasets && (ip4 == n || dn == n)) {
      f.kind = ip4 == n ? FastZone::Kind::kIp4Set : FastZone::Kind::kDnSet;
      f.count = static_cast<std::uint8_t>(n);
      for (std::size_t i = 0; i < n; ++i) f.datasets[i] = z.datasets[i].get();
      const ZoneTemplates& t = *z.templates;
      f.has_soa = z.soa.has_value();
      if (z.soa && t.soa_authority && t.soa_authority->counts()[0] == 0) {
        f.soa = &*t.soa_authority;
        const core::RecordTemplate::ShiftCopy c = f.soa->shift_copy();
        // (the table covers every apex offset a question can have)
        if (c.table != nullptr && c.shifts == core::kMaxNameLen + 1 - z.name.size() && c.size <= 0xffff) {
          f.soa_table = c.table;
          f.soa_stride = static_cast<std::uint16_t>(c.stride);
          f.soa_size = static_cast<std::uint16_t>(c.size);
        }
        core::store_u16(&f.negative_counts[4], f.soa->counts()[1]);
        core::store_u16(&f.negative_counts[6], f.soa->counts()[2]);
      }
      if (!z.ns.empty() && z.ns.size() <= 255 && t.ns_authority_glue.size() == z.ns.size()) {
        f.ns_glue = t.ns_authority_glue.data();
        f.ns_count = static_cast<std::uint8_t>(z.ns.size());
      }
    }
    fast_.push_back(f);
  }
}

const Zone* Snapshot::find_zone(const core::ParsedQuery& q, std::size_t* index) const noexcept {
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    const Zone& z = zones_[i];
    const std::size_t zl = z.name.label_count();
    if (zl > q.label_count) continue;
    const std::size_t off = q.label_off[q.label_count - zl];
    if (q.qname_len - off != z.name.size()) continue;
    if (!core::same_bytes(q.lname.data() + off, z.name.data(), z.name.size())) continue;
    *index = i;
    return &z;
  }
  return nullptr;
}

}  // namespace fastrbl::zones
