#include "zones/zone_records.h"

namespace fastrbl::zones {

using core::ResponseWriter;
using core::Section;

bool write_soa(ResponseWriter& w, const Zone& zone, std::uint16_t owner, bool authority) noexcept {
  const SoaData& s = *zone.soa;
  core::SoaFields f;
  f.mname = s.mname.data();
  f.rname = s.rname.data();
  f.serial = s.serial;
  f.refresh = s.refresh;
  f.retry = s.retry;
  f.expire = s.expire;
  f.minimum = s.minimum;
  // In a negative answer the SOA carries the MINIMUM field as its TTL (as rbldnsd).
  return w.add_soa(owner, authority ? s.minimum : s.ttl, f);
}

bool write_ns_set(ResponseWriter& w, const Zone& zone, std::uint16_t owner, std::uint32_t first,
                  bool glue) noexcept {
  const std::size_t n = zone.ns.size();
  const ResponseWriter::Mark m = w.mark();
  for (std::size_t i = 0; i < n; ++i) {
    const core::Name& ns = zone.ns[(first + i) % n];
    if (!w.add_ns(owner, zone.ns_ttl, ns.data())) {
      w.rollback(m);
      return false;
    }
  }
  if (glue && !zone.glue.empty()) {
    w.set_section(Section::kAdditional);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t idx = (first + i) % n;
      for (const Glue& g : zone.glue) {
        if (g.ns_index != idx) continue;
        if (!w.add_a_named(zone.ns[idx].data(), g.ttl, g.a.data())) {
          w.rollback(m);
          return false;
        }
      }
    }
  }
  return true;
}

ZoneTemplates build_zone_templates(const Zone& zone) {
  ZoneTemplates t;
  constexpr std::uint16_t kApex = core::kHeaderSize;  // the synthetic question is the apex
  if (zone.soa) {
    for (const bool authority : {false, true}) {
      auto r = core::RecordTemplate::capture(
          zone.name, authority ? Section::kAuthority : Section::kAnswer,
          [&](ResponseWriter& w) { return write_soa(w, zone, kApex, authority); });
      (authority ? t.soa_authority : t.soa_answer) = std::move(r);
    }
    if (t.soa_authority) t.soa_authority->build_shift_table();  // for the fast path's negative answers
  }
  for (std::uint32_t r = 0; r < zone.ns.size(); ++r) {
    t.ns_answer.push_back(core::RecordTemplate::capture(zone.name, Section::kAnswer, [&](ResponseWriter& w) {
      return write_ns_set(w, zone, kApex, r, false);
    }));
    t.ns_authority.push_back(core::RecordTemplate::capture(
        zone.name, Section::kAuthority,
        [&](ResponseWriter& w) { return write_ns_set(w, zone, kApex, r, false); }));
    t.ns_authority_glue.push_back(core::RecordTemplate::capture(
        zone.name, Section::kAuthority,
        [&](ResponseWriter& w) { return write_ns_set(w, zone, kApex, r, true); }));
  }
  return t;
}

bool add_ns_set(ResponseWriter& w, const Zone& zone, const ApexPosition& at, std::uint32_t first,
                bool glue) noexcept {
  const std::size_t n = zone.ns.size();
  if (zone.templates && n != 0 && zone.templates->ns_answer.size() == n) {
    const std::size_t r = first % n;
    const ZoneTemplates& zt = *zone.templates;
    const bool authority = w.section() == Section::kAuthority;
    const auto& t = !authority ? zt.ns_answer[r] : glue ? zt.ns_authority_glue[r] : zt.ns_authority[r];
    if (authority || !glue) {
      if (const auto res = try_template(w, t, at)) return *res;
    }
  }
  return write_ns_set(w, zone, at.owner, first, glue);
}

}  // namespace fastrbl::zones
