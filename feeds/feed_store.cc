#include "feeds/feed_store.h"

#include "feeds/feed_store_detail.h"
#include "feeds/ip_prefix.h"
#include "zones/image.h"
#include "zones/store.h"

#include <lmdb.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <unordered_map>
#include <utility>

namespace fastrbl::feeds {
namespace {

constexpr std::uint8_t kEntryFormat = 1;
constexpr std::uint8_t kMetaFormat = 1;

}  // namespace

namespace detail {

std::vector<std::uint8_t> encode_contributions(const std::vector<Contribution>& from) {
  zones::ByteWriter w;
  w.u8(kEntryFormat);
  w.u32(static_cast<std::uint32_t>(from.size()));
  for (const Contribution& c : from) {
    w.str(c.origin);
    w.u64(static_cast<std::uint64_t>(c.first_seen));
    w.u64(static_cast<std::uint64_t>(c.last_seen));
    w.u64(static_cast<std::uint64_t>(c.expires));
    w.str(c.reason);
    w.str(c.a);
    w.str(c.txt);
    w.u32(c.bit);
  }
  const auto b = w.bytes();
  return {b.begin(), b.end()};
}

core::Result<std::vector<Contribution>> decode_contributions(std::span<const std::uint8_t> bytes) {
  zones::ByteReader r(bytes);
  std::vector<Contribution> out;
  if (r.u8() != kEntryFormat) return core::Status::error("feed_entries: unknown entry format");
  const std::uint32_t n = r.u32();
  for (std::uint32_t i = 0; i < n && !r.failed(); ++i) {
    Contribution c;
    c.origin = std::string(r.str());
    c.first_seen = static_cast<std::int64_t>(r.u64());
    c.last_seen = static_cast<std::int64_t>(r.u64());
    c.expires = static_cast<std::int64_t>(r.u64());
    c.reason = std::string(r.str());
    c.a = std::string(r.str());
    c.txt = std::string(r.str());
    c.bit = r.u32();
    out.push_back(std::move(c));
  }
  if (r.failed() || !r.at_end())
    return core::Status::error("feed_entries: a record does not parse (corrupted store)");
  return out;
}

std::vector<std::uint8_t> encode_meta(const FeedMeta& m) {
  zones::ByteWriter w;
  w.u8(kMetaFormat);
  w.u64(static_cast<std::uint64_t>(m.last_import));
  w.u64(static_cast<std::uint64_t>(m.last_attempt));
  w.u64(m.last_good_entries);
  w.u64(m.added);
  w.u64(m.removed);
  w.u64(m.kept);
  w.u64(m.expired);
  w.u64(m.bad);
  w.str(m.etag);
  w.str(m.last_modified);
  w.str(m.version);
  w.str(m.source);
  w.str(m.last_error);
  const auto b = w.bytes();
  return {b.begin(), b.end()};
}

}  // namespace detail

namespace {

using detail::bytes_of;
using detail::CursorGuard;
using detail::db_key;
using detail::decode_contributions;
using detail::encode_contributions;
using detail::encode_meta;
using detail::expired_at;
using detail::lmdb_error;
using detail::text_of;
using detail::TxnGuard;
using detail::val_of;
using detail::walk_dataset;

core::Result<FeedMeta> decode_meta(std::span<const std::uint8_t> bytes) {
  zones::ByteReader r(bytes);
  FeedMeta m;
  if (r.u8() != kMetaFormat) return core::Status::error("feed_meta: unknown record format");
  m.last_import = static_cast<std::int64_t>(r.u64());
  m.last_attempt = static_cast<std::int64_t>(r.u64());
  m.last_good_entries = r.u64();
  m.added = r.u64();
  m.removed = r.u64();
  m.kept = r.u64();
  m.expired = r.u64();
  m.bad = r.u64();
  m.etag = std::string(r.str());
  m.last_modified = std::string(r.str());
  m.version = std::string(r.str());
  m.source = std::string(r.str());
  m.last_error = std::string(r.str());
  if (r.failed() || !r.at_end())
    return core::Status::error("feed_meta: a record does not parse (corrupted store)");
  return m;
}

core::Result<std::optional<FeedMeta>> read_meta(MDB_txn* txn, unsigned dbi, std::string_view feed) {
  MDB_val k = val_of(feed), v{};
  const int rc = ::mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<FeedMeta>();
  if (rc != 0) return lmdb_error("reading feed_meta", rc);
  auto m = decode_meta(bytes_of(v));
  if (!m.is_ok()) return m.status();
  return std::optional<FeedMeta>(std::move(m).value());
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return std::string(s);
}

bool valid_a(std::string_view a) {
  unsigned v[4] = {};
  char tail = 0;
  const std::string s(a);
  int dots = 0;
  for (char c : s) dots += c == '.';
  return dots == 3 && std::sscanf(s.c_str(), "%u.%u.%u.%u%c", &v[0], &v[1], &v[2], &v[3], &tail) == 4 &&
         v[0] < 256 && v[1] < 256 && v[2] < 256 && v[3] < 256 && (v[0] | v[1] | v[2] | v[3]) != 0;
}

// A prefix as a data line spells it. rbldnsd's ip6trie does not read a dotted IPv4 tail
// (`::ffff:1.2.3.4`, what inet_ntop writes for v4-mapped addresses): such a prefix is
// written as eight hex groups instead.
std::string data_line_prefix(const IpPrefix& p) {
  std::string t = p.to_string();
  if (!p.v6 || t.find('.') == std::string::npos) return t;
  std::string out;
  for (std::size_t i = 0; i < 16; i += 2) {
    std::array<char, 8> g{};
    std::snprintf(g.data(), g.size(), "%x", (p.addr[i] << 8) | p.addr[i + 1]);
    out += (i == 0 ? "" : ":") + std::string(g.data());
  }
  return out + "/" + std::to_string(p.bits);
}

// The same for a stored IP entry key (`[!]prefix/bits`).
std::string data_line_key(std::string_view key) {
  if (key.find('.') == std::string_view::npos || key.find(':') == std::string_view::npos)
    return std::string(key);
  const bool excl = key.starts_with("!");
  auto p = parse_ip_prefix(excl ? key.substr(1) : key);
  if (!p.is_ok()) return std::string(key);
  return (excl ? "!" : "") + data_line_prefix(p.value());
}

// The contribution that gives a key its value when several origins list it: the oldest
// listing (then the origin name), so that a value does not flap between feeds.
const Contribution* winner(const std::vector<Contribution>& from, std::int64_t now) {
  const Contribution* best = nullptr;
  for (const Contribution& c : from) {
    if (expired_at(c, now)) continue;
    if (best == nullptr || c.first_seen < best->first_seen ||
        (c.first_seen == best->first_seen && c.origin < best->origin))
      best = &c;
  }
  return best;
}

// Writes `data` to `path` atomically: a temporary file in the same directory, fsync,
// rename over the old file, fsync of the directory. Mode 0644: fastrbld may run as
// another user (-u) and must read it.
core::Status write_atomically(const std::string& path, const std::string& data) {
  const std::filesystem::path p(path);
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
  if (ec) return core::Status::error("cannot create " + p.parent_path().string() + ": " + ec.message());
  std::string tmp = path + ".tmp.XXXXXX";
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0) {
    const int err = errno;
    return core::Status::error("cannot create a temporary file for " + path + ": " + std::strerror(err));
  }
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return core::Status::error(std::string("cannot ") + what + " " + tmp + ": " + std::strerror(err));
  };
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0) return fail("chmod");
  if (::fsync(fd) != 0) return fail("fsync");
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return core::Status::error("cannot close " + tmp + ": " + std::strerror(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return core::Status::error("cannot rename " + tmp + " to " + path + ": " + std::strerror(err));
  }
  const int dfd = ::open(p.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return core::Status::ok();
}

// One entry's value as a rendered data line's value part (` :A:TXT`), or empty for the
// dataset default.
std::string value_text(const DatasetDef& d, const std::string& a, const std::string& txt) {
  const std::string& aa = a.empty() ? d.value : a;
  const std::string& tt = a.empty() && txt.empty() ? d.txt : txt;
  if (aa == d.value && tt == d.txt) return {};
  return " :" + aa + ":" + tt;
}

std::string header(const DatasetDef& d, std::string_view what, std::int64_t now) {
  std::string out = "# " + std::string(dataset_kind_name(d.kind)) + " data for zone " + d.zone +
                    ", dataset " + d.name + ": " + std::string(what) +
                    ".\n# Rendered by fastrblctl feed render at unix time " + std::to_string(now) +
                    " from the LMDB feed entries; do not edit (re-render instead).\n";
  if (!d.soa.empty()) out += "$SOA " + d.soa + "\n";
  if (!d.ns.empty()) out += "$NS " + d.ns + "\n";
  out += ":" + d.value + ":" + d.txt + "\n";
  return out;
}

// ---- multi datasets ----------------------------------------------------------------

// Parsed dnset key: name, whether it is exact, wildcard or both (`.d`), excluded.
struct DnKey {
  std::string name;
  bool exact = false;
  bool wild = false;
  bool excluded = false;
};

DnKey parse_dn_key(std::string_view k) {
  DnKey d;
  if (k.starts_with("!")) {
    d.excluded = true;
    k.remove_prefix(1);
  }
  if (k.starts_with("*.")) {
    d.wild = true;
    k.remove_prefix(2);
  } else if (k.starts_with(".")) {
    d.wild = d.exact = true;
    k.remove_prefix(1);
  } else {
    d.exact = true;
  }
  d.name = std::string(k);
  return d;
}

// One member list's dnset semantics: for each name, its exact and wildcard entries, and
// whether they list (an exclusion at the same name and form wins over a listing).
struct DnMember {
  std::unordered_map<std::string, bool> exact, wild;
  std::uint32_t bit = 0;

  void add(const DnKey& k) {
    auto put = [&k](std::unordered_map<std::string, bool>& m) {
      auto [it, inserted] = m.emplace(k.name, !k.excluded);
      if (!inserted && k.excluded) it->second = false;
    };
    if (k.exact) put(exact);
    if (k.wild) put(wild);
  }
  // Whether a name whose most specific union key is wild(name) (or, with `exact`, the
  // exact name) matches this list: rbldnsd's order, exact first, then the longest
  // wildcard suffix strictly above the name.
  bool matches(const std::string& name, bool exact_key) const {
    if (exact_key) {
      if (auto it = exact.find(name); it != exact.end()) return it->second;
    } else if (auto it = wild.find(name); it != wild.end()) {
      return it->second;
    }
    for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1))
      if (auto it = wild.find(name.substr(dot + 1)); it != wild.end()) return it->second;
    return false;
  }
};

struct IpKey {
  IpPrefix prefix;
  bool excluded = false;
};

// A prefix as a map key: bits, then the address bytes.
std::string prefix_key(const IpPrefix& p) {
  std::string k(1, static_cast<char>(p.bits));
  k.append(reinterpret_cast<const char*>(p.addr.data()), p.v6 ? 16 : 4);
  return k;
}

IpPrefix truncated(IpPrefix p, int bits) {
  p.bits = bits;
  const int total = p.v6 ? 128 : 32;
  for (int b = bits; b < total; ++b)
    p.addr[static_cast<std::size_t>(b / 8)] &= static_cast<std::uint8_t>(~(0x80u >> (b % 8)));
  return p;
}

struct IpMember {
  std::unordered_map<std::string, bool> prefixes;
  std::uint32_t bit = 0;
  void add(const IpKey& k) {
    auto [it, inserted] = prefixes.emplace(prefix_key(k.prefix), !k.excluded);
    if (!inserted && k.excluded) it->second = false;
  }
  // Longest prefix of this list covering `p` (p itself included).
  bool matches(const IpPrefix& p) const {
    for (int b = p.bits; b >= 0; --b)
      if (auto it = prefixes.find(prefix_key(truncated(p, b))); it != prefixes.end()) return it->second;
    return false;
  }
};

std::string multi_value(const DatasetDef& d, const std::vector<std::pair<std::string, std::uint32_t>>& names,
                        std::uint32_t bits) {
  std::string txt;
  for (const auto& [n, bit] : names)
    if ((bits & bit) != 0) txt += (txt.empty() ? "" : ", ") + n;
  return " :127.0.0." + std::to_string(bits) + ":" + (d.txt.empty() ? "" : d.txt + " ") + "(" + txt + ")";
}

}  // namespace

// ---- parse_push_key ------------------------------------------------------------------

core::Result<PushKey> parse_push_key(DatasetKind kind, std::string_view line) {
  const std::string text = trim(line);
  std::size_t sp = text.find_first_of(" \t");
  std::string key_text = text.substr(0, sp);
  std::string value = sp == std::string::npos ? std::string() : trim(std::string_view(text).substr(sp));
  if (key_text == "!" && !value.empty()) {  // `! name`
    sp = value.find_first_of(" \t");
    key_text = "!" + value.substr(0, sp);
    value = sp == std::string::npos ? std::string() : trim(std::string_view(value).substr(sp));
  }
  if (key_text.empty()) return core::Status::error("empty entry");
  PushKey out;
  std::string_view k = key_text;
  const bool excluded = k.starts_with("!");
  if (excluded) k.remove_prefix(1);
  if (kind == DatasetKind::kDnset) {
    DomainEntry e;
    e.excluded = excluded;
    if (k.starts_with("*.")) {
      e.form = DomainForm::kWildcard;
      k.remove_prefix(2);
    } else if (k.starts_with(".")) {
      e.form = DomainForm::kSuffix;
      k.remove_prefix(1);
    }
    auto n = normalise_domain(k);
    if (!n.is_ok()) return core::Status::error("`" + key_text + "': " + std::string(n.status().message()));
    e.name = std::move(n).value();
    out.key = e.dnset_text();
  } else {
    if (k.find('/') == std::string_view::npos && !looks_like_ip(k))
      return core::Status::error("`" + key_text + "' is not an IP address or prefix");
    auto p = parse_ip_prefix(k, HostBits::kReject);
    if (!p.is_ok()) return core::Status::error("`" + key_text + "': " + std::string(p.status().message()));
    const bool want_v6 = kind == DatasetKind::kIp6trie;
    if (p.value().v6 != want_v6)
      return core::Status::error("`" + key_text + "' is not an " + (want_v6 ? "IPv6" : "IPv4") +
                                 " prefix (dataset type " + std::string(dataset_kind_name(kind)) + ")");
    IpEntry e;
    e.prefix = p.value();
    e.excluded = excluded;
    out.key = e.text();
  }
  if (!value.empty()) {
    std::string_view v = value;
    if (v.starts_with(":")) v.remove_prefix(1);
    const std::size_t colon = v.find(':');
    out.a = std::string(v.substr(0, colon));
    if (colon != std::string_view::npos) out.txt = std::string(v.substr(colon + 1));
    if (out.a.find_first_not_of("0123456789") == std::string::npos && !out.a.empty() && out.a.size() <= 3)
      out.a = "127.0.0." + out.a;  // rbldnsd's `:2:` short form
    if (!valid_a(out.a)) return core::Status::error("invalid A value `" + out.a + "' in `" + text + "'");
    if (out.txt.size() > 254) return core::Status::error("TXT longer than 254 bytes in `" + key_text + "'");
    for (const char c : out.txt)
      if (static_cast<unsigned char>(c) < 0x20)
        return core::Status::error("control character in the TXT of `" + key_text + "'");
  }
  return out;
}

// ---- FeedStore --------------------------------------------------------------------------

FeedStore::FeedStore(std::shared_ptr<zones::Store> store, FeedConfig config)
    : store_(std::move(store)), config_(std::move(config)) {}
FeedStore::~FeedStore() = default;

core::Result<std::unique_ptr<FeedStore>> FeedStore::open(std::shared_ptr<zones::Store> store,
                                                         FeedConfig config) {
  if (store == nullptr) return core::Status::error("no LMDB store");
  if (!store->has_feed_tables())
    return core::Status::error("LMDB store " + store->dir() +
                               " has no feed tables yet (run fastrblctl feed import)");
  return std::unique_ptr<FeedStore>(new FeedStore(std::move(store), std::move(config)));
}

core::Result<const PublicSuffixList*> FeedStore::psl() {
  if (!psl_) {
    auto p = PublicSuffixList::load(config_.psl);
    if (!p.is_ok()) return p.status();
    psl_.emplace(std::move(p).value());
  }
  return &*psl_;
}

core::Result<std::vector<StoredEntry>> FeedStore::entries(std::string_view dataset) const {
  TxnGuard txn;
  const int rc = ::mdb_txn_begin(store_->env(), nullptr, MDB_RDONLY, &txn.txn);
  if (rc != 0) return lmdb_error("mdb_txn_begin", rc);
  std::vector<StoredEntry> out;
  core::Status s = walk_dataset(txn.txn, store_->feed_entries_dbi(), dataset,
                                [&out](std::string_view key, std::span<const std::uint8_t> v) {
                                  auto from = decode_contributions(v);
                                  if (!from.is_ok()) return from.status();
                                  out.push_back({std::string(key), std::move(from).value()});
                                  return core::Status::ok();
                                });
  if (!s.is_ok()) return s;
  return out;
}

core::Result<std::optional<FeedMeta>> FeedStore::feed_meta(std::string_view feed) const {
  TxnGuard txn;
  const int rc = ::mdb_txn_begin(store_->env(), nullptr, MDB_RDONLY, &txn.txn);
  if (rc != 0) return lmdb_error("mdb_txn_begin", rc);
  return read_meta(txn.txn, store_->feed_meta_dbi(), feed);
}

core::Result<ChangeSummary> FeedStore::apply(std::string_view dataset, const std::vector<std::string>& adds,
                                             const std::vector<std::string>& deletes, std::string_view origin,
                                             std::int64_t now, std::int64_t expires) {
  const DatasetDef* d = config_.dataset(dataset);
  if (d == nullptr) return core::Status::error("unknown dataset `" + std::string(dataset) + "'");
  if (!d->members.empty())
    return core::Status::error("dataset " + d->name + " is a multi dataset: change its member datasets");
  if (origin.empty()) return core::Status::error("empty origin");
  // Validate everything before writing anything.
  std::vector<PushKey> add_keys, del_keys;
  for (std::size_t i = 0; i < adds.size(); ++i) {
    auto k = parse_push_key(d->kind, adds[i]);
    if (!k.is_ok())
      return core::Status::error("add " + std::to_string(i + 1) + ": " + std::string(k.status().message()));
    add_keys.push_back(std::move(k).value());
  }
  for (std::size_t i = 0; i < deletes.size(); ++i) {
    auto k = parse_push_key(d->kind, deletes[i]);
    if (!k.is_ok())
      return core::Status::error("delete " + std::to_string(i + 1) + ": " +
                                 std::string(k.status().message()));
    del_keys.push_back(std::move(k).value());
  }
  ChangeSummary sum;
  TxnGuard txn;
  int rc = ::mdb_txn_begin(store_->env(), nullptr, 0, &txn.txn);
  if (rc != 0) return lmdb_error("mdb_txn_begin (write)", rc);
  const unsigned dbi = store_->feed_entries_dbi();
  auto load = [&](const std::string& k, std::vector<Contribution>* from) -> core::Status {
    MDB_val kv = val_of(k), v{};
    const int grc = ::mdb_get(txn.txn, dbi, &kv, &v);
    from->clear();
    if (grc == MDB_NOTFOUND) return core::Status::ok();
    if (grc != 0) return lmdb_error("reading feed_entries", grc);
    auto dec = decode_contributions(bytes_of(v));
    if (!dec.is_ok()) return dec.status();
    *from = std::move(dec).value();
    return core::Status::ok();
  };
  auto store_list = [&](const std::string& k, const std::vector<Contribution>& from) -> core::Status {
    MDB_val kv = val_of(k);
    int prc = 0;
    if (from.empty()) {
      prc = ::mdb_del(txn.txn, dbi, &kv, nullptr);
      if (prc == MDB_NOTFOUND) prc = 0;
    } else {
      const std::vector<std::uint8_t> enc = encode_contributions(from);
      MDB_val v = val_of(enc);
      prc = ::mdb_put(txn.txn, dbi, &kv, &v, 0);
    }
    return prc == 0 ? core::Status::ok() : lmdb_error("writing feed_entries", prc);
  };
  std::vector<Contribution> from;
  for (const PushKey& k : del_keys) {
    const std::string key = db_key(d->name, k.key);
    if (core::Status s = load(key, &from); !s.is_ok()) return s;
    const auto it =
        std::find_if(from.begin(), from.end(), [&](const Contribution& c) { return c.origin == origin; });
    if (it == from.end()) continue;
    from.erase(it);
    sum.removed.push_back(k.key);
    if (core::Status s = store_list(key, from); !s.is_ok()) return s;
  }
  for (const PushKey& k : add_keys) {
    const std::string key = db_key(d->name, k.key);
    if (core::Status s = load(key, &from); !s.is_ok()) return s;
    auto it =
        std::find_if(from.begin(), from.end(), [&](const Contribution& c) { return c.origin == origin; });
    if (it == from.end()) {
      Contribution c;
      c.origin = std::string(origin);
      c.first_seen = c.last_seen = now;
      c.expires = expires;
      c.a = k.a;
      c.txt = k.txt;
      c.reason = "pushed by " + std::string(origin);
      from.push_back(std::move(c));
      sum.added.push_back(k.key);
    } else {
      if (it->a != k.a || it->txt != k.txt) sum.updated.push_back(k.key);
      it->a = k.a;
      it->txt = k.txt;
      it->last_seen = now;
      it->expires = expires;
      ++sum.kept;
    }
    if (core::Status s = store_list(key, from); !s.is_ok()) return s;
  }
  rc = txn.commit();
  if (rc != 0) return lmdb_error("commit", rc);
  return sum;
}

core::Result<RenderReport> FeedStore::render(std::string_view dataset, std::int64_t now) {
  const DatasetDef* d = config_.dataset(dataset);
  if (d == nullptr) return core::Status::error("unknown dataset `" + std::string(dataset) + "'");
  RenderReport rep;
  rep.dataset = d->name;
  rep.path = d->output;
  std::string out;
  if (d->members.empty()) {
    out = header(*d, "feed entries", now);
    // One pass over the keys in LMDB order: exclusions (`!` sorts before every name and
    // address character) come first, so a listing of an excluded key is known when it comes.
    std::set<std::string> excluded;  // an exclusion wins over a listing of the same key
    TxnGuard txn;
    const int rc = ::mdb_txn_begin(store_->env(), nullptr, MDB_RDONLY, &txn.txn);
    if (rc != 0) return lmdb_error("mdb_txn_begin", rc);
    core::Status s =
        walk_dataset(txn.txn, store_->feed_entries_dbi(), d->name,
                     [&](std::string_view key, std::span<const std::uint8_t> v) {
                       auto from = decode_contributions(v);
                       if (!from.is_ok()) return from.status();
                       const Contribution* c = winner(from.value(), now);
                       if (c == nullptr) return core::Status::ok();
                       if (key.starts_with("!")) {
                         excluded.emplace(key.substr(1));
                         out.append(data_line_key(key)).push_back('\n');
                         ++rep.excluded;
                       } else if (excluded.empty() || excluded.count(std::string(key)) == 0) {
                         out.append(data_line_key(key)).append(value_text(*d, c->a, c->txt)).push_back('\n');
                         ++rep.listed;
                       }
                       return core::Status::ok();
                     });
    if (!s.is_ok()) return s;
    if (d->test_points) {
      out += "# RFC 5782 test points\n";
      switch (d->kind) {
        case DatasetKind::kDnset:
          out += "test\n!invalid\n";
          break;
        case DatasetKind::kIp4trie:
          out += "127.0.0.2/32\n!127.0.0.1/32\n";
          break;
        case DatasetKind::kIp6trie:
          out += "::ffff:7f00:2/128\n!::ffff:7f00:1/128\n";
          break;
      }
    }
  } else {
    // Multi: every key of every member gets the OR of the bits of every member whose own
    // answer for that key is a listing (rbldnsd's most-specific-match rules applied per
    // member), so that the most specific key of the union answers the OR for every name.
    std::vector<std::pair<std::string, std::uint32_t>> names;
    std::uint32_t all_bits = 0;
    for (const MultiMember& m : d->members) {
      names.emplace_back(m.dataset, m.bit);
      all_bits |= m.bit;
    }
    out = header(
        *d,
        "multi (bits: " +
            [&] {
              std::string s;
              for (const auto& [n, b] : names) s += (s.empty() ? "" : ", ") + std::to_string(b) + " " + n;
              return s;
            }() +
            ")",
        now);
    if (d->kind == DatasetKind::kDnset) {
      std::vector<DnMember> members;
      std::map<std::string, std::pair<bool, bool>> keys;  // name -> (exact key, wild key) in the union
      for (const MultiMember& m : d->members) {
        auto all = entries(m.dataset);
        if (!all.is_ok()) return all.status();
        DnMember dm;
        dm.bit = m.bit;
        for (const StoredEntry& e : all.value()) {
          if (winner(e.from, now) == nullptr) continue;
          const DnKey k = parse_dn_key(e.key);
          dm.add(k);
          auto& slot = keys[k.name];
          slot.first = slot.first || k.exact;
          slot.second = slot.second || k.wild;
        }
        members.push_back(std::move(dm));
      }
      auto bits_of = [&](const std::string& name, bool exact) {
        std::uint32_t b = 0;
        for (const DnMember& m : members)
          if (m.matches(name, exact)) b |= m.bit;
        return b;
      };
      for (const auto& [name, has] : keys) {
        const std::uint32_t be = has.first ? bits_of(name, true) : 0;
        const std::uint32_t bw = has.second ? bits_of(name, false) : 0;
        auto line = [&](const std::string& spelled, std::uint32_t b) {
          if (b == 0) {
            out += "!" + spelled + "\n";
            ++rep.excluded;
          } else {
            out += spelled + multi_value(*d, names, b) + "\n";
            ++rep.listed;
          }
        };
        if (has.first && has.second && be == bw) {
          line("." + name, be);
        } else {
          if (has.first) line(name, be);
          if (has.second) line("*." + name, bw);
        }
      }
      if (d->test_points)
        out += "# RFC 5782 test points\ntest" + multi_value(*d, names, all_bits) + "\n!invalid\n";
    } else {
      std::vector<IpMember> members;
      std::map<std::string, IpPrefix> keys;  // prefix_key order is fine: the file is unordered
      for (const MultiMember& m : d->members) {
        auto all = entries(m.dataset);
        if (!all.is_ok()) return all.status();
        IpMember im;
        im.bit = m.bit;
        for (const StoredEntry& e : all.value()) {
          if (winner(e.from, now) == nullptr) continue;
          std::string_view t = e.key;
          IpKey k;
          if (t.starts_with("!")) {
            k.excluded = true;
            t.remove_prefix(1);
          }
          auto p = parse_ip_prefix(t);
          if (!p.is_ok()) continue;  // keys are validated on the way in
          k.prefix = p.value();
          im.add(k);
          keys.emplace(prefix_key(k.prefix), k.prefix);
        }
        members.push_back(std::move(im));
      }
      for (const auto& [unused, p] : keys) {
        std::uint32_t b = 0;
        for (const IpMember& m : members)
          if (m.matches(p)) b |= m.bit;
        if (b == 0) {
          out += "!" + data_line_prefix(p) + "\n";
          ++rep.excluded;
        } else {
          out += data_line_prefix(p) + multi_value(*d, names, b) + "\n";
          ++rep.listed;
        }
      }
      if (d->test_points) {
        out += "# RFC 5782 test points\n";
        if (d->kind == DatasetKind::kIp4trie)
          out += "127.0.0.2/32" + multi_value(*d, names, all_bits) + "\n!127.0.0.1/32\n";
        else
          out += "::ffff:7f00:2/128" + multi_value(*d, names, all_bits) + "\n!::ffff:7f00:1/128\n";
      }
    }
  }
  core::Status s = write_atomically(d->output, out);
  if (!s.is_ok()) return core::Status::error("dataset " + d->name + ": " + std::string(s.message()));
  return rep;
}

}  // namespace fastrbl::feeds
