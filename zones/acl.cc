#include "zones/acl.h"

#include "core/dns.h"
#include "zones/dump.h"

#include <algorithm>
#include <cstring>
#include <netinet/in.h>

namespace fastrbl::zones {
namespace {

std::uint32_t mask4(unsigned bits) noexcept { return bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits); }

std::pair<std::uint64_t, std::uint64_t> key6(const std::array<std::uint8_t, 16>& a) noexcept {
  std::uint64_t hi = 0, lo = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    hi = (hi << 8) | a[i];
    lo = (lo << 8) | a[8 + i];
  }
  return {hi, lo};
}

std::pair<std::uint64_t, std::uint64_t> mask6(std::pair<std::uint64_t, std::uint64_t> k,
                                              unsigned bits) noexcept {
  auto m = [](unsigned b) {
    return b == 0 ? 0 : (b >= 64 ? ~std::uint64_t{0} : ~std::uint64_t{0} << (64 - b));
  };
  const unsigned hb = std::min(bits, 64u);
  const unsigned lb = bits > 64 ? bits - 64 : 0;
  return {k.first & m(hb), k.second & m(lb)};
}

// Sorts `v` by (bits descending, key) and records the runs of equal lengths.
template <class Entry, class Key, class Out, class Runs, class KeyFn>
void index(std::vector<Entry>& v, Out& out, Runs& runs, KeyFn key) {
  std::stable_sort(v.begin(), v.end(), [&](const Entry& x, const Entry& y) {
    if (x.bits != y.bits) return x.bits > y.bits;
    return key(x) < key(y);
  });
  out.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (runs.empty() || runs.back().bits != v[i].bits) runs.push_back({v[i].bits, i, i});
    out.emplace_back(Key(key(v[i])), v[i].rule);
    runs.back().end = i + 1;
  }
}

}  // namespace

bool Acl::query(const QueryKey& /*key*/, AnswerSink& /*out*/) const noexcept { return false; }

// An acl answers no name, so it has no records to write; rbldnsd's dump prints nothing
// for it either.
void Acl::dump(DumpWriter&) const {}

std::size_t Acl::memory_bytes() const noexcept {
  return rules4_.capacity() * sizeof(rules4_[0]) + rules6_.capacity() * sizeof(rules6_[0]) +
         (runs4_.capacity() + runs6_.capacity()) * sizeof(Run) + pool_.bytes();
}

const AclRule* Acl::lookup4(std::uint32_t addr) const noexcept {
  for (const Run& r : runs4_) {
    const std::uint32_t k = addr & mask4(r.bits);
    const auto first = rules4_.begin() + static_cast<std::ptrdiff_t>(r.begin);
    const auto last = rules4_.begin() + static_cast<std::ptrdiff_t>(r.end);
    auto it = std::lower_bound(first, last, k, [](const auto& e, std::uint32_t x) { return e.first < x; });
    if (it != last && it->first == k) return &it->second;
  }
  return nullptr;
}

const AclRule* Acl::lookup6(const std::array<std::uint8_t, 16>& addr) const noexcept {
  const Key6 full = key6(addr);
  for (const Run& r : runs6_) {
    const Key6 k = mask6(full, r.bits);
    const auto first = rules6_.begin() + static_cast<std::ptrdiff_t>(r.begin);
    const auto last = rules6_.begin() + static_cast<std::ptrdiff_t>(r.end);
    auto it = std::lower_bound(first, last, k, [](const auto& e, const Key6& x) { return e.first < x; });
    if (it != last && it->first == k) return &it->second;
  }
  return nullptr;
}

const AclRule* Acl::lookup(const sockaddr* peer) const noexcept {
  if (peer == nullptr) return nullptr;
  if (peer->sa_family == AF_INET) {
    sockaddr_in sin;
    std::memcpy(&sin, peer, sizeof sin);
    std::array<std::uint8_t, 4> b{};
    std::memcpy(b.data(), &sin.sin_addr, 4);
    return lookup4(core::load_u32(b.data()));
  }
  if (peer->sa_family == AF_INET6) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, peer, sizeof sin6);
    std::array<std::uint8_t, 16> b{};
    std::memcpy(b.data(), &sin6.sin6_addr, 16);
    return lookup6(b);
  }
  return nullptr;
}

bool AclBuilder::add4(std::uint32_t addr, unsigned bits, const AclRule& rule) {
  const std::uint64_t k = (std::uint64_t{bits} << 32) | addr;
  if (!seen4_.insert(k).second) return false;
  v4_.push_back({addr, bits, rule});
  return true;
}

bool AclBuilder::add6(const std::array<std::uint8_t, 16>& addr, unsigned bits, const AclRule& rule) {
  if (!seen6_.insert({key6(addr), bits}).second) return false;
  v6_.push_back({addr, bits, rule});
  return true;
}

std::unique_ptr<Acl> AclBuilder::build(DatasetMeta meta) {
  std::unique_ptr<Acl> acl(new Acl(std::move(meta)));
  index<Entry4, std::uint32_t>(v4_, acl->rules4_, acl->runs4_, [](const Entry4& e) { return e.addr; });
  index<Entry6, Acl::Key6>(v6_, acl->rules6_, acl->runs6_, [](const Entry6& e) { return key6(e.addr); });
  acl->pool_ = std::move(pool_);
  v4_.clear();
  v6_.clear();
  seen4_.clear();
  seen6_.clear();
  return acl;
}

}  // namespace fastrbl::zones
