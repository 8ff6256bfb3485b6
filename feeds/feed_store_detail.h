#pragma once
// What feed_store.cc and feed_import.cc share: LMDB helpers (zones/lmdb_util.h's, and the
// walk over one dataset's keys) and the encoding of the feed_entries and feed_meta records
// (docs/LMDB_SCHEMA.md). Internal to feeds/, not part of its interface. FeedStore::import()
// lives in feed_import.cc so that a program that only pushes and renders (fastrbld) does not
// link the fetcher and, through it, libcurl.

#include "core/status.h"
#include "feeds/feed_store.h"
#include "zones/lmdb_util.h"

#include <lmdb.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::feeds::detail {

using zones::lmdb::bytes_of;
using zones::lmdb::CursorGuard;
using zones::lmdb::lmdb_error;
using zones::lmdb::text_of;
using zones::lmdb::TxnGuard;
using zones::lmdb::val_of;

// `dataset \0 key`: one dataset's keys are contiguous and sorted by key bytes.
inline std::string db_key(std::string_view dataset, std::string_view key) {
  std::string k;
  k.reserve(dataset.size() + 1 + key.size());
  k.append(dataset);
  k.push_back('\0');
  k.append(key);
  return k;
}

// Walks every key of one dataset: fn(entry key, value bytes) -> Status (stop on error).
template <class Fn>
core::Status walk_dataset(MDB_txn* txn, unsigned dbi, std::string_view dataset, Fn&& fn) {
  CursorGuard c;
  int rc = ::mdb_cursor_open(txn, dbi, &c.cur);
  if (rc != 0) return lmdb_error("mdb_cursor_open", rc);
  const std::string prefix = db_key(dataset, "");
  MDB_val k = val_of(prefix), v{};
  for (rc = ::mdb_cursor_get(c.cur, &k, &v, MDB_SET_RANGE); rc == 0;
       rc = ::mdb_cursor_get(c.cur, &k, &v, MDB_NEXT)) {
    const std::string_view key = text_of(k);
    if (!key.starts_with(prefix)) break;
    core::Status s = fn(key.substr(prefix.size()), bytes_of(v));
    if (!s.is_ok()) return s;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return lmdb_error("walking feed_entries", rc);
  return core::Status::ok();
}

inline bool expired_at(const Contribution& c, std::int64_t now) noexcept {
  return c.expires != 0 && c.expires <= now;
}

/// A feed_entries value: every origin's contribution to one key.
std::vector<std::uint8_t> encode_contributions(const std::vector<Contribution>& from);
/// The contributions of a feed_entries value. Error: an unknown format or a record that
/// does not parse (a corrupted store).
core::Result<std::vector<Contribution>> decode_contributions(std::span<const std::uint8_t> bytes);
/// A feed_meta value.
std::vector<std::uint8_t> encode_meta(const FeedMeta& m);

}  // namespace fastrbl::feeds::detail
