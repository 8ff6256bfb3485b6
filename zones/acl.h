#pragma once
// Acl: rbldnsd's `acl` dataset (compat §8.1), matched on the client address, not on the
// queried name.
//
// IPv4 and IPv6 prefixes live in two separate longest-prefix tables; /0 is allowed. Each
// entry carries an action: ignore (drop the query), refuse (REFUSED), empty (the datasets
// report nothing), pass (as if not listed), or an A+TXT template that makes every valid
// data query answer as listed. A zone has at most one Acl (Zone::acl) and the server at
// most one global Acl (Snapshot::global_acl()); dnsd/query.cc combines them.
//
// An Acl is a Dataset so that the generic loader can read it (specials, $TTL, $n, $=),
// but it is never consulted for data: query() always answers "not found" and flags() is 0.
// The template's TTL is meta().ttl and its `$n`/`$=` come from meta().txt.
//
// Ownership: an Acl owns its tables and the StringPool its Values point into. The builder
// is used by one loader thread. Thread safety: a built Acl is immutable; lookup() may run
// on any number of threads; it is noexcept and allocation-free.

#include "core/status.h"
#include "zones/dataset.h"
#include "zones/image.h"
#include "zones/string_pool.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <sys/socket.h>
#include <utility>
#include <vector>

namespace fastrbl::zones {

enum class AclAction : std::uint8_t {
  kPass,      // as if not listed
  kIgnore,    // drop the query, no reply (also `blackhole`)
  kRefuse,    // REFUSED for every query to the zone
  kEmpty,     // the datasets report nothing
  kTemplate,  // always listed with `value` (TXT `$` = the client address)
};

/// What an entry says about a client.
struct AclRule {
  AclAction action = AclAction::kPass;
  Value value;  // kTemplate only; txt views the Acl's pool
};

class Acl final : public Dataset {
 public:
  /// Never consulted for data: always false, adds nothing.
  bool query(const QueryKey& key, AnswerSink& out) const noexcept override;
  unsigned flags() const noexcept override { return 0; }
  std::size_t entries() const noexcept override { return rules4_.size() + rules6_.size(); }
  std::size_t memory_bytes() const noexcept override;
  void dump(DumpWriter& out) const override;
  /// Writes the rules (docs/LMDB_SCHEMA.md).
  bool write_image(ImageWriter& out) const override;
  /// The acl held by `image`, rebuilt on the heap (acls are small); template texts view
  /// the image bytes, which `owner` keeps alive.
  static core::Result<std::shared_ptr<const Dataset>> from_image(DatasetMeta meta, const ImageView& image,
                                                                 std::shared_ptr<const void> owner);

  /// The rule of the longest prefix that contains the client `peer` (AF_INET or
  /// AF_INET6, looked up as is: a v4-mapped IPv6 peer is searched in the IPv6 table), or
  /// nullptr when no entry matches (or `peer` is null or of another family).
  const AclRule* lookup(const sockaddr* peer) const noexcept;
  const AclRule* lookup4(std::uint32_t addr) const noexcept;
  const AclRule* lookup6(const std::array<std::uint8_t, 16>& addr) const noexcept;

  /// Number of IPv4 / IPv6 entries.
  std::size_t ip4_entries() const noexcept { return rules4_.size(); }
  std::size_t ip6_entries() const noexcept { return rules6_.size(); }

 private:
  friend class AclBuilder;
  explicit Acl(DatasetMeta meta) : Dataset(std::move(meta)) {}

  using Key6 = std::pair<std::uint64_t, std::uint64_t>;
  // Entries sorted by (prefix length descending, masked address); `lengths` lists the
  // distinct prefix lengths present, longest first, with where each run starts.
  struct Run {
    unsigned bits;
    std::size_t begin, end;
  };
  std::vector<std::pair<std::uint32_t, AclRule>> rules4_;
  std::vector<Run> runs4_;
  std::vector<std::pair<Key6, AclRule>> rules6_;
  std::vector<Run> runs6_;
  StringPool pool_;
};

/// Collects acl entries and builds an Acl. The same prefix twice: the first one wins.
class AclBuilder {
 public:
  /// The pool the built Acl will own (template texts and `$n`/`$=` are interned here).
  StringPool& pool() noexcept { return pool_; }

  /// Adds `addr/bits` (host bits must be zero). Returns false, adding nothing, when
  /// that prefix is already present. Requires: bits <= 32; rule.value.txt in pool().
  bool add4(std::uint32_t addr, unsigned bits, const AclRule& rule);
  /// As add4, for IPv6. Requires: bits <= 128.
  bool add6(const std::array<std::uint8_t, 16>& addr, unsigned bits, const AclRule& rule);

  /// Builds the Acl; `meta.txt` may point into pool(), which moves into the result.
  std::unique_ptr<Acl> build(DatasetMeta meta);

 private:
  struct Entry4 {
    std::uint32_t addr;
    unsigned bits;
    AclRule rule;
  };
  struct Entry6 {
    std::array<std::uint8_t, 16> addr;
    unsigned bits;
    AclRule rule;
  };
  std::vector<Entry4> v4_;
  std::vector<Entry6> v6_;
  std::set<std::uint64_t> seen4_;  // (bits << 32) | addr, for duplicate detection
  std::set<std::pair<std::pair<std::uint64_t, std::uint64_t>, unsigned>> seen6_;
  StringPool pool_;
};

}  // namespace fastrbl::zones
