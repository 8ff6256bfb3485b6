#pragma once
// Zone records: how a zone's own SOA, NS set and glue go into a response.
//
// write_soa() and write_ns_set() are the generic path (names compressed by suffix search
// against the question and earlier names). ZoneTemplates holds, per zone, the same records
// precomputed with core::RecordTemplate at snapshot build time; add_soa() and add_ns_set()
// copy a template when it applies and fall back to the generic path otherwise, so the
// bytes are the same either way. Templates are built by Snapshot's constructor and are
// immutable afterwards. Thread safety: the add_* functions are pure apart from the writer.

#include "core/wire_writer.h"
#include "zones/zone.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace fastrbl::zones {

struct ZoneTemplates {
  std::optional<core::RecordTemplate> soa_answer;     // SOA with its own TTL, in ANSWER
  std::optional<core::RecordTemplate> soa_authority;  // SOA with MINIMUM as TTL, in AUTHORITY (with
                                                      // the shift table: build_shift_table())
  /// Per rotation start r: the NS set from NS r on (ANSWER), and in AUTHORITY without and
  /// with glue. Empty entries (nullopt) mean "use the generic path".
  std::vector<std::optional<core::RecordTemplate>> ns_answer, ns_authority, ns_authority_glue;
};

/// Builds the templates of `zone`. Allocates; for snapshot build time only.
ZoneTemplates build_zone_templates(const Zone& zone);

/// The question's facts the templates need: where the apex is and the label above it.
struct ApexPosition {
  std::uint16_t owner = 0;                   // offset of the zone apex inside the question
  const std::uint8_t* above_apex = nullptr;  // lowercase label just above the apex, or null
};

/// The generic path of add_soa() and add_ns_set() (no templates).
bool write_soa(core::ResponseWriter& w, const Zone& zone, std::uint16_t owner, bool authority) noexcept;
bool write_ns_set(core::ResponseWriter& w, const Zone& zone, std::uint16_t owner, std::uint32_t first,
                  bool glue) noexcept;

/// Tries the template `t`: true or false as the generic path would return, or nothing
/// when the template does not apply here (then the generic path must be used).
inline std::optional<bool> try_template(core::ResponseWriter& w, const std::optional<core::RecordTemplate>& t,
                                        const ApexPosition& at) noexcept {
  if (!t) return std::nullopt;
  switch (w.add_template(*t, at.owner, at.above_apex)) {
    case core::ResponseWriter::TemplateResult::kWritten:
      return true;
    case core::ResponseWriter::TemplateResult::kNoRoom:
      return false;
    case core::ResponseWriter::TemplateResult::kNotApplicable:
      break;
  }
  return std::nullopt;
}

/// The SOA record (owner `at.owner`; TTL MINIMUM in AUTHORITY, its own TTL otherwise).
/// Requires: zone.soa. False if it does not fit (nothing written). Inline: it is on the
/// path of every negative answer.
inline bool add_soa(core::ResponseWriter& w, const Zone& zone, const ApexPosition& at,
                    bool authority) noexcept {
  if (zone.templates) {
    const auto& t = authority ? zone.templates->soa_authority : zone.templates->soa_answer;
    if (const auto r = try_template(w, t, at)) return *r;
  }
  return write_soa(w, zone, at.owner, authority);
}
/// The NS set from NS `first % n` on (round robin); with `glue`, the A records of in-zone NS
/// names follow in ADDITIONAL. All or nothing; false if it does not fit.
bool add_ns_set(core::ResponseWriter& w, const Zone& zone, const ApexPosition& at, std::uint32_t first,
                bool glue) noexcept;

}  // namespace fastrbl::zones
