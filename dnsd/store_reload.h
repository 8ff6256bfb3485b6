#pragma once
// StoreReload: the reload check of `fastrbld --db` (docs/LMDB_SCHEMA.md, "Reloads").
//
// check() runs on the Reloader's threadpool thread. It stats the source files of every
// dataset of the zone specs and compares them with the stamps of the store's current
// generation (loader::stale_datasets()). When a dataset is stale, the new generation is
// compiled OUTSIDE this process: `fastrblctl compile --db DIR -t D:MIN:MAX [-e] [-C] --
// SPECS...` is started with posix_spawn (vfork semantics: the serving process's page
// tables are not copied) and waited for on this thread, so the serving process never
// holds the parser's heap and its peak RSS stays near its steady state. The child
// inherits only stdin (/dev/null) and two pipes for its stdout and stderr: every other
// descriptor is closed in the child before exec (the serving sockets, the LMDB lock and
// data files, libuv's), close-on-exec or not; its signal mask and dispositions are reset.
// It runs in this process's working directory (after -w), as this process's user, so that
// zone specs and a relative --db mean what they mean to fastrbld. Then the current
// generation (the one just committed, or a newer one another `fastrblctl compile` wrote)
// is opened with loader::snapshot_from_store(): one read transaction per snapshot, so no
// answer mixes two generations; the old snapshot's transaction ends when the server
// retires it. A failed compile (or a fastrblctl that cannot be started) keeps the current
// generation serving, logs why with the compile's stderr lines, and counts the stale
// datasets as failed: the next check tries again, as the text path does. When nothing
// changed but a `$TIMESTAMP` expiry of a served dataset has passed since the snapshot was
// built, the same generation is opened again (its datasets are reused, not re-read) and
// the rebuilt snapshot, with the expired zones out of service, is published: as the text
// path's ZoneSet::check().
//
// The fastrblctl program is found at construction (before chroot, -r): next to this
// program's executable (/proc/self/exe), else in ../bin from it (the installed layout:
// fastrbld in sbin, fastrblctl in bin). With -r, that path must exist inside the root.
//
// Ownership: shares the Store with the served snapshots. Thread safety: check() on one
// thread at a time (the Reloader's guarantee); nothing else touches the object.

#include "loader/options.h"
#include "loader/reload.h"
#include "zones/store.h"

#include <cstdint>
#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fastrbl::dnsd {

class StoreReload {
 public:
  /// `serving`: the generation the first snapshot (`first`) was opened from. `db`: --db as
  /// given (relative to the working directory). `ctl`: the fastrblctl to run (empty: none
  /// found; every compile then fails with a message saying so).
  StoreReload(std::shared_ptr<zones::Store> store, std::string db, std::vector<std::string> specs,
              const loader::LoadOptions& options, std::uint64_t serving, const zones::Snapshot& first,
              std::string ctl);

  /// One reload check (see the header comment). Logs what it does.
  loader::CheckResult check();

  /// The fastrblctl next to (or in ../bin from) the running executable; empty if none.
  static std::string find_fastrblctl();

  /// The command line check() runs (argv[0] is the program path). For tests and logs.
  std::vector<std::string> compile_command() const;

 private:
  struct Compiled {
    bool ok = false;
    std::string why;  // when !ok: how it ended
    std::vector<std::string> out, err;
    double user_seconds = 0;
  };
  Compiled run_compile() const;
  std::time_t now() const;
  /// Remembers the earliest `$TIMESTAMP` expiry of `served` still in the future.
  void note_expiry(const zones::Snapshot& served);

  std::shared_ptr<zones::Store> store_;
  std::string db_;
  std::vector<std::string> specs_;
  loader::LoadOptions options_;
  std::uint64_t serving_ = 0;
  std::optional<zones::GenerationRecord> serving_record_;
  std::string ctl_;
  std::time_t next_expiry_ = 0;  // 0: no served dataset expires
};

}  // namespace fastrbl::dnsd
