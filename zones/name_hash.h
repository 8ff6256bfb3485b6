#pragma once
// NameIndex: an open-addressing hash table from domain names (wire labels, no root byte)
// to dense ids, with a per-process random seed (STYLE.md trap 14: feeds are
// attacker-influenced, so an unseeded hash would let a feed author force collisions).
//
// Keys are stored in normal wire order in one flat arena, each followed by a root byte,
// so that a stored key is also a complete wire name (for presentation text). Normal order
// is deliberate: with a hash table, every suffix of a query name (what wildcard lookups
// probe, most specific first) is a contiguous tail of the query's own bytes and can be
// hashed in place, with no key to build. Reversed-label keys only pay off for ordered
// structures (prefix scans), which this index is not.
//
// The hash is SipHash-1-3 (64-bit output) keyed with 128 bits from getrandom(2), drawn
// once per process. A slot holds the id and the high 32 bits of the hash, so a probe
// compares key bytes only when 32 hash bits agree. Load factor at most 1/2.
//
// Ownership: a NameIndex owns its arena and slots. Thread safety: built by one thread
// (insert), then immutable; find() and key() may run on any number of threads at once.

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fastrbl::zones {

/// SipHash-1-3 of `data` under the process seed. Pure apart from the one-time seed.
std::uint64_t name_hash(std::span<const std::uint8_t> data) noexcept;

class NameIndex {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  /// Returns the id of `key`, adding it if absent. Ids are dense, in insertion order.
  /// Requires: key.size() < 255.
  std::uint32_t insert(std::span<const std::uint8_t> key);
  /// The id of `key`, or kNone. No allocation.
  std::uint32_t find(std::span<const std::uint8_t> key) const noexcept;
  /// The key bytes of `id` (no root byte). Valid until the next insert().
  std::span<const std::uint8_t> key(std::uint32_t id) const noexcept {
    return {arena_.data() + offsets_[id], offsets_[id + 1] - offsets_[id] - 1};
  }
  /// The key of `id` as a complete wire name (root byte included).
  const std::uint8_t* wire(std::uint32_t id) const noexcept { return arena_.data() + offsets_[id]; }
  std::size_t size() const noexcept { return offsets_.size() - 1; }
  /// Releases spare capacity once building is over.
  void shrink_to_fit();
  std::size_t memory_bytes() const noexcept;

 private:
  void grow();

  std::vector<std::uint8_t> arena_;        // key bytes + root byte, back to back
  std::vector<std::uint32_t> offsets_{0};  // id -> arena offset; one extra at the end
  std::vector<std::uint64_t> slots_;       // (hash >> 32) << 32 | (id + 1); 0 = empty
};

}  // namespace fastrbl::zones
