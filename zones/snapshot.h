#pragma once
// Snapshot: the immutable set of zones a server answers from.
//
// Workers read one Snapshot per batch; the control thread builds a new one and publishes
// it (never mutating a published one, STYLE.md 21). Zones are kept in rbldnsd's order: a
// zone is placed before any zone that is its ancestor, so the first zone that is a suffix
// of the query name is the most specific one, whatever the command-line order.
// Thread safety: all const methods may be called concurrently.

#include "core/wire_reader.h"
#include "zones/zone.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace fastrbl::zones {

class Snapshot {
 public:
  Snapshot() = default;
  /// Takes the zones in command-line order and arranges them for lookup.
  explicit Snapshot(std::vector<Zone> zones, std::uint64_t generation = 0,
                    std::shared_ptr<const Acl> global_acl = nullptr);

  /// The most specific zone that is a suffix of the (lowercased) query name, or nullptr.
  /// On success *index is the zone's position in zones().
  const Zone* find_zone(const core::ParsedQuery& q, std::size_t* index) const noexcept;

  const std::vector<Zone>& zones() const noexcept { return zones_; }
  std::uint64_t generation() const noexcept { return generation_; }
  /// The global acl (`:acl:file`), consulted before the query is parsed; or null.
  const Acl* global_acl() const noexcept { return global_acl_.get(); }

 private:
  std::vector<Zone> zones_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<const Acl> global_acl_;
};

}  // namespace fastrbl::zones
