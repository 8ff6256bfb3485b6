#pragma once
// What feed_store.cc and feed_import.cc share: LMDB helpers and the encoding of the
// feed_entries and feed_meta records (docs/LMDB_SCHEMA.md). Internal to feeds/, not part
// of its interface. FeedStore::import() lives in feed_import.cc so that a program that only
// pushes and renders (fastrbld) does not link the fetcher and, through it, libcurl.

#include "core/status.h"
#include "feeds/feed_store.h"

#include <lmdb.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fastrbl::feeds::detail {

inline core::Status lmdb_error(std::string_view what, int rc) {
  return core::Status::error("LMDB " + std::string(what) + ": " + ::mdb_strerror(rc));
}

inline MDB_val val_of(std::string_view s) noexcept { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline MDB_val val_of(std::span<const std::uint8_t> b) noexcept {
  return MDB_val{b.size(), const_cast<std::uint8_t*>(b.data())};
}
inline std::span<const std::uint8_t> bytes_of(const MDB_val& v) noexcept {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}
inline std::string_view text_of(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

// Aborts the transaction unless commit() ran.
struct TxnGuard {
  MDB_txn* txn = nullptr;
  ~TxnGuard() {
    if (txn != nullptr) ::mdb_txn_abort(txn);
  }
  int commit() noexcept {
    const int rc = ::mdb_txn_commit(txn);
    txn = nullptr;
    return rc;
  }
};

// Closes the cursor.
struct CursorGuard {
  MDB_cursor* cur = nullptr;
  ~CursorGuard() {
    if (cur != nullptr) ::mdb_cursor_close(cur);
  }
};

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
