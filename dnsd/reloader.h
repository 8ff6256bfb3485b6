#pragma once
// Reloader: runs reload checks off the control thread and hands each new snapshot back to
// it for publishing (compat §7; DESIGN.md, the update path). The check is
// loader::ZoneSet::check() for data loaded from text, StoreReload::check() with --db
// (dnsd/store_reload.h).
//
// The control loop calls request() on SIGHUP, on every -c tick, and once after start-up
// with -q. A check runs on the libuv threadpool (uv_queue_work), so neither the workers
// nor the control loop's signal handling wait for a load; the workers keep answering
// from the running snapshot meanwhile, and the loading thread runs at nice 10 so that it
// yields the CPU to them. When the check is done, its completion runs on
// the control thread: it logs rbldnsd's "zones reloaded" line if a dataset load was
// attempted and calls the publish callback with the new snapshot, if one was built.
// Checks never overlap: requests that arrive while one runs are coalesced into one more
// check, started as soon as the running one completes. Under systemd each check is
// announced with RELOADING=1 and its end with READY=1 (sd_notify; no-op otherwise).
// Ownership: owns the check function and what it captures (touched only by the running
// check). Thread safety:
// request(), close() and the destructor on the control thread only; the loop must
// outlive the object, and a running check must have completed before it is destroyed
// (run the loop until it has no active requests).

#include "loader/reload.h"
#include "zones/snapshot.h"

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>

namespace fastrbl::dnsd {

class Reloader {
 public:
  using Publish = std::function<void(std::shared_ptr<const zones::Snapshot>)>;
  /// One reload check; runs on a threadpool thread, never concurrently with itself.
  using Check = std::function<loader::CheckResult()>;

  /// Requires: the data of `check` is loaded already, or the caller requests a check.
  Reloader(uv_loop_t* loop, Check check, Publish publish);
  ~Reloader();
  Reloader(const Reloader&) = delete;
  Reloader& operator=(const Reloader&) = delete;

  /// Starts a check now, or once more after the running one.
  void request();
  /// No new checks from now on (shutdown); a running one completes without publishing.
  void close() noexcept { closed_ = true; }
  /// A check is running.
  bool running() const noexcept { return running_; }
  /// Checks completed so far.
  std::uint64_t completed() const noexcept { return completed_; }

 private:
  static void work(uv_work_t* req) noexcept;
  static void after_work(uv_work_t* req, int status) noexcept;
  void start();

  uv_loop_t* loop_;
  Check check_;
  Publish publish_;
  uv_work_t req_{};
  loader::CheckResult result_;  // written by work(), read by after_work()
  bool running_ = false;
  bool pending_ = false;
  bool closed_ = false;
  std::uint64_t completed_ = 0;
};

}  // namespace fastrbl::dnsd
