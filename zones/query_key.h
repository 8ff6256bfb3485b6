#pragma once
// prepare_query_key(): turns a parsed question into the QueryKey the datasets of a zone
// read, once per query. This is the one place where reverse names become addresses
// (compat §6.2), so IPv4/IPv6 handling (6to4 and v4-mapped names feeding IPv4 datasets)
// cannot drift between dataset types. Pure, noexcept, no allocation.

#include "core/wire_reader.h"
#include "zones/dataset.h"
#include "zones/zone.h"

#include <cstddef>

namespace fastrbl::zones {

/// Requires: `zone` was found for `q` (its name is a suffix of the query name).
/// The key's name views point into `q`, which must outlive the key.
void prepare_query_key(const core::ParsedQuery& q, const Zone& zone, QueryKey* key) noexcept;

}  // namespace fastrbl::zones
