#pragma once
// Small helpers for code that talks to LMDB directly (zones/store.cc, the feed tables in
// feeds/): an error Status from an LMDB return code, MDB_val views of bytes and text, and
// guards that abort a transaction or close a cursor on every path out.
//
// Ownership: the views point into the caller's bytes or LMDB's map (valid until the
// transaction ends). Thread safety: as LMDB's; a guard belongs to the thread that opened
// its transaction.

#include "core/status.h"

#include <lmdb.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace fastrbl::zones::lmdb {

/// "LMDB <what>: <mdb_strerror(rc)>".
inline core::Status lmdb_error(std::string_view what, int rc) {
  return core::Status::error("LMDB " + std::string(what) + ": " + ::mdb_strerror(rc));
}

/// A view of `s` or `b` for LMDB to read (LMDB's API is not const-correct).
inline MDB_val val_of(std::string_view s) noexcept { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline MDB_val val_of(std::span<const std::uint8_t> b) noexcept {
  return MDB_val{b.size(), const_cast<std::uint8_t*>(b.data())};
}
/// What LMDB returned, as bytes or text.
inline std::span<const std::uint8_t> bytes_of(const MDB_val& v) noexcept {
  return {static_cast<const std::uint8_t*>(v.mv_data), v.mv_size};
}
inline std::string_view text_of(const MDB_val& v) noexcept {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// Aborts the transaction unless commit() ran.
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

/// Closes the cursor.
struct CursorGuard {
  MDB_cursor* cur = nullptr;
  ~CursorGuard() {
    if (cur != nullptr) ::mdb_cursor_close(cur);
  }
};

}  // namespace fastrbl::zones::lmdb
