#pragma once
// Server: the workers plus the control loop of the main thread (signals, snapshot
// publishing and retirement).
//
// main() builds it after the sockets are bound and the first snapshot is loaded:
// init() publishes the snapshot and gives every worker its sockets, start() starts the
// worker threads (with the process signals blocked, so that only the main thread handles
// them), run() serves until SIGTERM or SIGINT, then stops the workers (uv_async), joins
// them and returns the exit status. publish() hands a new snapshot to the workers;
// retired snapshots are destroyed by a timer on this thread once every worker has moved
// past them. With enable_reload(), SIGHUP and a timer every -c interval request a reload
// check, run by a Reloader off this thread (dnsd/reloader.h).
// Ownership: owns the workers, the SnapshotHolder and the AnswerConfig they borrow.
// Thread safety: main thread only.

#include "core/status.h"
#include "dnsd/config.h"
#include "dnsd/query.h"
#include "dnsd/reloader.h"
#include "dnsd/snapshot_holder.h"
#include "dnsd/worker.h"

#include <uv.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace fastrbl::dnsd {

class ListenSet;

class Server {
 public:
  explicit Server(const Config& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  /// Publishes `snapshot` and sets up one worker per config.workers on the sockets of
  /// `listen` (whose descriptors are taken).
  core::Status init(ListenSet& listen, std::shared_ptr<const zones::Snapshot> snapshot);
  /// Starts the worker threads. Requires: init() succeeded.
  core::Status start();
  /// Serves until SIGTERM/SIGINT; returns the process exit status.
  int run();
  /// Makes `snapshot` the one the workers answer from (control thread).
  void publish(std::shared_ptr<const zones::Snapshot> snapshot);
  /// Reload checks from now on: on SIGHUP and every config.check_interval seconds (0:
  /// SIGHUP only), over `zones`. Requires: init() succeeded; called once, before run().
  void enable_reload(std::unique_ptr<loader::ZoneSet> zones);
  /// Requests a reload check (coalesced with a running one). Requires: enable_reload().
  void request_reload();

  /// Workers whose UDP sockets are read with recvmmsg.
  std::size_t workers_using_recvmmsg() const noexcept;

 private:
  static void on_signal(uv_signal_t* handle, int signum) noexcept;
  static void on_retire_timer(uv_timer_t* timer) noexcept;
  static void on_check_timer(uv_timer_t* timer) noexcept;
  void stop_workers() noexcept;
  void log_totals() const;

  Config config_;
  AnswerConfig answer_config_;
  std::unique_ptr<SnapshotHolder> holder_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool started_ = false;
  uv_loop_t loop_{};
  bool loop_ready_ = false;
  uv_signal_t sigterm_{};
  uv_signal_t sigint_{};
  uv_signal_t sighup_{};
  uv_signal_t sigusr1_{};
  uv_signal_t sigusr2_{};
  uv_timer_t retire_timer_{};
  uv_timer_t check_timer_{};  // -c
  std::unique_ptr<Reloader> reloader_;
};

}  // namespace fastrbl::dnsd
