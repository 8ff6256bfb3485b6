#pragma once
// Snapshot: the immutable set of zones a server answers from.
//
// Workers read one Snapshot per batch; the control thread builds a new one and publishes
// it (never mutating a published one, STYLE.md 21). Zones are kept in rbldnsd's order: a
// zone is placed before any zone that is its ancestor, so the first zone that is a suffix
// of the query name is the most specific one, whatever the command-line order.
// Thread safety: all const methods may be called concurrently.

#include "core/wire_reader.h"
#include "core/wire_writer.h"
#include "zones/zone.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace fastrbl::zones {

/// A zone as the query path's fast path (dnsd/query.cc) sees it: the apex to match as a
/// suffix and, when every dataset of the zone is of one simple kind and nothing else
/// applies to the zone (no acl, serviced), that kind and the datasets, and the zone's
/// templates (zones/zone_records.h) the fast path writes without a writer. Built by
/// Snapshot's constructor, in zones() order; `name`, `datasets`, `soa` and `ns_glue` point
/// into the snapshot.
struct FastZone {
  enum class Kind : std::uint8_t {
    kGeneric,  // the fast path does not serve this zone (the general path does)
    kIp4Set,   // only ip4set datasets
    kDnSet,    // only dnset datasets
  };
  static constexpr std::size_t kMaxDatasets = 4;
  const std::uint8_t* name = nullptr;  // the zone's lowercase wire name, root byte included
  std::uint8_t size = 0;               // its length
  std::uint8_t labels = 0;             // its label count
  /// The last min(size, 16) bytes of the name, at the end of the 16 (zeros before them),
  /// and a bit for each of those positions (bit i: byte i), so that one 16-byte compare
  /// with the end of a query name matches the zone's tail; tail_case has 0x20 where
  /// `tail` has a letter, to be or-ed into the name's bytes (which then compare equal to
  /// a letter in either case, and to any other byte only as that byte).
  std::array<std::uint8_t, 16> tail{};
  std::array<std::uint8_t, 16> tail_case{};
  std::uint16_t tail_mask = 0;
  Kind kind = Kind::kGeneric;
  std::uint8_t count = 0;  // datasets[0, count): the zone's datasets in order
  std::array<const Dataset*, kMaxDatasets> datasets{};
  const Zone* zone = nullptr;  // zones()[index]
  std::uint16_t index = 0;
  /// The SOA in AUTHORITY (negative answers), or null: no template (see has_soa).
  const core::RecordTemplate* soa = nullptr;
  /// soa->shift_copy(): the SOA after a question whose apex is at 12 + s (every s a
  /// question can have: s <= 255 - size) is the 64 bytes at soa_table + s * soa_stride,
  /// soa_size of them counting; null table: write_after_question() (or the writer).
  const std::uint8_t* soa_table = nullptr;
  std::uint16_t soa_stride = 0;
  std::uint16_t soa_size = 0;
  bool has_soa = false;  // the zone has a SOA
  /// QDCOUNT (1), ANCOUNT (0), NSCOUNT and ARCOUNT of a negative answer written with
  /// `soa`, as they go into the header: big-endian; no SOA: 1, 0, 0, 0.
  std::array<std::uint8_t, 8> negative_counts{0, 1, 0, 0, 0, 0, 0, 0};
  /// The NS set in AUTHORITY with glue, per rotation start (ns_glue[r] for NS r first;
  /// null entries: no template), for positive answers; ns_count entries, 0 without NS.
  const std::optional<core::RecordTemplate>* ns_glue = nullptr;
  std::uint8_t ns_count = 0;
};

class Snapshot {
 public:
  Snapshot() = default;
  // Not copyable: fast_zones() points into zones().
  Snapshot(const Snapshot&) = delete;
  Snapshot& operator=(const Snapshot&) = delete;
  Snapshot(Snapshot&&) = default;
  Snapshot& operator=(Snapshot&&) = default;
  /// Takes the zones in command-line order and arranges them for lookup.
  explicit Snapshot(std::vector<Zone> zones, std::uint64_t generation = 0,
                    std::shared_ptr<const Acl> global_acl = nullptr);

  /// The most specific zone that is a suffix of the (lowercased) query name, or nullptr.
  /// On success *index is the zone's position in zones().
  const Zone* find_zone(const core::ParsedQuery& q, std::size_t* index) const noexcept;

  const std::vector<Zone>& zones() const noexcept { return zones_; }
  /// One entry per zone, in zones() order; empty when a global acl is set (the fast
  /// path then never applies) or with more than 65535 zones.
  std::span<const FastZone> fast_zones() const noexcept { return fast_; }
  std::uint64_t generation() const noexcept { return generation_; }
  /// The global acl (`:acl:file`), consulted before the query is parsed; or null.
  const Acl* global_acl() const noexcept { return global_acl_.get(); }

 private:
  std::vector<Zone> zones_;
  std::uint64_t generation_ = 0;
  std::shared_ptr<const Acl> global_acl_;
  std::vector<FastZone> fast_;
};

}  // namespace fastrbl::zones
