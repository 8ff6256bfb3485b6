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

namespace {

void write_rule(ByteWriter& w, const AclRule& r) {
  w.u8(static_cast<std::uint8_t>(r.action));
  for (std::uint8_t b : r.value.a) w.u8(b);
  w.str(r.value.txt);
}

bool read_rule(ByteReader& r, AclRule* out) {
  const std::uint8_t action = r.u8();
  if (action > static_cast<std::uint8_t>(AclAction::kTemplate)) return false;
  out->action = static_cast<AclAction>(action);
  for (std::uint8_t& b : out->value.a) b = r.u8();
  out->value.txt = r.str();
  return !r.failed() && out->value.txt.size() <= 255;
}

}  // namespace

bool Acl::write_image(ImageWriter& out) const {
  out.set_type(ImageType::kAcl);
  ByteWriter w;
  w.u32(static_cast<std::uint32_t>(rules4_.size()));
  for (const auto& [k, rule] : rules4_) {
    w.u32(k);
    write_rule(w, rule);
  }
  w.u32(static_cast<std::uint32_t>(runs4_.size()));
  for (const Run& r : runs4_) {
    w.u32(r.bits);
    w.u64(r.begin);
    w.u64(r.end);
  }
  w.u32(static_cast<std::uint32_t>(rules6_.size()));
  for (const auto& [k, rule] : rules6_) {
    w.u64(k.first);
    w.u64(k.second);
    write_rule(w, rule);
  }
  w.u32(static_cast<std::uint32_t>(runs6_.size()));
  for (const Run& r : runs6_) {
    w.u32(r.bits);
    w.u64(r.begin);
    w.u64(r.end);
  }
  out.add(w.bytes());
  return true;
}

core::Result<std::shared_ptr<const Dataset>> Acl::from_image(DatasetMeta meta, const ImageView& image,
                                                             std::shared_ptr<const void> owner) {
  auto bad = [] { return core::Status::error("dataset image: acl rules do not parse"); };
  if (image.sections() != 2) return bad();
  std::shared_ptr<Acl> acl(new Acl(std::move(meta)));
  acl->backing_ = std::move(owner);
  ByteReader r(image.section(1));
  auto read_runs = [&r](std::vector<Run>* runs, unsigned max_bits, std::size_t rules) {
    const std::uint32_t n = r.u32();
    for (std::uint32_t i = 0; i < n && !r.failed(); ++i) {
      Run run{};
      run.bits = r.u32();
      run.begin = static_cast<std::size_t>(r.u64());
      run.end = static_cast<std::size_t>(r.u64());
      if (run.bits > max_bits || run.begin > run.end || run.end > rules) return false;
      runs->push_back(run);
    }
    return !r.failed();
  };
  const std::uint32_t n4 = r.u32();
  for (std::uint32_t i = 0; i < n4 && !r.failed(); ++i) {
    std::pair<std::uint32_t, AclRule> e;
    e.first = r.u32();
    if (!read_rule(r, &e.second)) return bad();
    acl->rules4_.push_back(e);
  }
  if (!read_runs(&acl->runs4_, 32, acl->rules4_.size())) return bad();
  const std::uint32_t n6 = r.u32();
  for (std::uint32_t i = 0; i < n6 && !r.failed(); ++i) {
    std::pair<Key6, AclRule> e;
    e.first.first = r.u64();
    e.first.second = r.u64();
    if (!read_rule(r, &e.second)) return bad();
    acl->rules6_.push_back(e);
  }
  if (!read_runs(&acl->runs6_, 128, acl->rules6_.size()) || !r.at_end()) return bad();
  return std::shared_ptr<const Dataset>(std::move(acl));
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
