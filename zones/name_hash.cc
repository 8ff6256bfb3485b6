#include "zones/name_hash.h"

#include <array>
#include <bit>
#include <chrono>
#include <cstring>
#include <sys/random.h>

namespace fastrbl::zones {
namespace {

struct Seed {
  std::uint64_t k0 = 0, k1 = 0;
};

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
  Seed s;
  std::memcpy(&s.k0, b.data(), 8);
  std::memcpy(&s.k1, b.data() + 8, 8);
  if (got < b.size()) {
    s.k0 ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    s.k1 ^= static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&s)) * 0x9e3779b97f4a7c15ULL;
  }
  return s;
}

const Seed& seed() noexcept {
  static const Seed s = make_seed();
  return s;
}

constexpr std::uint64_t rotl(std::uint64_t x, int b) noexcept { return (x << b) | (x >> (64 - b)); }

struct SipState {
  std::uint64_t v0, v1, v2, v3;
  void round() noexcept {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
  }
  void compress(std::uint64_t m) noexcept {  // one compression round (the "1" of 1-3)
    v3 ^= m;
    round();
    v0 ^= m;
  }
};

std::uint64_t load_le64(const std::uint8_t* p) noexcept {
  std::uint64_t v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&v, p, 8);
  } else {
    for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  }
  return v;
}

// The last 0-7 bytes, little-endian, the rest zero.
std::uint64_t load_le_tail(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t v = 0;
  if constexpr (std::endian::native == std::endian::little) {
    if (n != 0) std::memcpy(&v, p, n);  // p may be null when n is 0 (the empty key)
  } else {
    for (std::size_t j = 0; j < n; ++j) v |= std::uint64_t{p[j]} << (8 * j);
  }
  return v;
}

}  // namespace

std::uint64_t name_hash(std::span<const std::uint8_t> data) noexcept {
  const Seed& k = seed();
  SipState s{k.k0 ^ 0x736f6d6570736575ULL, k.k1 ^ 0x646f72616e646f6dULL, k.k0 ^ 0x6c7967656e657261ULL,
             k.k1 ^ 0x7465646279746573ULL};
  const std::size_t n = data.size();
  const std::uint8_t* p = data.data();
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) s.compress(load_le64(p + i));
  const std::uint64_t last = (static_cast<std::uint64_t>(n & 0xff) << 56) | load_le_tail(p + i, n - i);
  s.compress(last);
  s.v2 ^= 0xff;
  s.round();
  s.round();
  s.round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

void NameIndex::grow() {
  std::vector<std::uint64_t> bigger(slots_.empty() ? 16 : slots_.size() * 2, 0);
  const std::size_t mask = bigger.size() - 1;
  for (std::uint32_t id = 0; id < size(); ++id) {
    const std::uint64_t h = name_hash(key(id));
    std::size_t i = static_cast<std::size_t>(h) & mask;
    while (bigger[i] != 0) i = (i + 1) & mask;
    bigger[i] = (h & 0xffffffff00000000ULL) | (std::uint64_t{id} + 1);
  }
  slots_.swap(bigger);
}

std::uint32_t NameIndex::find(std::span<const std::uint8_t> k) const noexcept {
  if (slots_.empty()) return kNone;
  const std::uint64_t h = name_hash(k);
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t i = static_cast<std::size_t>(h) & mask;; i = (i + 1) & mask) {
    const std::uint64_t s = slots_[i];
    if (s == 0) return kNone;
    if ((s >> 32) != (h >> 32)) continue;
    const auto id = static_cast<std::uint32_t>((s & 0xffffffffu) - 1);
    const std::span<const std::uint8_t> have = key(id);
    if (have.size() == k.size() && (k.empty() || std::memcmp(have.data(), k.data(), k.size()) == 0))
      return id;
  }
}

std::uint32_t NameIndex::insert(std::span<const std::uint8_t> k) {
  const std::uint32_t found = find(k);
  if (found != kNone) return found;
  if ((size() + 1) * 2 > slots_.size()) grow();
  const auto id = static_cast<std::uint32_t>(size());
  arena_.insert(arena_.end(), k.begin(), k.end());
  arena_.push_back(0);
  offsets_.push_back(static_cast<std::uint32_t>(arena_.size()));
  const std::uint64_t h = name_hash(k);
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = static_cast<std::size_t>(h) & mask;
  while (slots_[i] != 0) i = (i + 1) & mask;
  slots_[i] = (h & 0xffffffff00000000ULL) | (std::uint64_t{id} + 1);
  return id;
}

void NameIndex::shrink_to_fit() {
  arena_.shrink_to_fit();
  offsets_.shrink_to_fit();
}

std::size_t NameIndex::memory_bytes() const noexcept {
  return arena_.capacity() + offsets_.capacity() * sizeof(std::uint32_t) +
         slots_.capacity() * sizeof(std::uint64_t);
}

}  // namespace fastrbl::zones
