#include "zones/name_hash.h"

#include "zones/image.h"

#include <array>
#include <bit>
#include <chrono>
#include <cstring>
#include <string>
#include <string_view>
#include <sys/random.h>
#include <utility>

namespace fastrbl::zones {
namespace {

using Seed = HashSeed;

// 128 random bits, drawn once. getrandom(2) cannot fail for 16 bytes once the pool is
// initialised; should it fail anyway, the clock and an address still give a per-process
// value (weaker, never constant).
Seed make_seed() noexcept {
  std::array<std::uint8_t, 16> b{};
  std::size_t got = 0;
  while (got < b.size()) {
    const ssize_t n = ::getrandom(b.data() + got, b.size() - got, 0);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  Seed s{};
  std::memcpy(&s[0], b.data(), 8);
  std::memcpy(&s[1], b.data() + 8, 8);
  if (got < b.size()) {
    s[0] ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    s[1] ^= static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&s)) * 0x9e3779b97f4a7c15ULL;
  }
  return s;
}

}  // namespace

std::uint64_t name_hash(std::span<const std::uint8_t> data, const HashSeed& k) noexcept {
  return name_hash(data, HashKey(k));
}

const HashSeed& process_hash_seed() noexcept {
  static const Seed s = make_seed();
  return s;
}

void NameIndex::grow() {
  HugeVector<std::uint64_t> bigger(slots_.empty() ? 16 : slots_.size() * 2, 0);
  const std::size_t mask = bigger.size() - 1;
  for (std::uint32_t id = 0; id < size(); ++id) {
    const std::uint64_t h = name_hash(key(id), hash_key_);
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (bigger[i] != 0) i = (i + 1) & mask;
    bigger[i] = (h & 0xffffffff00000000ULL) | (std::uint64_t{id} + 1);
  }
  slots_.swap(bigger);
  bind();
}

std::uint32_t NameIndex::insert(std::span<const std::uint8_t> k) {
  const std::uint32_t found = find(k);
  if (found != kNone) return found;
  if ((size() + 1) * 2 > slots_.size()) grow();
  const auto id = static_cast<std::uint32_t>(size());
  arena_.insert(arena_.end(), k.begin(), k.end());
  arena_.push_back(0);
  offsets_.push_back(static_cast<std::uint32_t>(arena_.size()));
  lengths_.add(k.size());
  const std::uint64_t h = name_hash(k, hash_key_);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h) & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = (h & 0xffffffff00000000ULL) | (std::uint64_t{id} + 1);
  bind();
  return id;
}

void NameIndex::shrink_to_fit() {
  arena_.shrink_to_fit();
  offsets_.shrink_to_fit();
  bind();
}

void NameIndex::bind() noexcept {
  arena_v_ = arena_;
  offsets_v_ = offsets_;
  slots_v_ = slots_;
}

NameIndex::NameIndex(NameIndex&& other) noexcept { *this = std::move(other); }

NameIndex& NameIndex::operator=(NameIndex&& other) noexcept {
  if (this == &other) return *this;
  const bool own = other.offsets_v_.data() == other.offsets_.data();
  seed_ = other.seed_;
  hash_key_ = other.hash_key_;
  lengths_ = other.lengths_;
  arena_ = std::move(other.arena_);
  offsets_ = std::move(other.offsets_);
  slots_ = std::move(other.slots_);
  if (own) {
    bind();
  } else {
    arena_v_ = other.arena_v_;
    offsets_v_ = other.offsets_v_;
    slots_v_ = other.slots_v_;
  }
  other.offsets_.assign(1, 0);
  other.arena_.clear();
  other.slots_.clear();
  other.lengths_ = {};
  other.bind();
  return *this;
}

void NameIndex::write_image(ImageWriter& out) const {
  out.add_array(std::span<const std::uint64_t>(seed_));
  out.add_array(arena_v_);
  out.add_array(offsets_v_);
  out.add_array(slots_v_);
}

core::Status NameIndex::from_image(const ImageView& image, std::size_t first) {
  auto bad = [](std::string_view what) {
    return core::Status::error("dataset image: name index " + std::string(what));
  };
  if (image.sections() < first + kImageSections) return bad("sections missing");
  auto seed = image.array<std::uint64_t>(first);
  auto arena = image.array<std::uint8_t>(first + 1);
  auto offsets = image.array<std::uint32_t>(first + 2);
  auto slots = image.array<std::uint64_t>(first + 3);
  if (!seed.is_ok()) return seed.status();
  if (!arena.is_ok()) return arena.status();
  if (!offsets.is_ok()) return offsets.status();
  if (!slots.is_ok()) return slots.status();
  if (seed.value().size() != 2) return bad("seed has the wrong size");
  const std::span<const std::uint8_t> a = arena.value();
  const std::span<const std::uint32_t> off = offsets.value();
  const std::span<const std::uint64_t> sl = slots.value();
  if (off.empty() || off.front() != 0 || off.back() != a.size()) return bad("offsets do not fit the arena");
  LengthSet lengths;
  for (std::size_t id = 0; id + 1 < off.size(); ++id) {
    // Each key: labels inside [off[id], off[id+1] - 1), then the root byte.
    if (off[id + 1] <= off[id] || off[id + 1] - off[id] > 255)
      return bad("key " + std::to_string(id) + " bad");
    std::size_t pos = off[id];
    const std::size_t end = off[id + 1] - 1;
    while (pos < end) {
      if (a[pos] == 0 || a[pos] > 63) return bad("key " + std::to_string(id) + " has a bad label");
      pos += std::size_t{a[pos]} + 1;
    }
    if (pos != end || a[end] != 0) return bad("key " + std::to_string(id) + " is not a name");
    lengths.add(end - off[id]);
  }
  const std::size_t n = off.size() - 1;
  if (n > 0 && (sl.empty() || (sl.size() & (sl.size() - 1)) != 0))
    return bad("slot count is not a power of two");
  std::size_t used = 0;
  for (std::uint64_t s : sl) {
    if (s == 0) continue;
    ++used;
    if ((s & 0xffffffffu) == 0 || (s & 0xffffffffu) > n) return bad("slot names no key");
  }
  if (!sl.empty() && used >= sl.size()) return bad("has no empty slot");
  seed_ = {seed.value()[0], seed.value()[1]};
  hash_key_ = HashKey(seed_);
  lengths_ = lengths;
  arena_.clear();
  offsets_.clear();
  slots_.clear();
  arena_v_ = a;
  offsets_v_ = off;
  slots_v_ = sl;
  return core::Status::ok();
}

std::size_t NameIndex::memory_bytes() const noexcept {
  // The vectors are empty when the index views an image.
  return arena_.capacity() + offsets_.capacity() * sizeof(std::uint32_t) +
         slots_.capacity() * sizeof(std::uint64_t);
}

}  // namespace fastrbl::zones
