#pragma once
// prepare_query_key(): turns a parsed question into the QueryKey the datasets of a zone
// read, once per query. This is the one place where reverse names become addresses
// (compat §6.2), so IPv4/IPv6 handling (6to4 and v4-mapped names feeding IPv4 datasets)
// cannot drift between dataset types. Pure, noexcept, no allocation.

#include "core/wire_reader.h"
#include "zones/dataset.h"
#include "zones/zone.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace fastrbl::zones {

/// Requires: `zone` was found for `q` (its name is a suffix of the query name).
/// The key's name views point into `q`, which must outlive the key.
void prepare_query_key(const core::ParsedQuery& q, const Zone& zone, QueryKey* key) noexcept;

/// The IPv6 address of the 32 one-nibble labels at `name` (64 bytes: length 1, one
/// lowercase hex digit, lowest nibble first, as in ip6.arpa), in network order into *a;
/// false (and *a unspecified) when any label is not so. Sixteen bytes (eight labels) at a
/// time; part of prepare_query_key(), public for its test.
bool parse_ip6_nibbles(const std::uint8_t* name, std::array<std::uint8_t, 16>* a) noexcept;

}  // namespace fastrbl::zones
