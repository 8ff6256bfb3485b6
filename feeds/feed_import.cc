// FeedStore::import(), apart from the rest of feed_store.cc: only fastrblctl imports, and
// this is what links the fetcher (feeds/fetch.h, libcurl).

#include "feeds/feed_store.h"
#include "feeds/feed_store_detail.h"
#include "feeds/fetch.h"
#include "feeds/shrink_guard.h"
#include "zones/store.h"

#include <lmdb.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <unistd.h>
#include <utility>
#include <vector>

namespace fastrbl::feeds {
namespace {

using detail::db_key;
using detail::decode_contributions;
using detail::encode_contributions;
using detail::encode_meta;
using detail::expired_at;
using detail::lmdb_error;
using detail::TxnGuard;
using detail::val_of;
using detail::walk_dataset;

// Text that goes into a TXT template from feed metadata: printable, `$` doubled (so that
// rbldnsd does not substitute inside it), at most 200 bytes.
std::string safe_text(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (out.size() >= 200) break;
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      out.push_back(' ');
    else if (c == '$')
      out += "$$";
    else
      out.push_back(c);
  }
  return out;
}

std::string reason_of(const Metadata& m) {
  std::string out;
  auto add = [&out](std::string_view k, const std::string& v) {
    if (v.empty()) return;
    if (!out.empty()) out += "; ";
    out += std::string(k) + "=" + v;
  };
  add("provider", m.provider);
  add("service", m.service);
  add("region", m.region);
  add("tag", m.tag);
  return out;
}

// Fills {provider} {service} {region} {tag} {feed} in a TXT template; a placeholder with no
// value becomes empty.
std::string fill_template_uncapped(std::string_view tpl, const Metadata& m, std::string_view feed);

// The TXT of an entry: the template filled, at most 254 bytes (what rbldnsd serves of a TXT).
std::string fill_template(std::string_view tpl, const Metadata& m, std::string_view feed) {
  std::string out = fill_template_uncapped(tpl, m, feed);
  if (out.size() > 254) out.resize(254);
  return out;
}

std::string fill_template_uncapped(std::string_view tpl, const Metadata& m, std::string_view feed) {
  if (tpl.find('{') == std::string_view::npos) return std::string(tpl);
  std::string out;
  for (std::size_t i = 0; i < tpl.size();) {
    if (tpl[i] == '{') {
      const std::size_t end = tpl.find('}', i);
      if (end != std::string_view::npos) {
        const std::string_view name = tpl.substr(i + 1, end - i - 1);
        const std::string* v = name == "provider"  ? &m.provider
                               : name == "service" ? &m.service
                               : name == "region"  ? &m.region
                               : name == "tag"     ? &m.tag
                                                   : nullptr;
        if (v != nullptr || name == "feed") {
          out += v != nullptr ? safe_text(*v) : safe_text(feed);
          i = end + 1;
          continue;
        }
      }
    }
    out.push_back(tpl[i++]);
  }
  return out;
}

// The records an import rewrites, collected while it walks the stored ones and written after
// the walk: keys and encoded values back to back in one arena (a million of them would
// otherwise be a million small allocations each). An empty value deletes the key.
struct PendingWrites {
  struct Item {
    std::size_t key_off = 0, val_off = 0;
    std::uint32_t key_len = 0, val_len = 0;
  };
  std::string arena;
  std::vector<Item> items;

  void add(std::string_view key, const std::vector<Contribution>& from) {
    Item it;
    it.key_off = arena.size();
    it.key_len = static_cast<std::uint32_t>(key.size());
    arena.append(key);
    it.val_off = arena.size();
    if (!from.empty()) {
      const std::vector<std::uint8_t> enc = encode_contributions(from);
      arena.append(reinterpret_cast<const char*>(enc.data()), enc.size());
      it.val_len = static_cast<std::uint32_t>(enc.size());
    }
    items.push_back(it);
  }
};

// A new entry of one import: its key, and what its contribution says.
struct NewEntry {
  std::string key;
  std::string reason;
  std::string txt;
  bool generic = false;  // AWS's `AMAZON` record of a prefix another record names more precisely
};

// The new entries of one dataset in key order without duplicates: a view through indexes.
struct SortedEntries {
  const std::vector<NewEntry>* entries = nullptr;
  std::vector<std::uint32_t> order;
  std::size_t size() const noexcept { return order.size(); }
  const NewEntry& operator[](std::size_t i) const { return (*entries)[order[i]]; }
};

}  // namespace

core::Result<ImportReport> FeedStore::import(std::string_view feed_name, std::int64_t now,
                                             const ImportOptions& options) {
  const FeedDef* f = config_.feed(feed_name);
  if (f == nullptr) return core::Status::error("unknown feed `" + std::string(feed_name) + "'");
  ImportReport rep;
  rep.feed = f->name;
  auto prev_meta = feed_meta(f->name);
  if (!prev_meta.is_ok()) return prev_meta.status();
  FeedMeta meta = prev_meta.value().value_or(FeedMeta{});
  meta.last_attempt = now;

  // 1. Fetch or choose the file to read.
  std::string path;
  std::string tmp;
  struct TmpRemover {
    std::string* p;
    ~TmpRemover() {
      if (!p->empty()) ::unlink(p->c_str());
    }
  } remover{&tmp};
  const bool http = f->source.starts_with("http://") || f->source.starts_with("https://");
  bool not_modified = false;
  std::string fetch_note;
  if (http && !options.offline) {
    tmp = (std::filesystem::temp_directory_path() / ("fastrbl-feed-" + f->name + ".XXXXXX")).string();
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) {
      const int err = errno;
      tmp.clear();
      return core::Status::error("cannot create a temporary file: " + std::string(std::strerror(err)));
    }
    ::close(fd);
    FetchRequest req;
    req.url = f->source;
    req.timeout = f->timeout;
    req.dest = tmp;
    if (meta.last_good_entries != 0 && meta.source == f->source) {
      req.etag = meta.etag;
      req.last_modified = meta.last_modified;
    }
    auto got = fetch_url(req);
    if (got.is_ok()) {
      not_modified = got.value().not_modified;
      path = tmp;
      rep.source_used = f->source;
      meta.etag = got.value().etag;
      meta.last_modified = got.value().last_modified;
      if (not_modified) {
        meta.etag = req.etag.empty() ? got.value().etag : req.etag;
        meta.last_modified = req.last_modified.empty() ? got.value().last_modified : req.last_modified;
      }
    } else if (!f->fallback.empty()) {
      fetch_note = std::string(got.status().message()) + "; reading the fallback " + f->fallback;
      path = f->fallback;
    } else {
      return core::Status::error("feed " + f->name + ": " + std::string(got.status().message()));
    }
  } else if (http) {
    if (f->fallback.empty())
      return core::Status::error("feed " + f->name + ": offline and no fallback file for " + f->source);
    path = f->fallback;
  } else {
    path = f->source.starts_with("file://") ? f->source.substr(7) : f->source;
  }
  if (rep.source_used.empty()) rep.source_used = path;
  if (!fetch_note.empty()) rep.diagnostics.push_back(fetch_note);

  // 2. Read and normalise (skipped when the server says the source did not change).
  std::vector<std::vector<NewEntry>> fresh(f->datasets.size());
  std::vector<SortedEntries> sorted(f->datasets.size());  // fresh in key order, duplicates dropped
  std::vector<const DatasetDef*> targets;
  for (const std::string& dn : f->datasets) targets.push_back(config_.dataset(dn));
  if (!not_modified) {
    auto rr = read_feed_file(f->format, path, f->read);
    if (!rr.is_ok())
      return core::Status::error("feed " + f->name + ": " + std::string(rr.status().message()));
    ReadResult& r = rr.value();
    for (const Diagnostic& dg : r.diagnostics) rep.diagnostics.push_back(dg.to_string());
    std::size_t bad = r.bad_lines;
    std::size_t shown = r.diagnostics.size();
    auto note_bad = [&](std::size_t line, const std::string& msg) {
      ++bad;
      if (shown++ < f->read.max_diagnostics)
        rep.diagnostics.push_back(
            Diagnostic{Diagnostic::Severity::kError, rep.source_used, line, msg}.to_string());
    };
    auto target_of = [&](DatasetKind k) -> int {
      for (std::size_t i = 0; i < targets.size(); ++i)
        if (targets[i]->kind == k) return static_cast<int>(i);
      return -1;
    };
    const PublicSuffixList* list = nullptr;
    if (f->listing && !r.domains.empty()) {
      auto p = psl();
      if (!p.is_ok()) return p.status();
      list = p.value();
    }
    for (const DomainEntry& e : r.domains) {
      const int t = target_of(DatasetKind::kDnset);
      if (t < 0) {
        note_bad(e.line, "a domain name (" + e.name + ") but feed " + f->name + " has no dnset dataset");
        continue;
      }
      std::string key = e.dnset_text();
      if (list != nullptr) {
        auto l = make_listing(*list, e.name, *f->listing, e.excluded);
        if (!l.is_ok()) {
          note_bad(e.line, std::string(l.status().message()));
          continue;
        }
        key = l.value().dnset_text();
      }
      fresh[static_cast<std::size_t>(t)].push_back(
          {std::move(key), reason_of(e.meta), fill_template(f->txt, e.meta, f->name)});
    }
    for (const IpEntry& e : r.ips) {
      const int t = target_of(e.prefix.v6 ? DatasetKind::kIp6trie : DatasetKind::kIp4trie);
      if (t < 0) {
        note_bad(e.line, "an IPv" + std::string(e.prefix.v6 ? "6" : "4") + " prefix (" +
                             e.prefix.to_string() + ") but feed " + f->name + " has no " +
                             (e.prefix.v6 ? "ip6trie" : "ip4trie") + " dataset");
        continue;
      }
      fresh[static_cast<std::size_t>(t)].push_back({e.text(), reason_of(e.meta),
                                                    fill_template(f->txt, e.meta, f->name),
                                                    e.meta.provider == "aws" && e.meta.service == "AMAZON"});
    }
    // Sort each dataset's entries by key (LMDB's order) and keep the first of duplicates.
    std::size_t total = 0;
    for (std::size_t t = 0; t < fresh.size(); ++t) {
      const std::vector<NewEntry>& v = fresh[t];
      // Sorting indexes (ties by position, so the first of duplicates comes first) moves 4
      // bytes per swap instead of three strings.
      std::vector<std::uint32_t> order(v.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
      std::sort(order.begin(), order.end(), [&v](std::uint32_t a, std::uint32_t b) {
        const int c = v[a].key.compare(v[b].key);
        return c < 0 || (c == 0 && a < b);
      });
      // AWS lists a prefix once as AMAZON (the superset) and again per service: the service wins.
      std::size_t w = 0;
      for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i, pick = i;
        for (; j < order.size() && v[order[j]].key == v[order[i]].key; ++j)
          if (v[order[pick]].generic && !v[order[j]].generic) pick = j;
        order[w++] = order[pick];
        i = j;
      }
      order.resize(w);
      sorted[t] = SortedEntries{&v, std::move(order)};
      total += w;
    }
    rep.entries = total;
    rep.bad = bad;
    meta.version = r.version;
    // 3. Guards.
    ShrinkVerdict verdict = check_bad_lines(f->name, total, bad, r.complete, f->max_bad);
    if (verdict.accept) verdict = check_shrink(f->name, meta.last_good_entries, total, f->max_shrink);
    if (!verdict.accept) {
      rep.refused = true;
      rep.message = verdict.message;
      FeedMeta m = prev_meta.value().value_or(FeedMeta{});
      m.last_attempt = now;
      m.last_error = verdict.message;
      if (!options.dry_run) {
        TxnGuard txn;
        int rc = ::mdb_txn_begin(store_->env(), nullptr, 0, &txn.txn);
        if (rc != 0) return lmdb_error("mdb_txn_begin (write)", rc);
        const std::vector<std::uint8_t> enc = encode_meta(m);
        MDB_val k = val_of(std::string_view(f->name)), v = val_of(enc);
        rc = ::mdb_put(txn.txn, store_->feed_meta_dbi(), &k, &v, 0);
        if (rc == 0) rc = txn.commit();
        if (rc != 0) return lmdb_error("writing feed_meta", rc);
      }
      return rep;
    }
  } else {
    rep.unchanged_source = true;
  }

  // 4. Diff against the stored contributions of this feed, in one write transaction.
  TxnGuard txn;
  int rc = ::mdb_txn_begin(store_->env(), nullptr, 0, &txn.txn);
  if (rc != 0) return lmdb_error("mdb_txn_begin (write)", rc);
  const unsigned dbi = store_->feed_entries_dbi();
  const std::string& a_value = f->value;
  std::size_t kept_total = 0;
  for (std::size_t t = 0; t < targets.size(); ++t) {
    const DatasetDef& d = *targets[t];
    const SortedEntries& now_entries = sorted[t];
    PendingWrites writes;  // collected during the walk, written after it
    std::size_t ni = 0;
    bool changed = false;
    auto add_new = [&](const NewEntry& e, std::vector<Contribution> from) {
      Contribution c;
      c.origin = f->name;
      c.first_seen = c.last_seen = now;
      c.expires = f->expire_after > 0 ? now + f->expire_after : 0;
      c.reason = e.reason;
      c.a = a_value;
      c.txt = e.txt;
      from.push_back(std::move(c));
      rep.diff.added.push_back(d.name + " " + e.key);
      writes.add(e.key, from);
    };
    core::Status s =
        walk_dataset(txn.txn, dbi, d.name, [&](std::string_view key, std::span<const std::uint8_t> v) {
          // New keys that sort before this stored one are additions.
          while (!not_modified && ni < now_entries.size() && now_entries[ni].key < key)
            add_new(now_entries[ni++], {});
          const bool in_source = not_modified || (ni < now_entries.size() && now_entries[ni].key == key);
          auto dec = decode_contributions(v);
          if (!dec.is_ok()) return dec.status();
          std::vector<Contribution> from = std::move(dec).value();
          bool touched = false;
          // Contributions of other origins that expired are dropped on the way.
          for (auto it = from.begin(); it != from.end();) {
            if (it->origin != f->name && expired_at(*it, now)) {
              it = from.erase(it);
              touched = true;
            } else {
              ++it;
            }
          }
          auto mine = std::find_if(from.begin(), from.end(),
                                   [&](const Contribution& c) { return c.origin == f->name; });
          if (mine == from.end()) {
            if (in_source && !not_modified) {
              add_new(now_entries[ni++], std::move(from));
              return core::Status::ok();
            }
            if (touched) writes.add(key, from);
            return core::Status::ok();
          }
          if (in_source) {
            ++kept_total;
            if (!not_modified) {
              const NewEntry& e = now_entries[ni++];
              if (mine->a != a_value || mine->txt != e.txt || mine->reason != e.reason)
                rep.diff.updated.push_back(d.name + " " + std::string(key));
              mine->a = a_value;
              mine->txt = e.txt;
              mine->reason = e.reason;
            }
            mine->last_seen = now;
            mine->expires = f->expire_after > 0 ? now + f->expire_after : 0;
            writes.add(key, from);
            return core::Status::ok();
          }
          // Stored but no longer in the source.
          if (f->expire_after == 0) {
            rep.diff.removed.push_back(d.name + " " + std::string(key));
            from.erase(mine);
            writes.add(key, from);
          } else if (mine->last_seen + f->expire_after <= now) {
            rep.diff.expired.push_back(d.name + " " + std::string(key));
            from.erase(mine);
            writes.add(key, from);
          } else {
            ++rep.diff.lingering;
            if (touched) writes.add(key, from);
          }
          return core::Status::ok();
        });
    if (!s.is_ok()) return s;
    while (!not_modified && ni < now_entries.size()) add_new(now_entries[ni++], {});
    std::string k;
    for (const PendingWrites::Item& w : writes.items) {
      k = db_key(d.name, std::string_view(writes.arena).substr(w.key_off, w.key_len));
      MDB_val kv = val_of(k);
      int prc = 0;
      if (w.val_len == 0) {
        prc = ::mdb_del(txn.txn, dbi, &kv, nullptr);
        if (prc == MDB_NOTFOUND) prc = 0;
      } else {
        MDB_val v = val_of(std::string_view(writes.arena).substr(w.val_off, w.val_len));
        prc = ::mdb_put(txn.txn, dbi, &kv, &v, 0);
      }
      if (prc != 0) return lmdb_error("writing feed_entries", prc);
    }
    changed = true;
    if (changed) rep.datasets.push_back(d.name);
  }
  rep.diff.kept = kept_total;
  if (not_modified) rep.entries = static_cast<std::size_t>(meta.last_good_entries);
  meta.last_import = now;
  meta.last_good_entries = rep.entries;
  meta.added = rep.diff.added.size();
  meta.removed = rep.diff.removed.size();
  meta.kept = rep.diff.kept;
  meta.expired = rep.diff.expired.size();
  meta.bad = rep.bad;
  meta.source = http && rep.source_used == f->source ? f->source : rep.source_used;
  meta.last_error.clear();
  if (!http || rep.source_used != f->source) {
    meta.etag.clear();
    meta.last_modified.clear();
  }
  const std::vector<std::uint8_t> enc = encode_meta(meta);
  MDB_val mk = val_of(std::string_view(f->name)), mv = val_of(enc);
  rc = ::mdb_put(txn.txn, store_->feed_meta_dbi(), &mk, &mv, 0);
  if (rc != 0) return lmdb_error("writing feed_meta", rc);
  if (options.dry_run) {
    rep.message = "dry run: nothing committed";
    return rep;  // the guard aborts the transaction
  }
  rc = txn.commit();
  if (rc != 0) return lmdb_error("commit", rc);
  rep.message = std::to_string(rep.diff.added.size()) + " added, " + std::to_string(rep.diff.removed.size()) +
                " removed, " + std::to_string(rep.diff.kept) + " kept, " +
                std::to_string(rep.diff.expired.size()) + " expired";
  return rep;
}

}  // namespace fastrbl::feeds
