#pragma once
// ZoneSet: the zone specs of a server and the last good data of each of their datasets,
// for the first load and every reload check after it (compat §7; DESIGN.md, the update
// path).
//
// create() parses the specs once. check() is rbldnsd's reload check: it stats every file
// of every dataset (mtime in whole seconds, and size) and compares with what the last
// successful load of that dataset read; a difference, a failed stat or a dataset never
// loaded reloads that whole dataset. A dataset that loads replaces its old data (the
// per-dataset stats line is logged by the loader); one that fails logs its error (file
// and line where there is one, in rbldnsd's words) and KEEPS its previous data and
// stamps, so it is tried again at every check until it loads (the stamps still differ)
// or its files are back to what was last loaded (deliberate difference 5: rbldnsd frees
// the dataset first and serves SERVFAIL). When something loaded, or a `$TIMESTAMP`
// expiry has passed since the last snapshot, check() builds a new Snapshot that shares
// every unchanged dataset (shared_ptr) with the previous one. A dataset that has never
// loaded (a failed first load with -q) leaves its zones unserviced (SERVFAIL, rbldnsd's
// "zone X: not all datasets are loaded, zone will not be serviced").
//
// Ownership: the ZoneSet owns the dataset states; snapshots it returns are shared with
// the caller. Thread safety: none inside. check() may run on any one thread at a time
// (the server runs it on a loader thread, never concurrently with itself); nothing else
// may touch the object meanwhile.

#include "core/status.h"
#include "loader/data_file.h"
#include "loader/load.h"
#include "loader/options.h"
#include "zones/snapshot.h"

#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fastrbl::loader {

/// What one check did.
struct CheckResult {
  std::size_t loaded = 0;  // datasets (re)loaded successfully
  std::size_t failed = 0;  // datasets whose load failed (previous data kept, if any)
  /// The new snapshot when one was built (something loaded, or an expiry passed); null
  /// when the running snapshot stays as it is.
  std::shared_ptr<const zones::Snapshot> snapshot;
  /// Run on the control thread right before `snapshot` is published (may be empty): with
  /// the LMDB store, drops the pages of the images being replaced from the page tables
  /// (zones::Store::release_unnamed_pages()).
  std::function<void()> before_publish;
  double elapsed_seconds = 0;  // wall time of the check
  double user_seconds = 0;     // user CPU time of the calling thread during the check

  /// A dataset load was attempted: rbldnsd logs its "zones reloaded" line then.
  bool attempted() const noexcept { return loaded + failed > 0; }
};

class ZoneSet {
 public:
  /// Parses the specs and applies rbldnsd's acl checks; loads nothing. Errors: those of
  /// parse_zone_spec() and check_acl_specs().
  static core::Result<std::unique_ptr<ZoneSet>> create(const std::vector<std::string>& specs,
                                                       const LoadOptions& options);

  /// One reload check (see the header comment). The first call loads everything.
  /// Failed loads are logged here.
  CheckResult check();

  /// A snapshot with every zone unserviced (SERVFAIL), for answering before the first
  /// load (-q). Logs nothing.
  std::shared_ptr<const zones::Snapshot> unloaded_snapshot() const;

  /// The time used for `$TIMESTAMP` checks and expiry from now on (0: the clock). Tests.
  void set_now(std::time_t now) noexcept { options_.now = now; }

  /// Number of distinct datasets (type and file list as written).
  std::size_t dataset_count() const noexcept { return datasets_.size(); }
  /// Number of datasets that have never loaded.
  std::size_t unloaded_count() const noexcept;

 private:
  struct DatasetState {
    std::string type;
    std::string files_spec;
    std::vector<std::string> files;
    std::shared_ptr<const zones::Dataset> dataset;  // last good data; null: never loaded
    std::vector<FileStamp> stamps;                  // what the last good load read
  };

  ZoneSet() = default;
  bool changed(const DatasetState& ds) const;
  std::shared_ptr<const zones::Snapshot> build(std::time_t now);

  std::vector<ZoneSpec> specs_;
  std::vector<DatasetState> datasets_;
  std::vector<std::size_t> spec_dataset_;  // specs_[i] uses datasets_[spec_dataset_[i]]
  LoadOptions options_;
  /// The earliest `$TIMESTAMP` expiry still in the future at the last build (0: none).
  std::time_t next_expiry_ = 0;
  bool built_ = false;
};

/// Logs a load error: one line per '\n'-separated part, each as its own message.
void log_load_error(const core::Status& error);

/// rbldnsd's line after each load pass: "zones reloaded, time 0.05e/0.04u sec, mem
/// arena=.. free=.. mmap=.. Kb" (glibc mallinfo2: arena, fordblks, hblkhd in KiB).
void log_zones_reloaded(const CheckResult& result);

}  // namespace fastrbl::loader
