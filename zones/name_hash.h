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
// The hash is wyhash (final 4, a multiply-mix hash: one 64x64->128-bit product per 16
// bytes) keyed with 128 bits from getrandom(2), drawn once per process, both as its seed
// and as its secret, so that no input can zero a product without knowing the key (the
// weakness of wyhash's public constants). It replaced SipHash-1-3 (image format 2) at a
// third of the cost on query-sized names; why a non-cryptographic keyed hash is enough
// here: zones/README.md; an index opened from a store image keeps the key it was built with
// (stored in the image), so that its slots stay valid in another process. A slot holds the id and the high 32
// bits of the hash, so a probe compares key bytes only when 32 hash bits agree. Load factor at most 1/2.
//
// Ownership: a NameIndex owns its arena and slots, or views them in an image whose bytes
// its owner keeps alive (from_image). Thread safety: built by one thread
// (insert), then immutable; find() and key() may run on any number of threads at once.

#include "core/status.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace fastrbl::zones {

class ImageView;
class ImageWriter;

/// A name_hash() key.
using HashSeed = std::array<std::uint64_t, 2>;

/// The process seed, drawn once from getrandom(2).
const HashSeed& process_hash_seed() noexcept;
/// The keyed hash (wyhash-style, see above) of `data` under `seed` (the process seed by default).
std::uint64_t name_hash(std::span<const std::uint8_t> data,
                        const HashSeed& seed = process_hash_seed()) noexcept;

class NameIndex {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;
  /// Sections an index adds to an image: seed, arena, offsets, slots.
  static constexpr std::size_t kImageSections = 4;

  NameIndex() noexcept { bind(); }
  NameIndex(NameIndex&& other) noexcept;
  NameIndex& operator=(NameIndex&& other) noexcept;
  NameIndex(const NameIndex&) = delete;
  NameIndex& operator=(const NameIndex&) = delete;

  /// Returns the id of `key`, adding it if absent. Ids are dense, in insertion order.
  /// Requires: key.size() < 255.
  std::uint32_t insert(std::span<const std::uint8_t> key);
  /// The id of `key`, or kNone. No allocation.
  std::uint32_t find(std::span<const std::uint8_t> key) const noexcept;
  /// The key bytes of `id` (no root byte). Valid until the next insert().
  std::span<const std::uint8_t> key(std::uint32_t id) const noexcept {
    return {arena_v_.data() + offsets_v_[id], offsets_v_[id + 1] - offsets_v_[id] - 1};
  }
  /// The key of `id` as a complete wire name (root byte included).
  const std::uint8_t* wire(std::uint32_t id) const noexcept { return arena_v_.data() + offsets_v_[id]; }
  std::size_t size() const noexcept { return offsets_v_.size() - 1; }
  /// Releases spare capacity once building is over.
  void shrink_to_fit();
  /// Heap bytes (0 for the arrays of an index viewing an image).
  std::size_t memory_bytes() const noexcept;

  /// Adds kImageSections sections (the seed, arena, offsets and slots, as they are).
  void write_image(ImageWriter& out) const;
  /// Views the kImageSections sections of `image` from `first` on, in place. Checks that
  /// every key is a well-formed name inside the arena and that every slot names an id and
  /// at least one slot is empty. The image bytes must outlive the index. Errors:
  /// "dataset image: name index ...".
  core::Status from_image(const ImageView& image, std::size_t first);

 private:
  void grow();
  void bind() noexcept;

  HashSeed seed_ = process_hash_seed();
  std::vector<std::uint8_t> arena_;        // key bytes + root byte, back to back
  std::vector<std::uint32_t> offsets_{0};  // id -> arena offset; one extra at the end
  std::vector<std::uint64_t> slots_;       // (hash >> 32) << 32 | (id + 1); 0 = empty
  // What lookups read: the vectors above, or an image.
  std::span<const std::uint8_t> arena_v_;
  std::span<const std::uint32_t> offsets_v_;
  std::span<const std::uint64_t> slots_v_;
};

}  // namespace fastrbl::zones
