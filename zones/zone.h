#pragma once
// Zone: one served zone (apex name, SOA/NS/glue, and its datasets in command-line order).
//
// Built by the loader from the zone specs; immutable once inside a Snapshot. SOA and NS
// come from the first dataset (in command-line order) that declares them (compat §5);
// `soa->serial` is already resolved (0 in the data means the zone's newest stamp). The
// zone's acl is kept apart from `datasets`: it is matched on the client, not the name,
// and its files do not count in `stamp` (as rbldnsd).
// Thread safety: read-only after publication.

#include "core/dname.h"
#include "zones/acl.h"
#include "zones/dataset.h"

#include <array>
#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <vector>

namespace fastrbl::zones {

/// An A record for an NS name that lies inside a served zone.
struct Glue {
  std::size_t ns_index = 0;  // which NS name it belongs to
  std::array<std::uint8_t, 4> a{};
  std::uint32_t ttl = 0;
};

struct ZoneTemplates;  // zones/zone_records.h

struct Zone {
  core::Name name;  // lowercase
  std::vector<std::shared_ptr<const Dataset>> datasets;
  std::optional<SoaData> soa;
  std::uint32_t ns_ttl = 0;
  std::vector<core::Name> ns;  // at most 32, deduplicated
  std::vector<Glue> glue;
  unsigned flags = 0;              // union of the datasets' DatasetFlag bits
  bool serviced = true;            // false: answer SERVFAIL (failed first load, or expired data)
  std::time_t stamp = 0;           // newest mtime over all files of all datasets
  std::shared_ptr<const Acl> acl;  // the zone's `acl` dataset (not in `datasets`), or null
  /// SOA/NS/glue precomputed for the query path; set by Snapshot's constructor from the
  /// fields above (null: the generic writer is used).
  std::shared_ptr<const ZoneTemplates> templates;
};

}  // namespace fastrbl::zones
