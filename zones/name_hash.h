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
// bytes) keyed with 128 bits from getrandom(2), drawn once per process (what it derives
// from the key alone is worked out once per index: HashKey), both as its seed and as its
// secret, so that no input can zero a product without knowing the key (the
// weakness of wyhash's public constants). It replaced SipHash-1-3 (image format 2) at a
// third of the cost on query-sized names; why a non-cryptographic keyed hash is enough
// here: zones/README.md; an index opened from a store image keeps the key it was built with
// (stored in the image), so that its slots stay valid in another process. A slot holds the id and the high 32
// bits of the hash, so a probe compares key bytes only when 32 hash bits agree. Load factor at most 1/2.
//
// Ownership: a NameIndex owns its arena and slots, or views them in an image whose bytes
// its owner keeps alive (from_image). Thread safety: built by one thread
// (insert), then immutable; find() and key() may run on any number of threads at once.

#include "core/bytes.h"
#include "core/status.h"
#include "zones/huge_pages.h"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace fastrbl::zones {

class ImageView;
class ImageWriter;

/// A name_hash() key.
using HashSeed = std::array<std::uint64_t, 2>;

/// The process seed, drawn once from getrandom(2).
const HashSeed& process_hash_seed() noexcept;

/// A HashSeed with what name_hash() derives from it before reading any input, worked out
/// once (a NameIndex keeps one), so that a lookup hashes with the inline name_hash() below.
struct HashKey {
  std::uint64_t secret = 0;  // seed[1]
  std::uint64_t start = 0;   // wyhash's initial state
  std::uint64_t fold = 0;    // seed[0] ^ wyhash's first constant
  explicit HashKey(const HashSeed& seed) noexcept;
};

namespace detail {

inline std::uint64_t load_le64(const std::uint8_t* p) noexcept { return core::load_le<std::uint64_t>(p); }
inline std::uint64_t load_le32(const std::uint8_t* p) noexcept { return core::load_le<std::uint32_t>(p); }

__extension__ typedef unsigned __int128 U128;  // GCC and Clang on 64-bit targets

// The 128-bit product of a and b, its halves folded by xor (wyhash's "mum").
inline std::uint64_t mix(std::uint64_t a, std::uint64_t b) noexcept {
  const U128 r = static_cast<U128>(a) * b;
  return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

// wyhash's default constants, only to spread the key's bits before use.
constexpr std::uint64_t kC0 = 0xa0761d6478bd642fULL;
constexpr std::uint64_t kC1 = 0xe7037ed1a0b428dbULL;

}  // namespace detail

inline HashKey::HashKey(const HashSeed& seed) noexcept
    : secret(seed[1]),
      start(seed[0] ^ detail::mix(seed[0] ^ detail::kC0, seed[1] ^ detail::kC1)),
      fold(seed[0] ^ detail::kC0) {}

/// The keyed hash (wyhash-style, see above) of `data` under `key`. Inline: the lookup's
/// hash. The same value as name_hash(data, seed) for the seed `key` was made from (the
/// slots of an image depend on it: changing the function is a new image format).
inline std::uint64_t name_hash(std::span<const std::uint8_t> data, const HashKey& key) noexcept {
  // wyhash (final version 4) with both secrets taken from the key: every multiplication
  // has an operand xored with a secret, so no input can zero a product without knowing
  // the key (the weakness of the public-constant form).
  using detail::load_le32;
  using detail::load_le64;
  const std::uint64_t secret = key.secret;
  std::uint64_t seed = key.start;
  const std::size_t n = data.size();
  const std::uint8_t* p = data.data();
  std::uint64_t a = 0, b = 0;
  if (n <= 16) {
    if (n >= 4) {  // overlapping 4-byte reads: together they cover every byte
      const std::size_t q = (n >> 3) << 2;
      a = (load_le32(p) << 32) | load_le32(p + q);
      b = (load_le32(p + n - 4) << 32) | load_le32(p + n - 4 - q);
    } else if (n > 0) {
      a = (std::uint64_t{p[0]} << 16) | (std::uint64_t{p[n >> 1]} << 8) | p[n - 1];
    }
  } else {
    // 16-byte blocks while more than 16 bytes are left: the last block of a query-sized
    // name (17-32 bytes, the usual case) outside the loop, which it then never enters.
    std::size_t i = n;
    for (; i > 32; i -= 16, p += 16) seed = detail::mix(load_le64(p) ^ secret, load_le64(p + 8) ^ seed);
    seed = detail::mix(load_le64(p) ^ secret, load_le64(p + 8) ^ seed);
    i -= 16;
    p += 16;
    a = load_le64(p + i - 16);  // the last 16 bytes of the input
    b = load_le64(p + i - 8);
  }
  const detail::U128 r = static_cast<detail::U128>(a ^ secret) * (b ^ seed);
  return detail::mix(static_cast<std::uint64_t>(r) ^ key.fold ^ n,
                     static_cast<std::uint64_t>(r >> 64) ^ secret);
}

/// The keyed hash of `data` under `seed` (the process seed by default).
std::uint64_t name_hash(std::span<const std::uint8_t> data,
                        const HashSeed& seed = process_hash_seed()) noexcept;

/// A set of name lengths in bytes (0-255), one bit each: what a NameIndex knows of its keys'
/// lengths, and a DnSet of its wildcard bases', so that a probe for a name of a length no
/// entry has is skipped before hashing.
class LengthSet {
 public:
  void add(std::size_t len) noexcept { bits_[(len >> 6) & 3] |= std::uint64_t{1} << (len & 63); }
  bool has(std::size_t len) const noexcept { return ((bits_[(len >> 6) & 3] >> (len & 63)) & 1) != 0; }

 private:
  std::array<std::uint64_t, 4> bits_{};
};

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
  /// The id of `key`, or kNone. Requires: key.size() < 256. No allocation. Inline (the
  /// lookup of every dnset query).
  std::uint32_t find(std::span<const std::uint8_t> key) const noexcept;
  /// Whether some key is `len` bytes long: false means find() of any such key is kNone.
  /// Requires: len < 256.
  bool has_length(std::size_t len) const noexcept { return lengths_.has(len); }
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
  HashKey hash_key_{seed_};  // derived from seed_
  LengthSet lengths_;        // the lengths of the keys
  // Built here (empty for an image): huge pages (huge_pages.h), as the probes land anywhere.
  HugeVector<std::uint8_t> arena_;        // key bytes + root byte, back to back
  HugeVector<std::uint32_t> offsets_{0};  // id -> arena offset; one extra at the end
  HugeVector<std::uint64_t> slots_;       // (hash >> 32) << 32 | (id + 1); 0 = empty
  // What lookups read: the vectors above, or an image.
  std::span<const std::uint8_t> arena_v_;
  std::span<const std::uint32_t> offsets_v_;
  std::span<const std::uint64_t> slots_v_;
};

// Always inline: a dnset lookup is little else, and a call costs it a fifth.
[[gnu::always_inline]] inline std::uint32_t NameIndex::find(std::span<const std::uint8_t> k) const noexcept {
  // No key of that length (also: no key at all): nothing to hash.
  if (!has_length(k.size())) return kNone;
  const std::uint64_t h = name_hash(k, hash_key_);
  const std::size_t mask = slots_v_.size() - 1;
  for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
    const std::uint64_t s = slots_v_[i];
    if (s == 0) return kNone;
    if ((s >> 32) != (h >> 32)) continue;
    const auto id = static_cast<std::uint32_t>((s & 0xffffffffu) - 1);
    const std::uint32_t off = offsets_v_[id];
    if (offsets_v_[id + 1] - off - 1 == k.size() &&
        core::same_bytes(arena_v_.data() + off, k.data(), k.size()))
      return id;
  }
}

}  // namespace fastrbl::zones
